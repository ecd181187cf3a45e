"""Reading and writing catalogue files: JSON or CSV bytes -> a validated `Catalogue`.

Every problem found is collected (not just the first) with where it is, so an
admin can fix a whole file in one go; `CatalogueError.problems` lists them.

JSON: the `Catalogue` model as it is (see shared/catalogue/model.py).

CSV (UTF-8, a BOM is allowed; Excel's "CSV UTF-8" format): one row per matter.
  - Optional leading rows whose first cell is `#version` or `#sample` carry the
    catalogue's version label and sample flag in the second cell (a version can
    also be passed to `load_catalogue`).
  - Then a header row, then the matters. Columns (header names, any order):
      line, line_name, line_name_en  the matter's line: code plus its name (a column pair,
                                     the English name optional); lines are listed in order of
                                     first appearance and must be named the same on every row
      code, name, name_en            the matter
      remote                         true/false (also 1/0, yes/no, 是/否); default true
      difficulty                     simple | complex; default simple
      devices, keywords              lists separated by ";"
      materials                      items separated by ";", each `code|name|name_en|flags|note`
                                     (trailing parts may be left out; flags: `original` and/or
                                     `optional` joined by "+"), or a JSON array of MaterialItem
                                     objects when a text holds ";" or "|"
      notes                          free text
    Required columns: line, line_name, code, name. Unknown columns are a problem.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from shared.assets import assets_dir
from shared.catalogue.model import Catalogue, Line, MaterialItem, Matter
from shared.protocol.wirejson import JsonRefused, read_json

Format = Literal["json", "csv"]
MAX_BYTES = 8 * 1024 * 1024
SAMPLE_NAME = Path("catalogue") / "sample.json"
CSV_COLUMNS = (
    "line",
    "line_name",
    "line_name_en",
    "code",
    "name",
    "name_en",
    "remote",
    "difficulty",
    "devices",
    "keywords",
    "materials",
    "notes",
)
REQUIRED_COLUMNS = ("line", "line_name", "code", "name")
_TRUE = {"true", "1", "yes", "y", "是"}
_FALSE = {"false", "0", "no", "n", "否"}
_MAX_PROBLEMS = 200
_SEPARATORS = {";", "；", "|", "\n", "\r"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: `row` (CSV line number, 1-based) and/or `field` say where."""

    message: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, Any]:
        """The problem as a JSON object."""
        return asdict(self)


