"""A few CPU-bound image steps at once, on the process's cores (OpenCV releases the GIL).

One small pool per process, shared by the page correction and the JPEG strips. The
calling thread runs the first step itself; a step that asks for more parallel work
from inside the pool runs it inline, so nesting can never wait on a busy pool.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")

CORES = max(1, min(4, len(os.sched_getaffinity(0))))
"""Steps run at once: one per core this process may run on, at most four."""

_inside = threading.local()


def _mark_worker() -> None:
    _inside.worker = True


_POOL = ThreadPoolExecutor(
    max_workers=max(1, CORES - 1), thread_name_prefix="vw-imaging", initializer=_mark_worker
)


def run_all(steps: Sequence[Callable[[], T]]) -> list[T]:
    """The results of `steps`, in order, computed at once (see the module docstring)."""
    if len(steps) < 2 or CORES < 2 or getattr(_inside, "worker", False):
        return [step() for step in steps]
    others = [_POOL.submit(step) for step in steps[1:]]
    try:
        first = steps[0]()
    finally:
        # Wait for every step even when the first failed: none outlives the call.
        rest = [future.result() for future in others]
    return [first, *rest]


def run_pair(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """`first()` and `second()` computed at once, like `run_all` for two results."""
    a, b = run_all([first, second])
    return cast(A, a), cast(B, b)
