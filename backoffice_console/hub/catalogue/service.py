"""The catalogue from the command line: `vw-hub import-catalogue FILE [--dry-run]`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from backoffice_console.hub.catalogue.store import CatalogueStore
from backoffice_console.hub.core.config import HubConfig
from backoffice_console.hub.db import Database
from shared.catalogue.io import (
    CatalogueError,
)


async def import_catalogue_cli(config: HubConfig, path: Path, dry_run: bool) -> int:
    """`vw-hub import-catalogue FILE [--dry-run]`: print the diff (or the problems); exit status."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "json"
    data = await asyncio.to_thread(path.read_bytes)
    db = Database(config.db_url)
    try:
        await db.migrate()
        result = await CatalogueStore(db).import_(data, fmt, None, dry_run=dry_run)
    except CatalogueError as exc:
        print(f"{path}: {len(exc.problems)} problem(s), nothing imported", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    change = result.diff
    print(("dry run: " if dry_run else "") + change.summary())
    for label, codes in (
        ("lines added", change.lines_added),
        ("lines removed", change.lines_removed),
        ("matters added", change.matters_added),
        ("matters removed", change.matters_removed),
    ):
        if codes:
            print(f"  {label}: {', '.join(codes)}")
    for item in change.lines_changed + change.matters_changed:
        print(f"  changed {item.code}: {', '.join(item.fields)}")
    if not dry_run:
        print(f"current version: {result.version_id}")
    return 0
