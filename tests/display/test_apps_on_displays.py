"""The kiosk and the console on real display servers: Xvfb (X11) and weston (Wayland).

Every other Qt test runs offscreen, which loads none of the libraries Qt's xcb and
wayland plugins need; here the apps start against a real hub on a real X server and a
real Wayland compositor, say READY=1 once their windows are shown (the systemd protocol,
on a socket the test owns), and the windows are looked for on the server and in a
screenshot taken from it. A platform library missing from the machine (see
installer/packages-runtime.txt) makes the app abort and this test fail.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scripts.stack import Child
from shared.i18n import tr
from tests.display.conftest import DemoStack, NotifySocket, start_app, wait_log
from tests.support.display_servers import RGB, weston, xvfb
from tests.support.xwd import save_png

pytestmark = pytest.mark.slow


def _titles() -> set[str]:
    return {tr("kiosk", "window.face"), tr("kiosk", "window.touch"), tr("console", "app.title")}


@contextmanager
def _apps(demo: DemoStack, env: dict[str, str], folder: Path, tag: str) -> Iterator[None]:
    """Kiosk and console on the display in `env`, ready and connected; stopped with SIGTERM."""
    stack = demo.stack
    notify = {name: NotifySocket(folder, name) for name in ("kiosk", "console")}
    children: list[Child] = []
    try:
        kiosk = start_app(stack, env, f"kiosk-{tag}", notify["kiosk"], str(demo.kiosk_config))
        children.append(kiosk)
        console = start_app(
            stack, env, f"console-{tag}", notify["console"], str(stack.console_config())
        )
        children.append(console)
        notify["kiosk"].wait_ready(kiosk)
        notify["console"].wait_ready(console)
        wait_log(kiosk, r"kiosk state \S+ -> \S*idle")  # connected to the hub
        yield
    finally:
        for child in children:
            child.proc.send_signal(signal.SIGTERM)
        codes = {child.name: child.wait(30) for child in children}
        for sock in notify.values():
            sock.close()
    assert all(code == 0 for code in codes.values()), codes


def _wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def _colours(image: RGB) -> int:
    """How many distinct colours a screenshot holds (a blank screen has one)."""
    flat = image.reshape(-1, 3)[::7]
    return len({tuple(px) for px in flat[:: max(1, len(flat) // 20000)]})


def test_on_xvfb(demo_stack: DemoStack, tmp_path: Path, test_output: Path) -> None:
    with xvfb(1920, 1080) as x, _apps(demo_stack, x.env, tmp_path, "xvfb"):
        _wait_until(
            lambda: _titles() <= set(x.window_names()),
            f"windows on the X server: {x.window_names()}",
        )
        shot = x.screenshot()
        save_png(shot, test_output / "display-xvfb.png")
        assert shot.shape == (1080, 1920, 3)
        assert _colours(shot) > 50


def test_on_weston(demo_stack: DemoStack, tmp_path: Path, test_output: Path) -> None:
    args = ["--backend=headless-backend.so", "--use-pixman", "--width=1920", "--height=1080",
            "--no-config"]  # fmt: skip
    with (
        weston(args, tmp_path / "weston") as server,
        _apps(demo_stack, server.env, tmp_path, "weston"),
    ):
        _wait_until(
            lambda: _titles() <= {t.title for t in server.scene_graph().toplevels},
            f"windows on weston: {server.scene_graph()}",
        )
        shot = server.screenshot(tmp_path / "shots")
        save_png(shot, test_output / "display-weston.png")
        assert shot.shape == (1080, 1920, 3)
        assert _colours(shot) > 50
