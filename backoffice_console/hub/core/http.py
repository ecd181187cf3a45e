"""HTTP plumbing shared by every domain's routes: JSON in and out, errors, the caller.

- Errors leave as `{"code", "message"}` with the status of their `ErrorCode`
  (`error_middleware`, the only app-wide middleware: it is meant for every route).
- `read_body` validates a JSON body with its `shared.protocol` model.
- `wire` declares a handler's request and response models: the contract the
  console parses with. The architecture tests check that every route has one.
- `principal_of` is the caller behind `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError, Unauthorized
from backoffice_console.hub.core.principal import Principal
from shared.protocol import ErrorCode

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


async def principal_of(request: web.Request) -> Principal:
    """The caller behind `Authorization: Bearer <token>`; raises `Unauthorized`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    return await request.app[CORE_KEY].authenticator().resolve(token.strip())


def int_match(request: web.Request, name: str, what: str) -> int:
    """The integer path parameter `name`; a non-number is `not_found` (no such `what`)."""
    try:
        return int(request.match_info[name])
    except ValueError:
        raise HubError(ErrorCode.NOT_FOUND, f"no such {what}") from None


@dataclass(frozen=True)
class Raw:
    """A response that is not JSON (a PDF, an image, a CSV file) of `content_type`."""

    content_type: str


@dataclass(frozen=True)
class Wire:
    """What a route takes and gives: pydantic models from `shared.protocol`, or `Raw`."""

    request: type[BaseModel] | Raw | None
    response: type[BaseModel] | Raw | None


def wire(
    request: type[BaseModel] | Raw | None = None, response: type[BaseModel] | Raw | None = None
) -> Callable[[H], H]:
    """Declare a handler's request and response models (None: no body / no content)."""

    def mark(handler: H) -> H:
        handler.__wire__ = Wire(request, response)  # type: ignore[attr-defined]
        return handler

    return mark


def wire_of(handler: Any) -> Wire | None:
    """The contract `wire` declared on `handler`, if any."""
    found = getattr(handler, "__wire__", None)
    return found if isinstance(found, Wire) else None
