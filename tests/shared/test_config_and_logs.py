"""Typed config loading with environment overrides, and ID numbers kept out of logs."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel

from shared.config import ConfigError, load_config
from shared.logs import (
    FILE_BACKUPS,
    FILE_MAX_BYTES,
    JournalFormatter,
    JsonFormatter,
    PrivateDailyFileHandler,
    PrivateRotatingFileHandler,
    RedactingFilter,
    add_security_log,
    redact,
)


class _Hub(BaseModel):
    url: str = "https://127.0.0.1:8443"
    retries: int = 3


class _Sample(BaseModel):
    config_dir: Path | None = None
    name: str = "kiosk"
    hub: _Hub = _Hub()
    tags: list[str] = []


def test_file_values_and_env_overrides(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('name = "一号机"\n[hub]\nurl = "https://hub:1"\n', encoding="utf-8")
    env = {"VW_KIOSK__HUB__RETRIES": "7", "VW_KIOSK__TAGS": '["a", "b"]', "OTHER": "x"}
    cfg = load_config(_Sample, path, "VW_KIOSK", environ=env)
    assert cfg.name == "一号机"
    assert cfg.hub.url == "https://hub:1"
    assert cfg.hub.retries == 7
    assert cfg.tags == ["a", "b"]
    assert cfg.config_dir == tmp_path.resolve()


def test_bad_config_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[hub]\nretries = "many"\n')
    with pytest.raises(ConfigError, match=r"hub\.retries"):
        load_config(_Sample, path, "VW_KIOSK", environ={})


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(_Sample, tmp_path / "nope.toml", "VW_KIOSK", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_config(_Sample, broken, "VW_KIOSK", environ={})


def test_redact_masks_id_numbers() -> None:
    assert redact("card 11010519491231002X read") == "card 110105********002X read"
    assert redact("permit ABC123456789012 ok") == "permit ABC************ ok"
    # Not an ID number: longer digit runs and short numbers stay as they are.
    assert redact("ticket 42, port 8443") == "ticket 42, port 8443"
    assert redact("1101051949123100211") == "1101051949123100211"


def test_redacting_filter_rewrites_records() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "read %s", ("11010519491231002X",), None
    )
    RedactingFilter().filter(record)
    assert "11010519491231002X" not in record.getMessage()
    assert "110105********002X" in record.getMessage()


def _record(message: str, *args: object, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("vw.test", level, __file__, 1, message, args, None)


def test_json_lines_are_one_object_per_record_and_redacted() -> None:
    line = JsonFormatter("hub").format(_record("read %s", "110101199003077777"))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "read 110101********7777" and entry["level"] == "INFO"
    assert entry["process"] == "hub" and entry["logger"] == "vw.test"
    assert entry["time"].endswith("+00:00")


def test_journal_lines_carry_a_priority_and_no_timestamp() -> None:
    assert JournalFormatter().format(_record("up")) == "<6>vw.test: up"
    two = JournalFormatter().format(_record("a\nb", level=logging.ERROR))
    assert two == "<3>vw.test: a\n<3>b"  # every line keeps its priority


def test_log_files_are_private_rotate_and_keep_the_security_log_180_days(
    tmp_path: Path,
) -> None:
    old = os.umask(0o022)
    try:
        path = add_security_log("hub", tmp_path, 190, ("vw.test.security",))
        handler = PrivateRotatingFileHandler(tmp_path / "hub.log", maxBytes=200, backupCount=3)
    finally:
        os.umask(old)
    security = next(
        h
        for h in logging.getLogger("vw.test.security").handlers
        if isinstance(h, PrivateDailyFileHandler)
    )
    try:
        assert security.backupCount == 190 and security.when == "MIDNIGHT"
        logging.getLogger("vw.test.security").info("audit login by user:1")
        security.flush()
        assert "audit login by user:1" in path.read_text()
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        for i in range(40):
            handler.emit(_record("line %d of some length to rotate", i))
        names = sorted(p.name for p in tmp_path.glob("hub.log*"))
        assert names == ["hub.log", "hub.log.1", "hub.log.2", "hub.log.3"]
        for name in names:
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640, name
        assert FILE_MAX_BYTES * (FILE_BACKUPS + 1) > 25_000_000  # more than the old 5 x 5 MB
    finally:
        handler.close()
        logging.getLogger("vw.test.security").removeHandler(security)
        security.close()


def test_a_traceback_holding_an_id_number_is_redacted_in_the_written_log(tmp_path: Path) -> None:
    log = logging.getLogger("test.redact.traceback")
    handler = logging.FileHandler(tmp_path / "t.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(RedactingFilter())
    log.addHandler(handler)
    try:
        try:
            raise ValueError("the number 11010519491231002X does not check")
        except ValueError:
            log.exception("storing failed")
        log.warning("where we were", stack_info=True)  # a stack is redacted too
    finally:
        log.removeHandler(handler)
        handler.close()
    written = (tmp_path / "t.log").read_text(encoding="utf-8")
    assert "ValueError: the number 110105********002X does not check" in written
    assert "11010519491231002X" not in written and "Stack (most recent call last)" in written
