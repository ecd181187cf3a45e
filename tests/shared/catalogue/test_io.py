"""Catalogue files: the sample, JSON/CSV loading with located problems, round trips, diffs."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.catalogue import DEVICE_KINDS, Catalogue, Line, MaterialItem, Matter
from shared.catalogue.diff import CatalogueDiff, diff
from shared.catalogue.io import (
    CatalogueError,
    Problem,
    canonical_json,
    dump_csv,
    dump_json,
    load_catalogue,
    load_sample,
)


def test_sample_is_a_full_sample_catalogue() -> None:
    cat = load_sample()
    assert cat.sample is True and cat.version == "2026.11-sample"
    assert len(cat.lines) == 11 and len(cat.matters) >= 45
    per_line = Counter(m.line for m in cat.matters)
    assert set(per_line) == {line.code for line in cat.lines}, "every line has matters"
    assert min(per_line.values()) >= 3
    assert all(line.name_en for line in cat.lines)
    assert any(not m.remote for m in cat.matters) and sum(m.remote for m in cat.matters) > 40
    assert {m.difficulty for m in cat.matters} == {"simple", "complex"}
    assert any(m.originals for m in cat.matters)
    assert Counter(d for m in cat.matters for d in m.devices)["idcard"] >= 40
    for device in ("doccam", "printer", "signpad"):
        assert any(device in m.devices for m in cat.matters), device
    for m in cat.matters:
        assert m.materials, m.code
        # The touch keyboard searches by letters: the first keyword is the pinyin initials.
        assert m.keywords and m.keywords[0].isascii() and m.keywords[0].isalpha(), m.code
    dbsq = next(m for m in cat.matters if m.name == "低保申请")
    assert "dbsq" in dbsq.keywords and dbsq.line == "civil"


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _csv_of(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def test_csv_round_trip_of_the_sample_and_excel_bom() -> None:
    cat = load_sample()
    data = dump_csv(cat)
    assert data.startswith("\ufeff".encode())
    assert load_catalogue(data, "csv") == cat
    assert load_catalogue(dump_json(cat), "json") == cat
    assert load_catalogue(canonical_json(cat), "json") == cat
    # A file saved without the BOM reads the same.
    assert load_catalogue(data.removeprefix("\ufeff".encode()), "csv") == cat


def _problems(data: bytes, fmt: str) -> list[Problem]:
    with pytest.raises(CatalogueError) as info:
        load_catalogue(data, fmt)
    assert info.value.problems, "an error always says what is wrong"
    assert str(info.value).startswith("catalogue rejected: ")
    return info.value.problems


def test_csv_problems_are_located() -> None:
    rows = _csv_rows(dump_csv(load_sample()))
    header = rows[2]
    col = {name: header.index(name) for name in header}
    first = 4  # file row numbers: 1 #version, 2 #sample, 3 header, 4 first matter
    rows[3][col["code"]] = ""  # missing field
    rows[5][col["code"]] = rows[4][col["code"]]  # duplicate of row 5's code, on row 6
    rows[6][col["line"]] = "nosuch"  # unknown line... with a name of its own: the line is new
    rows[7][col["remote"]] = "maybe"  # bad boolean
    rows[8][col["devices"]] = "idcard;fax"
    rows[9][col["materials"]] = "id|身份证|ID|urgent"
    rows[10][col["line_name"]] = "另一个名字"  # the same line named differently
    problems = _problems(_csv_of(rows), "csv")
    where = {(p.row, p.field) for p in problems}
    assert (first, "code") in where
    assert (first + 2, "code") in where and any("duplicate" in p.message for p in problems)
    assert (first + 4, "remote") in where
    assert any(p.row == first + 5 and "devices" in (p.field or "") for p in problems)
    assert (first + 6, "materials") in where
    assert (first + 7, "line_name") in where
    # A matter on a line nobody named can only come from JSON; in CSV a line is declared by use,
    # so "nosuch" is a new line, which is fine on its own.
    assert not any(p.row == first + 3 for p in problems)


def test_csv_file_level_problems() -> None:
    good = dump_csv(load_sample())
    assert "not UTF-8" in _problems(good.decode("utf-8-sig").encode("gb18030"), "csv")[0].message
    rows = _csv_rows(good)
    no_version = _csv_of(rows[1:])
    assert any("version" in p.message for p in _problems(no_version, "csv"))
    missing_col = [r[:3] + r[4:] for r in rows[2:]]  # drop the code column
    assert any(p.field == "code" for p in _problems(_csv_of([rows[0], *missing_col]), "csv"))
    short = [*rows[:4], rows[4][:5]]
    assert _problems(_csv_of(short), "csv")[0].row == 5
    malformed = good + b'civil,"unterminated\n'
    assert _problems(malformed, "csv")
    assert _problems(_csv_of([rows[0], [*rows[2], "colour"]]), "csv")[0].field == "colour"
    assert _problems(b"", "csv")
    assert _problems(good, "xml")[0].field == "format"


def test_json_problems_are_located() -> None:
    raw = json.loads(dump_json(load_sample()))
    raw["matters"][1]["code"] = raw["matters"][0]["code"]
    raw["matters"][2]["line"] = "nosuch"
    del raw["matters"][3]["name"]
    raw["matters"][4]["remote"] = "perhaps"
    problems = _problems(json.dumps(raw, ensure_ascii=False).encode(), "json")
    fields = {p.field for p in problems}
    assert {"matters[1].code", "matters[2].line", "matters[3].name", "matters[4].remote"} <= fields
    assert _problems(b'{"version": "x", "lines": [', "json")[0].row == 1
    assert _problems(b"[1, 2]", "json")[0].message == "the top level must be an object"


def test_diff_names_what_changed() -> None:
    old = load_sample()
    matters = list(old.matters)
    removed = matters.pop(0)
    changed = matters[0].model_copy(update={"name": "改名", "remote": not matters[0].remote})
    matters[0] = changed
    added = Matter(code="union.new", line="union", name="新事项", devices=["idcard"])
    extra_line = Line(code="extra", name="新条线")
    extra = Matter(code="extra.one", line="extra", name="新条线事项")
    new = old.model_copy(
        update={
            "version": "2026.12",
            "lines": [*old.lines, extra_line],
            "matters": [*matters, added, extra],
        }
    )
    result = diff(old, new)
    assert result.lines_added == ["extra"] and not result.lines_removed
    assert result.matters_removed == [removed.code]
    assert result.matters_added == ["union.new", "extra.one"]
    assert [(c.code, c.fields) for c in result.matters_changed] == [
        (changed.code, ["name", "remote"])
    ]
    assert result.summary() == "2026.11-sample -> 2026.12: lines +1; matters +2 -1 ~1"
    assert CatalogueDiff.model_validate_json(result.model_dump_json()) == result
    same = diff(old, old)
    assert same.empty and same.summary().endswith("no changes")
    assert diff(None, old).matters_added == [m.code for m in old.matters]


_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda t: t == t.strip())  # a spreadsheet cell is read without surrounding blanks
_code = st.from_regex(r"[a-z][a-z0-9_.-]{0,8}", fullmatch=True)


@st.composite
def _catalogues(draw: st.DrawFn) -> Catalogue:
    line_codes = draw(st.lists(_code, min_size=1, max_size=3, unique=True))
    lines = [Line(code=c, name=draw(_text), name_en=draw(st.none() | _text)) for c in line_codes]
    matter_codes = draw(st.lists(_code, min_size=len(lines), max_size=6, unique=True))
    matters = []
    for i, code in enumerate(matter_codes):
        items = [
            MaterialItem(
                code=c,
                name=draw(_text),
                name_en=draw(st.none() | _text),
                original_required=draw(st.booleans()),
                optional=draw(st.booleans()),
                note=draw(st.just("") | _text),
            )
            for c in draw(st.lists(_code, max_size=3, unique=True))
        ]
        matters.append(
            Matter(
                code=code,
                line=line_codes[i % len(line_codes)],  # every line used: CSV declares by use
                name=draw(_text),
                remote=draw(st.booleans()),
                difficulty=draw(st.sampled_from(["simple", "complex"])),
                materials=items,
                devices=draw(st.lists(st.sampled_from(DEVICE_KINDS), unique=True)),
                keywords=draw(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), max_size=3)),
                notes=draw(st.just("") | _text),
            )
        )
    return Catalogue(version=draw(_code), lines=lines, matters=matters)


@settings(max_examples=120, deadline=None)
@given(_catalogues())
def test_csv_round_trip_property(cat: Catalogue) -> None:
    assert load_catalogue(dump_csv(cat), "csv") == cat
