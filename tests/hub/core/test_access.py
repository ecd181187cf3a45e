"""Role x endpoint: every route of the real hub, every role, anonymous, another officer/kiosk.

Generated from the route table: each route's `@allow` rule (core/access.py) is what it
is held to. A route without a rule fails the first test; a rule the hub does not keep
fails the matrix (a refused caller gets 401/403, an allowed one never does); and a
session of one officer and kiosk stays closed to another officer and another kiosk.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from backoffice_console.hub.app import build_app
from backoffice_console.hub.core.access import PUBLIC, access_of
from backoffice_console.hub.provision import prepare_dir
from shared.protocol import Role
from tests.hub.identity.test_routes import in_call
from tests.support.hub_fixtures import PASSWORD, HubHarness

SKIPPED = {("POST", "/api/v1/auth/logout")}
"""Ends the caller's log-in (the matrix's own tokens): its rule is kept in test_sessions."""
USER_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.TECHNICIAN, Role.ADMIN, Role.AUDITOR)


def _routes(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        found.append((route.method, route.resource.canonical, route.handler))
    return found


def test_every_route_has_an_access_rule(tmp_path: Path) -> None:
    config = prepare_dir(tmp_path / "hub", [], port=0)
    config.log_dir = None
    routes = _routes(build_app(config))
    assert len(routes) > 80
    missing = [f"{m} {p}" for m, p, h in routes if access_of(h) is None]
    assert missing == [], f"routes without @allow under their @wire: {missing}"
    # Separation of duties, read off the table itself.
    rules = {(m, p): access_of(h) for m, p, h in routes}
    audit = rules[("GET", "/api/v1/audit")]
    assert audit is not None and audit.roles == {Role.AUDITOR}
    for (method, path), rule in rules.items():
        assert rule is not None
        if "identity" in path:
            assert not rule.allows(Role.ADMIN) and not rule.allows(Role.AUDITOR), path
        # The auditor's own account (password, log-out, second factor) is theirs to change.
        own = path in ("/api/v1/auth/password", "/api/v1/auth/logout")
        if rule.kind == "roles" and method != "GET" and not own and "/auth/totp/" not in path:
            assert not rule.allows(Role.AUDITOR), f"an auditor changes nothing: {path}"


def _url(path: str, sid: str = "nosuch") -> str:
    path = path.replace("{document_id}", "0" * 32).replace("{session_id}", sid)
    return re.sub(r"\{[^}]+\}", "1", path)


async def _status(hub: HubHarness, method: str, url: str, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connector = aiohttp.TCPConnector(ssl=hub.ssl())
    async with aiohttp.ClientSession(connector=connector) as http:
        data = None if method == "GET" else b"{}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        async with http.request(method, f"{hub.url}{url}", headers=headers, data=data) as resp:
            try:
                body = await resp.json(content_type=None)
            except ValueError:
                body = None
            code = body.get("code", "") if isinstance(body, dict) else ""
            return resp.status, str(code)


async def _token(hub: HubHarness, username: str, role: Role) -> str:
    await hub.user(username, role)
    tokens, _ = await hub.hub.accounts.login(username, PASSWORD)
    return tokens.token


async def test_every_route_keeps_its_rule_for_every_role(hub: HubHarness) -> None:
    tokens: dict[str, str | None] = {"anonymous": None}
    for role in USER_ROLES:
        tokens[role.value] = await _token(hub, f"m_{role.value}", role)
    credential = await hub.kiosk_credential("KM")
    tokens["kiosk"] = (
        await hub.hub.accounts.device_token(credential.device_id, credential.secret)
    ).token
    roles = {name: Role(name) for name in tokens if name != "anonymous"}
    wrong = []
    for method, path, handler in _routes(hub.app):
        if (method, path) in SKIPPED:
            continue
        rule = access_of(handler)
        assert rule is not None, path
        for name, token in tokens.items():
            status, code = await _status(hub, method, _url(path), token)
            allowed = rule.kind == PUBLIC if name == "anonymous" else rule.allows(roles[name])
            refused = status in (401, 403) and code in ("unauthorized", "forbidden")
            if allowed == refused:
                wrong.append(f"{method} {path} as {name}: {status} {code} ({rule.describe()})")
    assert wrong == [], "\n".join(wrong)


async def test_another_officer_and_another_kiosk_stay_out_of_a_session(hub: HubHarness) -> None:
    officer, _, sid = await in_call(hub, "owner")
    other_officer, other_kiosk, _ = await in_call(hub, "stranger")
    case_no = (await officer.client.get_json(f"/api/v1/sessions/{sid}/case"))["case_no"]
    strangers = {"officer": other_officer.client._token, "kiosk": other_kiosk.client._token}
    opened = []
    for method, path, _ in _routes(hub.app):
        if "{session_id}" not in path and "{case_no}" not in path and "{case_ref}" not in path:
            continue
        url = _url(path, sid).replace("/1/", f"/{case_no}/")
        url = re.sub(r"/cases/1($|/)", f"/cases/{case_no}\\1", url)
        for name, token in strangers.items():
            status, _ = await _status(hub, method, url, token)
            if status < 300:
                opened.append(f"{method} {url} as the other {name}: {status}")
    assert opened == [], "\n".join(opened)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AUDITOR, Role.TECHNICIAN])
async def test_roles_without_a_reason_to_see_identities_never_do(
    hub: HubHarness, role: Role
) -> None:
    _, _, sid = await in_call(hub)
    token = await _token(hub, f"x_{role.value}", role)
    for method, suffix in (("GET", "/identity"), ("POST", "/identity/reveal?reason=x")):
        status, code = await _status(hub, method, f"/api/v1/sessions/{sid}{suffix}", token)
        assert (status, code) == (403, "forbidden"), (role, suffix)
