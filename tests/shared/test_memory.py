"""`shared.memory.keep_large_buffers`: a page's big buffers are reused, not faulted in again."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_PROBE = textwrap.dedent(
    """
    import resource, sys
    import cv2
    import numpy as np
    from shared.memory import keep_large_buffers
    if sys.argv[1] == "keep":
        assert keep_large_buffers()
    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    frame = np.full((3000, 4000, 3), 200, np.uint8)  # a 12 MP still
    counts = []
    for _ in range(4):
        before = faults()
        still = frame.copy()  # the next 36 MB still from the document camera
        rgba = cv2.cvtColor(still, cv2.COLOR_RGB2RGBA)  # 48 MB
        del still, rgba
        counts.append(faults() - before)
    print(counts[-1])
    """
)


def _faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True, timeout=60
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_large_buffers_are_kept_between_pages() -> None:
    plain, kept = _faults("plain"), _faults("keep")
    print(f"\nminor faults for a still's 84 MB of buffers: {plain} by default, {kept} kept")
    # Blocks over 32 MB are always mapped afresh by default: about 20000 pages of 4 KiB
    # (or a few dozen huge pages where the kernel gives them) faulted in again per still.
    assert kept < 100
    assert plain > 10 * max(kept, 5)