class CatalogueError(ValueError):
    """A catalogue file that cannot be used; `problems` says everything that is wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems[:_MAX_PROBLEMS]
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"catalogue rejected: {shown}{more}")


def load_catalogue(data: bytes, fmt: str, *, version: str | None = None) -> Catalogue:
    """Parse and validate catalogue bytes in `fmt` ("json" or "csv"); raise CatalogueError."""
    if fmt not in ("json", "csv"):
        raise CatalogueError([Problem(f"unknown format {fmt!r} (json or csv)", field="format")])
    if len(data) > MAX_BYTES:
        raise CatalogueError([Problem(f"file larger than {MAX_BYTES} bytes")])
    text = _decode(data)
    if fmt == "json":
        return _from_json(text, version)
    return _from_csv(text, version)


def load_sample() -> Catalogue:
    """The sample catalogue shipped in assets/catalogue/sample.json."""
    return load_catalogue((assets_dir() / SAMPLE_NAME).read_bytes(), "json")


def canonical_json(catalogue: Catalogue) -> bytes:
    """The catalogue as canonical UTF-8 JSON (sorted keys, no spaces): what the hub stores."""
    body = catalogue.model_dump(mode="json")
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def dump_json(catalogue: Catalogue) -> bytes:
    """The catalogue as readable, indented UTF-8 JSON."""
    body = catalogue.model_dump(mode="json", exclude_defaults=True)
    body["version"] = catalogue.version
    return json.dumps(body, ensure_ascii=False, indent=1).encode()


def dump_csv(catalogue: Catalogue) -> bytes:
    """The catalogue as CSV (layout in the module docstring), UTF-8 with a BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["#version", catalogue.version])
    if catalogue.sample:
        writer.writerow(["#sample", "true"])
    writer.writerow(CSV_COLUMNS)
    for matter in catalogue.matters:
        if any(_SEPARATORS & set(k) for k in matter.keywords):
            raise ValueError(f"matter {matter.code}: a keyword holds a list separator")
        line = catalogue.line(matter.line)
        assert line is not None  # the model guarantees known lines
        writer.writerow(
            [
                line.code,
                line.name,
                line.name_en or "",
                matter.code,
                matter.name,
                matter.name_en or "",
                "true" if matter.remote else "false",
                matter.difficulty,
                ";".join(matter.devices),
                ";".join(matter.keywords),
                _materials_cell(matter.materials),
                matter.notes,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogueError(
            [Problem(f"not UTF-8 (byte {exc.start}); save the file as UTF-8", row=line)]
        ) from None
    return text.removeprefix("\ufeff")


def _from_json(text: str, version: str | None) -> Catalogue:
    try:
        raw = read_json(text)
    except JsonRefused as exc:
        raise CatalogueError([Problem(f"malformed JSON: {exc.reason}", row=exc.line)]) from None
    if not isinstance(raw, dict):
        raise CatalogueError([Problem("the top level must be an object")])
    if version and "version" not in raw:
        raw["version"] = version
    problems = _reference_problems(raw)
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            if not error["loc"] and problems:
                continue  # the model's own duplicate/unknown-line check, already located above
            problems.append(Problem(_message(error), field=_path(error["loc"])))
        raise CatalogueError(problems) from None


def _reference_problems(raw: dict[str, Any]) -> list[Problem]:
    """Duplicate codes and unknown lines, located (the model only says what, not where)."""
    problems: list[Problem] = []
    lines = raw.get("lines") if isinstance(raw.get("lines"), list) else []
    matters = raw.get("matters") if isinstance(raw.get("matters"), list) else []
    seen: set[Any] = set()
    for i, line in enumerate(lines or []):
        code = line.get("code") if isinstance(line, dict) else None
        if code in seen:
            problems.append(Problem(f"duplicate line code {code}", field=f"lines[{i}].code"))
        seen.add(code)
    line_codes = set(seen)
    seen = set()
    for i, matter in enumerate(matters or []):
        if not isinstance(matter, dict):
            continue
        code = matter.get("code")
        if code is not None and code in seen:
            problems.append(Problem(f"duplicate matter code {code}", field=f"matters[{i}].code"))
        seen.add(code)
        line = matter.get("line")
        if isinstance(line, str) and line not in line_codes:
            problems.append(Problem(f"unknown line {line}", field=f"matters[{i}].line"))
    return problems


def _from_csv(text: str, version: str | None) -> Catalogue:
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise CatalogueError([Problem(f"malformed CSV: {exc}")]) from None
    problems: list[Problem] = []
    sample = False
    start = 0
    while start < len(rows) and rows[start] and rows[start][0].startswith("#"):
        key, value = rows[start][0].lower(), (rows[start][1:2] or [""])[0].strip()
        if key == "#version":
            version = value or version
        elif key == "#sample":
            flag = _bool(value)
            if flag is None:
                problems.append(
                    Problem(f"not a boolean: {value!r}", row=start + 1, field="#sample")
                )
            sample = bool(flag)
        start += 1
    if start >= len(rows):
        raise CatalogueError([Problem("no header row")])
    header = [h.strip().lower() for h in rows[start]]
    header_row = start + 1
    problems += _header_problems(header, header_row)
    if not version:
        problems.append(Problem("no catalogue version (a '#version' row)", row=1))
    if problems:
        raise CatalogueError(problems)
    lines: dict[str, Line] = {}
    matters: list[Matter] = []
    first_row: dict[str, int] = {}
    for offset, cells in enumerate(rows[start + 1 :], start=header_row + 1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(f"{len(cells)} cells, the header has {len(header)}", row=offset)
            )
            continue
        row = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        line = _csv_line(row, offset, lines, problems)
        matter = _csv_matter(row, offset, problems)
        if matter is None:
            continue
        if matter.code in first_row:
            problems.append(
                Problem(
                    f"duplicate matter code {matter.code} (first on row {first_row[matter.code]})",
                    row=offset,
                    field="code",
                )
            )
            continue
        first_row[matter.code] = offset
        if line is not None:
            matters.append(matter)
    if problems:
        raise CatalogueError(problems)
    try:
        return Catalogue(
            version=version or "", sample=sample, lines=list(lines.values()), matters=matters
        )
    except ValidationError as exc:
        raise CatalogueError(
            [Problem(_message(e), field=_path(e["loc"]) or None) for e in exc.errors()]
        ) from None


def _header_problems(header: list[str], row: int) -> list[Problem]:
    problems = [
        Problem(f"missing column {name}", row=row, field=name)
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    for name in header:
        if name not in CSV_COLUMNS:
            problems.append(Problem(f"unknown column {name!r}", row=row, field=name))
    for name in sorted({h for h in header if header.count(h) > 1}):
        problems.append(Problem(f"column {name} appears twice", row=row, field=name))
    return problems


def _csv_line(
    row: dict[str, str], at: int, lines: dict[str, Line], problems: list[Problem]
) -> Line | None:
    try:
        line = Line(
            code=row["line"], name=row["line_name"], name_en=row.get("line_name_en") or None
        )
    except ValidationError as exc:
        for e in exc.errors():
            field = {"code": "line", "name": "line_name", "name_en": "line_name_en"}
            problems.append(Problem(_message(e), row=at, field=field.get(str(e["loc"][0]), "line")))
        return None
    known = lines.setdefault(line.code, line)
    if known != line:
        problems.append(
            Problem(
                f"line {line.code} is named differently on an earlier row",
                row=at,
                field="line_name",
            )
        )
        return None
    return known


def _csv_matter(row: dict[str, str], at: int, problems: list[Problem]) -> Matter | None:
    fields: dict[str, Any] = {
        "code": row["code"],
        "line": row["line"],
        "name": row["name"],
        "name_en": row.get("name_en") or None,
        "difficulty": row.get("difficulty") or "simple",
        "devices": _list(row.get("devices", "")),
        "keywords": _list(row.get("keywords", "")),
        "notes": row.get("notes", ""),
    }
    ok = True
    if row.get("remote"):
        remote = _bool(row["remote"])
        if remote is None:
            problems.append(Problem(f"not a boolean: {row['remote']!r}", row=at, field="remote"))
            ok = False
        fields["remote"] = remote
    try:
        fields["materials"] = _parse_materials(row.get("materials", ""))
    except ValueError as exc:
        problems.append(Problem(str(exc), row=at, field="materials"))
        ok = False
    if not ok:
        return None
    try:
        return Matter.model_validate(fields)
    except ValidationError as exc:
        for e in exc.errors():
            problems.append(Problem(_message(e), row=at, field=_path(e["loc"]) or "code"))
        return None


def _parse_materials(cell: str) -> list[dict[str, Any]]:
    if cell.startswith("["):
        try:
            items = read_json(cell)
        except JsonRefused as exc:
            raise ValueError(f"malformed JSON list: {exc.reason}") from None
        if not isinstance(items, list):
            raise ValueError("must be a JSON array")
        return items
    items = []
    for part in _list(cell):
        code, name, name_en, flags, note = (part.split("|") + [""] * 5)[:5]
        if part.count("|") > 4:
            raise ValueError(f"too many '|' in {part!r}")
        flag_set = {f.strip().lower() for f in flags.split("+") if f.strip()}
        unknown = flag_set - {"original", "optional"}
        if unknown:
            raise ValueError(f"unknown flag(s) {sorted(unknown)} in {part!r}")
        items.append(
            {
                "code": code.strip(),
                "name": name.strip(),
                "name_en": name_en.strip() or None,
                "original_required": "original" in flag_set,
                "optional": "optional" in flag_set,
                "note": note.strip(),
            }
        )
    return items


def _materials_cell(items: list[MaterialItem]) -> str:
    texts = [t for i in items for t in (i.code, i.name, i.name_en or "", i.note)]
    if any(_SEPARATORS & set(t) for t in texts) or any(t != t.strip() for t in texts):
        return json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False)
    parts = []
    for item in items:
        flags = "+".join(
            f for f, on in (("original", item.original_required), ("optional", item.optional)) if on
        )
        fields = [item.code, item.name, item.name_en or "", flags, item.note]
        while fields and not fields[-1]:
            fields.pop()  # trailing empty parts may be left out
        parts.append("|".join(fields))
    return ";".join(parts)


def _list(cell: str) -> list[str]:
    return [p.strip() for p in cell.replace("；", ";").split(";") if p.strip()]


def _bool(value: str) -> bool | None:
    low = value.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> str:
    msg = str(error.get("msg", "invalid"))
    return "missing" if error.get("type") == "missing" else msg.removeprefix("Value error, ")
