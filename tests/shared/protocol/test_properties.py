"""Properties of the wire: any input gives a model or the codec's own error; models round-trip.

Hypothesis drives the one JSON reader (`wirejson.read_json`), the websocket codec and
every model in `shared.protocol` (messages, request bodies, replies): arbitrary bytes and
text, and valid messages with fields replaced by arbitrary JSON values.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, RootModel, ValidationError

import shared.protocol
from shared.protocol import ClientMessage, ProtocolError, ServerMessage
from shared.protocol.codec import decode_client_message, decode_server_message, encode
from shared.protocol.wirejson import INT_MAX, INT_MIN, JsonRefused, read_json
from tests.support.model_samples import HOSTILE_TEXTS, HOSTILE_TOKENS, sample

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MODEL_SETTINGS = settings(SETTINGS, max_examples=12)
"""Fewer per model: there are over a hundred, and the wire fuzzer covers the hub's side."""

scalars = (
    st.none()
    | st.booleans()
    | st.integers(INT_MIN, INT_MAX)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_RAW = "\x01raw\x01"
surrogate_text = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
wire_input = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    st.sampled_from(HOSTILE_TEXTS),
    surrogate_text,
)
hostile_values = (
    json_values
    | surrogate_text
    | st.sampled_from(
        [2**63, -(2**63) - 1, 10**400, 1e308, "x" * 300, [[[[[]]]]], "9999-12-31", _RAW]
    )
)


def _members(union: Any) -> list[type[BaseModel]]:
    return list(get_args(get_args(union)[0]))


def _all_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(shared.protocol.__path__):
        module = importlib.import_module(f"shared.protocol.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseModel)
                and value.__module__ == module.__name__
                and not issubclass(value, RootModel)
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = value
    return [found[k] for k in sorted(found)]


def _dumps(data: Any, raw: str | None = None) -> str:
    """JSON text of `data`; a value `_RAW` becomes the raw token `raw` (a number of 5,000
    digits, NaN, 1,500 brackets: text `json.dumps` cannot or will not write)."""
    text = json.dumps(data, ensure_ascii=True)
    return text if raw is None else text.replace(json.dumps(_RAW), raw)


# --- the reader ---------------------------------------------------------------------


@SETTINGS
@given(json_values)
def test_the_reader_reads_back_what_json_writes(value: Any) -> None:
    assert read_json(json.dumps(value)) == value
    assert read_json(json.dumps(value, ensure_ascii=False).encode()) == value


@SETTINGS
@given(wire_input)
def test_the_reader_answers_any_input_with_a_value_or_its_error(data: bytes | str) -> None:
    try:
        read_json(data)
    except JsonRefused as exc:
        assert exc.reason


# --- the codec ----------------------------------------------------------------------


@SETTINGS
@given(wire_input)
def test_the_codec_raises_only_its_own_error(data: bytes | str) -> None:
    for decode in (decode_client_message, decode_server_message):
        try:
            decode(data)
        except ProtocolError as exc:
            assert exc.code and exc.message


def _message_property(model: type[BaseModel], decode: Any) -> Any:
    base = sample(model)
    keys = [*model.model_fields, "extra"]

    @SETTINGS
    @given(
        st.dictionaries(st.sampled_from(keys), hostile_values, max_size=3),
        st.sampled_from(HOSTILE_TOKENS),
    )
    def check(changes: dict[str, Any], raw: str) -> None:
        text = _dumps({**base, **changes}, raw)
        try:
            message = decode(text)
        except ProtocolError:
            return
        assert type(message) is model
        assert decode(encode(message)) == message

    return check


@pytest.mark.parametrize("model", _members(ClientMessage), ids=lambda m: m.__name__)
def test_every_client_message_is_a_model_or_a_protocol_error(model: type[BaseModel]) -> None:
    _message_property(model, decode_client_message)()


@pytest.mark.parametrize("model", _members(ServerMessage), ids=lambda m: m.__name__)
def test_every_server_message_is_a_model_or_a_protocol_error(model: type[BaseModel]) -> None:
    _message_property(model, decode_server_message)()


@pytest.mark.parametrize("model", _all_models(), ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_every_protocol_model_reads_any_json_as_itself_or_a_validation_error(
    model: type[BaseModel],
) -> None:
    base = sample(model)
    keys = [*model.model_fields, "extra"]

    @MODEL_SETTINGS
    @given(
        st.dictionaries(st.sampled_from(keys), hostile_values, max_size=3),
        st.sampled_from(HOSTILE_TOKENS),
    )
    def check(changes: dict[str, Any], raw: str) -> None:
        try:
            data = read_json(_dumps({**base, **changes}, raw))
        except JsonRefused:
            return
        try:
            value = model.model_validate(data)
        except ValidationError:
            return
        again = model.model_validate_json(value.model_dump_json())
        assert again == value

    check()
