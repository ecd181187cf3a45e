"""What changes between two catalogue versions: lines and matters added, removed, changed.

An admin sees this before confirming an import (dry run) and the hub returns it
after one; `CatalogueDiff` is a pydantic model, so it goes over the wire as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from shared.catalogue.model import Catalogue, Line, Matter


class Changed(BaseModel):
    """A line or matter present in both versions, with the names of the fields that differ."""

    model_config = ConfigDict(frozen=True)

    code: str
    fields: list[str]


class CatalogueDiff(BaseModel):
    """The difference from `old_version` to `new_version` (codes in catalogue order)."""

    model_config = ConfigDict(frozen=True)

    old_version: str | None
    new_version: str
    lines_added: list[str] = Field(default_factory=list)
    lines_removed: list[str] = Field(default_factory=list)
    lines_changed: list[Changed] = Field(default_factory=list)
    matters_added: list[str] = Field(default_factory=list)
    matters_removed: list[str] = Field(default_factory=list)
    matters_changed: list[Changed] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when no line or matter differs (the version label alone may)."""
        return not (
            self.lines_added
            or self.lines_removed
            or self.lines_changed
            or self.matters_added
            or self.matters_removed
            or self.matters_changed
        )

    def summary(self) -> str:
        """One short human line, e.g. "2026.11 -> 2026.12: matters +2 -1 ~3; lines +1"."""
        head = f"{self.old_version or '(none)'} -> {self.new_version}"
        if self.empty:
            return f"{head}: no changes"
        parts = []
        for label, added, removed, changed in (
            ("lines", self.lines_added, self.lines_removed, self.lines_changed),
            ("matters", self.matters_added, self.matters_removed, self.matters_changed),
        ):
            counts = [
                f"{sign}{len(items)}"
                for sign, items in (("+", added), ("-", removed), ("~", changed))
                if items
            ]
            if counts:
                parts.append(f"{label} {' '.join(counts)}")
        return f"{head}: {'; '.join(parts)}"


def diff(old: Catalogue | None, new: Catalogue) -> CatalogueDiff:
    """Compare two versions; `old` None (nothing imported yet) makes everything added."""
    old_lines: list[Line] = old.lines if old else []
    old_matters: list[Matter] = old.matters if old else []
    lines = _compare(
        {x.code: x for x in old_lines}, {x.code: x for x in new.lines}, Line.model_fields
    )
    matters = _compare(
        {x.code: x for x in old_matters}, {x.code: x for x in new.matters}, Matter.model_fields
    )
    return CatalogueDiff(
        old_version=old.version if old else None,
        new_version=new.version,
        lines_added=lines[0],
        lines_removed=lines[1],
        lines_changed=lines[2],
        matters_added=matters[0],
        matters_removed=matters[1],
        matters_changed=matters[2],
    )


def _compare(
    old: Mapping[str, Line | Matter],
    new: Mapping[str, Line | Matter],
    fields: Iterable[str],
) -> tuple[list[str], list[str], list[Changed]]:
    added = [code for code in new if code not in old]
    removed = [code for code in old if code not in new]
    changed = []
    for code, item in new.items():
        before = old.get(code)
        if before is None or before == item:
            continue
        names = [f for f in fields if getattr(before, f) != getattr(item, f)]
        changed.append(Changed(code=code, fields=names))
    return added, removed, changed
