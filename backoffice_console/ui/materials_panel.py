"""The call view's materials panel: 拍摄材料, thumbnails, a large view, reject with a reason,
导出PDF."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap, QTransform
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from backoffice_console.materials import MaterialsView
from shared.i18n import tr
from shared.protocol import REJECT_REASONS

THUMB = QSize(96, 128)


def _text(key: str, fallback: str) -> str:
    text = tr("console", key)
    return fallback if text == key else text


def pixmap_of(jpeg: bytes) -> QPixmap:
    """A pixmap of JPEG bytes (empty when they do not decode)."""
    image = QImage.fromData(jpeg)
    return QPixmap.fromImage(image)


class MaterialsPanel(QFrame):
    """Shows a `MaterialsView`; emits `capture_requested`, `open_requested(material_id)`,
    `reject_requested(material_id, reason)` and `export_requested`."""

    capture_requested = Signal()
    export_requested = Signal()
    open_requested = Signal(int)
    reject_requested = Signal(int, str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("materialsPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.view = MaterialsView()
        title = QLabel(_text("materials.title", "材料"))
        title.setProperty("role", "title")
        self.capture_button = QPushButton(_text("materials.capture", "拍摄材料"))
        self.capture_button.setObjectName("captureButton")
        self.capture_button.clicked.connect(self.capture_requested.emit)
        self.status = QLabel("")
        self.status.setObjectName("materialsStatus")
        self.status.setWordWrap(True)
        self.pages = QListWidget()
        self.pages.setObjectName("materialsPages")
        self.pages.setViewMode(QListWidget.ViewMode.IconMode)
        self.pages.setIconSize(THUMB)
        self.pages.setMinimumHeight(THUMB.height() + 36)
        self.pages.setFlow(QListWidget.Flow.LeftToRight)
        self.pages.setWrapping(False)
        self.pages.itemActivated.connect(self._activated)
        self.pages.itemDoubleClicked.connect(self._activated)
        self.reason = QComboBox()
        for reason in REJECT_REASONS:
            self.reason.addItem(_text(f"materials.reason.{reason}", reason), reason)
        self.reject_button = QPushButton(_text("materials.reject", "退回重拍"))
        self.reject_button.clicked.connect(self._reject)
        self.export_button = QPushButton(_text("materials.export", "导出PDF"))
        self.export_button.setObjectName("exportButton")
        self.export_button.clicked.connect(self.export_requested.emit)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.capture_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.reason, 1)
        bottom.addWidget(self.reject_button)
        bottom.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.pages)
        layout.addLayout(bottom)
        self.show_view(self.view)

    def show_view(self, view: MaterialsView) -> None:
        """Follow the desk: thumbnails in page order, and the capture command's stage."""
        self.view = view
        current = self.selected_material()
        self.pages.clear()
        for page in view.pages:
            label = _text("materials.page", "第{n}页").format(n=page.page_no)
            if page.rejected:
                label += " ✗"
            item = QListWidgetItem(QIcon(pixmap_of(page.thumbnail)), label)
            item.setData(Qt.ItemDataRole.UserRole, page.material_id)
            item.setToolTip(f"{page.width}×{page.height}")
            self.pages.addItem(item)
            if page.material_id == current:
                self.pages.setCurrentItem(item)
        if self.pages.currentItem() is None and self.pages.count():
            self.pages.setCurrentRow(self.pages.count() - 1)
        if view.error_code:
            self.status.setText(_text(f"materials.failed.{view.error_code}", view.error_code))
        elif view.stage:
            self.status.setText(_text(f"materials.stage.{view.stage}", view.stage))
        else:
            self.status.setText(_text("materials.count", "{n} 页").format(n=len(view.pages)))
        self.reject_button.setEnabled(bool(view.pages))
        self.export_button.setEnabled(bool(view.pages))

    def selected_material(self) -> int | None:
        """The material id of the selected thumbnail."""
        item = self.pages.currentItem()
        return None if item is None else int(item.data(Qt.ItemDataRole.UserRole))

    def _activated(self, item: QListWidgetItem) -> None:
        self.open_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _reject(self) -> None:
        material = self.selected_material()
        if material is not None:
            self.reject_requested.emit(material, str(self.reason.currentData()))


class PageViewer(QLabel):
    """A page shown large, with zoom (+/-) and rotate (R) from the keyboard or the presenter."""

    def __init__(self, jpeg: bytes) -> None:
        super().__init__()
        self.setWindowTitle(_text("materials.viewer", "材料"))
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._source = pixmap_of(jpeg)
        self.zoom = 1.0
        self.rotation = 0
        self.resize(900, 1000)
        self._render()

    def zoom_by(self, factor: float) -> None:
        """Zoom in (>1) or out (<1), between 10 % and 800 %."""
        self.zoom = max(0.1, min(8.0, self.zoom * factor))
        self._render()

    def rotate(self, degrees: int = 90) -> None:
        """Turn the page clockwise."""
        self.rotation = (self.rotation + degrees) % 360
        self._render()

    def keyPressEvent(self, event: object) -> None:
        """+ / - zoom, R rotates."""
        key = event.key()  # type: ignore[attr-defined]
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_R:
            self.rotate()

    def _render(self) -> None:
        if self._source.isNull():
            return
        turned = self._source.transformed(QTransform().rotate(self.rotation))
        fit = min(880 / max(1, turned.width()), 980 / max(1, turned.height()))
        scale = fit * self.zoom
        self.setPixmap(
            turned.scaled(
                max(1, int(turned.width() * scale)),
                max(1, int(turned.height() * scale)),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
