"""A session's identity over HTTP: masked for display, and the full number on request.

Hub: `backoffice_console/hub/identity/routes.py` (`session_identity`, `reveal_identity`); the
masked fields are `shared.idcard.record.IdentityRecord.masked()`. Both reads are
audited by the hub. The reveal takes no body (the hub reads none).
"""

from __future__ import annotations

from datetime import date

from shared.protocol.base import Model
from shared.protocol.devices import IdentitySource


class MaskedIdentity(Model):
    """`GET /api/v1/sessions/{id}/identity`: the newest identity with the number masked."""

    identity_id: int
    source: IdentitySource
    card_type: str
    name: str
    english_name: str | None
    id_number: str
    """Masked: only the first 6 and last 4 characters are shown."""
    gender: str | None
    gender_name: str | None
    nation: str | None
    age: int | None
    valid_from: date | None
    valid_to: date | None
    long_term: bool
    expired: bool
    has_photo: bool


class RevealedIdentity(Model):
    """`POST /api/v1/sessions/{id}/identity/reveal`: the full ID number (audited)."""

    identity_id: int
    name: str
    id_number: str


__all__ = ["MaskedIdentity", "RevealedIdentity"]
