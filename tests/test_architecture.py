"""The rooms of docs/ARCHITECTURE.md: only ui packages (and the Qt entry points) touch Qt.

import-linter checks the contracts in pyproject.toml (`make lint`); this test makes
sure the contract names every non-ui module, so a new module cannot slip past it.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("shared", "kiosk", "backoffice_console")
QT_MODULES = ("PySide6", "qasync", "shiboken6")


def _qt_contract_sources() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        if "PySide6" in contract.get("forbidden_modules", []):
            return list(contract["source_modules"])
    raise AssertionError("no contract forbids PySide6")


def _is_ui(module: str) -> bool:
    parts = module.split(".")
    return "ui" in parts or (parts[-1] == "__main__" and parts[:2] != ["backoffice_console", "hub"])


def _modules() -> list[str]:
    found = []
    for root in ROOTS:
        for path in (REPO / root).rglob("*.py"):
            rel = path.relative_to(REPO).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append(".".join(parts))
    return found


def test_every_non_ui_module_is_under_the_qt_contract() -> None:
    sources = _qt_contract_sources()
    uncovered = [
        module
        for module in _modules()
        if not _is_ui(module)
        and module not in ROOTS
        and not any(module == s or module.startswith(s + ".") for s in sources)
    ]
    assert uncovered == [], f"add these to the PySide6 contract in pyproject.toml: {uncovered}"


def test_no_qt_import_outside_ui_packages() -> None:
    offenders = []
    for root in ROOTS:
        for path in (REPO / root).rglob("*.py"):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            if _is_ui(module):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(n.split(".")[0] in QT_MODULES for n in names):
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
