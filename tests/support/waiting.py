"""Waiting on conditions, never on the clock.

A test that sleeps "long enough" for something to happen fails on a loaded
machine and wastes time on an idle one. These helpers poll a condition with a
generous deadline instead: they return as soon as it holds, and fail saying what
was awaited when it never does. (`tests/test_hygiene.py` refuses new fixed sleeps.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

WAIT = 10.0
"""The default deadline: far beyond what any condition needs on an idle machine."""

_POLL_S = 0.01


async def until(
    check: Callable[[], object], what: str = "the condition", timeout: float = WAIT
) -> None:
    """Returns once `check()` is true; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(_POLL_S)


def wait_until(
    check: Callable[[], object], what: str = "the condition", timeout: float = WAIT
) -> None:
    """`until` for code outside an event loop (a process, a file)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(_POLL_S)
