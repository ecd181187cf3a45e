"""事项目录 for admins, without Qt: check a catalogue file (dry run), then import it.

Talks to the hub's `/api/v1/catalogue` API. The file goes to the hub as it is; the hub
validates it (JSON or CSV by the file's suffix) and answers the diff or the problems.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from backoffice_console.model import KeyedError
from shared.hubclient import HubError, HubRequestError
from shared.protocol.catalogue import (
    CatalogueChanges,
    CatalogueImported,
    CatalogueImportReply,
    CatalogueProblem,
    CatalogueReply,
)
from shared.protocol.http import invalid_text

log = logging.getLogger(__name__)

ReplyT = TypeVar("ReplyT", bound=BaseModel)

CATALOGUE_ROLES = ("admin",)
MAX_FILE_BYTES = 8 * 1024 * 1024


class CatalogueHub(Protocol):
    """What the controller needs of a logged-in hub client."""

    async def get_json(self, path: str, **params: str) -> Any: ...
    async def post_bytes(
        self, path: str, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> Any: ...


class CatalogueImportError(KeyedError):
    """A failed catalogue action; `key` is a text in the `catalogue` i18n domain."""


@dataclass(frozen=True)
class CheckResult:
    """The hub's answer to a dry run or an import."""

    ok: bool
    summary: str = ""
    diff: CatalogueChanges | None = None
    problems: list[str] = field(default_factory=list)
    version_id: int | None = None

    @property
    def changes(self) -> bool:
        """Whether the file differs from the current catalogue."""
        return bool(self.diff is not None and diff_lines(self.diff))


def _problem_text(problem: CatalogueProblem) -> str:
    where = []
    if problem.row is not None:
        where.append(f"row {problem.row}")
    if problem.field:
        where.append(problem.field)
    return f"{', '.join(where)}: {problem.message}" if where else problem.message


def diff_lines(diff: CatalogueChanges | None) -> list[str]:
    """The diff as short lines for a list ("+ matter civil.x", "~ matter y: name, remote")."""
    if diff is None:
        return []
    lines: list[str] = []
    for kind, added, removed, changed in (
        ("line", diff.lines_added, diff.lines_removed, diff.lines_changed),
        ("matter", diff.matters_added, diff.matters_removed, diff.matters_changed),
    ):
        lines += [f"+ {kind} {c}" for c in added]
        lines += [f"- {kind} {c}" for c in removed]
        lines += [f"~ {kind} {c.code}: {', '.join(c.fields)}" for c in changed]
    return lines


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CatalogueImportError("error.too_large")
        return path.read_bytes()
    except OSError as exc:
        raise CatalogueImportError("error.read", str(exc)) from None


class CatalogueController:
    """Checks and imports catalogue files; the hub client is looked up at each call."""

    def __init__(self, hub: Callable[[], CatalogueHub | None]) -> None:
        self._hub = hub

    async def current(self) -> tuple[int, str, int]:
        """The hub's current version: (version id, label, number of matters)."""
        data = await self._call(lambda h: h.get_json("/api/v1/catalogue"))
        reply = _parse(CatalogueReply, data)
        return reply.version_id, reply.label, len(reply.catalogue.matters)

    async def check(self, path: Path) -> CheckResult:
        """Dry run: what importing `path` would change, or its problems."""
        return await self._send(path, dry_run=True)

    async def import_(self, path: Path) -> CheckResult:
        """Import `path` (it becomes the current catalogue)."""
        return await self._send(path, dry_run=False)

    async def _send(self, path: Path, *, dry_run: bool) -> CheckResult:
        fmt = "csv" if path.suffix.lower() == ".csv" else "json"
        data = await asyncio.to_thread(_read, path)
        query = f"/api/v1/catalogue/import?format={fmt}" + ("&dry_run=1" if dry_run else "")
        content = "text/csv" if fmt == "csv" else "application/json"
        body = await self._call(lambda h: h.post_bytes(query, data, content))
        answer = _parse(CatalogueImportReply, body).root
        if isinstance(answer, CatalogueImported):
            result = CheckResult(
                ok=True, summary=answer.summary, diff=answer.diff, version_id=answer.version_id
            )
        else:  # a dry run of a file with problems (an import of one is refused: 422)
            result = CheckResult(ok=False, problems=[_problem_text(p) for p in answer.problems])
        if not dry_run and result.ok:
            log.info("catalogue imported: %s", result.summary)
        return result

    async def _call(self, action: Callable[[CatalogueHub], Any]) -> Any:
        client = self._hub()
        if client is None:
            raise CatalogueImportError("error.offline")
        try:
            return await action(client)
        except HubRequestError as exc:
            key = {"forbidden": "error.forbidden"}.get(exc.code, "error.rejected")
            raise CatalogueImportError(key, exc.message) from None
        except HubError as exc:
            raise CatalogueImportError("error.offline", str(exc)) from None


def _parse(model: type[ReplyT], data: Any) -> ReplyT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        log.warning("the hub's catalogue answer is malformed: %s", invalid_text(exc))
        raise CatalogueImportError("error.malformed", invalid_text(exc)) from None
