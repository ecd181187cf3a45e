"""The case panel beside the video: number, matter, checklist with pages, notes, outcome, timeline.

The checklist lists each item of the matter with the pages assigned to it (or 未收);
归入所选页 assigns the page selected in the materials panel to the selected item.
The outcome needs a reason for 需补正材料 and 不予受理 (the hub checks it too).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from backoffice_console.cases import OUTCOMES, CaseView, TimelineEntry
from shared.i18n import tr
from shared.protocol import ChecklistItem

DONE_COLOUR = QColor("#1b7f3b")
MISSING_COLOUR = QColor("#b42318")


def _t(key: str, **fmt: object) -> str:
    return tr("cases", key, **fmt)


def item_text(item: ChecklistItem, page_no: Callable[[str], str] = str) -> str:
    """`✓ 户口簿 · 第1、2页` or `✗ 家庭收入证明 · 未收` (optional items say so).

    `page_no` turns a page's material id into the page number the officer sees.
    """
    name = item.name + (_t("panel.item.optional") if item.optional else "")
    if item.done:
        parts = []
        if item.pages:
            parts.append(_t("panel.item.pages", pages="、".join(page_no(p) for p in item.pages)))
        parts.extend(f"📄{d[:6]}" for d in item.documents)
        return f"✓ {name} · {' '.join(parts)}"
    return f"✗ {name} · {_t('panel.item.missing')}"


def timeline_text(entry: TimelineEntry, names: dict[str, str]) -> str:
    """`09:33 备注：…` / `09:45 办理结果：当场办结` / `09:40 材料归入清单：户口簿`."""
    label = _t(f"event.{entry.kind}")
    if entry.text:
        detail = entry.text
    elif entry.state and entry.kind == "approval":
        detail = _t(f"approval.{entry.state}")
    elif entry.state:
        detail = _t(f"state.{entry.state}")
    elif entry.item:
        detail = names.get(entry.item, entry.item)
    else:
        detail = ""
    return f"{entry.at[11:16]} {label}" + (f"：{detail}" if detail else "")


class CasePanel(QFrame):
    """Shows a `CaseView`; emits `assign_requested(item_code)`, `note_requested(text)` and
    `outcome_requested(state, reason)`."""

    assign_requested = Signal(str)
    note_requested = Signal(str)
    outcome_requested = Signal(str, str)

    def __init__(self) -> None:  # noqa: PLR0915 - widget layout
        super().__init__()
        self.setObjectName("casePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(280)
        self.view = CaseView()
        self.page_no: Callable[[str], str] = str
        """Material id -> page number (the wiring knows the call's pages)."""
        title = QLabel(_t("panel.title"))
        title.setProperty("role", "title")
        self.case_no = QLabel(_t("panel.no_case"))
        self.case_no.setObjectName("caseNo")
        self.case_no.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.matter = QLabel("")
        self.matter.setWordWrap(True)
        self.state = QLabel("")
        self.state.setObjectName("caseState")
        self.state.setWordWrap(True)

        self.checklist = QListWidget()
        self.checklist.setObjectName("caseChecklist")
        self.checklist.setMinimumHeight(120)
        self.assign_button = QPushButton(_t("panel.assign"))
        self.assign_button.setObjectName("assignButton")
        self.assign_button.setToolTip(_t("panel.assign.tip"))
        self.assign_button.clicked.connect(self._assign)

        self.note = QLineEdit()
        self.note.setPlaceholderText(_t("panel.note.placeholder"))
        self.note.setMaxLength(2000)
        self.note_button = QPushButton(_t("panel.note.add"))
        self.note_button.clicked.connect(self._add_note)
        self.note.returnPressed.connect(self._add_note)

        self.outcome = QComboBox()
        self.outcome.setObjectName("caseOutcome")
        for state in OUTCOMES:
            self.outcome.addItem(_t(f"state.{state}"), state)
        self.reason = QLineEdit()
        self.reason.setObjectName("caseReason")
        self.reason.setPlaceholderText(_t("panel.reason.placeholder"))
        self.reason.setMaxLength(500)
        self.outcome_button = QPushButton(_t("panel.outcome.set"))
        self.outcome_button.setObjectName("outcomeButton")
        self.outcome_button.clicked.connect(self._set_outcome)

        self.timeline = QListWidget()
        self.timeline.setObjectName("caseTimeline")
        self.error = QLabel("")
        self.error.setObjectName("caseError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b42318;")

        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        layout.addLayout(head)
        layout.addWidget(self.case_no)
        layout.addWidget(self.matter)
        layout.addWidget(self.state)
        layout.addWidget(QLabel(_t("panel.checklist")))
        layout.addWidget(self.checklist, 2)
        layout.addWidget(self.assign_button)
        note_row = QHBoxLayout()
        note_row.addWidget(self.note, 1)
        note_row.addWidget(self.note_button)
        layout.addLayout(note_row)
        layout.addWidget(QLabel(_t("panel.outcome")))
        layout.addWidget(self.outcome)
        layout.addWidget(self.reason)
        layout.addWidget(self.outcome_button)
        layout.addWidget(QLabel(_t("panel.timeline")))
        layout.addWidget(self.timeline, 1)
        layout.addWidget(self.error)
        self.show_view(self.view)

    def show_view(self, view: CaseView) -> None:
        """Follow the desk."""
        self.view = view
        has_case = view.case_no is not None
        self.case_no.setText(
            _t("panel.case_no", case_no=view.case_no) if has_case else _t("panel.no_case")
        )
        self.matter.setText(_t("panel.matter", matter=view.matter_name or "—") if has_case else "")
        state = _t(f"state.{view.state}") if view.state else ""
        if view.approval_state:
            state += f" · {_t(f'approval.{view.approval_state}')}"
        self.state.setText(_t("panel.state", state=state) if has_case else "")
        selected = self.selected_item()
        self.checklist.clear()
        for item in view.items:
            row = QListWidgetItem(item_text(item, self.page_no))
            row.setData(Qt.ItemDataRole.UserRole, item.code)
            row.setForeground(DONE_COLOUR if item.done else MISSING_COLOUR)
            self.checklist.addItem(row)
            if item.code == selected:
                self.checklist.setCurrentItem(row)
        self.timeline.clear()
        names = {item.code: item.name for item in view.items}
        for entry in view.timeline:
            self.timeline.addItem(timeline_text(entry, names))
        if self.timeline.count():
            self.timeline.scrollToBottom()
        for widget in (self.assign_button, self.note_button, self.outcome_button):
            widget.setEnabled(has_case)
        if view.error_key:
            self.error.setText(_t(view.error_key, detail=view.error_detail or ""))
        else:
            self.error.setText("")

    def show_error(self, key: str, detail: str = "") -> None:
        """Show a problem (a "cases" translation key)."""
        self.error.setText(_t(key, detail=detail))

    def selected_item(self) -> str | None:
        """The code of the selected checklist item."""
        row = self.checklist.currentItem()
        return None if row is None else str(row.data(Qt.ItemDataRole.UserRole))

    def _assign(self) -> None:
        code = self.selected_item()
        if code is None and self.checklist.count():
            # Nothing selected: the first missing item is the likely target.
            missing = [i.code for i in self.view.items if not i.done]
            code = missing[0] if missing else None
        if code is not None:
            self.assign_requested.emit(code)

    def _add_note(self) -> None:
        text = self.note.text().strip()
        if text:
            self.note_requested.emit(text)
            self.note.clear()

    def _set_outcome(self) -> None:
        self.outcome_requested.emit(str(self.outcome.currentData()), self.reason.text().strip())
