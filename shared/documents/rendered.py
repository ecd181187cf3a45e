"""What rendering returns, and the options every document takes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from shared.documents.layout import SignatureField
from shared.documents.models import PaperSize


@dataclass(frozen=True)
class RenderOptions:
    """Paper size, and a fixed creation date for reproducible bytes (None: now)."""

    paper: PaperSize = PaperSize.A5
    created: datetime | None = None


@dataclass(frozen=True)
class RenderedDocument:
    """A finished PDF with what a printer or a signature pad needs to know about it."""

    kind: str
    pdf: bytes
    paper: PaperSize
    pages: int
    title: str
    signature_fields: tuple[SignatureField, ...] = ()

    @property
    def sha256(self) -> str:
        """Hex digest of the PDF: a natural idempotency key for printing."""
        return hashlib.sha256(self.pdf).hexdigest()

    def signature_field(self, name: str) -> SignatureField:
        """The named signature field; KeyError with the known names when absent."""
        for field in self.signature_fields:
            if field.name == name:
                return field
        known = ", ".join(f.name for f in self.signature_fields) or "none"
        raise KeyError(f"no signature field {name!r} (fields: {known})")
