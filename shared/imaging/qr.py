"""QR codes in a camera frame: every text that decodes, for the kiosk's scans (no Qt).

Used by the progress look-up (the receipt's `RVW-CASE:` code) and the originals
hand-over (the transmittal slip's `RVW-SLIP:` code); each caller keeps the texts
that carry its own prefix.
"""

from __future__ import annotations

import cv2
import numpy as np


def _decode_grey(image: np.ndarray) -> list[str]:
    texts: list[str] = []
    text = cv2.QRCodeDetector().detectAndDecode(image)[0]
    if text:
        texts.append(text)
    ok, found, quads, _ = cv2.QRCodeDetectorAruco().detectAndDecodeMulti(image)
    if ok:
        texts.extend(t for t in found if t)
        # Small codes decode more reliably from a crop with a margin, scaled up.
        for quad in quads:
            (x0, y0), (x1, y1) = quad.min(0).astype(int), quad.max(0).astype(int)
            margin = max(8, (x1 - x0) // 4)
            crop = image[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin]
            crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
            again = cv2.QRCodeDetector().detectAndDecode(crop)[0]
            if again:
                texts.append(again)
    return texts


def decode_qr_texts(frame: np.ndarray) -> list[str]:
    """The texts of the QR codes found in a frame (RGB or grey), in the order found."""
    grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return _decode_grey(grey)
