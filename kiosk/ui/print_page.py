"""The print and signature banner of the touch screen, for the helper.

It sits under the header on every page of a call, so "打印机缺纸，请补充纸张" is
seen whatever the helper is doing (reading a card, placing a page). It shows the
print desk's stage (or failure) and, once a signature was given or recorded as
impossible, the signature desk's last message. Conditions the helper must fix
(paper out, jam, cover open, offline, a failure) are shown as alerts.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from kiosk.printing import PrintDesk
from kiosk.signing import SignDesk
from shared.i18n import tr

ALERT_STAGES = ("paper_out", "jam", "cover_open", "offline")

_ALERT_STYLE = (
    "background-color: #c92a2a; color: white; font-size: 28px; font-weight: bold;"
    " padding: 14px; border-radius: 8px;"
)
_INFO_STYLE = (
    "background-color: #e7f5ff; color: #0b3d91; font-size: 24px; padding: 10px; border-radius: 8px;"
)


def banner_lines(printing: PrintDesk, signing: SignDesk) -> tuple[list[str], bool]:
    """The banner's lines and whether they ask the helper to act (an alert)."""
    lines: list[str] = []
    alert = False
    if printing.error is not None:
        lines.append(tr("kiosk", "print.failed"))
        alert = True
    elif printing.stage is not None:
        lines.append(tr("kiosk", f"print.{printing.stage}"))
        alert = printing.stage in ALERT_STAGES
    # While the form is on screen the signature page shows the desk's message itself.
    if signing.request is None and signing.message is not None:
        lines.append(tr(*signing.message))
    return lines, alert


class PrintBanner(QLabel):
    """A wide label over the pages; hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printBanner")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.alert = False
        self.setVisible(False)

    def show_state(self, printing: PrintDesk, signing: SignDesk, in_call: bool) -> None:
        """Follow the desks (only during a call)."""
        lines, alert = banner_lines(printing, signing) if in_call else ([], False)
        self.alert = alert
        self.setText("\n".join(lines))
        self.setStyleSheet(_ALERT_STYLE if alert else _INFO_STYLE)
        self.setVisible(bool(lines))
