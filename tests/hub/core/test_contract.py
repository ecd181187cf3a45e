"""The hub's wire contract: every route declares it, and replies are checked against it.

- Every route of the real app (`build_app`) has `core.http.wire` on the handler it
  registered: the request (a `shared.protocol` model, `Raw`, or None) and the
  response. GET routes read no body; a handler that validates a body with
  `read_body` declares that very model; every model lives in `shared.protocol`.
- `contract_middleware` (on with `HubConfig.check_replies`, as in every hub the
  tests start) turns a reply that drifted from its declared model into a logged
  500 `internal`, for successes and errors alike.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel

from backoffice_console.hub.app import build_app
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import (
    Raw,
    Upgrade,
    Wire,
    contract_middleware,
    error_middleware,
    json_error,
    json_reply,
    wire,
    wire_of,
)
from backoffice_console.hub.provision import prepare_dir
from shared.protocol import ErrorCode
from shared.protocol.circulation import CirculationConflict
from shared.protocol.http import ErrorBody, HubHealth

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODILESS = {
    ("POST", "/api/v1/sessions/{session_id}/identity/reveal"),
    ("POST", "/api/v1/fleet/hours/{rule_id}/delete"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/totp/enrol"),
}
"""The routes with a body method that read no body (declared `request=None`)."""
READ_BODY = re.compile(r"read_body\(request, (\w+)\)")


def _config(tmp_path: Path, **changes: Any) -> HubConfig:
    config = prepare_dir(tmp_path / "hub", [], port=0)
    config.log_dir = None
    for name, value in changes.items():
        setattr(config, name, value)
    return config


def _routes(app: web.Application) -> list[tuple[str, str, Any]]:
    """(method, path, handler) of every route but the HEAD twin aiohttp adds to each GET."""
    gets = {
        (route.resource.canonical, route.handler)
        for route in app.router.routes()
        if route.method == "GET" and route.resource is not None
    }
    found = []
    for route in app.router.routes():
        assert route.resource is not None
        key = (route.resource.canonical, route.handler)
        if route.method == "HEAD" and key in gets:
            continue
        found.append((route.method, route.resource.canonical, route.handler))
    return found


def _models(contract: Wire) -> list[Any]:
    return [
        side
        for side in (contract.request, contract.response, *contract.errors.values())
        if side is not None and not isinstance(side, Raw | Upgrade)
    ]


@pytest.fixture(name="routes", scope="module")
def routes_fixture(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, Any]]:
    return _routes(build_app(_config(tmp_path_factory.mktemp("contract"))))


def test_every_route_declares_its_contract(routes: list[tuple[str, str, Any]]) -> None:
    assert len(routes) > 70, "the hub's routes were not found"
    missing = [f"{method} {path}" for method, path, handler in routes if wire_of(handler) is None]
    assert missing == [], f"routes without @wire under their route decorator: {missing}"


def test_get_routes_read_no_body_and_body_methods_say_what_they_read(
    routes: list[tuple[str, str, Any]],
) -> None:
    wrong = []
    for method, path, handler in routes:
        contract = wire_of(handler)
        assert contract is not None
        request = contract.request
        if method == "GET" and request is not None:
            wrong.append(f"GET {path} declares a request body {request}")
        if method in BODY_METHODS and request is None and (method, path) not in BODILESS:
            wrong.append(f"{method} {path}: request=None, but it is not known to read no body")
        if method in BODY_METHODS and request is not None and (method, path) in BODILESS:
            wrong.append(f"{method} {path} is listed as reading no body but declares {request}")
        assert request is None or isinstance(request, Raw) or issubclass(request, BaseModel)
    assert wrong == []


def test_every_success_is_declared_and_only_the_websocket_upgrades(
    routes: list[tuple[str, str, Any]],
) -> None:
    for method, path, handler in routes:
        contract = wire_of(handler)
        assert contract is not None
        response = contract.response
        if path == "/ws":
            assert (method, response) == ("GET", Upgrade("websocket"))
            continue
        assert isinstance(response, Raw) or (
            isinstance(response, type) and issubclass(response, BaseModel)
        ), f"{method} {path}: every HTTP route answers a model or Raw bytes, not {response}"


def test_every_declared_model_lives_in_shared_protocol(
    routes: list[tuple[str, str, Any]],
) -> None:
    elsewhere = {
        f"{method} {path}: {model.__module__}.{model.__name__}"
        for method, path, handler in routes
        for model in _models(wire_of(handler))  # type: ignore[arg-type]
        if not (isinstance(model, type) and model.__module__.startswith("shared.protocol"))
    }
    assert elsewhere == set()


def test_a_body_read_with_read_body_is_the_declared_request(
    routes: list[tuple[str, str, Any]],
) -> None:
    wrong = []
    for method, path, handler in routes:
        contract = wire_of(handler)
        assert contract is not None
        read = READ_BODY.findall(inspect.getsource(inspect.unwrap(handler)))
        declared = contract.request
        name = declared.__name__ if isinstance(declared, type) else declared
        if read and read != [name]:
            wrong.append(f"{method} {path}: reads {read}, declares {name}")
        if not read and isinstance(declared, type):
            wrong.append(f"{method} {path}: declares {name} but never reads it")
    assert wrong == []


def test_check_replies_puts_the_contract_middleware_outside_the_errors(tmp_path: Path) -> None:
    assert contract_middleware not in build_app(_config(tmp_path / "off")).middlewares
    app = build_app(_config(tmp_path / "on", check_replies=True))
    assert list(app.middlewares[:2]) == [contract_middleware, error_middleware]


# --- the middleware turns a drift into a 500 ------------------------------------------------


@wire(request=None, response=HubHealth)
async def _health(request: web.Request) -> web.Response:
    if request.query.get("drift"):
        return json_reply({"ok": True, "version": "1", "time": "now"})
    return json_reply({"ok": True, "version": "1", "time": "2026-11-22T08:30:00+00:00"})


@wire(request=None, response=HubHealth, errors={409: CirculationConflict})
async def _conflict(request: web.Request) -> web.Response:
    if request.query.get("drift"):
        return json_error(409, "conflict", "out of order", state="lost")
    if request.query.get("plain"):
        raise HubError(ErrorCode.BAD_MESSAGE, "a plain refusal")
    return json_error(409, "conflict", "out of order", state="at_point", expected="with_courier")


@wire(request=None, response=Raw("application/pdf"), alternative=Raw("text/csv"))
async def _pdf(request: web.Request) -> web.Response:
    if request.query.get("drift"):
        return json_reply({"pdf": False})
    if request.query.get("csv"):
        return web.Response(text="a,b\n", content_type="text/csv")
    return web.Response(body=b"%PDF-1.7", content_type="application/pdf")


async def _unwired(request: web.Request) -> web.Response:
    if request.query.get("drift"):
        return json_error(400, "bad_message", "fine", extra=1)
    return json_reply({"anything": "goes"})


@pytest.fixture(name="client")
async def client_fixture() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(middlewares=[contract_middleware, error_middleware])
    app.router.add_get("/health", _health)
    app.router.add_get("/conflict", _conflict)
    app.router.add_get("/pdf", _pdf)
    app.router.add_get("/unwired", _unwired)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def _answer(client: TestClient[web.Request, web.Application], path: str) -> tuple[int, Any]:
    async with client.get(path) as resp:
        body = await resp.read()
        is_json = resp.content_type == "application/json"
        return resp.status, json.loads(body) if is_json else body


async def _broken(
    client: TestClient[web.Request, web.Application], path: str, caplog: pytest.LogCaptureFixture
) -> str:
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="backoffice_console.hub.core.http"):
        status, body = await _answer(client, path)
    assert status == 500, (path, body)
    assert ErrorBody.model_validate(body).code == "internal"
    (record,) = [r for r in caplog.records if "breaks its contract" in r.getMessage()]
    return record.getMessage()


async def test_replies_that_keep_their_contract_pass_untouched(
    client: TestClient[web.Request, web.Application],
) -> None:
    assert (await _answer(client, "/health"))[0] == 200
    status, body = await _answer(client, "/conflict")
    assert (status, body["expected"]) == (409, "with_courier")
    status, body = await _answer(client, "/conflict?plain=1")
    assert (status, body) == (400, {"code": "bad_message", "message": "a plain refusal"})
    assert await _answer(client, "/pdf") == (200, b"%PDF-1.7")
    assert await _answer(client, "/pdf?csv=1") == (200, b"a,b\n")
    assert (await _answer(client, "/unwired"))[0] == 200
    assert (await _answer(client, "/nowhere"))[0] == 404  # aiohttp's 404, as ErrorBody


async def test_a_drifting_reply_becomes_a_logged_500(
    client: TestClient[web.Request, web.Application], caplog: pytest.LogCaptureFixture
) -> None:
    message = await _broken(client, "/health?drift=1", caplog)
    assert "GET /health" in message and "HubHealth: time:" in message
    message = await _broken(client, "/conflict?drift=1", caplog)
    assert "its 409 reply" in message and "CirculationConflict" in message
    message = await _broken(client, "/pdf?drift=1", caplog)
    assert "application/json where application/pdf is declared" in message
    message = await _broken(client, "/unwired?drift=1", caplog)  # errors are always ErrorBody
    assert "ErrorBody: extra:" in message
