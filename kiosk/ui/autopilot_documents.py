"""The kiosk autopilot's part in printing and signatures (issue 5).

When the officer's form is on the touch screen, it signs the way a resident
would: QTest mouse events draw a stroke on the real `SignaturePad`, a
screenshot is taken (`kiosk-signature.png`), and the real 确认 button is clicked.
Once the officer's receipt was printed on the simulated printer, the printed PDF
(the printer's output) is rendered to `receipt.png` with pdftoppm.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from kiosk.signing import PageRenderError, render_page_png
from kiosk.ui.kiosk_ui import KioskUi
from shared.ui.screenshot import save_screenshot

log = logging.getLogger(__name__)

POLL_S = 0.05
RECEIPT_DPI = 100
LINGER_S = 3.0
"""After signing, stay in the call this long so the officer can see the signed form."""


def signature_points(width: int, height: int, n: int = 40) -> list[QPoint]:
    """A cursive-looking stroke across the middle of a `width` x `height` pad."""
    left, right = width * 0.15, width * 0.85
    return [
        QPoint(
            int(left + (right - left) * i / (n - 1)),
            int(height * (0.55 + 0.22 * math.sin(i / 3.0) * (1 - i / (2 * n)))),
        )
        for i in range(n)
    ]


class DocumentsPilot:
    """Signs forms and keeps the printed receipt's picture (see module docstring)."""

    def __init__(self, ui: KioskUi, screenshots: Path | None) -> None:
        self.ui = ui
        self.controller = ui.controller
        self.screenshots = screenshots
        self._signed_for: str | None = None
        self._receipt_saved = False

    def serve(self) -> None:
        """Called every poll: sign the form on screen once (a real stroke, a real 确认)."""
        desk = self.controller.signing
        request = desk.request
        page = self.ui.signature
        if request is None or desk.busy or self._signed_for == request.command_id:
            return
        if self.ui.touch.current_page() is not page or not page.confirm_button.isEnabled():
            return
        self._signed_for = request.command_id
        pad = page.pad
        points = signature_points(pad.width(), pad.height())
        log.info("autopilot: signing the form on the pad")
        no_mod = Qt.KeyboardModifier.NoModifier
        QTest.mousePress(pad, Qt.MouseButton.LeftButton, no_mod, points[0])
        for point in points[1:]:
            QTest.mouseMove(pad, point)
        QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, no_mod, points[-1])
        if self.screenshots is not None:
            try:
                save_screenshot(self.ui.touch, self.screenshots / "kiosk-signature.png")
            except OSError as exc:
                log.error("screenshot failed: %s", exc)
        page.confirm_button.click()

    def done(self) -> bool:
        """A document was printed and a form signed in this visit."""
        return self.controller.printing.printed > 0 and self.controller.signing.signed > 0

    async def finish(self, seconds: float, call_over: Callable[[], bool]) -> None:
        """Before hanging up: give the officer's print and form up to `seconds`, then
        save the receipt's picture. Skipped when no card was read (the officer prints
        the receipt only after the card)."""
        if self.controller.idcard.reports == 0:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not call_over() and not self.done():
            self.serve()
            await asyncio.sleep(POLL_S)
        if not self.done():
            log.warning("autopilot: no printed receipt and signed form in this call")
        await self.save_receipt()
        # A resident does not hang up the instant they sign: the officer looks at the form.
        linger = time.monotonic() + LINGER_S
        while time.monotonic() < linger and not call_over():  # noqa: ASYNC110 - watching the call
            await asyncio.sleep(POLL_S)

    async def save_receipt(self) -> None:
        """Render the newest PDF the simulated printer wrote to `receipt.png`."""
        printing = self.controller.printing
        if self._receipt_saved or self.screenshots is None or printing.printed == 0:
            return
        if printing.config.backend != "simulated":
            return  # a real printer's paper cannot be photographed from here
        printed = sorted(printing.config.folder.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
        if not printed:
            log.error("autopilot: the simulated printer wrote no PDF")
            return
        try:
            png = await asyncio.to_thread(render_page_png, printed[-1].read_bytes(), 0, RECEIPT_DPI)
        except (PageRenderError, OSError) as exc:
            log.error("autopilot: the printed receipt was not rendered: %s", exc)
            return
        self.screenshots.mkdir(parents=True, exist_ok=True)
        (self.screenshots / "receipt.png").write_bytes(png)
        self._receipt_saved = True
        log.info("autopilot: printed receipt rendered to receipt.png")
