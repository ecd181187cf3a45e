"""Console routing widgets: queue badges/lines/next button, the transfer dialog (screenshots)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backoffice_console.model import ConsoleError, QueueEntry
from backoffice_console.routing import RoutingDesk, TransferTargets
from backoffice_console.ui.call_view import CallView
from backoffice_console.ui.queue_panel import QueuePanel
from backoffice_console.ui.routing_wiring import RoutingUi
from backoffice_console.ui.transfer_dialog import TransferDialog
from shared import i18n
from shared.i18n import tr
from shared.ui.screenshot import save_screenshot
from tests.support.qt_helpers import styled_app_fixture  # noqa: F401

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def entry(ticket_id: int, minutes: float, priority: str = "normal", **kw: object) -> QueueEntry:
    return QueueEntry(
        ticket_id=ticket_id,
        point_name="东湖社区居委会",
        kiosk_name=f"一体机{ticket_id:02d}",
        matter=kw.pop("matter", "civil.dbsq"),  # type: ignore[arg-type]
        waiting_since=NOW - timedelta(minutes=minutes),
        matter_name=kw.pop("matter_name", "最低生活保障申请"),  # type: ignore[arg-type]
        line=kw.pop("line", "civil"),  # type: ignore[arg-type]
        priority=priority,
        overdue=bool(kw.pop("overdue", False)),
    )


def test_queue_badges_lines_overdue_and_next(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    panel = QueuePanel(lambda: NOW, overdue_after_s=3600)
    qtbot.addWidget(panel)
    panel.resize(1200, 420)
    panel.show()
    assert not panel.next_button.isEnabled()  # nobody waiting
    rows = [
        entry(7, 1, "transfer", line="medins", matter_name="医保关系转移"),
        entry(3, 4, "elderly"),
        entry(5, 2, "assistance", line="hrss", matter_name="失业登记"),
        entry(1, 20, "normal", overdue=True),
        entry(9, 0.5, "normal", matter=None, matter_name=None, line=None),
    ]
    panel.set_entries(rows)
    # The hub's order is kept; badges, lines and the hub's overdue flag are shown.
    assert [e.ticket_id for e in panel.entries()] == [7, 3, 5, 1, 9]
    assert [panel.badge(r) for r in range(5)] == ["转接", "70+", "需协助", "超时", ""]
    assert [panel.is_overdue(r) for r in range(5)] == [False, False, False, True, False]
    assert panel.table.item(0, 2).text() == "医保关系转移"
    assert panel.table.item(0, 4).text() == "medins"
    assert panel.table.item(4, 2).text() == "—" and panel.table.item(4, 4).text() == "—"

    asked: list[bool] = []
    panel.next_requested.connect(lambda: asked.append(True))
    assert panel.next_button.text() == "接下一位" and panel.next_button.isEnabled()
    panel.next_button.click()
    assert asked == [True]
    panel.set_busy(True)
    assert not panel.next_button.isEnabled()
    panel.request_next()
    assert asked == [True]
    panel.set_busy(False)
    save_screenshot(panel, test_output / "routing-queue.png")

    i18n.set_language("en")
    english = QueuePanel(lambda: NOW)
    qtbot.addWidget(english)
    english.set_entries(rows[:2])
    assert english.next_button.text() == "Take next"
    assert english.badge(0) == "Transfer"


def test_transfer_dialog_one_choice_and_call_view_button(qtbot, test_output: Path) -> None:  # type: ignore[no-untyped-def]
    targets = TransferTargets(
        line="civil",
        officers=[
            {"id": 4, "display_name": "李娜", "lines": ["civil"]},
            {"id": 6, "display_name": "张伟", "lines": ["*"]},
        ],
        lines=[
            {"code": "civil", "name": "民政", "name_en": "Civil affairs"},
            {"code": "medins", "name": "医疗保障", "name_en": "Medical insurance"},
            {"code": "hrss", "name": "人力资源和社会保障", "name_en": None},
        ],
    )
    dialog = TransferDialog(targets)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.line_label.text() == "本通话条线：民政"
    assert dialog.choice() is None and not dialog.ok_button.isEnabled()
    dialog.officers.setCurrentRow(1)
    assert dialog.choice() == ("officer", 6) and dialog.ok_button.isEnabled()
    dialog.lines.setCurrentRow(1)
    assert dialog.choice() == ("line", "medins")
    assert not dialog.officers.selectedItems()
    dialog.officers.setCurrentRow(0)
    assert dialog.choice() == ("officer", 4) and not dialog.lines.selectedItems()
    dialog.note_edit.setText("  需要核对低保材料 ")
    assert dialog.note() == "需要核对低保材料"
    dialog.show_error("对方正在通话中，未作任何更改")
    save_screenshot(dialog, test_output / "routing-transfer-dialog.png")

    empty = TransferDialog(TransferTargets(line=None, officers=[], lines=targets.lines))
    qtbot.addWidget(empty)
    assert empty.no_officers.isVisibleTo(empty) and empty.line_label.text().endswith("未指定")

    # The call view gains 转接 beside 挂断 when routing is installed (as the presenter does).
    queue, call = QueuePanel(lambda: NOW), CallView()
    qtbot.addWidget(call)
    qtbot.addWidget(queue)
    desk = RoutingDesk(object())  # type: ignore[arg-type]
    routing = RoutingUi(desk, queue, call, lambda coro, name: coro.close())
    call.resize(1200, 790)
    call.start_call("东湖社区居委会 一体机03")
    call.show()
    assert routing.transfer_button.isVisible()
    assert routing.transfer_button.y() == call.hangup_button.y()  # one row, beside 挂断
    assert routing.transfer_button.x() < call.hangup_button.x()
    assert routing.transfer_button.text() == "转接"
    save_screenshot(call, test_output / "routing-call-view.png")


class _Runner:
    """Stands in for the presenter's task runner: keeps what the widgets asked to run."""

    def __init__(self) -> None:
        self.started: list[tuple[Coroutine[Any, Any, None], str]] = []

    def __call__(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self.started.append((coro, name))

    async def run_next(self) -> str:
        coro, name = self.started.pop(0)
        await coro
        return name


class _NobodyWaiting:
    async def take_next(self) -> None:
        raise ConsoleError("error.not_found")


async def test_next_runs_through_the_runner_it_was_given(qtbot) -> None:  # type: ignore[no-untyped-def]
    queue, call, runner = QueuePanel(lambda: NOW), CallView(), _Runner()
    qtbot.addWidget(call)
    qtbot.addWidget(queue)
    queue.set_entries([entry(1, 2)])
    routing = RoutingUi(_NobodyWaiting(), queue, call, runner)  # type: ignore[arg-type]
    queue.next_button.click()
    assert [name for _, name in runner.started] == ["take-next"]
    assert not queue.next_button.isEnabled()  # busy while the request runs
    assert await runner.run_next() == "take-next"
    assert queue.message.text() == tr("routing", "notice.none_waiting")
    assert queue.next_button.isEnabled() and routing.dialog is None
