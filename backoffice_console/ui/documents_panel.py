"""The call view's documents panel: 打印回执 / 打印流转单 / 签署表单, live states, the signed form.

Each document of the call is one row: its kind and what the kiosk last said
(打印中, 缺纸, 已完成, 居民签名中, 已签署, 无法签名 and the helper's reason, or why
it failed). A signed form shows its first page as a thumbnail; 查看 (or a
double click) asks for it large, which `DocumentViewer` shows.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from backoffice_console.documents import DocumentItem, DocumentsView
from shared.i18n import tr

THUMB = QSize(110, 155)

# Stages the officer must act on (tell the helper): shown in the warning colour.
WARNING_STAGES = ("paper_out", "jam", "cover_open", "offline", "cannot_sign")


def _t(key: str, **fmt: object) -> str:
    return tr("console", key, **fmt)


def item_text(item: DocumentItem) -> str:
    """One row's text: `受理回执 · 打印中` / `表单 · 无法签名：<reason>` / `… · 失败：<why>`."""
    kind = _t(f"documents.kind.{item.kind}")
    if item.error_code is not None:
        key = f"documents.failed.{item.error_code}"
        text = _t(key)
        state = text if text != key else _t("documents.failed.other", code=item.error_code)
    elif item.stage == "cannot_sign" and item.unsigned_reason:
        state = _t("documents.unsigned_reason", reason=item.unsigned_reason)
    elif item.stage is not None:
        state = _t(f"documents.stage.{item.stage}")
    else:
        state = ""
    return f"{kind} · {state}" if state else kind


class DocumentsPanel(QFrame):
    """Shows a `DocumentsView`; emits `print_requested(kind)`, `sign_requested()` and
    `open_requested(document_id)` (a signed form to show large)."""

    print_requested = Signal(str)
    sign_requested = Signal()
    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentsPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.view = DocumentsView()
        title = QLabel(_t("documents.title"))
        title.setProperty("role", "title")
        self.receipt_button = self._button("documents.print_receipt", "printReceiptButton")
        self.slip_button = self._button("documents.print_slip", "printSlipButton")
        self.sign_button = self._button("documents.sign_form", "signFormButton")
        self.view_button = self._button("documents.view", "viewSignedButton")
        self.receipt_button.clicked.connect(lambda: self.print_requested.emit("receipt"))
        self.slip_button.clicked.connect(lambda: self.print_requested.emit("slip"))
        self.sign_button.clicked.connect(self.sign_requested.emit)
        self.view_button.clicked.connect(self._open_selected)
        self.status = QLabel("")
        self.status.setObjectName("documentsStatus")
        self.status.setWordWrap(True)
        self.items = QListWidget()
        self.items.setObjectName("documentsList")
        self.items.setViewMode(QListWidget.ViewMode.IconMode)
        self.items.setIconSize(THUMB)
        self.items.setFlow(QListWidget.Flow.LeftToRight)
        self.items.setWrapping(False)
        self.items.setWordWrap(True)
        self.items.setGridSize(QSize(190, THUMB.height() + 44))
        self.items.setFixedHeight(THUMB.height() + 56)
        self.items.itemDoubleClicked.connect(self._activated)
        self.items.currentItemChanged.connect(lambda *_: self._update_view_button())
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        for button in (self.receipt_button, self.slip_button, self.sign_button, self.view_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.items)
        self.show_view(self.view)

    def _button(self, key: str, name: str) -> QPushButton:
        button = QPushButton(_t(key))
        button.setObjectName(name)
        button.setAccessibleName(_t(key))
        button.setMinimumHeight(40)
        return button

    def show_view(self, view: DocumentsView) -> None:
        """Follow the desk: one row per document, the newest selected, the last problem."""
        grew = len(view.items) > len(self.view.items)
        self.view = view
        # A new document is selected (its state is what the officer waits for).
        selected = None if grew else self.selected_document()
        plain = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self.items.clear()
        for doc in view.items:
            row = QListWidgetItem(item_text(doc))
            row.setData(Qt.ItemDataRole.UserRole, doc.document_id)
            if doc.signed_png is not None:
                pixmap = QPixmap()
                pixmap.loadFromData(doc.signed_png, "PNG")
                row.setIcon(QIcon(pixmap))
            else:
                row.setIcon(plain)
            if doc.error_code is not None or doc.stage in WARNING_STAGES:
                row.setForeground(Qt.GlobalColor.darkRed)
            self.items.addItem(row)
            if doc.document_id == selected:
                self.items.setCurrentItem(row)
        if self.items.currentItem() is None and self.items.count():
            self.items.setCurrentRow(self.items.count() - 1)
        if view.error_key is not None:
            self.status.setText(_t(view.error_key))
        elif view.busy is not None:
            self.status.setText(_t("documents.busy"))
        elif not view.items:
            self.status.setText(_t("documents.empty"))
        else:
            self.status.setText("")
        idle = view.busy is None
        for button in (self.receipt_button, self.slip_button, self.sign_button):
            button.setEnabled(idle)
        self._update_view_button()

    def show_error(self, text: str) -> None:
        """A problem the presenter reports (an action refused)."""
        self.status.setText(text)

    def selected_document(self) -> str | None:
        """The document id of the selected row."""
        row = self.items.currentItem()
        return None if row is None else str(row.data(Qt.ItemDataRole.UserRole))

    def item(self, document_id: str) -> DocumentItem | None:
        """The desk's item for `document_id`."""
        return next((i for i in self.view.items if i.document_id == document_id), None)

    def row_texts(self) -> list[str]:
        """Every row's text as shown (tests and the autopilot read it)."""
        return [self.items.item(i).text() for i in range(self.items.count())]

    def _update_view_button(self) -> None:
        selected = self.selected_document()
        doc = self.item(selected) if selected is not None else None
        self.view_button.setEnabled(doc is not None and doc.stage == "signed")

    def _open_selected(self) -> None:
        selected = self.selected_document()
        doc = self.item(selected) if selected is not None else None
        if doc is not None and doc.stage == "signed":
            self.open_requested.emit(doc.document_id)

    def _activated(self, row: QListWidgetItem) -> None:
        doc = self.item(str(row.data(Qt.ItemDataRole.UserRole)))
        if doc is not None and doc.stage == "signed":
            self.open_requested.emit(doc.document_id)


class DocumentViewer(QScrollArea):
    """A signed form's page shown large (a PNG rendered from its PDF), scrollable."""

    def __init__(self, png: bytes, title: str) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.page = QLabel()
        self.page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pixmap = QPixmap()
        pixmap.loadFromData(png, "PNG")
        self.page.setPixmap(pixmap)
        self.setWidget(self.page)
        self.setWidgetResizable(True)
        self.resize(min(1000, pixmap.width() + 40), min(1000, pixmap.height() + 40))

    def has_page(self) -> bool:
        """A page was decoded."""
        pixmap = self.page.pixmap()
        return pixmap is not None and not pixmap.isNull()
