"""The technician PIN in front of the maintenance page: sha256 or argon2, with a lockout.

No PIN configured means the page cannot be opened (there is no default PIN). After
`max_attempts` wrong PINs in a row the gate refuses every PIN for `lock_seconds`, so a
PIN cannot be guessed at the touch screen. PINs are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.health.config import MaintenanceSection


class PinGate:
    """Checks PINs against the `[maintenance]` hash (see module docstring)."""

    def __init__(
        self,
        section: MaintenanceSection,
        *,
        max_attempts: int = 5,
        lock_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._section = section
        self._max = max_attempts
        self._lock_seconds = lock_seconds
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    @property
    def configured(self) -> bool:
        """True when a PIN hash is set (else the page stays shut)."""
        return bool(self._section.pin_sha256 or self._section.pin_argon2)

    @property
    def locked(self) -> bool:
        """True while too many wrong PINs keep the gate shut."""
        return self._clock() < self._locked_until

    def check(self, pin: str) -> bool:
        """True for the right PIN (and not locked); counts wrong ones towards the lockout."""
        if not self.configured or self.locked:
            return False
        if self._matches(pin):
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self._max:
            self._failures = 0
            self._locked_until = self._clock() + self._lock_seconds
        return False

    def _matches(self, pin: str) -> bool:
        if not pin.isdigit() or not 4 <= len(pin) <= 12:
            return False
        if self._section.pin_argon2:
            try:
                return bool(PasswordHasher().verify(self._section.pin_argon2, pin))
            except (VerificationError, InvalidHashError):
                return False
        assert self._section.pin_sha256 is not None
        digest = hashlib.sha256(pin.encode()).hexdigest()
        return hmac.compare_digest(digest, self._section.pin_sha256.lower())
