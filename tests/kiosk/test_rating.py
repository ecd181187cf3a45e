"""The kiosk's rating: the desk against a real hub, and the page on the touch screen."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from backoffice_console.hub.evaluation.models import FollowUp, Rating, Rectification
from kiosk.app import KioskController, KioskState
from kiosk.rating import PointSection, RatingDesk, RatingState
from kiosk.ui.autopilot_rating import RatingPilot
from kiosk.ui.kiosk_ui import KioskUi
from shared.hubclient import HubRequestError, HubUnavailable
from shared.protocol import SessionEnded
from shared.ui.screenshot import save_screenshot
from tests.kiosk.test_ui import FakeCamera
from tests.support.evaluation_helpers import ended_call
from tests.support.hub_fixtures import HubHarness
from tests.support.kiosk_fakes import FakeHub, FakePeer, call_started, session_started
from tests.support.waiting import until


async def test_desk_rates_skips_and_times_out_against_a_real_hub(hub: HubHarness) -> None:
    officer, kiosk, sid, _ = await ended_call(hub, "k1")
    changes: list[str] = []
    desk = RatingDesk(kiosk.client, PointSection(helper="李 四"), lambda: changes.append("x"))
    assert not await desk.submit()  # nothing open
    desk.open(sid)
    assert desk.active and desk.state == RatingState.OPEN
    assert not await desk.submit()  # no level chosen: nothing sent
    desk.toggle("attitude")  # no level yet: ignored
    desk.choose(1)
    desk.toggle("attitude")
    desk.toggle("not_done")
    desk.toggle("efficient")  # not a reason of level 1: ignored
    desk.toggle("not_done")  # off again
    desk.choose(2)  # keeps the reasons level 2 offers too
    assert desk.reasons == ["attitude"]
    assert await asyncio.wait_for(desk.submit(), 5)
    assert desk.state == RatingState.THANKS and desk.outcome == "rated"
    desk.open(sid)  # the call's end told twice: the thanks stay, the answer too
    assert desk.state == RatingState.THANKS and desk.outcome == "rated" and desk.level == 2
    desk.close()
    await asyncio.wait_for(desk.wait_closed(), 1)
    async with hub.hub.db.session() as s:
        rating = await s.scalar(select(Rating).where(Rating.session_id == sid))
        rect = await s.scalar(select(Rectification))
    assert rating is not None and (rating.level, rating.reasons) == (2, ["attitude"])
    assert rating.helper == "李 四" and rect is not None and rect.session_id == sid

    # The same session again (a retry after a lost answer): the hub's 409 counts as rated.
    desk.open(sid)
    desk.choose(5)
    await asyncio.wait_for(desk.submit(), 5)
    assert desk.outcome == "rated"
    desk.close()

    # A resident who walks away: after the timeout the desk reports a skip.
    _, _, sid2, _ = await ended_call(hub, "k1", (officer, kiosk))
    quick = RatingDesk(kiosk.client, PointSection(rating_timeout_s=5.0))
    quick.point.rating_timeout_s = 0.2  # shorter than the config allows, for the test
    quick.open(sid2)
    await asyncio.wait_for(quick.wait_closed(), 5)
    assert quick.outcome == "skipped" and quick.state == RatingState.CLOSED
    async with hub.hub.db.session() as s:
        follow = await s.scalar(select(FollowUp).where(FollowUp.session_id == sid2))
    assert follow is not None and follow.source == "kiosk"
    assert changes  # the UI was told


class RecordingHub(FakeHub):
    """FakeHub that also answers HTTP posts (recorded; `refuse` makes them fail)."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.refuse: Exception | None = None

    async def post_json(self, path: str, payload: dict[str, Any]) -> Any:
        if self.refuse is not None:
            raise self.refuse
        self.posts.append((path, payload))
        return {"rating_id": 1}


