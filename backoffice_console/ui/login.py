"""The officer's sign-in window: username, password, an error line, Enter submits."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from shared.i18n import tr


class LoginWindow(QWidget):
    """Collects credentials and emits `submitted(username, password)` when both are filled in."""

    submitted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("console", "app.title"))
        self.setObjectName("loginWindow")

        self.subtitle = QLabel(tr("console", "login.subtitle"))
        self.subtitle.setProperty("role", "muted")
        self.title = QLabel(tr("console", "login.title"))
        self.title.setProperty("role", "title")

        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setAccessibleName(tr("console", "login.username"))
        self.username.setMaxLength(64)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setAccessibleName(tr("console", "login.password"))
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setMaxLength(256)
        for edit in (self.username, self.password):
            edit.setMinimumHeight(36)
            edit.returnPressed.connect(self.submit)

        self.error = QLabel("")
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c8102e; font-weight: bold;")
        self.error.setAccessibleName("error")
        self.error.hide()

        self.button = QPushButton(tr("console", "login.submit"))
        self.button.setObjectName("loginButton")
        self.button.setMinimumHeight(44)
        self.button.clicked.connect(self.submit)

        self._lay_out()
        self.resize(760, 520)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(14)
        form.addRow(tr("console", "login.username"), self.username)
        form.addRow(tr("console", "login.password"), self.password)

        card = QFrame()
        card.setProperty("role", "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 28)
        inner.setSpacing(14)
        inner.addWidget(self.subtitle)
        inner.addWidget(self.title)
        inner.addSpacing(8)
        inner.addLayout(form)
        inner.addWidget(self.error)
        inner.addSpacing(4)
        inner.addWidget(self.button)
        card.setFixedWidth(440)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def submit(self) -> None:
        """Check the form and emit `submitted`; an empty field shows an error instead."""
        if not self.button.isEnabled():
            return
        username = self.username.text().strip()
        password = self.password.text()
        if not username or not password:
            self.show_error(tr("console", "login.error.empty"))
            (self.username if not username else self.password).setFocus()
            return
        self.clear_error()
        self.submitted.emit(username, password)

    def show_error(self, text: str) -> None:
        """Show `text` under the form (e.g. wrong credentials) and let the officer retry."""
        self.error.setText(text)
        self.error.show()

    def clear_error(self) -> None:
        """Hide the error line."""
        self.error.clear()
        self.error.hide()

    def error_text(self) -> str:
        """The error shown, or "" when none."""
        return self.error.text() if self.error.isVisible() or self.error.text() else ""

    def set_busy(self, busy: bool) -> None:
        """While a sign-in is in flight: inputs and button disabled, button says so."""
        for widget in (self.username, self.password, self.button):
            widget.setEnabled(not busy)
        self.button.setText(tr("console", "login.busy" if busy else "login.submit"))
        if not busy:
            self.password.selectAll()
            self.password.setFocus()
