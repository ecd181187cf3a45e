"""The officer's identity desk against a real hub, and the identity panel widget."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backoffice_console.identity import IdentityDesk, IdentityView, ReadState
from backoffice_console.model import ConsoleError
from backoffice_console.ui.identity_panel import EXPIRED_STYLE, IdentityPanel
from shared import i18n
from shared.protocol import (
    DeviceErrorCode,
    DeviceFailed,
    DeviceProgress,
    IdentityReport,
    IdentityUpdate,
    QueueJoin,
    TicketTake,
)
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme
from tests.support.hub_fixtures import WAIT, HubHarness
from tests.support.identity_samples import VALID_NUMBER, record


async def test_read_progress_identity_reveal_through_the_hub(hub: HubHarness) -> None:
    officer = await hub.officer("o1")
    kiosk = await hub.kiosk("K")
    await asyncio.wait_for(kiosk.client.request(QueueJoin()), WAIT)
    ticket = (await kiosk.next("queue.status")).ticket_id
    await asyncio.wait_for(officer.client.request(TicketTake(ticket_id=ticket)), WAIT)
    sid = (await kiosk.next("session.started")).session_id
    await officer.skip_to("session.started")

    views: list[IdentityView] = []
    session: list[str | None] = [sid]
    desk = IdentityDesk(lambda: officer.client, lambda: session[0], views.append)
    with pytest.raises(ConsoleError) as nothing:
        await desk.reveal()
    assert nothing.value.key == "identity.error.nothing_to_reveal"

    cid = await asyncio.wait_for(desk.read(), WAIT)
    assert desk.view.state is ReadState.PENDING and desk.view.stage == "sent"
    command = await kiosk.skip_to("device.command")
    assert command.command_id == cid

    progress = DeviceProgress(session_id=sid, command_id=cid, kind="idcard.read",
                              stage="waiting_for_card")  # fmt: skip
    await asyncio.wait_for(kiosk.client.request(progress), WAIT)
    desk.handle(await officer.skip_to("device.progress"))
    assert desk.view.stage == "waiting_for_card"

    report = IdentityReport(session_id=sid, command_id=cid, record=record().to_dict())
    await asyncio.wait_for(kiosk.client.request(report), WAIT)
    desk.handle(await officer.skip_to("identity.update"))
    assert desk.view.state is ReadState.SHOWN
    assert desk.view.shown_number == VALID_NUMBER[:6] + "*" * 8 + VALID_NUMBER[-4:]
    assert all(VALID_NUMBER not in repr(v.identity) for v in views)

    assert await asyncio.wait_for(desk.reveal(), WAIT) == VALID_NUMBER
    assert desk.view.shown_number == VALID_NUMBER and desk.reveals == 1
    desk.reset()  # the call ended: the number is gone
    assert desk.view.revealed is None and desk.view.identity is None

    # A failure for an older command is ignored; one for the current command shows.
    cid2 = await asyncio.wait_for(desk.read(), WAIT)
    stale = DeviceFailed(session_id=sid, command_id=cid, kind="idcard.read",
                         code=DeviceErrorCode.TIMEOUT)  # fmt: skip
    desk.handle(stale)
    assert desk.view.state is ReadState.PENDING
    desk.handle(stale.model_copy(update={"command_id": cid2, "reason": "timeout"}))
    assert (desk.view.state, desk.view.error_code) == (ReadState.FAILED, "timeout")

    # Not in the session any more: the hub refuses, the panel says so.
    session[0] = "not-our-session"
    with pytest.raises(ConsoleError) as refused:
        await asyncio.wait_for(desk.read(), WAIT)
    assert (refused.value.key, refused.value.detail) == ("identity.error.request", "not_in_session")
    assert desk.view.state is ReadState.FAILED


@pytest.fixture
def styled(qapp: QApplication) -> Iterator[QApplication]:
    family = install_cjk_font(qapp)
    apply_theme(qapp, "desktop", font_family=family)
    i18n.set_language("zh_CN")
    yield qapp


def update(**changes: object) -> IdentityUpdate:
    base = IdentityUpdate(session_id="s", command_id="c", identity_id=1, source="id_card",
                          card_type="resident", name="测试居民甲",
                          masked_id=VALID_NUMBER[:6] + "*" * 8 + VALID_NUMBER[-4:], gender="女",
                          age=70, valid_to=dt.date(2036, 5, 1), has_photo=True)  # fmt: skip
    return base.model_copy(update=changes)


def test_panel_shows_masked_identity_expiry_failures_and_reveal(
    qtbot: QtBot, styled: QApplication, test_output: Path
) -> None:
    panel = IdentityPanel()
    qtbot.addWidget(panel)
    panel.resize(340, 300)
    panel.show()
    assert panel.status.text() == "尚未读取身份证"
    assert not panel.reveal_button.isEnabled() and panel.read_button.isEnabled()

    panel.show_view(IdentityView(state=ReadState.PENDING, command_id="c", stage="waiting_for_card"))
    assert panel.status.text() == "等待居民放置身份证…" and not panel.read_button.isEnabled()

    panel.show_view(IdentityView(state=ReadState.FAILED, error_code="invalid_card",
                                 error_reason="check_digit"))  # fmt: skip
    assert "校验位" in panel.status.text() and panel.read_button.isEnabled()

    shown = IdentityView(state=ReadState.SHOWN, identity=update())
    panel.show_view(shown)
    assert panel.number.text() == shown.shown_number and VALID_NUMBER not in panel.number.text()
    assert panel.valid_to.text() == "2036-05-01" and panel.valid_to.styleSheet() == ""
    assert panel.age.text() == "70" and "未解码" in panel.photo.text()
    assert panel.reveal_button.isEnabled()
    clicks: list[str] = []
    panel.reveal_requested.connect(lambda: clicks.append("reveal"))
    panel.read_requested.connect(lambda: clicks.append("read"))
    panel.reveal_button.click()
    panel.read_button.click()
    assert clicks == ["reveal", "read"]

    expired = IdentityView(state=ReadState.SHOWN,
                           identity=update(valid_to=dt.date(2020, 1, 1), expired=True))  # fmt: skip
    panel.show_view(expired)
    assert "已过期" in panel.valid_to.text() and panel.valid_to.styleSheet() == EXPIRED_STYLE
    save_screenshot(panel, test_output / "console-identity-panel.png")

    panel.show_view(IdentityView(state=ReadState.SHOWN, identity=update(valid_to=None),
                                 revealed=VALID_NUMBER))  # fmt: skip
    assert panel.number.text() == VALID_NUMBER and panel.valid_to.text() == "长期"
    assert not panel.reveal_button.isEnabled() and "本次通话" in panel.status.text()
