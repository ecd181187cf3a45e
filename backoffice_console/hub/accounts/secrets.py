"""Secrets: argon2id password/secret hashes, bearer tokens, enrolment codes.

Tokens and enrolment codes are stored only as SHA-256 digests: they are long
random strings (or short-lived, single-use codes), so a fast hash is enough and
lets the hub find them with an index. Passwords and device secrets are stored
as argon2id hashes, verified off the event loop by the callers.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Enrolment code characters: no 0/O, 1/I/L, so a code read aloud is typed right."""
CODE_LENGTH = 8


def hash_secret(secret: str) -> str:
    """argon2id hash of a password or device secret (slow on purpose: call off the loop)."""
    return _hasher.hash(secret)


def verify_secret(stored_hash: str, secret: str) -> bool:
    """Whether `secret` matches `stored_hash`; never raises on a bad hash (slow: off the loop)."""
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """Verified against when a username is unknown, so timing does not tell which names exist."""
    return hash_secret(secrets.token_urlsafe(16))


def new_token() -> str:
    """A fresh bearer token or device secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """SHA-256 hex digest under which a token or code is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_enrollment_code() -> str:
    """A short human-typable code like `K7QM-3WXP` (the dash is optional when typed)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    """Upper-case a typed code and drop separators and spaces."""
    return "".join(ch for ch in code.upper() if ch.isalnum())
