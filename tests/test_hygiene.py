"""The suite's own rules, checked on its source: no fixed sleeps, no silent skips.

A fixed sleep "long enough for X to happen" fails on a loaded machine and wastes
time on an idle one: tests wait on the condition (`tests/support/waiting.py`).
A sleep that is not a wait (a stand-in that must be slow, a pause that watches
that nothing happens) says so on its line with `# not a wait: <why>`. A sleep
inside a loop is a poll and is fine.

A test that needs a real stack fails when it cannot have it: `pytest.skip` and
`skipif` are kept for what a machine may legitimately lack (another platform),
each listed here with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
MARKER = "# not a wait:"
ALLOWED_SKIPS = {
    "shared/test_memory.py": "glibc's malloc arenas exist only on Linux",
}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _in_loop(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    while parent is not None and not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
        if isinstance(parent, ast.While | ast.For | ast.AsyncFor):
            return True
        parent = parents.get(parent)
    return False


def _sleeps(path: Path, root: Path = TESTS) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        first = node.args[0]
        if name != "sleep" or (isinstance(first, ast.Constant) and first.value == 0):
            continue
        if _in_loop(node, parents) or MARKER in lines[node.lineno - 1]:
            continue
        found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def _test_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if p.resolve() != Path(__file__).resolve())


def test_no_fixed_sleep_waits_for_something() -> None:
    found = [hit for path in _test_files() for hit in _sleeps(path)]
    assert not found, (
        "fixed sleeps in tests (wait on the condition with tests.support.waiting, or mark "
        f"a sleep that is not a wait with '{MARKER} <why>'):\n" + "\n".join(found)
    )


def test_no_silent_skips() -> None:
    found = []
    for path in _test_files():
        rel = str(path.relative_to(TESTS))
        text = path.read_text(encoding="utf-8")
        if ("pytest.skip(" in text or "mark.skipif" in text or "importorskip" in text) and (
            rel not in ALLOWED_SKIPS
        ):
            found.append(rel)
    assert not found, f"tests that skip instead of failing when a stack is missing: {found}"


def test_the_checks_see_what_they_forbid(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import asyncio, time\n"
        "async def t():\n"
        "    await asyncio.sleep(0.2)\n"
        "    await asyncio.sleep(0)\n"
        "    time.sleep(1)  # not a wait: a slow stand-in\n"
        "    while True:\n"
        "        await asyncio.sleep(0.05)\n",
        encoding="utf-8",
    )
    assert _sleeps(sample, tmp_path) == ["sample.py:3: asyncio.sleep(0.2)"]
