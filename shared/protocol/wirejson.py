"""The one JSON reader for everything that arrives from the wire (websocket frames, HTTP bodies).

`json.loads` alone trusts its input too much for a server: a number of 5,000 digits
raises a `ValueError` from Python's int parser, 1,500 nested brackets a `RecursionError`,
`"\\ud800"` gives a string no encoder accepts, `1e999` is infinity, `NaN` is not JSON at
all, and an integer above 2**63 overflows the database's column. `read_json` refuses each of
these with one error type, `JsonRefused`, before any of it reaches a model or a query:

- the bytes must be UTF-8 (no other encoding is guessed), the text valid Unicode;
- at most `MAX_DEPTH` nested arrays/objects;
- a number has at most `MAX_NUMBER_CHARS` characters, and is finite;
- an integer lies within `INT_MIN..INT_MAX`, a signed 64-bit database integer (SQLite
  overflows above it);
- ids are narrower still: `1..ID_MAX`, what the hub's INTEGER id columns hold on PostgreSQL
  (32-bit). Path and query ids go through `parse_id`, body ids are `base.DbId`: one bound.
- no object repeats a key (which of two values would count is not defined by JSON).

The limits are for input only; the hub's own replies are written by `json.dumps`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted (the protocol's deepest model needs < 10)."""

MAX_NUMBER_CHARS = 40
"""Longest number literal accepted: enough for any 64-bit integer or a float's 17 digits."""

INT_MAX = 2**63 - 1
"""Largest integer accepted anywhere: what a signed 64-bit database column holds."""

INT_MIN = -(2**63)
"""Smallest integer accepted anywhere."""

ID_MAX = 2**31 - 1
"""Largest id: the hub's id columns are INTEGER, 32 bits on PostgreSQL."""

DAY_MIN = dt.date(2000, 1, 1)
"""Earliest calendar day a client may name (the system holds nothing before it)."""

DAY_MAX = dt.date(2199, 12, 31)
"""Latest calendar day a client may name: far from `date.max`, so day arithmetic never overflows."""

_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


class JsonRefused(ValueError):
    """Input that is not JSON this system accepts; `reason` says why (no input values in it).

    `line` is the line of a syntax error, when the parser could tell.
    """

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise JsonRefused("an integer outside the signed 64-bit range")
    return value


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number longer than {MAX_NUMBER_CHARS} characters")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonRefused("a number too large for a float")
    return value


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise JsonRefused("an object repeats a key")
    return result


def _check_depth(raw: bytes) -> None:
    # Before parsing: the C scanner recurses once per level, so deep input must never reach it.
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return
    depth = 0
    for match in _BRACKETS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels")
        elif token in (b"]", b"}"):
            depth -= 1


def _check_strings(value: Any) -> None:
    # Only reached when the text escapes a surrogate: pairs are fine, a lone one is not.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonRefused("a string holds a lone surrogate (not valid Unicode)") from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def read_json(data: str | bytes) -> Any:
    """Parse wire input (`bytes` must be UTF-8) within the limits above; raises `JsonRefused`."""
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise JsonRefused("text holds a lone surrogate (not valid Unicode)") from None
        text = data
    else:
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused("not UTF-8") from None
    _check_depth(raw)
    try:
        value = json.loads(
            text,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefused(exc.msg, exc.lineno) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        # Defence in depth: whatever else the parser raises is refused input, never a crash.
        raise JsonRefused(f"not valid JSON ({type(exc).__name__})") from None
    if _SURROGATE_ESCAPE.search(raw):
        _check_strings(value)
    return value


def parse_id(text: str) -> int | None:
    """An id as written in a path or query (`"42"`); None when it is not one.

    Decimal digits only (no sign, no spaces, no `_`), and within `1..ID_MAX`: the same
    bound as ids in bodies (`base.DbId`), so no id reaches the database that its
    column cannot hold.
    """
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= ID_MAX else None


def parse_day(text: str) -> dt.date | None:
    """A calendar day written `YYYY-MM-DD` within `DAY_MIN..DAY_MAX`; None when it is not one."""
    if len(text) != 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if DAY_MIN <= day <= DAY_MAX else None


__all__ = [
    "DAY_MAX",
    "DAY_MIN",
    "ID_MAX",
    "INT_MAX",
    "INT_MIN",
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "JsonRefused",
    "parse_day",
    "parse_id",
    "read_json",
]
