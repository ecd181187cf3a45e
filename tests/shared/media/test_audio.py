"""Audio sources and sinks on their own: the tone's pitch and pacing, WAV and ALSA output,
newest-first dropping, configuration, and clear errors for bad devices and paths."""

from __future__ import annotations

import asyncio
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from shared.config import AudioSinkConfig, ClientConfig, ConfigError, load_config
from shared.media import (
    AlsaAudioSource,
    AlsaSink,
    AudioSinkError,
    AudioSourceConfig,
    AudioSourceError,
    CallAudio,
    ToneAudioSource,
    WavSink,
    open_audio_sink,
    open_audio_source,
)
from shared.media.audio import ToneTrack
from tests.support.audio_analysis import dominant_frequency, read_wav, rms

pytestmark = pytest.mark.timeout(30)


def _stereo_tone(frequency: float, seconds: float, rate: int = 48_000) -> list[av.AudioFrame]:
    """Frames shaped like aiortc's Opus decoder output: s16 stereo, 20 ms each, with pts."""
    frames = []
    per = rate // 50
    for i in range(int(seconds * 50)):
        t = (np.arange(per) + i * per) / rate
        mono = (np.sin(2 * np.pi * frequency * t) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.repeat(mono, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = rate
        frame.pts = i * per
        frame.time_base = Fraction(1, rate)
        frames.append(frame)
    return frames


async def test_tone_has_its_pitch_and_microphone_pacing() -> None:
    source = open_audio_source(AudioSourceConfig(kind="tone", frequency=523.0))
    assert isinstance(source, ToneAudioSource)
    await source.start()
    track = source.create_track()
    started = time.monotonic()
    frames = [await asyncio.wait_for(track.recv(), 2) for _ in range(50)]
    elapsed = time.monotonic() - started
    # 50 frames of 20 ms: in real time like a microphone, not at once (a loaded machine
    # can only make this slower, so only the lower bound is a fact).
    assert elapsed >= 0.85, elapsed
    assert {f.samples for f in frames} == {960}
    assert {f.sample_rate for f in frames} == {48_000}
    assert [f.pts for f in frames[:3]] == [0, 960, 1920]
    signal = np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float64)
    assert abs(dominant_frequency(signal, 48_000) - 523.0) <= 2.0
    # Continuous phase: no clicks at frame borders (a jump would be far above one step).
    max_step = 2 * np.pi * 523.0 / 48_000 * 0.3 * 32767
    assert np.max(np.abs(np.diff(signal))) <= max_step * 1.05
    await source.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(track.recv(), 2)


async def test_tone_skips_ahead_instead_of_bursting() -> None:
    track = ToneTrack(440.0)
    await asyncio.wait_for(track.recv(), 2)
    await asyncio.sleep(0.5)  # not a wait: a consumer stalled for 25 frames
    await asyncio.wait_for(track.recv(), 2)
    started = time.monotonic()
    for _ in range(5):
        await asyncio.wait_for(track.recv(), 2)
    # No backlog of 25 frames delivered at once: the next frames come at the normal pace.
    assert time.monotonic() - started >= 0.07
    track.stop()


async def test_wav_sink_records_the_remote_voice(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "heard.wav"
    sink = open_audio_sink(AudioSinkConfig(kind="wav", path=path, sample_rate=16_000))
    assert isinstance(sink, WavSink)
    sink.write(_stereo_tone(440.0, 0.1)[0])  # before start: ignored, not an error
    await asyncio.wait_for(sink.start(), 5)
    for frame in _stereo_tone(660.0, 1.0):
        sink.write(frame)
        await asyncio.sleep(0.01)  # faster than real time (20 ms), slow enough to keep up
    await asyncio.wait_for(sink.stop(), 5)
    await sink.stop()  # idempotent
    sink.write(_stereo_tone(440.0, 0.1)[0])  # after stop: ignored
    wav = read_wav(path)
    assert (wav.rate, wav.channels) == (16_000, 1)  # resampled and down-mixed as configured
    assert 0.9 <= wav.seconds <= 1.05, wav.seconds
    assert abs(dominant_frequency(wav.samples, wav.rate) - 660.0) <= 3.0
    assert rms(wav.samples) > 1000
    stats = sink.stats()
    assert (stats["frames_written"], stats["frames_dropped"]) == (50, 0)
    assert stats["errors"] == 0


class _StalledWavSink(WavSink):
    """A WAV sink whose device hangs on the first write until released, like a stuck card."""

    def __init__(self, config: AudioSinkConfig) -> None:
        super().__init__(config)
        self.release = threading.Event()
        self.blocked = threading.Event()

    def _write_sync(self, frame: av.AudioFrame) -> None:
        if not self.blocked.is_set():
            self.blocked.set()
            self.release.wait(10)
        super()._write_sync(frame)


async def test_sink_drops_oldest_audio_instead_of_building_latency(tmp_path: Path) -> None:
    path = tmp_path / "stalled.wav"
    sink = _StalledWavSink(AudioSinkConfig(kind="wav", path=path, max_latency_ms=200))
    await asyncio.wait_for(sink.start(), 5)
    frames = _stereo_tone(440.0, 2.0)  # 100 frames, 2 s
    sink.write(frames[0])
    assert await asyncio.to_thread(sink.blocked.wait, 5)
    for frame in frames[1:]:
        sink.write(frame)
    sink.release.set()
    await asyncio.wait_for(sink.stop(), 5)
    stats = sink.stats()
    # One frame was on the stuck device; of the other 99 only the newest 200 ms survive.
    assert stats["frames_written"] == 11, stats
    assert stats["frames_dropped"] == 89, stats
    assert read_wav(path).seconds <= 0.23


async def test_alsa_sink_plays_on_the_null_device() -> None:
    # ALSA's "null" PCM is a real ALSA device that discards audio: the whole path runs.
    sink = open_audio_sink(AudioSinkConfig(kind="alsa", device="null", channels=2))
    assert isinstance(sink, AlsaSink)
    await asyncio.wait_for(sink.start(), 5)
    for frame in _stereo_tone(440.0, 0.5):
        sink.write(frame)
        await asyncio.sleep(0.01)
    await asyncio.wait_for(sink.stop(), 5)
    stats = sink.stats()
    assert stats["errors"] == 0
    assert stats["frames_written"] >= 20
    assert stats["seconds_written"] >= 0.4


async def test_bad_outputs_fail_clearly_at_start(tmp_path: Path) -> None:
    sink = AlsaSink(AudioSinkConfig(kind="alsa", device="no-such-card"))
    with pytest.raises(AudioSinkError, match="cannot open ALSA device no-such-card"):
        await asyncio.wait_for(sink.start(), 5)
    assert not sink.running
    sink.write(_stereo_tone(440.0, 0.1)[0])  # a sink that failed to start ignores audio
    await sink.stop()

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    wav = WavSink(AudioSinkConfig(kind="wav", path=blocker / "heard.wav"))
    with pytest.raises(AudioSinkError, match=r"heard\.wav"):
        await asyncio.wait_for(wav.start(), 5)
    assert blocker.read_text() == "not a folder"  # nothing lost


async def test_bad_microphone_fails_clearly() -> None:
    source = open_audio_source(AudioSourceConfig(kind="alsa", device="no-such-mic"))
    assert isinstance(source, AlsaAudioSource)
    with pytest.raises(AudioSourceError, match="no-such-mic"):
        await asyncio.wait_for(source.start(), 10)
    with pytest.raises(AudioSourceError, match="not started"):
        source.create_track()


def test_audio_config_defaults_off_and_resolves_paths(tmp_path: Path) -> None:
    default = load_config(ClientConfig, None, "VW_TEST", environ={})
    assert default.audio.input.kind == "none" and default.audio.output.kind == "none"
    assert open_audio_source(default.audio.input) is None
    assert open_audio_sink(default.audio_output) is None

    path = tmp_path / "client.toml"
    path.write_text(
        '[audio]\ninput = {kind = "tone", frequency = 880}\n'
        'output = {kind = "wav", path = "rec/heard.wav"}\n'
    )
    config = load_config(ClientConfig, path, "VW_TEST", environ={})
    assert config.audio.input.kind == "tone" and config.audio.input.frequency == 880.0
    assert config.audio_output.path == tmp_path / "rec" / "heard.wav"
    # Environment overrides reach into the inline tables too.
    env = {"VW_TEST__AUDIO__INPUT__FREQUENCY": "1000"}
    assert load_config(ClientConfig, path, "VW_TEST", environ=env).audio.input.frequency == 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[audio]\noutput = {kind = "wav"}\n', "needs a path"),
        ('[audio]\noutput = {kind = "pulse"}\n', "audio.output.kind"),
        ('[audio]\ninput = {kind = "tone", frequency = 5}\n', "audio.input.frequency"),
        ('[audio]\ninput = {kind = "tone", volume = 1}\n', "audio.input.volume"),
    ],
)
def test_bad_audio_config_is_refused_with_its_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "client.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(ClientConfig, path, "VW_TEST", environ={})


async def test_call_audio_leaves_out_a_broken_device(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A kiosk whose sound card is gone still serves residents: video only, errors logged.
    broken = await CallAudio.open(
        AudioSourceConfig(kind="alsa", device="no-such-mic"),
        AudioSinkConfig(kind="alsa", device="no-such-card"),
    )
    assert broken.source is None and broken.sink is None and broken.on_frame is None
    assert "no-such-mic" in caplog.text and "no-such-card" in caplog.text
    await broken.stop()

    working = await CallAudio.open(
        AudioSourceConfig(kind="tone"), AudioSinkConfig(kind="wav", path=tmp_path / "h.wav")
    )
    assert isinstance(working.source, ToneAudioSource) and working.on_frame is not None
    track = working.source.create_track()
    working.on_frame(await asyncio.wait_for(track.recv(), 2))
    await asyncio.wait_for(working.stop(), 10)
    assert read_wav(tmp_path / "h.wav").seconds == pytest.approx(0.02)
    with pytest.raises(MediaStreamError):  # stopping the source ended its tracks
        await asyncio.wait_for(track.recv(), 2)
