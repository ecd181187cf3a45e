"""Password rules: long enough, not a common password, not the user name (pure, no I/O).

The common passwords are a data file (`assets/security/common-passwords.txt`), read
once; a password is refused when it, or it with its trailing digits and symbols cut
off ("password2024!"), is on the list, compared without case.
"""

from __future__ import annotations

import functools
from pathlib import Path

from shared.assets import assets_dir

MIN_LENGTH = 10
"""The default shortest password (`HubConfig.password_min_length`)."""


def common_passwords_file() -> Path:
    """Where the list of refused common passwords lives."""
    return assets_dir() / "security" / "common-passwords.txt"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The refused passwords, lower-cased; a missing list is an error, never an empty list."""
    lines = common_passwords_file().read_text(encoding="utf-8").splitlines()
    found = frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )
    if not found:
        raise RuntimeError(f"{common_passwords_file()} holds no passwords")
    return found


def _stem(password: str) -> str:
    return password.lower().rstrip("0123456789!@#$%^&*()_+-=.,?~ ")


def password_problem(password: str, username: str, min_length: int = MIN_LENGTH) -> str | None:
    """Why `password` is refused for `username` (English, without the password), or None."""
    if len(password) < min_length:
        return f"the password must have at least {min_length} characters"
    if password.strip() != password or not password.strip():
        return "the password must not start or end with spaces"
    lowered = password.lower()
    name = username.strip().lower()
    if len(name) >= 3 and name in lowered:
        return "the password must not contain the user name"
    common = common_passwords()
    stem = _stem(password)
    if lowered in common or (stem and stem in common):
        return "the password is too common"
    if len(set(password)) < 4:
        return "the password repeats too few different characters"
    return None
