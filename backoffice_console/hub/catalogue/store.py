"""Catalogue versions in the hub database, one current (the store behind `hub.catalogue`).

The store seeds the shipped sample the first time a current version is asked for on an
empty database. Importing a catalogue identical to an older version makes that one current
again (versions are never deleted: cases point at them).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backoffice_console.hub.catalogue.models import CatalogueVersion
from backoffice_console.hub.core.audit import audit_entry
from backoffice_console.hub.core.errors import HubError
from backoffice_console.hub.core.principal import Principal
from backoffice_console.hub.db import Database, utcnow
from shared.catalogue.diff import CatalogueDiff, diff
from shared.catalogue.io import canonical_json, load_catalogue, load_sample
from shared.catalogue.model import Catalogue
from shared.protocol import ErrorCode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    """What an import did (or, on a dry run, would do)."""

    diff: CatalogueDiff
    version_id: int | None
    """The version now current (None on a dry run of a new version)."""
    dry_run: bool
    created: bool
    """A new version row was stored."""


@dataclass(frozen=True)
class VersionInfo:
    """A stored version without its body."""

    id: int
    label: str
    sha256: str
    format: str
    imported_at: str
    imported_by: int | None
    activated_at: str | None
    current: bool
    matters: int


class CatalogueStore:
    """Catalogue versions in the hub database; the parsed current one is cached per process."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._parsed: dict[int, tuple[str, Catalogue]] = {}

    async def current(self) -> tuple[int, Catalogue]:
        """The current version `(version_id, catalogue)`; seeds the sample into an empty hub."""
        found = await self._current_row()
        if found is None:
            await self._seed()
            found = await self._current_row()
            assert found is not None, "seeding left no current catalogue"
        version_id, sha = found
        return version_id, await self._load(version_id, sha)

    async def current_with_sha(self) -> tuple[int, str, Catalogue]:
        """As `current`, with the version's sha256 (the HTTP ETag)."""
        version_id, catalogue = await self.current()
        return version_id, self._parsed[version_id][0], catalogue

    async def version(self, version_id: int) -> Catalogue | None:
        """The catalogue of one stored version, or None if there is no such version."""
        async with self._db.session() as s:
            sha = await s.scalar(
                select(CatalogueVersion.sha256).where(CatalogueVersion.id == version_id)
            )
        return None if sha is None else await self._load(version_id, sha)

    async def matter_name(self, code: str | None, version_id: int | None = None) -> str | None:
        """The name of matter `code` in version `version_id` (None: the current one), else None."""
        if code is None:
            return None
        catalogue = (
            (await self.current())[1] if version_id is None else await self.version(version_id)
        )
        matter = catalogue.matter(code) if catalogue is not None else None
        return matter.name if matter is not None else None

    async def versions(self) -> list[VersionInfo]:
        """Every stored version, newest first."""
        async with self._db.session() as s:
            rows = (
                await s.scalars(select(CatalogueVersion).order_by(CatalogueVersion.id.desc()))
            ).all()
            infos = []
            for row in rows:
                catalogue = await self._load(row.id, row.sha256)
                infos.append(
                    VersionInfo(
                        id=row.id,
                        label=row.label,
                        sha256=row.sha256,
                        format=row.format,
                        imported_at=row.imported_at.isoformat(),
                        imported_by=row.imported_by,
                        activated_at=row.activated_at.isoformat() if row.activated_at else None,
                        current=row.current,
                        matters=len(catalogue.matters),
                    )
                )
        return infos

    async def import_(
        self, data: bytes, fmt: str, who: Principal | None, *, dry_run: bool = False
    ) -> ImportResult:
        """Validate `data` and make it current (unless `dry_run`); raises CatalogueError.

        Nothing is written when the file has problems or on a dry run.
        """
        new = load_catalogue(data, fmt)
        _, old = await self.current()
        change = diff(old, new)
        body = canonical_json(new)
        sha = _sha256(body)
        if dry_run:
            existing = await self._id_of(sha)
            return ImportResult(change, existing, dry_run=True, created=False)
        for _attempt in range(2):
            try:
                version_id, created = await self._activate(new, body, sha, fmt, who)
                break
            except IntegrityError:
                continue  # another hub stored the same body at the same moment: reuse it
        else:
            raise HubError(ErrorCode.CONFLICT, "catalogue import raced another; try again")
        log.info("catalogue %s is current (version %d): %s", new.version, version_id,
                 change.summary())  # fmt: skip
        return ImportResult(change, version_id, dry_run=False, created=created)

    async def _activate(
        self, new: Catalogue, body: bytes, sha: str, fmt: str, who: Principal | None
    ) -> tuple[int, bool]:
        now = utcnow()
        async with self._db.session() as s, s.begin():
            row = await s.scalar(select(CatalogueVersion).where(CatalogueVersion.sha256 == sha))
            created = row is None
            if row is None:
                row = CatalogueVersion(
                    label=new.version,
                    sha256=sha,
                    body=body.decode("utf-8"),
                    format=fmt,
                    imported_by=who.subject_id if who is not None else None,
                    imported_at=now,
                )
                s.add(row)
                await s.flush()
            await s.execute(
                update(CatalogueVersion)
                .where(CatalogueVersion.id != row.id, CatalogueVersion.current.is_(True))
                .values(current=False)
            )
            row.current = True
            row.activated_at = now
            s.add(
                audit_entry(
                    who,
                    "catalogue.import",
                    None,
                    version_id=row.id,
                    label=new.version,
                    created=created,
                )
            )
            version_id = row.id
        self._parsed[version_id] = (sha, new)
        return version_id, created

    async def _seed(self) -> None:
        sample = load_sample()
        body = canonical_json(sample)
        with contextlib.suppress(IntegrityError):  # another hub seeded it first
            await self._activate(sample, body, _sha256(body), "json", None)
        log.info("seeded the sample catalogue %s", sample.version)

    async def _current_row(self) -> tuple[int, str] | None:
        async with self._db.session() as s:
            return await _current_row_in(s)

    async def _id_of(self, sha: str) -> int | None:
        async with self._db.session() as s:
            found: int | None = await s.scalar(
                select(CatalogueVersion.id).where(CatalogueVersion.sha256 == sha)
            )
        return found

    async def _load(self, version_id: int, sha: str) -> Catalogue:
        cached = self._parsed.get(version_id)
        if cached is not None and cached[0] == sha:
            return cached[1]
        async with self._db.session() as s:
            body = await s.scalar(
                select(CatalogueVersion.body).where(CatalogueVersion.id == version_id)
            )
        if body is None:
            raise HubError(ErrorCode.NOT_FOUND, f"no catalogue version {version_id}")
        catalogue = Catalogue.model_validate_json(body)
        self._parsed[version_id] = (sha, catalogue)
        return catalogue


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def _current_row_in(s: AsyncSession) -> tuple[int, str] | None:
    """`(id, sha256)` of the current version; the highest id wins should two hubs' imports
    ever both leave a current row."""
    row = (
        await s.execute(
            select(CatalogueVersion.id, CatalogueVersion.sha256)
            .where(CatalogueVersion.current.is_(True))
            .order_by(CatalogueVersion.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1])


_parsed: dict[str, Catalogue] = {}


async def current_in(s: AsyncSession) -> tuple[int, Catalogue] | tuple[None, None]:
    """The current version `(id, catalogue)` read in the caller's transaction, or `(None, None)`.

    A case is opened inside `CallStore.take`'s transaction; on SQLite the hub has one
    connection, so the catalogue must be read with that same session, never a second one
    (`CatalogueStore.current()` opens its own). The hub seeds the sample at start-up, so a
    running hub always has a current version.
    """
    row = await _current_row_in(s)
    if row is None:
        return None, None
    version_id, sha = row
    if sha not in _parsed:
        body = await s.scalar(
            select(CatalogueVersion.body).where(CatalogueVersion.id == version_id)
        )
        _parsed.clear()  # only the newest is worth keeping
        _parsed[sha] = Catalogue.model_validate_json(body or "")
    return version_id, _parsed[sha]
