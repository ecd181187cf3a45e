"""Starting points for fuzzers and properties: a plausible JSON value for any
`shared.protocol` model, and the corpus of hostile input classes found by fuzzing the hub."""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

BIG_DIGITS = "1" * 5000
HOSTILE_TOKENS = [
    BIG_DIGITS,
    "-" + "9" * 4400,
    "9223372036854775808",
    "-9223372036854775809",
    "2147483648",
    "18446744073709551616",
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "1.0",
    "true",
    "false",
    "null",
    "0",
    "-1",
    "1e308",
    "0." + "1" * 60,
    "[" * 1500 + "]" * 1500,
    '{"a":' * 800 + "1" + "}" * 800,
    "[" * 40 + "]" * 40,
    '"\\ud800"',
    '"\\udfff"',
    '"a\\ud83d"',
    '"\\ud83d\\ude00"',
    '"\\u0000"',
    '"0001-01-01"',
    '"9999-12-31"',
    '"9999-12-31T23:59:59+00:00"',
    '"0001-01-01T00:00:00-23:59"',
    '""',
    '"' + "字" * 3000 + '"',
    "[]",
    "{}",
]
"""Raw JSON tokens put where a value goes (several cannot be written by `json.dumps`)."""

HOSTILE_TEXTS: list[str | bytes] = [
    '{"type":"ticket.take","ticket_id":' + BIG_DIGITS + "}",
    "[" * 1500 + "]" * 1500,
    '{"type":"queue.join","id":"\\ud800"}',
    '{"type":"ticket.take","id":"t","ticket_id":9223372036854775808}',
    '{"v":true,"type":"queue.join","id":"v"}',
    '{"v":1.0,"type":"queue.join","id":"v"}',
    '{"type":"queue.join","type":"queue.leave"}',
    '{"type":"queue.join","id":NaN}',
    b"\xff\xfe{}",
    b'{"type":"queue.join","id":"\xed\xa0\x80"}',
    "\ufeff{}",
    "",
    "null",
    '"just a string"',
    "{" * 20,
]
"""Whole messages and bodies from the issue's classes."""


def sample(annotation: Any, meta: tuple[Any, ...] = ()) -> Any:
    """A plausible JSON value for a pydantic field annotation (a starting point to mutate)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        inner, *more = get_args(annotation)
        return sample(inner, (*meta, *more))
    if origin is Literal:
        return get_args(annotation)[0]
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return sample(options[0], meta) if options else None
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    if not isinstance(annotation, type):
        return None
    if issubclass(annotation, BaseModel):
        return {
            k: sample(f.annotation, tuple(f.metadata)) for k, f in annotation.model_fields.items()
        }
    if issubclass(annotation, enum.Enum):
        return next(iter(annotation)).value
    if annotation is bool:
        return False
    if annotation is int:
        return max([1, *(getattr(m, "ge", 1) for m in meta)])
    if annotation is float:
        return 1.0
    if annotation is str:
        return "a" * max([1, *(getattr(m, "min_length", 1) or 1 for m in meta)])
    if annotation is dt.datetime:
        return "2026-12-07T10:00:00+00:00"
    if annotation is dt.date:
        return "2026-12-07"
    return None
