"""Sound both ways through a real call: two CallPeers in one process on loopback, real Opus.

The kiosk side sends a 440 Hz tone, the console side 880 Hz; each side records what it
hears to a WAV file through its WavSink, and each file must hold the OTHER side's tone.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from shared.config import AudioSinkConfig, AudioSourceConfig
from shared.media import AudioSink, AudioSource, open_audio_sink, open_audio_source
from shared.protocol import CallState
from shared.rtc import CallPeer, enable_loopback_mode, memory_signaling_pair
from tests.support.audio_analysis import band_energy, dominant_frequency, read_wav, rms
from tests.support.waiting import until

pytestmark = pytest.mark.timeout(60)

KIOSK_HZ, CONSOLE_HZ = 440.0, 880.0
CALL_SECONDS = 3.5


@pytest.fixture(autouse=True)
def _loopback() -> None:
    enable_loopback_mode()


async def _side(hz: float, wav: Path) -> tuple[AudioSource, AudioSink]:
    source = open_audio_source(AudioSourceConfig(kind="tone", frequency=hz))
    sink = open_audio_sink(AudioSinkConfig(kind="wav", path=wav))
    assert source is not None and sink is not None
    await source.start()
    await sink.start()
    return source, sink


async def test_each_side_hears_the_other(tmp_path: Path) -> None:
    kiosk_wav, console_wav = tmp_path / "kiosk-heard.wav", tmp_path / "console-heard.wav"
    kiosk_mic, kiosk_speaker = await _side(KIOSK_HZ, kiosk_wav)
    console_mic, console_speaker = await _side(CONSOLE_HZ, console_wav)
    sig_kiosk, sig_console = memory_signaling_pair()
    kiosk = CallPeer(
        offerer=True,
        ice_servers=[],
        video=None,
        signaling=sig_kiosk,
        audio=kiosk_mic,
        on_audio_frame=kiosk_speaker.write,
    )
    console = CallPeer(
        offerer=False,
        ice_servers=[],
        video=None,
        signaling=sig_console,
        audio=console_mic,
        on_audio_frame=console_speaker.write,
    )
    sig_kiosk.connect(console)
    sig_console.connect(kiosk)
    try:
        await asyncio.wait_for(console.start(), 5)
        await asyncio.wait_for(kiosk.start(), 5)
        deadline = time.monotonic() + 10
        while kiosk.state != CallState.CONNECTED or console.state != CallState.CONNECTED:
            assert time.monotonic() < deadline, "the call did not connect"
            await asyncio.sleep(0.05)
        # About CALL_SECONDS of 20 ms frames each way (however long a loaded machine takes).
        frames = int(CALL_SECONDS * 50)
        await until(
            lambda: (
                min(kiosk.stats()["remote_audio_frames"], console.stats()["remote_audio_frames"])
                >= frames
            ),
            f"{frames} audio frames each way",
            timeout=60,
        )
        heard_by_kiosk = kiosk.stats()["remote_audio_frames"]
        heard_by_console = console.stats()["remote_audio_frames"]
    finally:
        await asyncio.wait_for(kiosk.close(), 10)
        await asyncio.wait_for(console.close(), 10)
        await sig_kiosk.close()
        await sig_console.close()
        for part in (kiosk_speaker, console_speaker, kiosk_mic, console_mic):
            await asyncio.wait_for(part.stop(), 10)

    # 20 ms frames for about CALL_SECONDS, each way.
    assert isinstance(heard_by_kiosk, int) and heard_by_kiosk >= 120, heard_by_kiosk
    assert isinstance(heard_by_console, int) and heard_by_console >= 120, heard_by_console
    for wav_path, own, other in (
        (kiosk_wav, KIOSK_HZ, CONSOLE_HZ),
        (console_wav, CONSOLE_HZ, KIOSK_HZ),
    ):
        wav = read_wav(wav_path)
        assert wav.seconds >= 2.5, (wav_path.name, wav.seconds)
        # Skip the first half second: Opus starts from silence and ramps up.
        steady = wav.samples[wav.rate // 2 :]
        assert rms(steady) > 1000, (wav_path.name, rms(steady))  # a tone, not silence
        assert abs(dominant_frequency(steady, wav.rate) - other) <= 5.0, wav_path.name
        assert band_energy(steady, wav.rate, other) > 100 * band_energy(steady, wav.rate, own)
