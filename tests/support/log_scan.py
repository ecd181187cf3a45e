"""The log hygiene check run at the end of every test session (see conftest.py).

Every log file the run produced (pytest's basetemp tree, var/test-output,
var/stack/logs) is searched for full ID numbers: those of the demo residents and
the test cards, and any other 18-character number that passes the GB 11643 check
(birth date, region and check digit). One hit fails the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from shared.idcard import is_valid_id_number

REPO = Path(__file__).resolve().parents[2]
MAX_BYTES = 32 * 1024 * 1024
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_LOG_SUFFIXES = (".log", ".err", ".out", ".txt", ".jsonl")


def known_numbers() -> set[str]:
    """Full numbers the tests and the demo use."""
    numbers: set[str] = set()
    residents = REPO / "assets" / "demo" / "residents.json"
    try:
        data = json.loads(residents.read_text(encoding="utf-8"))
        numbers.update(str(r["id_number"]) for r in data.get("residents", []))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from tests.support.identity_samples import TEST_NUMBERS  # noqa: PLC0415 - only when scanning

    numbers.update(TEST_NUMBERS)
    return {n for n in numbers if len(n) >= 15}


def is_log_file(path: Path) -> bool:
    """Log files by name: `*.log`, rotated `*.log.1`, stderr captures and the like."""
    name = path.name.lower()
    return name.endswith(_LOG_SUFFIXES) or ".log." in name or name.startswith("log")


def log_files(roots: Iterable[Path], since: float) -> Iterator[Path]:
    """Log files under `roots` written at or after `since` (time.time())."""
    for root in roots:
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            try:
                if path.is_file() and is_log_file(path) and path.stat().st_mtime >= since:
                    yield path
            except OSError:
                continue


def find_leaks(files: Iterable[Path], numbers: set[str]) -> list[tuple[Path, str]]:
    """(file, masked number) for every file holding a full ID number."""
    leaks: list[tuple[Path, str]] = []
    encoded = [(n, n.encode()) for n in numbers]
    for path in files:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES)
        except OSError:
            continue
        hits = {n for n, raw in encoded if raw in data}
        text = data.decode("utf-8", errors="replace")
        hits.update(m.group(0).upper() for m in _CANDIDATE.finditer(text)
                    if is_valid_id_number(m.group(0).upper()))  # fmt: skip
        leaks.extend((path, n[:6] + "*" * (len(n) - 10) + n[-4:]) for n in sorted(hits))
    return leaks
