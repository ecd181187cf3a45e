"""The real `vw-kiosk` with one test hook: SIGUSR1 freezes its Qt thread.

`python -m tests.support.frozen_kiosk --config kiosk.toml run` runs `kiosk.__main__.main`
unchanged, with a SIGUSR1 handler added. The handler runs on the main thread, the Qt
thread that also runs the asyncio loop (qasync), and blocks it the way a hung UI
would: it writes the file `VW_TEST_FROZEN_MARK` (so the test knows the freeze has
begun) and returns only once the file `VW_TEST_FREEZE_WHILE` is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from kiosk.__main__ import main


def _freeze(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    release = Path(os.environ["VW_TEST_FREEZE_WHILE"])
    Path(os.environ["VW_TEST_FROZEN_MARK"]).write_text("frozen", encoding="utf-8")
    while release.exists():
        time.sleep(0.02)  # the frozen app's own wait; the test waits on the mark and the socket


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _freeze)
    sys.exit(main())
