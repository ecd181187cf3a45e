"""The identity panel of the call view: masked identity, photo slot, 读取身份证, 显示完整号码."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from backoffice_console.identity import IdentityView, ReadState, is_expired
from shared.i18n import tr

EXPIRED_STYLE = "color: #c92a2a; font-weight: bold;"


def _text(domain: str, key: str, fallback: str) -> str:
    text = tr(domain, key)
    return fallback if text == key else text


def failure_text(code: str | None, reason: str | None) -> str:
    """A failure in words: the finest code that has a translation wins."""
    for domain, key in (
        ("common", f"idcard.error.{reason}"),
        ("console", f"identity.failed.{reason}"),
        ("common", f"idcard.error.{code}"),
        ("console", f"identity.failed.{code}"),
        ("console", f"identity.error.{code}"),
    ):
        text = tr(domain, key)
        if text != key:
            return text
    return code or ""


def _photo_slot() -> QLabel:
    """A frame the size of the card photo; the opaque photo bytes are never decoded here."""
    photo = QLabel()
    photo.setObjectName("identityPhoto")
    photo.setFixedSize(102, 126)  # the card photo's own size
    photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
    photo.setWordWrap(True)
    photo.setStyleSheet("border: 1px dashed #868e96; color: #868e96; font-size: 11px;")
    photo.setAccessibleName(tr("console", "identity.photo"))

    return photo


class IdentityPanel(QFrame):
    """Shows an `IdentityView`; emits `read_requested` and `reveal_requested`."""

    read_requested = Signal()
    reveal_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("identityPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.view = IdentityView()

        title = QLabel(tr("console", "identity.title"))
        title.setProperty("role", "title")
        self.photo = _photo_slot()
        self.name = QLabel()
        self.name.setObjectName("identityName")
        self.number = QLabel()
        self.number.setObjectName("identityNumber")
        self.number.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.age = QLabel()
        self.valid_to = QLabel()
        self.valid_to.setObjectName("identityValidTo")
        self.source = QLabel()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        for key, widget in (
            ("identity.name", self.name),
            ("identity.age", self.age),
            ("identity.valid_to", self.valid_to),
            ("identity.source", self.source),
        ):
            form.addRow(tr("console", key), widget)
        top = QHBoxLayout()
        top.addWidget(self.photo)
        top.addLayout(form, 1)
        # The number on its own line: 18 characters need the panel's whole width.
        number_row = QHBoxLayout()
        number_row.addWidget(QLabel(tr("console", "identity.number")))
        number_row.addWidget(self.number, 1)
        self.number.setStyleSheet("font-size: 16px; font-weight: bold; letter-spacing: 1px;")

        self.status = QLabel()
        self.status.setObjectName("identityStatus")
        self.status.setWordWrap(True)
        self.read_button = QPushButton(tr("console", "identity.read"))
        self.read_button.setObjectName("readIdButton")
        self.read_button.setAccessibleName(tr("console", "identity.read"))
        self.read_button.setMinimumHeight(44)
        self.read_button.clicked.connect(self.read_requested.emit)
        self.reveal_button = QPushButton(tr("console", "identity.reveal"))
        self.reveal_button.setObjectName("revealButton")
        self.reveal_button.setAccessibleName(tr("console", "identity.reveal"))
        self.reveal_button.clicked.connect(self.reveal_requested.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.read_button)
        buttons.addWidget(self.reveal_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(title)
        layout.addLayout(top)
        layout.addLayout(number_row)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.show_view(IdentityView())

    def show_view(self, view: IdentityView) -> None:
        """Put `view` on screen."""
        self.view = view
        identity = view.identity
        if identity is None:
            for label in (self.name, self.number, self.age, self.valid_to, self.source):
                label.setText("—")
            self.valid_to.setStyleSheet("")
            self.photo.setText(tr("console", "identity.photo"))
        else:
            self.name.setText(identity.name)
            self.number.setText(view.shown_number)
            self.age.setText("" if identity.age is None else str(identity.age))
            valid = (
                tr("console", "identity.long_term")
                if identity.valid_to is None
                else identity.valid_to.isoformat()
            )
            if is_expired(identity):
                valid += f"  {tr('console', 'identity.expired')}"
                self.valid_to.setStyleSheet(EXPIRED_STYLE)
            else:
                self.valid_to.setStyleSheet("")
            self.valid_to.setText(valid)
            self.source.setText(_text("console", f"identity.source.{identity.source}", ""))
            photo_key = "identity.photo.opaque" if identity.has_photo else "identity.photo.none"
            self.photo.setText(tr("console", photo_key))
        self.status.setText(self._status_text(view))
        self.status.setStyleSheet(EXPIRED_STYLE if view.state is ReadState.FAILED else "")
        self.read_button.setEnabled(view.state is not ReadState.PENDING)
        self.reveal_button.setEnabled(identity is not None and view.revealed is None)

    def _status_text(self, view: IdentityView) -> str:
        if view.state is ReadState.PENDING:
            return _text("console", f"identity.stage.{view.stage}", "")
        if view.state is ReadState.FAILED:
            reason = failure_text(view.error_code, view.error_reason)
            return tr("console", "identity.failed", reason=reason)
        if view.revealed is not None:
            return tr("console", "identity.revealed")
        if view.identity is None:
            return tr("console", "identity.empty")
        return ""

    def show_error(self, text: str) -> None:
        """A problem with a request (shown in the status line)."""
        self.status.setText(text)
        self.status.setStyleSheet(EXPIRED_STYLE)
