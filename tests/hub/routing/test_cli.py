"""`vw-hub add-user --lines`: the officer's lines are stored; bad lines change nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from backoffice_console.hub.__main__ import run
from backoffice_console.hub.accounts.models import User
from backoffice_console.hub.core.config import load_hub_config
from backoffice_console.hub.db.engine import Database
from backoffice_console.hub.provision import CONFIG_NAME, prepare_dir
from tests.support.hub_fixtures import use_database


async def _users(url: str) -> dict[str, list[str]]:
    db = Database(url)
    try:
        async with db.session() as s:
            return {u.username: list(u.lines) for u in await s.scalars(select(User))}
    finally:
        await db.dispose()


def test_add_user_with_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None
) -> None:
    prepare_dir(tmp_path / "hub", [], port=0)
    use_database(tmp_path / "hub" / CONFIG_NAME, database_url)
    config = load_hub_config(tmp_path / "hub" / CONFIG_NAME)
    toml = str(tmp_path / "hub" / CONFIG_NAME)
    password = tmp_path / "pw"
    password.write_text("correct horse 1\n")
    common = ["--password-file", str(password), "--display-name", "王芳"]
    assert (
        run(
            ["--config", toml, "add-user", "--username", "wang", "--lines", "civil,medins", *common]
        )
        == 0
    )
    assert run(["--config", toml, "add-user", "--username", "li", *common]) == 0
    assert (
        run(["--config", toml, "add-user", "--username", "bad", "--lines", "civil,no pe", *common])
        == 1
    )
    assert run(["--config", toml, "add-user", "--username", "none", "--lines", " , ", *common]) == 1
    users = asyncio.run(_users(config.db_url))
    assert users == {"wang": ["civil", "medins"], "li": ["*"]}
