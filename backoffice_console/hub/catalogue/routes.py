"""The matter catalogue at the hub (issue 6): versions kept in the database, one current.

- `GET /api/v1/catalogue` (any logged-in principal, kiosks included):
  `{"version_id", "label", "catalogue"}` with an `ETag`; `If-None-Match` gives 304.
- `GET /api/v1/catalogue/versions` (admin): every version, newest first, no bodies.
- `GET /api/v1/catalogue/versions/{id}` (admin, supervisor, officer): one version with its body
  (old cases are read under the version they were handled with).
- `POST /api/v1/catalogue/import?format=json|csv&dry_run=1` (admin; the file as the raw body):
  `{"ok", "dry_run", "version_id", "diff", "summary", "problems"}`. A file with problems
  answers 422 with them located (row/field) and changes nothing (a dry run answers 200 with
  `ok` false and the problems: checking is what it was asked to do). Audited
  `catalogue.import` / `catalogue.dry_run` / `catalogue.import_rejected`.

The store seeds the shipped sample the first time a current version is asked for on an
empty database. Importing a catalogue identical to an older version makes that one current
again (versions are never deleted: cases point at them).
"""

from __future__ import annotations

import logging

from aiohttp import web

from backoffice_console.hub.catalogue.store import CatalogueStore
from backoffice_console.hub.core.access import CASE_WORKERS, allow
from backoffice_console.hub.core.caller import principal_of
from backoffice_console.hub.core.context import CORE_KEY
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.http import Raw, dumps, id_match, read_bytes, wire
from backoffice_console.hub.core.principal import Principal
from shared.catalogue.io import (
    MAX_BYTES,
    CatalogueError,
    Problem,
)
from shared.protocol import ErrorCode, Role
from shared.protocol.catalogue import (
    CatalogueImportReply,
    CatalogueRejected,
    CatalogueReply,
    CatalogueVersions,
)

log = logging.getLogger(__name__)

READERS_OF_VERSIONS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.OFFICER})


CATALOGUE_KEY = web.AppKey("catalogue", CatalogueStore)
"""The hub's catalogue store."""

routes = web.RouteTableDef()


@routes.get("/api/v1/catalogue")
@wire(request=None, response=CatalogueReply)
@allow(Role.OFFICER, Role.SUPERVISOR, Role.TECHNICIAN, Role.ADMIN, Role.KIOSK)
async def get_catalogue(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/catalogue."""
    await principal_of(request)
    version_id, sha, catalogue = await request.app[CATALOGUE_KEY].current_with_sha()
    etag = f'"{sha[:32]}"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    data = {
        "version_id": version_id,
        "label": catalogue.version,
        "catalogue": catalogue.model_dump(mode="json"),
    }
    return web.json_response(data, dumps=dumps, headers={"ETag": etag})


@routes.get("/api/v1/catalogue/versions")
@wire(request=None, response=CatalogueVersions)
@allow(Role.ADMIN)
async def list_versions(request: web.Request) -> web.Response:
    """GET /api/v1/catalogue/versions."""
    await _admin(request)
    infos = await request.app[CATALOGUE_KEY].versions()
    return web.json_response({"versions": [vars(i) for i in infos]}, dumps=dumps)


@routes.get("/api/v1/catalogue/versions/{version_id}")
@wire(request=None, response=CatalogueReply)
@allow(*CASE_WORKERS)
async def get_version(request: web.Request) -> web.Response:
    """GET /api/v1/catalogue/versions/{version_id}."""
    who = await principal_of(request)
    if who.role not in READERS_OF_VERSIONS:
        raise HubError(ErrorCode.FORBIDDEN, "only officers, supervisors and admins")
    version_id = id_match(request, "version_id", "catalogue version")
    catalogue = await request.app[CATALOGUE_KEY].version(version_id)
    if catalogue is None:
        raise HubError(ErrorCode.NOT_FOUND, f"no catalogue version {version_id}")
    data = {
        "version_id": version_id,
        "label": catalogue.version,
        "catalogue": catalogue.model_dump(mode="json"),
    }
    return web.json_response(data, dumps=dumps)


@routes.post("/api/v1/catalogue/import")
@wire(
    request=Raw("application/json", "text/csv"),
    response=CatalogueImportReply,
    errors={422: CatalogueRejected},
)
@allow(Role.ADMIN)
async def import_catalogue(request: web.Request) -> web.Response:
    """POST /api/v1/catalogue/import?format=json|csv&dry_run=1."""
    who = await _admin(request)
    fmt = request.query.get("format", "json")
    dry = request.query.get("dry_run", "0")
    if dry not in ("0", "1", "true", "false"):
        raise HubError(ErrorCode.BAD_MESSAGE, "dry_run must be 0 or 1")
    dry_run = dry in ("1", "true")
    data = await _read_raw(request)
    core = request.app[CORE_KEY]
    try:
        result = await request.app[CATALOGUE_KEY].import_(data, fmt, who, dry_run=dry_run)
    except CatalogueError as exc:
        await core.audit.write(who, "catalogue.import_rejected", None, format=fmt,
                              problems=len(exc.problems))  # fmt: skip
        # A dry run is a validation request: its answer, problems included, is a success.
        return _rejected(exc.problems, status=200 if dry_run else 422)
    if dry_run:
        await core.audit.write(who, "catalogue.dry_run", None, format=fmt,
                              label=result.diff.new_version)  # fmt: skip
    return web.json_response(
        {
            "ok": True,
            "dry_run": result.dry_run,
            "version_id": result.version_id,
            "created": result.created,
            "diff": result.diff.model_dump(mode="json"),
            "summary": result.diff.summary(),
            "problems": [],
        },
        dumps=dumps,
    )


def _rejected(problems: list[Problem], status: int) -> web.Response:
    return web.json_response(
        {
            "ok": False,
            "code": ErrorCode.BAD_MESSAGE.value,
            "message": f"the catalogue has {len(problems)} problem(s)",
            "problems": [p.to_json() for p in problems],
        },
        status=status,
        dumps=dumps,
    )


async def _admin(request: web.Request) -> Principal:
    who = await principal_of(request)
    if who.role is not Role.ADMIN:
        raise HubError(ErrorCode.FORBIDDEN, "only an admin manages the catalogue")
    return who


async def _read_raw(request: web.Request) -> bytes:
    # The app's client_max_size is small (JSON messages); a catalogue file may be larger.
    data = await read_bytes(request, MAX_BYTES, "catalogue file")
    if not data:
        raise HubError(ErrorCode.BAD_MESSAGE, "empty body: send the catalogue file")
    return data


async def _seed(app: web.Application) -> None:
    await app[CATALOGUE_KEY].current()  # seeds the sample catalogue into a new hub


def setup(app: web.Application) -> None:
    """Add the catalogue store, its routes and its seeding at start-up to a hub."""
    app[CATALOGUE_KEY] = CatalogueStore(app[CORE_KEY].db)
    app.add_routes(routes)
    app.on_startup.append(_seed)
