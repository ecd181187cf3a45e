"""The matter catalogue over HTTP: the current version, the stored versions, an import.

Hub: `backoffice_console/hub/catalogue/routes.py` (`get_catalogue`, `list_versions`,
`get_version`, `import_catalogue`). The import's body is the file itself (JSON or
CSV, no model); it answers `CatalogueImported`, or a `CatalogueRejected` listing
the file's problems (422; 200 on a dry run, which only checks). The catalogue
itself is `shared.catalogue.model.Catalogue`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, RootModel

from shared.catalogue.model import Catalogue
from shared.protocol.base import Model
from shared.protocol.http import ErrorBody


class CatalogueReply(Model):
    """`GET /api/v1/catalogue` (with an ETag) and `GET /api/v1/catalogue/versions/{id}`."""

    version_id: int
    label: str
    """The catalogue's own version label (`Catalogue.version`)."""
    catalogue: Catalogue


class CatalogueVersion(Model):
    """A stored version without its body."""

    id: int
    label: str
    sha256: str
    format: str
    """`json` or `csv`: what was imported."""
    imported_at: datetime
    imported_by: int | None
    activated_at: datetime | None
    current: bool
    matters: int


class CatalogueVersions(Model):
    """`GET /api/v1/catalogue/versions` (admins): newest first."""

    versions: list[CatalogueVersion]


class ChangedEntry(Model):
    """A line or matter in both versions, with the fields that differ."""

    code: str
    fields: list[str]


class CatalogueChanges(Model):
    """What an import changes (`shared.catalogue.diff.CatalogueDiff` as JSON)."""

    old_version: str | None
    new_version: str
    lines_added: list[str]
    lines_removed: list[str]
    lines_changed: list[ChangedEntry]
    matters_added: list[str]
    matters_removed: list[str]
    matters_changed: list[ChangedEntry]


class CatalogueProblem(Model):
    """One thing wrong with an imported file: `row` (CSV line) and/or `field` say where."""

    message: str
    row: int | None
    field: str | None


class CatalogueImported(Model):
    """Reply to `POST /api/v1/catalogue/import?format=json|csv[&dry_run=1]`: the file is fine."""

    ok: Literal[True]
    dry_run: bool
    version_id: int | None
    """The version now current (on a dry run: the stored identical one, if any)."""
    created: bool
    diff: CatalogueChanges
    summary: str
    problems: list[CatalogueProblem]
    """Always empty here."""


class CatalogueRejected(ErrorBody):
    """A catalogue file with problems: 422 to an import, 200 to a dry run (nothing changed)."""

    ok: Literal[False]
    problems: list[CatalogueProblem]


class CatalogueImportReply(RootModel[CatalogueImported | CatalogueRejected]):
    """What `POST /api/v1/catalogue/import` answers with 200 (`ok` tells which)."""

    root: CatalogueImported | CatalogueRejected = Field(discriminator="ok")


__all__ = [
    "CatalogueChanges",
    "CatalogueImportReply",
    "CatalogueImported",
    "CatalogueProblem",
    "CatalogueRejected",
    "CatalogueReply",
    "CatalogueVersion",
    "CatalogueVersions",
    "ChangedEntry",
]
