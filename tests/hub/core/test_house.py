"""The hub as a house of domains (docs/ARCHITECTURE.md, "The hub's house").

import-linter's layers contract keeps the order (app, domains, core, db); these
tests keep the rest: every domain has the same file roles, domains meet only
through each other's `__init__`, only `routes.py` speaks aiohttp, no hub module
grows past 400 lines (test_architecture keeps it free of import circles), and the
domains' set-up order comes from what each declares it needs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

from backoffice_console.hub.app import DOMAINS
from backoffice_console.hub.core.domains import Domain, set_up_order

REPO = Path(__file__).resolve().parents[3]
HUB = REPO / "backoffice_console" / "hub"
NAMES = tuple(d.name for d in DOMAINS)
ROLES = ("__init__.py", "routes.py", "service.py", "store.py")
MAX_LINES = 400


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["backoffice_console", "hub"] and len(parts) > 2 and parts[2] in NAMES:
        return parts[2]
    return None


def test_every_domain_has_the_same_file_roles() -> None:
    for name in NAMES:
        folder = HUB / name
        missing = [role for role in ROLES if not (folder / role).is_file()]
        assert missing == [], f"{name} lacks {missing}"
        tables = any("__tablename__" in p.read_text() for p in folder.glob("*.py"))
        assert tables == (folder / "models.py").is_file(), f"{name}: tables belong in models.py"
        if tables:
            others = [
                p.name
                for p in folder.glob("*.py")
                if p.name != "models.py" and "__tablename__" in p.read_text()
            ]
            assert others == [], f"{name}: tables outside models.py in {others}"


def test_every_package_of_the_hub_is_a_domain_or_plumbing() -> None:
    packages = {p.parent.name for p in HUB.glob("*/__init__.py")}
    assert packages == {*NAMES, "core", "db", "migrations"}


def test_domains_meet_only_through_each_others_init() -> None:
    graph = grimp.build_graph("backoffice_console")
    wrong = []
    for importer in sorted(graph.modules):
        own = _domain_of(importer)
        if own is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            other = _domain_of(imported)
            if other is not None and other != own and imported != f"backoffice_console.hub.{other}":
                wrong.append(f"{importer} -> {imported}")
    assert wrong == [], "import the other domain's package, not its modules:\n" + "\n".join(wrong)


def _aiohttp_names(path: Path) -> set[str]:
    """What a module uses of aiohttp (`web.X` attributes, or names imported from it)."""
    tree = ast.parse(path.read_text())
    web_aliases = set()
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("aiohttp"):
            for alias in node.names:
                if alias.name == "web":
                    web_aliases.add(alias.asname or "web")
                else:
                    used.add(alias.name)
        elif isinstance(node, ast.Import) and any(a.name.startswith("aiohttp") for a in node.names):
            used.add("aiohttp")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in web_aliases
        ):
            used.add(f"web.{node.attr}")
    return used


def test_only_routes_modules_speak_http() -> None:
    wrong = {}
    for name in NAMES:
        for path in sorted((HUB / name).glob("*.py")):
            if path.name == "routes.py":
                continue
            used = _aiohttp_names(path) - {"web.AppKey"}  # a service names its own app key
            if used:
                wrong[f"{name}/{path.name}"] = sorted(used)
    assert wrong == {}, f"only routes.py handles HTTP: {wrong}"


def test_no_hub_module_is_longer_than_400_lines() -> None:
    long = {
        str(p.relative_to(HUB)): n
        for p in HUB.rglob("*.py")
        if "versions" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these along a real seam: {long}"


def test_set_up_order_follows_declared_needs() -> None:
    order = [d.name for d in set_up_order(DOMAINS)]
    for domain in DOMAINS:
        for need in domain.needs:
            assert order.index(need) < order.index(domain.name)


def test_set_up_refuses_a_missing_or_circular_need() -> None:
    def noop(_: object) -> None:
        return None

    with pytest.raises(ValueError, match="needs b, which is not in the hub"):
        set_up_order([Domain("a", noop, needs=("b",))])
    with pytest.raises(ValueError, match="needs itself"):
        set_up_order([Domain("a", noop, needs=("b",)), Domain("b", noop, needs=("a",))])
