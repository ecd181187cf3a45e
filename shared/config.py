"""Typed configuration files with environment overrides.

Each process declares its settings as a pydantic model and loads them with
`load_config`: a TOML file gives the values, and environment variables named
`<PREFIX>__<SECTION>__<KEY>` (any case) override single values. An override's
value is read as JSON when it parses as JSON (numbers, booleans, lists), and as
a plain string otherwise. QSettings keeps only UI state, never these.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


class ConfigError(Exception):
    """A configuration file or override that cannot be used; the message says which."""


def _override_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _apply_env(data: dict[str, Any], prefix: str, environ: dict[str, str]) -> None:
    marker = prefix.upper() + "__"
    for name, raw in environ.items():
        if not name.upper().startswith(marker):
            continue
        path = [part.lower() for part in name[len(marker) :].split("__") if part]
        if not path:
            continue
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"{name}: {part} is not a section")
            node = child
        node[path[-1]] = _override_value(raw)


def load_config(
    model: type[ModelT],
    path: Path | None,
    env_prefix: str,
    environ: dict[str, str] | None = None,
) -> ModelT:
    """Read `path` (optional) and the environment into a validated `model`.

    Relative paths inside the file are the model's business; `config_dir` is
    passed to models that declare it so they can resolve them.
    """
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    _apply_env(data, env_prefix, dict(os.environ) if environ is None else environ)
    if "config_dir" in model.model_fields and path is not None:
        data.setdefault("config_dir", str(path.parent.resolve()))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        where = path if path is not None else "environment"
        raise ConfigError(f"{where}: {problems}") from None
