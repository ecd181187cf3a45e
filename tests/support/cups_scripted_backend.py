"""A CUPS backend for the tests whose printer condition is read from a file.

Installed by tests/support/cups_fixtures.py as `<ServerBin>/backend/scripted`; the device URI
is `scripted:<state file>`. The state file holds one word:

- `ok`: the job is "printed": its data is copied to `<state dir>/out/` and logged.
- `media-empty`, `media-jam`, `cover-open`: report the condition the way real backends
  do (`STATE: +media-empty-error`) and exit 4, which stops the queue; the job waits.
- `offline`: report `STATE: +offline-report` and keep retrying until the word changes.
- `slow`: stay busy (printing) until the word changes, so a test can cancel mid-way.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

STOP = 4  # CUPS_BACKEND_STOP
CONDITIONS = ("media-empty-error", "media-jam-error", "cover-open-error", "offline-report")


def _state(path: Path) -> str:
    try:
        return path.read_text().strip() or "ok"
    except OSError:
        return "ok"


def main(argv: list[str]) -> int:
    """Run as CUPS runs a backend: no arguments lists the device, six or seven print."""
    if len(argv) == 1:
        print('direct scripted "Unknown" "Scripted test printer"')
        return 0
    if len(argv) not in (6, 7):
        print("Usage: scripted job-id user title copies options [file]", file=sys.stderr)
        return 1
    job_id, title = argv[1], argv[3]
    state_path = Path(os.environ["DEVICE_URI"].split(":", 1)[1])
    while True:
        state = _state(state_path)
        if state == "ok":
            break
        if state in ("media-empty", "media-jam", "cover-open"):
            print(f"STATE: +{state}-error", file=sys.stderr, flush=True)
            print(f"ERROR: printer reports {state}", file=sys.stderr, flush=True)
            return STOP
        if state == "offline":
            print("STATE: +offline-report", file=sys.stderr, flush=True)
            print("INFO: printer not connected; will retry", file=sys.stderr, flush=True)
        time.sleep(0.1)
    print("STATE: -" + ",".join(CONDITIONS), file=sys.stderr, flush=True)
    out = state_path.parent / "out"
    out.mkdir(exist_ok=True)
    target = out / f"job-{job_id}.pdf"
    if len(argv) == 7:
        shutil.copyfile(argv[6], target)
    else:
        with target.open("wb") as sink:
            shutil.copyfileobj(sys.stdin.buffer, sink)
    with (out / "printed.log").open("a") as log:
        log.write(f"{job_id}\t{title}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
