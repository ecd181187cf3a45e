"""Real display servers for tests: Xvfb (X11) and weston (Wayland), and what they show.

Each server is started by the test and stopped at the end (SIGTERM, exit status checked).
Screenshots come from the server, not from Qt: `xwd -root` on X, weston's screenshooter
on Wayland (weston runs with `--debug`, which lets the `weston-screenshooter` client and
the `weston-debug` streams in). weston's `scene-graph` stream says which window (title,
app id) is on which output, from the compositor's side.

Wayland sockets live in a short runtime folder of their own under /tmp: a unix socket's
path must stay under 108 bytes, which a pytest tmp_path does not promise.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from tests.support.xwd import read_xwd

RGB = npt.NDArray[np.uint8]
START_TIMEOUT_S = 30.0


@dataclass
class XServer:
    """A running Xvfb: its display name (":N") and process."""

    display: str
    proc: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        """What a client needs to draw on this server with Qt's xcb plugin."""
        return {"DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"}

    def screenshot(self) -> RGB:
        """The whole screen, read from the X server (`xwd -root`)."""
        done = subprocess.run(
            ["xwd", "-root", "-silent", "-display", self.display],
            capture_output=True,
            timeout=30,
            check=True,
        )
        return read_xwd(done.stdout)

    def window_names(self) -> list[str]:
        """The names of the mapped top-level windows (`xwininfo -root -tree`)."""
        done = subprocess.run(
            ["xwininfo", "-root", "-tree", "-display", self.display],
            capture_output=True,
            timeout=30,
            check=True,
        )
        text = done.stdout.decode("utf-8", "replace")
        return re.findall(r'^\s+0x[0-9a-f]+ "(.*)": \(', text, re.MULTILINE)


@contextmanager
def xvfb(width: int = 1920, height: int = 1080) -> Iterator[XServer]:
    """An Xvfb on a display number it picks itself (`-displayfd`); stopped at the end."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], START_TIMEOUT_S)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if not number:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise RuntimeError(f"Xvfb did not start: {err.decode(errors='replace')[-2000:]}")
        server = XServer(f":{number}", proc)
        yield server
    finally:
        os.close(read_end)
        _stop(proc, "Xvfb")


@dataclass(frozen=True)
class Rect:
    """A rectangle in the compositor's global coordinates."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Toplevel:
    """A window as weston's scene graph lists it."""

    title: str
    app_id: str
    rect: Rect
    outputs: tuple[str, ...]


@dataclass
class SceneGraph:
    """The outputs and top-level windows of weston's `scene-graph` debug stream."""

    outputs: dict[str, Rect] = field(default_factory=dict)
    toplevels: list[Toplevel] = field(default_factory=list)

    def on_output(self, output: str) -> list[Toplevel]:
        """The windows weston shows on `output`."""
        return [t for t in self.toplevels if output in t.outputs]


_POSITION = r"position: \((?P<x1>-?\d+), (?P<y1>-?\d+)\) -> \((?P<x2>-?\d+), (?P<y2>-?\d+)\)"
_OUTPUT = re.compile(r"^Output \d+ \((?P<name>[^)]+)\):\n\t" + _POSITION, re.MULTILINE)
_VIEW = re.compile(
    r"^\tView \d+ \(role xdg_toplevel, [^\n]*?"
    r"top-level window '(?P<title>[^']*)' of (?P<app_id>[^,]*), [^\n]*\):\n"
    r"\t\t" + _POSITION + r"\n"
    r"(?:\t\t[^\n]*\n)*?\t\toutputs: (?P<outputs>[^\n]*)",
    re.MULTILINE,
)


def _rect(match: re.Match[str]) -> Rect:
    x1, y1, x2, y2 = (int(match[k]) for k in ("x1", "y1", "x2", "y2"))
    return Rect(x1, y1, x2 - x1, y2 - y1)


def parse_scene_graph(text: str) -> SceneGraph:
    """Outputs and top-level windows from one dump of the `scene-graph` stream."""
    graph = SceneGraph()
    for match in _OUTPUT.finditer(text):
        graph.outputs[match["name"]] = _rect(match)
    for match in _VIEW.finditer(text):
        outputs = tuple(re.findall(r"\d+ \(([^)]+)\)", match["outputs"]))
        graph.toplevels.append(Toplevel(match["title"], match["app_id"], _rect(match), outputs))
    return graph


@dataclass
class Weston:
    """A running weston: its runtime folder, socket name, process and log."""

    runtime_dir: Path
    socket_name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def env(self) -> dict[str, str]:
        """What a client needs to draw on this compositor with Qt's wayland plugin."""
        return {
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "WAYLAND_DISPLAY": self.socket_name,
            "QT_QPA_PLATFORM": "wayland",
        }

    def _client_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def scene_graph(self) -> SceneGraph:
        """The compositor's scene graph now (`weston-debug scene-graph`)."""
        done = subprocess.run(
            ["weston-debug", "scene-graph"],
            env=self._client_env(),
            capture_output=True,
            timeout=30,
            check=True,
        )
        return parse_scene_graph(done.stdout.decode("utf-8", "replace"))

    def screenshot(self, folder: Path) -> RGB:
        """Every output as weston composes it (`weston-screenshooter`), outputs side by side."""
        folder.mkdir(parents=True, exist_ok=True)
        before = set(folder.glob("wayland-screenshot-*.png"))
        subprocess.run(
            ["weston-screenshooter"], cwd=folder, env=self._client_env(), timeout=30, check=True
        )
        new = sorted(set(folder.glob("wayland-screenshot-*.png")) - before)
        if not new:
            raise RuntimeError("weston-screenshooter wrote no screenshot")
        with Image.open(new[-1]) as image:
            rgb = np.asarray(image.convert("RGB"))
        for path in new:
            path.unlink()
        return rgb


@contextmanager
def weston(args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Iterator[Weston]:
    """weston with `args` (backend, shell, config), `--debug`, ready when it says READY=1.

    weston's own systemd-notify.so module sends READY=1 to a notify socket the test owns
    once the compositor listens, as it does for vw-kiosk-session.service.
    """
    runtime_dir = Path(tempfile.mkdtemp(prefix="vw-wl-"))
    runtime_dir.chmod(0o700)
    notify_path = runtime_dir / "notify"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "weston.log"
    socket_name = "wayland-vw-test"
    proc = subprocess.Popen(
        ["weston", *args, f"--socket={socket_name}", "--modules=systemd-notify.so", "--debug",
         f"--log={log}"],
        env={**os.environ, **(env or {}), "XDG_RUNTIME_DIR": str(runtime_dir),
             "NOTIFY_SOCKET": str(notify_path)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or proc.poll() is not None:
                tail = log.read_text("utf-8", "replace")[-3000:] if log.exists() else ""
                raise RuntimeError(f"weston did not become ready:\n{tail}")
            notify.settimeout(min(remaining, 0.5))
            try:
                if b"READY=1" in notify.recv(4096):
                    break
            except TimeoutError:
                continue
        yield Weston(runtime_dir, socket_name, proc, log)
    finally:
        notify.close()
        _stop(proc, "weston")
        shutil.rmtree(runtime_dir, ignore_errors=True)


def _stop(proc: subprocess.Popen[bytes], name: str) -> None:
    """SIGTERM, then wait; a server that does not stop cleanly fails the test."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise AssertionError(f"{name} did not stop on SIGTERM") from None
    assert code == 0, f"{name} exited with {code} on SIGTERM"
