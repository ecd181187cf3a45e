"""Keeping large image buffers in the process between pages (glibc's malloc settings).

A 12 MP frame and the intermediates of its page are 10-40 MB each. glibc gives
blocks that large their own memory mapping and returns it on free, so the next
page's buffers are mapped afresh and every 4 KiB of them is faulted in and zeroed
by the kernel again. Measured on a 2-core virtual machine: one 20 MB copy cost 9 ms
instead of 1.4, and the hub took about 2500 faults per uploaded page (under 20
with these settings), some 5 of the 30 ms it spends on a page. With the mapping
threshold above those sizes and the trim threshold above their sum, freed buffers
stay in the heap for the next page. The price is that up to `TRIM_THRESHOLD` of
freed memory per heap stays with the process (the kiosk and the hub are
long-running processes on machines with gigabytes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

MMAP_THRESHOLD = 64 * 1024 * 1024
"""Blocks below this come from the heap (glibc's default moves between 128 KiB and 32 MiB)."""

TRIM_THRESHOLD = 128 * 1024 * 1024
"""Free memory at the top of a heap is given back to the system only above this."""

_M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
_M_MMAP_THRESHOLD = -3


def keep_large_buffers() -> bool:
    """Apply the settings above; False where they do not apply (not glibc) or fail."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        log.info("no glibc mallopt here: large image buffers are not kept")
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    if not ok:
        log.warning("mallopt refused the image buffer settings")
    return ok
