"""The key that seals personal data at rest: identities, pages, documents, notes, phones.

AES-256-GCM with one key from the file the hub config names (`identity_key_file`,
created by `vw-hub init` with mode 600); each row keeps the key's id, and the
session id (or another owner id) is the associated data, so a row copied
elsewhere does not decrypt. Without a key the hub still serves calls but
refuses to store personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backoffice_console.hub.core.errors import HubError
from shared.protocol import ErrorCode

log = logging.getLogger(__name__)

_KEY_BYTES = 32


class IdentityKeyError(Exception):
    """The identity key file is missing, unreadable or malformed."""


def create_identity_key(path: Path) -> bool:
    """Create a new random key file (mode 600) unless one exists; True when created."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii") + "\n")
    return True


class IdentityVault:
    """AES-256-GCM with one key; `key_id` (a digest prefix) is stored with each row."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise IdentityKeyError(f"the identity key must be {_KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self.key_id = hashlib.sha256(b"vw-identity-key:" + key).hexdigest()[:16]
        # A separate key for HMACs (the case's last-4 digest), derived so it never equals `key`.
        self.digest_key = hmac.new(key, b"vw-case-last4", hashlib.sha256).digest()

    @classmethod
    def from_file(cls, path: Path) -> IdentityVault:
        """Load the base64 key file; raises `IdentityKeyError` with a clear reason."""
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise IdentityKeyError(
                f"identity key file {path} is missing (run vw-hub init)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise IdentityKeyError(f"identity key file {path}: {type(exc).__name__}") from None
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise IdentityKeyError(f"identity key file {path} is not base64") from None
        return cls(key)

    def seal(self, session_id: str, plaintext: bytes) -> tuple[bytes, bytes]:
        """`(nonce, ciphertext)` of `plaintext`, bound to `session_id`."""
        nonce = secrets.token_bytes(12)
        return nonce, self._aead.encrypt(nonce, plaintext, session_id.encode())

    def open(self, session_id: str, nonce: bytes, ciphertext: bytes) -> bytes:
        """Decrypt; `HubError(internal)` when the row was tampered with or moved."""
        try:
            return self._aead.decrypt(nonce, ciphertext, session_id.encode())
        except InvalidTag:
            raise HubError(ErrorCode.INTERNAL, "stored identity failed authentication") from None


def load_vault(path: Path) -> IdentityVault | None:
    """The vault of the key file at `path`, or None (logged) when it cannot be used."""
    try:
        return IdentityVault.from_file(path)
    except IdentityKeyError as exc:
        # The hub still serves calls; identities are refused until a key is in place.
        log.error("identity storage disabled: %s", exc)
        return None


def require_vault(vault: IdentityVault | None) -> IdentityVault:
    """`vault`, or HubError bad_state: without a key the hub stores no personal data."""
    if vault is None:
        raise HubError(ErrorCode.BAD_STATE, "this hub has no personal-data key configured")
    return vault
