"""HTTP plumbing shared by every domain's routes: JSON in and out, errors, the caller.

- Errors leave as `{"code", "message"}` with the status of their `ErrorCode`
  (`error_middleware`: it is meant for every route).
- `read_bytes` reads a body within a size and a time limit; `read_body` validates a JSON
  body (UTF-8 only, through `shared.protocol.wirejson`'s one strict reader) with its
  `shared.protocol` model.
- `id_match`, `query_id`, `query_day`: ids and days from a path or a query, each checked
  once, the same way for every route (an id the database cannot hold is not found).
- `wire` declares a handler's request and response models: the contract the
  console parses with (tests/hub/core/test_contract.py checks that every route has one).
  `contract_middleware` (on with `HubConfig.check_replies`, in tests and staging)
  checks every reply against what its route declared and turns a drift into a 500.
- Who is calling (`principal_of`) and the cap on callers without credentials are in
  `core/caller.py`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError, Unauthorized
from shared.protocol import ErrorCode
from shared.protocol.http import ErrorBody, invalid_text
from shared.protocol.wirejson import DAY_MAX, DAY_MIN, JsonRefused, parse_day, parse_id, read_json

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodyT = TypeVar("BodyT", bound=BaseModel)
H = TypeVar("H", bound=Handler)

dumps = functools.partial(json.dumps, ensure_ascii=False)
"""JSON with Chinese names left readable (in responses and a technician's curl output)."""

_STATUS_CODES = {
    400: "bad_message",
    403: "forbidden",
    404: "not_found",
    405: "bad_message",
    408: "timeout",
    413: "too_large",
    415: "unsupported_media_type",
}


def json_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """An error response in the API's shape (`extra` keys are added beside code and message)."""
    data = {"code": code, "message": message, **extra}
    return web.json_response(dumps=dumps, data=data, status=status)


def json_reply(data: Any, status: int = 200) -> web.Response:
    """A JSON response (Chinese kept readable)."""
    return web.json_response(dumps=dumps, data=data, status=status)


def incident_id() -> str:
    """A short random reference that ties an `internal` reply to its log line."""
    return secrets.token_hex(4)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a JSON error; nothing a client sends takes the hub down.

    An unexpected exception is logged once with an incident reference that the reply
    carries too; a client that went away (mid-body, mid-upgrade) is not an error.
    """
    try:
        return await handler(request)
    except HubError as exc:
        return json_error(exc.http_status, exc.code.value, exc.message)
    except Unauthorized as exc:
        return json_error(401, "unauthorized", exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = json_error(exc.status, _STATUS_CODES.get(exc.status, "error"), exc.reason)
        if exc.status == 408:
            response.force_close()  # the rest of the body may still be on its way
        return response
    except ConnectionError as exc:
        # The client is gone (mid-body, mid-upgrade): nothing went wrong here. The reply
        # cannot be delivered; aiohttp drops it quietly, where a raise would log an error.
        log.debug("%s %s: client went away (%s)", request.method, request.path,
                  type(exc).__name__)  # fmt: skip
        return json_error(400, ErrorCode.BAD_MESSAGE.value, "the client went away")
    except Exception:
        incident = incident_id()
        log.exception("%s %s failed (incident %s)", request.method, request.path, incident)
        return json_error(500, ErrorCode.INTERNAL.value, f"internal error (incident {incident})")


def validation_message(exc: ValidationError, default_where: str = "body") -> str:
    """`where: what` of a validation error's first problem (no input values in it)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or default_where
    return f"{where}: {first['msg']}"


async def read_bytes(request: web.Request, limit: int, what: str = "request body") -> bytes:
    """The request's body: at most `limit` bytes, all of it within the body timeout.

    Over `limit`: HubError too_large. A body that does not arrive within
    `HubConfig.body_timeout_s` (a client sending one byte of a declared thousand) is a
    408 and the connection is closed.
    """
    if request.content_length is not None and request.content_length > limit:
        raise HubError(ErrorCode.TOO_LARGE, f"{what} over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(request.app[CORE_KEY].config.body_timeout_s):
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise HubError(ErrorCode.TOO_LARGE, f"{what} over {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise web.HTTPRequestTimeout(reason="the request body did not arrive in time") from None
    return b"".join(chunks)


def _charset_ok(request: web.Request) -> bool:
    charset = request.charset
    return charset is None or charset.lower().replace("_", "-") in ("utf-8", "utf8")


async def read_body(request: web.Request, model: type[BodyT]) -> BodyT:
    """The request's JSON body validated as `model`; HubError bad_json / bad_message.

    The body is UTF-8 (a `charset` other than utf-8 is refused, never guessed) and read by
    the one strict reader (`shared.protocol.wirejson`): bounded depth, numbers and ids.
    """
    if not _charset_ok(request):
        raise HubError(ErrorCode.BAD_JSON, "only charset=utf-8 is accepted")
    raw = await read_bytes(request, request.client_max_size)
    try:
        data = read_json(raw)
    except JsonRefused as exc:
        message = f"request body is not valid JSON: {exc.reason}"[:200]
        raise HubError(ErrorCode.BAD_JSON, message) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HubError(ErrorCode.BAD_MESSAGE, validation_message(exc)[:200]) from None


def id_match(request: web.Request, name: str, what: str) -> int:
    """The id in path parameter `name`; anything that is not one is `not_found` (no such `what`).

    One rule for every route: digits within `1..ID_MAX` (`shared.protocol.wirejson.parse_id`),
    the bound ids in bodies have too, so no id reaches a query its column cannot hold.
    """
    value = parse_id(request.match_info[name])
    if value is None:
        raise HubError(ErrorCode.NOT_FOUND, f"no such {what}")
    return value


def query_id(request: web.Request, name: str) -> int | None:
    """The id in query parameter `name` (None when absent); HubError bad_message if not an id."""
    raw = request.query.get(name)
    if raw is None:
        return None
    value = parse_id(raw)
    if value is None:
        raise HubError(ErrorCode.BAD_MESSAGE, f"{name} must be an id")
    return value


def day_of(text: str, name: str = "day") -> dt.date:
    """A calendar day written YYYY-MM-DD within `DAY_MIN..DAY_MAX`; HubError bad_message."""
    day = parse_day(text)
    if day is None:
        raise HubError(
            ErrorCode.BAD_MESSAGE, f"{name} must be a day YYYY-MM-DD, {DAY_MIN} to {DAY_MAX}"
        )
    return day


def query_day(request: web.Request, name: str) -> dt.date | None:
    """The day in query parameter `name` (None when absent or empty); see `parse_day`."""
    raw = request.query.get(name)
    return day_of(raw, name) if raw else None


@dataclass(frozen=True, init=False)
class Raw:
    """A body that is not JSON (a PDF, an image, a CSV file) of one of `content_types`.

    `Raw("application/pdf")`; an upload that may be either of several types names
    them all, the usual one first (`Raw("image/jpeg", "image/png")`).
    """

    content_types: tuple[str, ...]

    def __init__(self, content_type: str, *more: str) -> None:
        object.__setattr__(self, "content_types", (content_type, *more))


@dataclass(frozen=True)
class Upgrade:
    """The route switches protocols (101) instead of answering: the websocket.

    Its messages are `shared.protocol`'s `ClientMessage` / `ServerMessage` (see `codec`).
    """

    protocol: str = "websocket"


Body: TypeAlias = type[BaseModel] | Raw | None
"""A request or response body: a `shared.protocol` model, `Raw` bytes, or None (none)."""


@dataclass(frozen=True)
class Wire:
    """What a route takes and gives: pydantic models from `shared.protocol`, or `Raw`.

    `errors`: the error statuses answered with their own model instead of `ErrorBody`
    (circulation's 409 `CirculationConflict`). `alternative`: another form of the
    success the caller may ask for with a query (reports' `?format=csv`).
    """

    request: Body
    response: Body | Upgrade
    errors: Mapping[int, type[BaseModel]] = field(default_factory=dict)
    alternative: Raw | None = None


def wire(
    *,
    request: Body,
    response: Body | Upgrade,
    errors: Mapping[int, type[BaseModel]] | None = None,
    alternative: Raw | None = None,
) -> Callable[[H], H]:
    """Declare a handler's request and response (both required: None says "no body").

    Put it right under the route decorator, so the route's handler is the marked function.
    """

    def mark(handler: H) -> H:
        contract = Wire(request, response, dict(errors or {}), alternative)
        handler.__wire__ = contract  # type: ignore[attr-defined]
        return handler

    return mark


def wire_of(handler: Any) -> Wire | None:
    """The contract `wire` declared on `handler`, if any."""
    found = getattr(handler, "__wire__", None)
    return found if isinstance(found, Wire) else None


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def _json_problem(model: type[BaseModel], response: web.Response) -> str | None:
    if not _is_json(response.content_type):
        return f"{response.content_type} where {model.__name__} JSON is declared"
    body = response.body
    if not isinstance(body, bytes):
        return f"a {type(body).__name__} body where {model.__name__} JSON is declared"
    try:
        model.model_validate_json(body)
    except ValidationError as exc:
        return invalid_text(exc, 300)
    return None


def reply_problem(contract: Wire | None, response: web.StreamResponse) -> str | None:
    """How `response` breaks `contract` (None: it keeps it, or there is nothing to read).

    Errors (4xx, 5xx) are `ErrorBody` unless the route names a model for the status;
    a success (2xx) is the declared model's JSON, the declared `Raw` content type, or
    the route's `alternative`. Streamed replies (a websocket), 204 and 1xx/3xx
    (a 304 Not Modified) are not read; a route without a contract is only checked
    for its errors.
    """
    if not isinstance(response, web.Response) or response.status == 204:
        return None
    if 100 <= response.status < 200 or 300 <= response.status < 400:
        return None
    if response.status >= 400:
        model = contract.errors.get(response.status) if contract is not None else None
        return _json_problem(model or ErrorBody, response)
    if contract is None:
        return None
    declared = contract.response
    alternative = contract.alternative
    if alternative is not None and response.content_type in alternative.content_types:
        return None
    if isinstance(declared, Raw):
        if response.content_type in declared.content_types:
            return None
        return f"{response.content_type} where {' or '.join(declared.content_types)} is declared"
    if declared is None:
        return (
            None if not response.body else f"a {response.content_type} body where none is declared"
        )
    if isinstance(declared, Upgrade):
        return f"a {response.status} reply where a {declared.protocol} upgrade is declared"
    return _json_problem(declared, response)


@web.middleware
async def contract_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check every reply against its route's `wire` (`HubConfig.check_replies`).

    Outside `error_middleware`, so the errors it makes are checked too. A reply that
    breaks its contract is logged and replaced by a 500 `internal`: a drift between
    what the hub sends and what `shared.protocol` says is loud, never silent.
    """
    response = await handler(request)
    problem = reply_problem(wire_of(request.match_info.handler), response)
    if problem is None:
        return response
    log.error("%s %s: its %d reply breaks its contract: %s",
              request.method, request.path, response.status, problem)  # fmt: skip
    return json_error(500, ErrorCode.INTERNAL.value, "internal error: the reply broke its contract")
