"""The console's 整改 and 原件流转 tabs against a real hub, with screenshots."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QTabWidget
from sqlalchemy import select

from backoffice_console.evaluation import (
    EvaluationError,
    RectificationsController,
    ratings_of_day,
)
from backoffice_console.hub.evaluation import EVALUATION_KEY
from backoffice_console.hub.evaluation.models import Rectification
from backoffice_console.model import HistoryRow
from backoffice_console.ui.evaluation_tabs import CloseDialog, install_evaluation_tabs
from backoffice_console.ui.history_panel import HistoryPanel
from shared.protocol import Role
from shared.ui.fonts import install_cjk_font
from shared.ui.screenshot import save_screenshot
from shared.ui.theme import apply_theme
from tests.hub.circulation.test_routes import slip_call
from tests.support.evaluation_helpers import ended_call, logged_in, refused
from tests.support.hub_fixtures import WAIT, HubHarness


def cells(table: object, row: int) -> list[str]:
    return [table.item(row, c).text() for c in range(table.columnCount())]  # type: ignore[attr-defined]


async def test_rectifications_and_circulation_tabs(
    hub: HubHarness, qapp: QApplication, test_output: Path
) -> None:
    old_style = qapp.styleSheet()
    apply_theme(qapp, "default", font_family=install_cjk_font(qapp))
    svc = hub.app[EVALUATION_KEY]
    try:
        # An old 非常不满意 (long overdue) and today's 不满意 with reasons.
        svc.clock = lambda: dt.datetime(2026, 9, 1, 2, 0, tzinfo=dt.UTC)
        officer, kiosk, sid_old, _ = await ended_call(hub, "ev1")
        await kiosk.client.post_json(f"/api/v1/sessions/{sid_old}/rating", {"level": 1})
        svc.clock = lambda: dt.datetime.now(dt.UTC)
        _, _, sid_new, _ = await ended_call(hub, "ev1", (officer, kiosk))
        await kiosk.client.post_json(
            f"/api/v1/sessions/{sid_new}/rating",
            {"level": 2, "reasons": ["wait_long", "attitude"]},
        )
        supervisor = await logged_in(hub, "sup", Role.SUPERVISOR)

        tabs = QTabWidget()
        tabs.resize(1200, 520)
        assert install_evaluation_tabs(tabs, "technician", lambda: supervisor.client) == (
            install_evaluation_tabs(tabs, "kiosk", lambda: supervisor.client)
        )
        assert tabs.count() == 0
        officer_host = QTabWidget()  # kept: Qt must not delete the tabs' panels under Python
        officer_tabs = install_evaluation_tabs(officer_host, "officer", lambda: officer.client)
        assert officer_tabs.rectifications is None and officer_tabs.circulation is not None
        installed = install_evaluation_tabs(tabs, "supervisor", lambda: supervisor.client)
        rect_tab, circ_tab = installed.rectifications, installed.circulation
        assert rect_tab is not None and circ_tab is not None and tabs.count() == 2
        assert [tabs.tabText(i) for i in range(2)] == ["整改", "原件流转"]

        await asyncio.wait_for(rect_tab.load(), WAIT)
        table = rect_tab.panel.table
        assert table.rowCount() == 2
        first, second = cells(table, 0), cells(table, 1)
        assert first[2] == "非常不满意" and first[6] == "已超期"
        assert second[2] == "不满意" and second[3] == "等待时间长、态度不好"
        assert second[6].startswith("待整改") and "个工作日" in second[6]
        tabs.show()
        qapp.processEvents()
        save_screenshot(tabs, test_output / "evaluation-console-rectifications.png")

        # The close dialog insists on a call-back record.
        row = rect_tab.panel.rows[0]
        dialog = CloseDialog(row)
        dialog.show()
        dialog._accept()  # what 确认关闭 does
        assert dialog.result() == 0 and dialog.problem.text() == "请填写回访记录"
        dialog.note.setPlainText("已电话回访，居民接受道歉")
        qapp.processEvents()
        save_screenshot(dialog, test_output / "evaluation-console-close-dialog.png")
        dialog._accept()
        assert dialog.result() == 1
        when, note = dialog.values()
        assert when.tzinfo is not None and note == "已电话回访，居民接受道歉"
        dialog.close()
        controller = RectificationsController(lambda: supervisor.client)
        try:
            await controller.close(row.rect_id, when, "  ")
        except EvaluationError as exc:
            assert exc.key == "rect.dialog.need_note"
        else:
            raise AssertionError("an empty call-back record was accepted")

        await asyncio.wait_for(rect_tab.close(row.rect_id, when, note), WAIT)
        assert rect_tab.panel.message.text() == "已关闭整改工单"
        assert [cells(table, r)[6] for r in range(2)][1] == "已关闭"
        async with hub.hub.db.session() as s:
            closed = await s.get(Rectification, row.rect_id)
            assert closed is not None and closed.state == "closed" and closed.overdue
        await asyncio.wait_for(rect_tab.close(row.rect_id, when, note), WAIT)
        assert "操作被拒绝" in rect_tab.panel.message.text()  # a second close: 409

        # 今日记录 shows each session's rating; an officer sees only their own sessions.
        levels = await ratings_of_day(officer.client)
        assert levels == {sid_old: 1, sid_new: 2}
        other = await logged_in(hub, "other", Role.OFFICER)
        assert await ratings_of_day(other.client) == {}
        assert await ratings_of_day(supervisor.client) == levels
        bad = await refused(supervisor.client.get_json("/api/v1/ratings", day="22-11-2026"))
        assert bad.code == "bad_message"
        history = HistoryPanel()
        history.set_rows(
            [
                HistoryRow(sid, "", "", None, None, None, None, None, None, 0)
                for sid in (sid_new, "x")
            ]
        )
        history.set_ratings(levels)
        history.set_ratings(levels)  # a reload: still one rating column
        assert history.table.columnCount() == 7
        assert [cells(history.table, r)[6] for r in range(2)] == ["不满意", ""]

        # 原件流转: a slip printed in a call, scanned through its first hand-overs.
        _, _, _, circ = await slip_call(hub, "ev2")
        panel = circ_tab.panel
        await asyncio.wait_for(circ_tab.load(), WAIT)
        assert cells(panel.table, 0)[:3] == [circ.code, circ.case_no, "已开单"]
        qr = f"RVW-SLIP:{circ.code}:{circ.case_no}"
        await asyncio.wait_for(circ_tab.scan(qr), WAIT)
        assert panel.message.text() == f"已记录：{circ.code} → 服务点已收件"
        panel.hop.setCurrentIndex(panel.hop.findData("returned_to_resident"))
        await asyncio.wait_for(circ_tab.scan(circ.code), WAIT)
        assert "交接顺序不对" in panel.message.text()
        await asyncio.wait_for(circ_tab.scan("LZ-NOPE"), WAIT)
        assert panel.message.text() == "未记录：未找到该流转单"
        panel.hop.setCurrentIndex(0)
        await asyncio.wait_for(circ_tab.scan(circ.code), WAIT)
        assert cells(panel.table, 0)[2] == "传递途中"
        tabs.setCurrentIndex(1)
        qapp.processEvents()
        save_screenshot(tabs, test_output / "evaluation-console-circulation.png")
        async with hub.hub.db.session() as s:
            assert len(list(await s.scalars(select(Rectification)))) == 2
        await rect_tab.aclose()
        await circ_tab.aclose()
        tabs.close()
        # Delete the top-level widgets now, while the event loop and the app are alive.
        for widget in (tabs, officer_host, history, dialog):
            widget.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    finally:
        qapp.setStyleSheet(old_style)
