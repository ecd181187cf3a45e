"""The officer's sign-in window: username, password, an error line, Enter submits.

An account with a second factor also needs the authenticator app's six-digit code:
the field appears when the hub asks for it (`ask_code`), and `code()` reads it.
"""

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
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("totpCode")
        self.code_edit.setAccessibleName(tr("console", "login.code"))
        self.code_edit.setPlaceholderText(tr("console", "login.code_hint"))
        self.code_edit.setMaxLength(6)
        self.code_edit.setInputMask("999999;_")
        for edit in (self.username, self.password, self.code_edit):
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
        form.addRow(tr("console", "login.code"), self.code_edit)
        form.setRowVisible(self.code_edit, False)  # until the hub asks for a code
        self._form = form

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

    def ask_code(self) -> None:
        """Show the code field (the account has a second factor) and put the cursor in it."""
        self._form.setRowVisible(self.code_edit, True)
        self.code_edit.clear()
        self.code_edit.setFocus()

    def code(self) -> str | None:
        """The six-digit code when the field is shown and filled in, else None."""
        text = self.code_edit.text().strip()
        return text if self._form.isRowVisible(self.code_edit) and len(text) == 6 else None

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
        for widget in (self.username, self.password, self.code_edit, self.button):
            widget.setEnabled(not busy)
        self.button.setText(tr("console", "login.busy" if busy else "login.submit"))
        if not busy and not self._form.isRowVisible(self.code_edit):
            self.password.selectAll()
            self.password.setFocus()
