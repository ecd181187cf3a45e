"""The rooms of docs/ARCHITECTURE.md: only ui packages (and the Qt entry points) touch Qt.

import-linter checks the contracts in pyproject.toml (`make lint`); this test makes
sure the contract names every non-ui module, so a new module cannot slip past it.
The modules of each package in ACYCLIC_PACKAGES import each other without a cycle.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("shared", "kiosk", "backoffice_console")
QT_MODULES = ("PySide6", "qasync", "shiboken6")
ACYCLIC_PACKAGES = (
    "backoffice_console.ui",
    "kiosk.ui",
    "backoffice_console.hub",
)
"""Packages whose modules must not import each other in a circle (one package a line)."""


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


def _cycles_within(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """One import cycle (`[a, b, ..., a]`) per strongly connected group of `package`'s modules.

    Only imports between modules of `package` count, `if TYPE_CHECKING:` ones included
    (grimp sees them): a cycle that leaves the package is not this package's cycle.
    """
    modules = {package} | set(graph.find_descendants(package))
    imports = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    # Tarjan's strongly connected components; each group of 2+ modules (or a module
    # importing itself) holds a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in imports[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1 or module in imports[module]:
                groups.append(sorted(group))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return [_cycle_through(group, imports) for group in sorted(groups)]


def _cycle_through(group: list[str], imports: dict[str, list[str]]) -> list[str]:
    """The shortest import path from the group's first module back to itself, within the group."""
    start = group[0]
    paths = [[start]]
    seen: set[str] = set()
    while paths:
        path = paths.pop(0)
        for imported in imports[path[-1]]:
            if imported == start:
                return [*path, start]
            if imported in group and imported not in seen:
                seen.add(imported)
                paths.append([*path, imported])
    raise AssertionError(f"no cycle through {start}")  # cannot happen in a strong component


def test_no_import_cycle_inside_the_acyclic_packages() -> None:
    graph = grimp.build_graph(*ROOTS)
    cycles = [
        " -> ".join(cycle)
        for package in ACYCLIC_PACKAGES
        for cycle in _cycles_within(graph, package)
    ]
    assert cycles == [], "import cycles (break them along a seam):\n" + "\n".join(cycles)


def test_the_cycle_finder_sees_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d", "other"):
        graph.add_module(module)
    for importer, imported in [
        ("pkg.a", "pkg.b"), ("pkg.b", "pkg.c"), ("pkg.c", "pkg.a"),  # a cycle
        ("pkg.d", "other"), ("other", "pkg.d"),  # leaves the package: not counted
        ("pkg.d", "pkg.a"),
    ]:  # fmt: skip
        graph.add_import(importer=importer, imported=imported)
    assert _cycles_within(graph, "pkg") == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
