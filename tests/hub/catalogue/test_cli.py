"""`vw-hub import-catalogue FILE [--dry-run]` in-process: diff printed, problems listed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backoffice_console.hub.__main__ import run
from backoffice_console.hub.catalogue.store import CatalogueStore
from backoffice_console.hub.core.config import load_hub_config
from backoffice_console.hub.db.engine import Database
from shared.catalogue.io import dump_csv, load_sample
from tests.support.hub_fixtures import use_database


async def _current_label(config_path: Path) -> tuple[int, str]:
    db = Database(load_hub_config(config_path).db_url)
    try:
        version_id, catalogue = await CatalogueStore(db).current()
    finally:
        await db.dispose()
    return version_id, catalogue.version


def test_import_catalogue_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str | None
) -> None:
    assert run(["init", "--dir", str(tmp_path / "hub")]) == 0
    config = next((tmp_path / "hub").rglob("hub.toml"))
    use_database(config, database_url)
    sample = load_sample()
    new = sample.model_copy(
        update={"version": "2026.12", "matters": [m for m in sample.matters if m.line != "union"]}
    )
    path = tmp_path / "new.csv"
    path.write_bytes(dump_csv(new))
    capsys.readouterr()

    assert run(["--config", str(config), "import-catalogue", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    # CSV declares lines by use, so the union line goes with its matters.
    assert out.startswith("dry run: 2026.11-sample -> 2026.12: lines -1; matters -3")
    assert "matters removed: union.knzg, union.ghrh, union.jqzx" in out
    seeded_id, label = asyncio.run(_current_label(config))
    assert label == "2026.11-sample", "a dry run imports nothing"

    assert run(["--config", str(config), "import-catalogue", str(path)]) == 0
    assert "current version: " in capsys.readouterr().out
    new_id, label = asyncio.run(_current_label(config))
    assert label == "2026.12" and new_id != seeded_id

    bad = tmp_path / "bad.csv"
    bad.write_bytes(dump_csv(new).replace(b",true,", b",perhaps,", 1))
    assert run(["--config", str(config), "import-catalogue", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s), nothing imported" in err and "row 4, remote: not a boolean" in err
    assert asyncio.run(_current_label(config)) == (new_id, "2026.12")