def _run(ev: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    return ev.run_until_complete(asyncio.wait_for(coro, 5))


def test_rating_page_after_the_call(
    qtbot: QtBot,
    themed: QApplication,
    loop: asyncio.AbstractEventLoop,
    test_output: Path,
) -> None:
    FakePeer.instances.clear()
    hub = RecordingHub()
    controller = KioskController(
        hub,
        video=FakeCamera(),  # type: ignore[arg-type]
        peer_factory=FakePeer,
        ended_home_seconds=0.1,
    )
    controller.rating = RatingDesk(hub, PointSection(helper="张三", thanks_s=0.2))

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        if loop.is_running():  # a click from the autopilot, inside the loop (as in the app)
            loop.create_task(coro)
        else:  # a click from the test itself
            loop.run_until_complete(asyncio.wait_for(coro, 5))

    ui = KioskUi(controller, spawn=spawn)
    qtbot.addWidget(ui.face)
    qtbot.addWidget(ui.touch)
    ui.show()
    touch = ui.touch
    _run(loop, controller.handle_connection(True))
    _run(loop, controller.handle_message(session_started("s-rate")))
    _run(loop, call_started(controller))
    _run(loop, controller.handle_message(SessionEnded(session_id="s-rate", reason="hangup")))
    assert controller.state == KioskState.ENDED
    assert ui.rating is not None
    page = ui.rating.page
    assert touch.current_page() is page
    assert page.title.text() == "请为本次服务评价"
    assert [b.text() for b in page.level_buttons.values()] == [
        "非常满意", "满意", "基本满意", "不满意", "非常不满意"
    ]  # fmt: skip
    qtbot.waitUntil(
        lambda: all(b.height() >= 120 for b in page.level_buttons.values()), timeout=3000
    )
    assert not page.submit_button.isEnabled()
    assert not any(c.isVisible() for c in page.reason_buttons.values())
    assert "秒后自动返回" in page.countdown.text()
    save_screenshot(touch, test_output / "evaluation-kiosk-rating.png")

    # The home timer has run out, but the page stays until the resident is done.
    _run(loop, asyncio.sleep(0.3))  # not a wait: three times the home timer, watching
    assert controller.state == KioskState.ENDED and touch.current_page() is page

    page.level_buttons[2].click()
    assert page.level_buttons[2].isChecked() and not page.level_buttons[5].isChecked()
    placed: dict[tuple[int, int], str] = {}
    for code, chip in page.reason_buttons.items():
        if chip.isVisible():
            position: Any = page.chips.getItemPosition(page.chips.indexOf(chip))
            placed[(position[0], position[1])] = code
    shown = [placed[pos] for pos in sorted(placed)]
    assert shown == ["wait_long", "attitude", "unclear", "not_done", "video_poor"]
    page.reason_buttons["wait_long"].click()
    page.reason_buttons["unclear"].click()
    assert page.reason_buttons["unclear"].isChecked()
    assert page.submit_button.isEnabled()
    save_screenshot(touch, test_output / "evaluation-kiosk-rating-chosen.png")

    page.submit_button.click()
    assert hub.posts == [
        ("/api/v1/sessions/s-rate/rating",
         {"level": 2, "reasons": ["wait_long", "unclear"], "helper": "张三"}),
    ]  # fmt: skip
    assert page.stack.currentWidget() is page.thanks
    assert page.thanks_label.text() == "感谢您的评价！"
    save_screenshot(touch, test_output / "evaluation-kiosk-thanks.png")
    _run(loop, until(lambda: controller.state == KioskState.IDLE, "thanks, then home"))
    assert touch.current_page() is not page

    # Next resident presses 不评价; a hub that cannot be reached is logged, the page closes.
    _run(loop, controller.handle_message(session_started("s-skip")))
    _run(loop, call_started(controller))
    _run(loop, controller.handle_message(SessionEnded(session_id="s-skip", reason="hangup")))
    hub.refuse = HubUnavailable("down")
    page.skip_button.click()
    assert controller.rating.outcome == "failed" and not controller.rating.active
    _run(loop, until(lambda: controller.state == KioskState.IDLE, "the way back home"))

    # The demo's autopilot rates through the same buttons (and a repeat counts as rated).
    _run(loop, controller.handle_message(session_started("s-pilot")))
    _run(loop, call_started(controller))
    _run(loop, controller.handle_message(SessionEnded(session_id="s-pilot", reason="hangup")))
    hub.refuse = HubRequestError("conflict", "already rated")
    shots = test_output / "evaluation-autopilot"
    _run(loop, RatingPilot(ui, shots).finish())
    assert controller.stats["rating"] == "rated"
    hub.refuse = None
    _run(loop, controller.handle_message(session_started("s-pilot2")))
    _run(loop, call_started(controller))
    _run(loop, controller.handle_message(SessionEnded(session_id="s-pilot2", reason="hangup")))
    _run(loop, RatingPilot(ui, shots).finish())
    assert hub.posts[-1] == (
        "/api/v1/sessions/s-pilot2/rating",
        {"level": 5, "reasons": ["efficient", "patient"], "helper": "张三"},
    )
    assert {p.name for p in shots.iterdir()} >= {"kiosk-rating.png", "kiosk-rating-thanks.png"}
    _run(loop, until(lambda: controller.state == KioskState.IDLE, "the way back home"))
    ui.close()
    _run(loop, controller.shutdown())
