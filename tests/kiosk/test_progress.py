"""The kiosk's progress desk: keypad rules, QR scan of a real receipt, look-up through a hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from kiosk.progress import ProgressDesk, find_case_qr, format_case_digits, parse_qr_payload
from shared.documents import RenderOptions, render_receipt
from tests.hub.cases.test_progress import with_identity
from tests.support import document_samples as samples
from tests.support.hub_fixtures import HubHarness
from tests.support.identity_samples import VALID_NUMBER
from tests.support.synthetic_pages import photographed_pdf

CASE_NO = "SL20261122-000123"


def receipt_photo(tmp_path: Path, case_no: str) -> np.ndarray:
    """A printed receipt photographed tilted on a grey desk, noisy."""
    doc = render_receipt(samples.receipt(case_number=case_no), RenderOptions(created=samples.FIXED))
    corners = [(170, 140), (130, 160), (150, 170), (140, 150)]
    return photographed_pdf(doc.pdf, tmp_path, corners, seed=3)


class PhotoCamera:
    """A document camera whose still is a given frame (the contract's `capture`)."""

    def __init__(self, frame: np.ndarray) -> None:
        self.frame = frame

    async def capture(self) -> np.ndarray:
        return self.frame


def test_payload_and_typing_rules() -> None:
    assert parse_qr_payload(f"RVW-CASE:{CASE_NO}") == CASE_NO
    for other in ("RVW-CASE:SL2026-1", "https://example.org", f"LZ-{CASE_NO}", ""):
        assert parse_qr_payload(other) is None
    assert format_case_digits("2026112") == "SL2026112"
    assert format_case_digits("20261122000123999") == CASE_NO
    desk = ProgressDesk(lambda: None)
    for key in "2026112200012":
        desk.key(key)
    assert desk.field_name == "case_no" and not desk.ready()
    desk.key("3")  # the number is complete: typing moves on to the last four
    assert desk.case_no == CASE_NO and desk.field_name == "last4"
    desk.key("X")  # X only as the fourth character
    assert desk.last4 == ""
    for key in ("1", "2", "3", "X", "9"):
        desk.key(key)
    assert desk.last4 == "123X" and desk.ready()
    desk.key("back")
    assert desk.last4 == "123" and not desk.ready()
    assert asyncio.run(desk.query()) is False and desk.error_key == "progress.bad_input"


def test_scan_reads_the_case_number_from_a_photographed_receipt(tmp_path: Path) -> None:
    photo = receipt_photo(tmp_path, CASE_NO)
    assert find_case_qr(photo) == CASE_NO
    assert find_case_qr(np.full((600, 800, 3), 200, np.uint8)) is None  # no code: None

    async def camera() -> PhotoCamera:
        return PhotoCamera(photo)

    desk = ProgressDesk(lambda: None, camera)
    assert asyncio.run(desk.scan()) is True
    assert desk.case_no == CASE_NO and desk.field_name == "last4"
    assert desk.notice_key == "progress.scan.found"

    async def blank() -> PhotoCamera:
        return PhotoCamera(np.full((600, 800, 3), 200, np.uint8))

    desk = ProgressDesk(lambda: None, blank)
    assert asyncio.run(desk.scan()) is False and desk.error_key == "progress.scan.none"
    assert desk.case_digits == ""


async def test_desk_asks_the_hub(hub: HubHarness) -> None:
    _, kiosk, _, case_no = await with_identity(hub)
    desk = ProgressDesk(lambda: kiosk.client)
    desk.case_digits = case_no[2:].replace("-", "")
    for key in VALID_NUMBER[-4:]:
        desk.select("last4")
        desk.key(key)
    assert await asyncio.wait_for(desk.query(), 10)
    assert desk.result is not None and desk.result.state == "open"
    assert desk.last4 == ""  # not kept once asked
    desk.select("last4")
    for key in "0000" if VALID_NUMBER[-4:] != "0000" else "1111":
        desk.key(key)
    assert not await asyncio.wait_for(desk.query(), 10)
    assert desk.error_key == "progress.not_found" and desk.result is None
