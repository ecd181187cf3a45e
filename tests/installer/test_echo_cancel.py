"""The kiosk's PipeWire drop-in: echo-cancelled source and sink, chosen as the defaults.

A private PipeWire (its own runtime folder and session bus) loads Debian's
pipewire.conf plus installer/kiosk-session/60-vw-echo-cancel.conf, beside a stand-in
sound card (a null sink and source at priority 2000, above what WirePlumber 0.4 gives a
real ALSA card); WirePlumber then picks the defaults. ALSA's `default` device, which the
kiosk opens, follows them through pipewire-alsa.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
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
    finally:
        _stop(wireplumber, "wireplumber")
    assert "key:'default.audio.sink' value:'{\"name\":\"vw_echo_cancel_sink\"}'" in metadata
    assert "key:'default.audio.source' value:'{\"name\":\"vw_echo_cancel_source\"}'" in metadata
