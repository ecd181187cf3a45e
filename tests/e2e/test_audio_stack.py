"""Sound both ways between real processes: hub, kiosk and console from scripts/stack.py.

The stack gives the kiosk a 440 Hz tone and the console an 880 Hz tone as microphones
and a WAV file each as loudspeaker; after an autopilot call, each file must hold the
other side's tone, and every process must exit with status 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.stack import CONSOLE_TONE_HZ, KIOSK_TONE_HZ
from tests.e2e.helpers import logs_of, run_call, running_stack
from tests.support.audio_analysis import band_energy, dominant_frequency, read_wav, rms

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_kiosk_and_console_hear_each_other(tmp_path: Path, qt_env: dict[str, str]) -> None:
    with running_stack(tmp_path / "stack", qt_env) as stack:
        stack.audio = True
        kiosk, console, k, c = run_call(stack, tmp_path / "out", call_seconds=3, timeout=60)
        codes = stack.stop_all()
        context = logs_of(stack)
        heard = {"kiosk1": stack.heard_wav("kiosk1"), "console1": stack.heard_wav("console1")}
    assert (kiosk.proc.returncode, console.proc.returncode, codes["hub"]) == (0, 0, 0), context
    assert k["error"] is None and c["error"] is None, context
    assert k["first_connected_at"] and c["first_connected_at"], context

    for name, own, other in (
        ("kiosk1", KIOSK_TONE_HZ, CONSOLE_TONE_HZ),
        ("console1", CONSOLE_TONE_HZ, KIOSK_TONE_HZ),
    ):
        assert heard[name].exists(), f"{name} wrote no WAV\n{context}"
        wav = read_wav(heard[name])
        assert wav.seconds >= 2.0, (name, wav.seconds)
        steady = wav.samples[wav.rate // 2 :]
        assert rms(steady) > 1000, (name, rms(steady))
        assert abs(dominant_frequency(steady, wav.rate) - other) <= 5.0, name
        assert band_energy(steady, wav.rate, other) > 100 * band_energy(steady, wav.rate, own)
