"""The packaged kiosk session: weston with kiosk-shell, two outputs, one kiosk window on each.

weston 10's headless backend makes a single output and ignores `[output]` sections
(weston.ini(5): "only recognized by the drm and x11 backends"); its x11 backend makes
one output per X window (`--output-count=2`, names X1 and X2) and honours them, so the
test runs weston's x11 backend inside Xvfb. The packaged weston.ini is used as it is,
except that its two output names become X1 (the face screen) and X2 (the touch screen),
each with a `mode=` line giving it a size of its own (1280x720, 1024x768) so the sizes
tell the outputs apart. The kiosk is the demo's, enrolled with a real hub, on simulated
devices.

The kiosk's own [screens] names the screens the wrong way round on purpose: kiosk-shell
must place each window by its app id, whatever Qt asks for. What is on which output is
read from weston's scene graph, then checked in a screenshot of each output.
"""

from __future__ import annotations

import configparser
import re
import signal
import time
from pathlib import Path

import pytest

from kiosk.ui.screens import FACE_APP_ID, TOUCH_APP_ID
from scripts.stack import Stack
from shared.i18n import tr
from tests.display.conftest import DemoStack, NotifySocket, start_app, wait_log
from tests.support.display_servers import RGB, Rect, SceneGraph, Weston, weston, xvfb
from tests.support.xwd import save_png

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SESSION = REPO / "installer" / "kiosk-session"
FACE = ("X1", 1280, 720)
TOUCH = ("X2", 1024, 768)


def session_ini(folder: Path) -> Path:
    """The packaged weston.ini with its outputs renamed for weston's x11 backend."""
    text = (SESSION / "weston.ini").read_text(encoding="utf-8")
    parser = configparser.ConfigParser(strict=False)
    parser.read_string(text)
    assert parser["core"]["shell"] == "kiosk-shell.so"
    assert parser["core"]["idle-time"] == "0"
    sections = re.split(r"(?m)^(?=\[)", text)
    out = []
    for section in sections:
        if section.startswith("[output]"):
            app_ids = re.search(r"(?m)^app-ids=(.*)$", section)
            assert app_ids is not None, section
            name, width, height = FACE if app_ids[1] == FACE_APP_ID else TOUCH
            assert app_ids[1] in (FACE_APP_ID, TOUCH_APP_ID), app_ids[1]
            renamed = f"name={name}\nmode={width}x{height}"
            out.append(re.sub(r"(?m)^name=.*$", renamed, section))
        else:
            out.append(section)
    path = folder / "weston.ini"
    path.write_text("".join(out), encoding="utf-8")
    return path


def swapped_screens(stack: Stack, config: Path) -> Path:
    """The enrolled kiosk's config with [screens] naming the outputs the wrong way round."""
    text = config.read_text(encoding="utf-8")
    text = re.sub(r'(?m)^face = ".*"$', f'face = "{TOUCH[0]}"', text)
    text = re.sub(r'(?m)^touch = ".*"$', f'touch = "{FACE[0]}"', text)
    path = config.with_name("kiosk-session.toml")
    path.write_text(text, encoding="utf-8")
    del stack
    return path


def crop(shot: RGB, rect: Rect) -> RGB:
    return shot[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]


def _placed(graph: SceneGraph) -> bool:
    face, touch = graph.on_output(FACE[0]), graph.on_output(TOUCH[0])
    return [t.app_id for t in face] == [FACE_APP_ID] and [t.app_id for t in touch] == [TOUCH_APP_ID]


def _wait_placed(server: Weston, timeout: float = 60.0) -> SceneGraph:
    deadline = time.monotonic() + timeout
    graph = server.scene_graph()
    while not _placed(graph):
        assert time.monotonic() < deadline, f"windows not on their outputs: {graph}"
        time.sleep(0.2)
        graph = server.scene_graph()
    return graph


def _dark_share(image: RGB) -> float:
    return float((image.max(axis=2) < 60).mean())


def _home_shown(image: RGB) -> bool:
    """The touch window's home page: a light page with the red 开始办理 button in its upper
    middle (kiosk-shell's empty output is black, the offline page has no button)."""
    height = image.shape[0]
    band = image[height * 35 // 100 : height * 50 // 100].astype(int)
    red = (band[:, :, 0] > 150) & (band[:, :, 1] < 80) & (band[:, :, 2] < 100)
    return float((image.min(axis=2) > 200).mean()) > 0.5 and float(red.mean()) > 0.1


def test_one_window_on_each_output(
    demo_stack: DemoStack, tmp_path: Path, test_output: Path
) -> None:
    stack = demo_stack.stack
    config = swapped_screens(stack, demo_stack.kiosk_config)
    ini = session_ini(tmp_path)
    notify = NotifySocket(tmp_path, "kiosk")
    with (
        xvfb(2400, 900) as x,
        weston(["--backend=x11-backend.so", "--use-pixman", "--output-count=2",
                f"--config={ini}"], tmp_path / "weston", x.env) as server,
    ):  # fmt: skip
        graph = server.scene_graph()
        assert set(graph.outputs) == {FACE[0], TOUCH[0]}
        kiosk = start_app(stack, server.env, "kiosk-session", notify, str(config))
        try:
            notify.wait_ready(kiosk)
            wait_log(kiosk, r"kiosk state \S+ -> \S*idle")  # connected: the home page
            graph = _wait_placed(server)
            face_rect, touch_rect = graph.outputs[FACE[0]], graph.outputs[TOUCH[0]]
            assert (face_rect.width, face_rect.height) == FACE[1:]
            assert (touch_rect.width, touch_rect.height) == TOUCH[1:]
            (face,) = graph.on_output(FACE[0])
            (touch,) = graph.on_output(TOUCH[0])
            # Each window fills its own output, and carries the title of its role.
            assert face.rect == face_rect and face.title == tr("kiosk", "window.face")
            assert touch.rect == touch_rect and touch.title == tr("kiosk", "window.touch")

            deadline = time.monotonic() + 60
            shot = server.screenshot(tmp_path / "shots")
            while not _home_shown(crop(shot, touch_rect)):
                assert time.monotonic() < deadline, "the touch window never showed the home page"
                shot = server.screenshot(tmp_path / "shots")
            face_px, touch_px = crop(shot, face_rect), crop(shot, touch_rect)
            save_png(face_px, test_output / "kiosk-session-output-face.png")
            save_png(touch_px, test_output / "kiosk-session-output-touch.png")
            # The face window: the dark video stage, with the resident's own camera
            # (a colourful synthetic pattern) in its lower right corner.
            assert _dark_share(face_px) > 0.6
            corner = face_px[face_px.shape[0] // 2 :, face_px.shape[1] * 3 // 4 :]
            spread = corner.max(axis=2).astype(int) - corner.min(axis=2).astype(int)
            assert float((spread > 100).mean()) > 0.2, "no self view on the face output"
            # The touch window: a light page under the red header.
            assert _dark_share(touch_px) < 0.2
            header = touch_px[:30].astype(int)
            red = (header[:, :, 0] > 150) & (header[:, :, 1] < 80) & (header[:, :, 2] < 100)
            assert float(red.mean()) > 0.5, "no red header on the touch output"
        finally:
            kiosk.proc.send_signal(signal.SIGTERM)
            code = kiosk.wait(30)
            notify.close()
        assert code == 0, kiosk.log_path.read_text("utf-8", "replace")[-3000:]
