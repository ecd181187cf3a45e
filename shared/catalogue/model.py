"""The catalogue's data model (pydantic, strict): lines, matters, required materials.

One `Catalogue` is one published version. Codes are stable identifiers (a case
records the matter code and the catalogue version it was handled under); names
are Chinese with an optional English name. `devices` says which kiosk devices a
matter cannot be handled without, so a kiosk whose printer has failed stops
offering the matters that need it (issue 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DeviceKind = Literal["idcard", "doccam", "printer", "signpad"]
DEVICE_KINDS: tuple[DeviceKind, ...] = ("idcard", "doccam", "printer", "signpad")
Difficulty = Literal["simple", "complex"]

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(_Strict):
    """A municipal line (条线), e.g. civil affairs or medical insurance."""

    code: Code
    name: Name
    name_en: Name | None = None


class MaterialItem(_Strict):
    """One entry of a matter's checklist ("please prepare ...")."""

    code: Code
    name: Name
    name_en: Name | None = None
    original_required: bool = False
    """The original must travel to the acceptance centre (material circulation)."""
    optional: bool = False
    note: Note = ""


class Matter(_Strict):
    """A matter (事项) residents can apply for."""

    code: Code
    line: Code
    name: Name
    name_en: Name | None = None
    remote: bool = True
    """Whether it can be handled through the remote window at all."""
    difficulty: Difficulty = "simple"
    materials: list[MaterialItem] = Field(default_factory=list, max_length=50)
    devices: list[DeviceKind] = Field(default_factory=list)
    """Kiosk devices the matter cannot be handled without."""
    keywords: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    notes: Note = ""

    @model_validator(mode="after")
    def _unique_items(self) -> Matter:
        codes = [item.code for item in self.materials]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"matter {self.code}: duplicate material codes {duplicates}")
        return self

    @property
    def originals(self) -> list[MaterialItem]:
        """The items whose originals must travel to the centre."""
        return [item for item in self.materials if item.original_required]


@dataclass(frozen=True)
class OfferedMatter:
    """A matter as a kiosk offers it: `missing_devices` empty means it can be chosen."""

    matter: Matter
    missing_devices: tuple[DeviceKind, ...]

    @property
    def available(self) -> bool:
        """Whether the kiosk can handle it now."""
        return self.matter.remote and not self.missing_devices


class Catalogue(_Strict):
    """One version of the catalogue. Validation rejects unknown lines and duplicate codes."""

    version: Annotated[str, Field(min_length=1, max_length=64)]
    sample: bool = False
    """True for the sample shipped in assets/ (not the authorities' real list)."""
    lines: list[Line] = Field(min_length=1, max_length=100)
    matters: list[Matter] = Field(min_length=1, max_length=5000)

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        problems: list[str] = []
        line_codes = [line.code for line in self.lines]
        for code in sorted({c for c in line_codes if line_codes.count(c) > 1}):
            problems.append(f"duplicate line code {code}")
        matter_codes = [m.code for m in self.matters]
        for code in sorted({c for c in matter_codes if matter_codes.count(c) > 1}):
            problems.append(f"duplicate matter code {code}")
        known = set(line_codes)
        for matter in self.matters:
            if matter.line not in known:
                problems.append(f"matter {matter.code}: unknown line {matter.line}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def line(self, code: str) -> Line | None:
        """The line with `code`, or None."""
        return next((line for line in self.lines if line.code == code), None)

    def matter(self, code: str) -> Matter | None:
        """The matter with `code`, or None."""
        return next((m for m in self.matters if m.code == code), None)

    def matters_of(self, line_code: str) -> list[Matter]:
        """The matters of one line, in catalogue order."""
        return [m for m in self.matters if m.line == line_code]

    def offered(self, unavailable: set[str] | frozenset[str]) -> list[OfferedMatter]:
        """Every matter with the devices it needs that are in `unavailable` (failed or absent)."""
        return [
            OfferedMatter(m, tuple(d for d in m.devices if d in unavailable)) for m in self.matters
        ]
