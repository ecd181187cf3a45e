"""HTTP plumbing shared by every domain's routes: JSON in and out, errors, the caller.

- Errors leave as `{"code", "message"}` with the status of their `ErrorCode`
  (`error_middleware`: it is meant for every route).
- `read_body` validates a JSON body with its `shared.protocol` model.
- `wire` declares a handler's request and response models: the contract the
  console parses with (tests/hub/core/test_contract.py checks that every route has one).
  `contract_middleware` (on with `HubConfig.check_replies`, in tests and staging)
  checks every reply against what its route declared and turns a drift into a 500.
- `principal_of` is the caller behind `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.principal import Principal
from shared.protocol import ErrorCode
from shared.protocol.http import ErrorBody, invalid_text

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BodyT = TypeVar("BodyT", bound=BaseModel)
H = TypeVar("H", bound=Handler)

dumps = functools.partial(json.dumps, ensure_ascii=False)
"""JSON with Chinese names left readable (in responses and a technician's curl output)."""

_STATUS_CODES = {400: "bad_message", 403: "forbidden", 404: "not_found", 405: "bad_message"}


def json_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """An error response in the API's shape (`extra` keys are added beside code and message)."""
    data = {"code": code, "message": message, **extra}
    return web.json_response(dumps=dumps, data=data, status=status)


def json_reply(data: Any, status: int = 200) -> web.Response:
    """A JSON response (Chinese kept readable)."""
    return web.json_response(dumps=dumps, data=data, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a JSON error; nothing a client sends takes the hub down."""
    try:
        return await handler(request)
    except HubError as exc:
        return json_error(exc.http_status, exc.code.value, exc.message)
    except Unauthorized as exc:
        return json_error(401, "unauthorized", exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "too_large" if exc.status == 413 else "error")
        return json_error(exc.status, code, exc.reason)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return json_error(500, ErrorCode.INTERNAL.value, "internal error")


def validation_message(exc: ValidationError, default_where: str = "body") -> str:
    """`where: what` of a validation error's first problem (no input values in it)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or default_where
    return f"{where}: {first['msg']}"


async def read_body(request: web.Request, model: type[BodyT]) -> BodyT:
    """The request's JSON body validated as `model`; HubError bad_json / bad_message."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HubError(ErrorCode.BAD_JSON, "request body is not valid JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HubError(ErrorCode.BAD_MESSAGE, validation_message(exc)[:200]) from None


_PRINCIPAL = "vw.principal"


async def principal_of(request: web.Request) -> Principal:
    """The caller behind `Authorization: Bearer <token>`; raises `Unauthorized`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    cached = request.get(_PRINCIPAL)
    if isinstance(cached, Principal):  # resolved once per request (the access check did)
        return cached
    core = request.app[CORE_KEY]
    try:
        who = await core.authenticator().resolve(token.strip())
        request[_PRINCIPAL] = who
        return who
    except Unauthorized as exc:
        # A refused token is a security event: who tried what, from where (never the token).
        await core.audit.write(
            None, "auth.token_refused", path=request.path[:200],
            source=request.remote or "", why=exc.message,
        )  # fmt: skip
        raise


def int_match(request: web.Request, name: str, what: str) -> int:
    """The integer path parameter `name`; a non-number is `not_found` (no such `what`)."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise HubError(ErrorCode.NOT_FOUND, f"no such {what}") from None


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
