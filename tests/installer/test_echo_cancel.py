"""The kiosk's PipeWire drop-in: echo-cancelled source and sink, chosen as the defaults.

A private PipeWire (its own runtime folder and session bus) loads Debian's
pipewire.conf plus installer/kiosk-session/60-vw-echo-cancel.conf, beside a stand-in
sound card (a null sink and source at priority 2000, above what WirePlumber 0.4 gives a
real ALSA card); WirePlumber then picks the defaults. Then the kiosk's own audio
(`CallAudio` on ALSA's `default`, as the packaged kiosk.toml has it) must reach them:
through pipewire-alsa, with the PyAV wheel's libasound pointed at the system's plugins
(shared/media/system_alsa.py), its capture and playback streams are linked to the
echo-cancelled source and sink.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KIOSK_AUDIO = """
import asyncio, sys
from shared.config import AudioSinkConfig, AudioSourceConfig
from shared.media import CallAudio

async def main():
    alsa = {"kind": "alsa", "device": "default"}
    audio = await CallAudio.open(AudioSourceConfig(**alsa), AudioSinkConfig(**alsa))
    print("open", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await audio.stop()

asyncio.run(main())
"""
DROP_IN = REPO / "installer" / "kiosk-session" / "60-vw-echo-cancel.conf"
CARD = (
    "{{ factory.name=support.null-audio-sink node.name={name} media.class={cls} "
    "priority.session=2000 object.linger=true audio.position=[MONO] }}"
)


def _wait(check: Callable[[], str | None], what: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes], name: str) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise AssertionError(f"{name} did not stop on SIGTERM") from None
    assert code == 0, f"{name} exited with {code}"


@pytest.fixture
def audio_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A session bus and a PipeWire with the kiosk's drop-in; the environment of a client."""
    runtime = Path(tempfile.mkdtemp(prefix="vw-pw-"))
    runtime.chmod(0o700)
    conf = tmp_path / "pipewire"
    (conf / "pipewire.conf.d").mkdir(parents=True)
    shutil.copy("/usr/share/pipewire/pipewire.conf", conf)
    shutil.copy(DROP_IN, conf / "pipewire.conf.d")
    bus = f"unix:path={runtime}/bus"
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(runtime),
        "DBUS_SESSION_BUS_ADDRESS": bus,
        # WirePlumber remembers chosen defaults under the state folder: start from none.
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    dbus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", f"--address={bus}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    pipewire = subprocess.Popen(
        ["pipewire"], env={**env, "PIPEWIRE_CONFIG_DIR": str(conf)},
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "pipewire.log").open("wb"),
    )  # fmt: skip
    try:
        yield env
    finally:
        _stop(pipewire, "pipewire")
        _stop(dbus, "dbus-daemon")
        shutil.rmtree(runtime, ignore_errors=True)


def _run(env: dict[str, str], *cmd: str) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=30, check=False)
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


def test_echo_cancel_nodes_are_the_defaults(audio_env: dict[str, str], tmp_path: Path) -> None:
    nodes = _wait(
        lambda: (out := _run(audio_env, "pw-cli", "ls", "Node")) and "vw_echo_cancel_sink" in out
        and out,
        "the echo-cancel module made no nodes",
    )  # fmt: skip
    assert 'node.name = "vw_echo_cancel_source"' in nodes
    assert 'media.class = "Audio/Source"' in nodes
    for name, cls in (("card_sink", "Audio/Sink"), ("card_source", "Audio/Source/Virtual")):
        card = CARD.format(name=name, cls=cls)
        done = subprocess.run(
            ["pw-cli", "create-node", "adapter", card], env=audio_env, capture_output=True,
            timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 0 and b"rror" not in done.stdout + done.stderr, done
    wireplumber = subprocess.Popen(
        ["wireplumber"], env=audio_env,
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "wireplumber.log").open("wb"),
    )  # fmt: skip
    try:
        metadata = _wait(
            lambda: (out := _run(audio_env, "pw-metadata", "0"))
            and "default.audio.sink" in out and "default.audio.source" in out and out,
            "WirePlumber chose no defaults",
        )  # fmt: skip
        assert "key:'default.audio.sink' value:'{\"name\":\"vw_echo_cancel_sink\"}'" in metadata
        assert "key:'default.audio.source' value:'{\"name\":\"vw_echo_cancel_source\"}'" in metadata
        _kiosk_audio_goes_through_the_canceller(audio_env, tmp_path)
    finally:
        _stop(wireplumber, "wireplumber")


def _kiosk_audio_goes_through_the_canceller(env: dict[str, str], tmp_path: Path) -> None:
    clean = {k: v for k, v in env.items() if not k.startswith("ALSA_")}
    kiosk = subprocess.Popen(
        [sys.executable, "-c", KIOSK_AUDIO], cwd=REPO, env=clean, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=(tmp_path / "kiosk-audio.log").open("wb"),
    )  # fmt: skip
    try:
        assert kiosk.stdout is not None and kiosk.stdin is not None
        assert kiosk.stdout.readline() == b"open\n", (tmp_path / "kiosk-audio.log").read_text()
        links = _wait(
            lambda: (out := _run(env, "pw-link", "-l"))
            and "ALSA Capture" in out and "ALSA Playback" in out and out,
            f"the kiosk's ALSA streams never reached PipeWire: {_run(env, 'pw-link', '-l')}",
        )  # fmt: skip
        assert "vw_echo_cancel_source:capture_1\n  |-> ALSA Capture:input_1" in links, links
        assert "vw_echo_cancel_sink:playback_1\n  |<- ALSA Playback:output_1" in links, links
        log = (tmp_path / "kiosk-audio.log").read_text("utf-8", "replace")
        assert "unavailable" not in log, log
    finally:
        if kiosk.stdin is not None:
            kiosk.stdin.close()
        code = kiosk.wait(timeout=30)
    assert code == 0, (tmp_path / "kiosk-audio.log").read_text()
