"""Tests of xlcheck.xlsx: real workbooks from xlsxwriter/openpyxl read correctly, and every
hostile or foreign file ends in a PackageError with the exact code, leaving the file unchanged."""

from __future__ import annotations

import pickle
import random
import tracemalloc
from pathlib import Path

import pytest

import xlsx_fixtures as fx
from xlcheck.xlsx import Limits, PackageError, RawCell, classify_bytes, open_package
from xlcheck.xlsx.container import CHUNK_SIZE


@pytest.fixture(scope="module")
def xw_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fx.build_xlsxwriter_workbook(tmp_path_factory.mktemp("xw") / "form.xlsx")


@pytest.fixture(scope="module")
def op_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fx.build_openpyxl_workbook(tmp_path_factory.mktemp("op") / "form.xlsx")


def expect_code(path: Path, code: str, limits: Limits = Limits()) -> PackageError:  # noqa: B008
    """Open and read every sheet; assert the error code and that the file is unchanged."""
    before = fx.sha256(path)
    with pytest.raises(PackageError) as caught:
        package = open_package(path, limits)
        for info in package.sheets:
            package.read_sheet(info.name)
    assert caught.value.code == code, caught.value.detail
    assert fx.sha256(path) == before
    return caught.value


# --- real workbooks -------------------------------------------------------------------------


def test_xlsxwriter_workbook_facts(xw_path: Path) -> None:
    package = open_package(xw_path)
    assert [(s.name, s.state, s.part) for s in package.sheets] == [
        (fx.INFO, "visible", "xl/worksheets/sheet1.xml"),
        ("附表", "hidden", "xl/worksheets/sheet2.xml"),
        ("lists", "veryHidden", "xl/worksheets/sheet3.xml"),
    ]
    person = package.defined_names["applications.new.natural_person"]
    assert (person.ref, person.target_sheet, person.target_cell) == (
        f"'{fx.INFO}'!$B$2",
        fx.INFO,
        "B2",
    )
    assert person.local_sheet_index is None
    block = package.defined_names["applications.block"]
    assert (block.target_sheet, block.target_cell) == (fx.INFO, None)
    local = package.defined_names[f"{fx.INFO}!local_name"]
    assert (local.local_sheet_index, local.target_cell) == (0, "B3")
    assert package.custom_properties == {
        "form_id": "disclosure-2021",
        "version": "3",
        "final": "true",
    }
    assert (package.core_properties.title, package.core_properties.creator) == ("年报", "测试")
    assert package.app_name == "Microsoft Excel"
    assert not package.workbook_protected and not package.has_vba
    assert package.external_links == []
    assert "xl/workbook.xml" in package.member_names


def test_xlsxwriter_cells(xw_path: Path) -> None:
    data = open_package(xw_path).read_sheet(fx.INFO)
    values = {ref: (cell.kind, cell.value) for ref, cell in data.cells.items()}
    assert values["B2"] == values["C2"] == ("text", "张三")
    assert values["B3"] == ("text", "１２")
    assert values["B4"] == ("text", "3.0")
    assert values["B6"] == ("text", fx.ID_NUMBER)
    assert values["B7"] == ("number", 12) and isinstance(data.cells["B7"].value, int)
    assert values["B9"] == ("bool", True)
    assert values["B10"] == ("text", " 3 ")
    assert data.cells["B8"] == RawCell("B8", 286.66, "number", "B5+B7", 286.66)
    assert data.cells["B11"] == RawCell("B11", "多", "text", 'IF(B7>1,"多","少")', "多")
    assert data.protected and data.merged == ["D2:E3"]
    assert (data.max_row_seen, data.rows_beyond) == (11, False)


def test_wanted_cells_and_extra_count(xw_path: Path) -> None:
    data = open_package(xw_path).read_sheet(fx.INFO, wanted=["$b$2", "B7", "Z99"])
    assert set(data.cells) == {"B2", "B7", "Z99"}
    assert data.cells["Z99"] == RawCell("Z99", None, "empty")
    assert data.extra_cells == 11  # A1 C2 D2 B3 B4 B5 B6 B8 B9 B10 B11; styled empties excluded


def test_max_row_stops_and_reports_rows_beyond(xw_path: Path) -> None:
    data = open_package(xw_path).read_sheet(fx.INFO, max_row=4)
    assert data.rows_beyond and data.max_row_seen == 4
    assert "B5" not in data.cells and data.cells["B4"].value == "3.0"
    assert data.protected and data.merged == ["D2:E3"]


def test_bytes_source_reads_the_same(xw_path: Path) -> None:
    from_bytes = open_package(xw_path.read_bytes()).read_sheet(fx.INFO)
    assert from_bytes == open_package(xw_path).read_sheet(fx.INFO)


def test_openpyxl_workbook(op_path: Path) -> None:
    package = open_package(op_path)
    assert package.workbook_protected
    assert package.defined_names["org.name"].target_cell == "B2"
    broken = package.defined_names["broken"]
    assert (broken.ref, broken.target_sheet, broken.target_cell) == ("#REF!", None, None)
    data = package.read_sheet(fx.INFO)
    assert data.cells["B2"].value == "李四" and data.cells["B3"].value == "１２"
    assert data.cells["B4"] == RawCell("B4", 3.5, "number")
    assert data.cells["B6"] == RawCell("B6", None, "empty", "SUM(B4:B5)", None)
    assert data.cells["B7"] == RawCell("B7", fx.ID_NUMBER, "text")
    assert data.protected


@pytest.mark.parametrize("ns", [fx.MAIN_NS, fx.STRICT_NS])
def test_prefixed_namespaces_shared_formulas_inline_text(
    xw_path: Path, tmp_path: Path, ns: str
) -> None:
    path = fx.rewrite_zip(
        xw_path, tmp_path / "p.xlsx", {"xl/worksheets/sheet2.xml": fx.prefixed_sheet(ns)}
    )
    data = open_package(path).read_sheet("附表")
    cells = data.cells
    assert cells["A2"].value == 274.65999999999997
    assert cells["B1"] == RawCell("B1", 2, "number", "A1*2", 2)
    assert cells["B2"] == RawCell("B2", 5, "number", "A1*2", 5, shared_from="B1")
    assert cells["A3"] == RawCell("A3", " 富 文本", "text")  # phonetic run excluded
    assert cells["B3"].shared_from == "B1"
    assert cells["C3"] == RawCell("C3", "#DIV/0!", "error")
    assert data.protected and data.merged == ["A5:B5"]


def test_classify_bytes() -> None:
    assert classify_bytes(b"PK\x03\x04rest") == "zip"
    assert classify_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"x") == "ole"
    assert classify_bytes(b"%PDF-1.7") == "unknown"


def test_package_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(PackageError("zip_bomb", "big")))
    assert (error.code, error.detail) == ("zip_bomb", "big")


# --- hostile and foreign files --------------------------------------------------------------


def test_not_a_zip(tmp_path: Path) -> None:
    pdf = tmp_path / "form.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    expect_code(pdf, "not_zip")
    noise = tmp_path / "noise.xlsx"
    noise.write_bytes(random.Random(1).randbytes(5000))
    expect_code(noise, "not_zip")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    expect_code(empty, "empty")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PackageError) as caught:
        open_package(tmp_path / "nope.xlsx")
    assert caught.value.code == "not_found"


def test_file_too_large(xw_path: Path) -> None:
    expect_code(xw_path, "too_large", Limits(max_file_bytes=1000))


def test_truncated_xlsx(xw_path: Path, tmp_path: Path) -> None:
    half = tmp_path / "half.xlsx"
    data = xw_path.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    expect_code(half, "corrupt")


def test_legacy_xls(tmp_path: Path) -> None:
    expect_code(fx.build_ole(tmp_path / "old.xlsx", ["Workbook"]), "legacy_xls")
    expect_code(fx.build_ole(tmp_path / "old95.xls", ["Book"]), "legacy_xls")


def test_encrypted_ooxml(tmp_path: Path) -> None:
    path = fx.build_ole(tmp_path / "locked.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    expect_code(path, "encrypted")


def test_garbled_ole_is_legacy(tmp_path: Path) -> None:
    path = tmp_path / "bad.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\xff" * 600)
    expect_code(path, "legacy_xls")


def test_ods(tmp_path: Path) -> None:
    expect_code(fx.build_ods(tmp_path / "form.xlsx"), "ods")


def test_zip_without_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    expect_code(path, "not_xlsx")


def test_declared_huge_member(xw_path: Path, tmp_path: Path) -> None:
    path = fx.declare_huge_size(xw_path, tmp_path / "bomb.xlsx", "xl/worksheets/sheet1.xml", 2**31)
    expect_code(path, "zip_bomb")


def test_high_ratio_member(xw_path: Path, tmp_path: Path) -> None:
    path = fx.rewrite_zip(
        xw_path, tmp_path / "bomb.xlsx", {"xl/media/zeros.bin": fx.zeros(20 * 2**20)}
    )
    assert path.stat().st_size < 200_000
    expect_code(path, "zip_bomb")


def test_total_and_member_count_limits(xw_path: Path) -> None:
    expect_code(xw_path, "zip_bomb", Limits(max_total_uncompressed=1000))
    expect_code(xw_path, "too_many_parts", Limits(max_members=3))


def test_doctype_in_sheet(xw_path: Path, tmp_path: Path) -> None:
    path = fx.rewrite_zip(
        xw_path, tmp_path / "xxe.xlsx", {"xl/worksheets/sheet1.xml": fx.XXE_SHEET}
    )
    expect_code(path, "doctype")


def test_billion_laughs_shared_strings(xw_path: Path, tmp_path: Path) -> None:
    path = fx.rewrite_zip(
        xw_path, tmp_path / "lol.xlsx", {"xl/sharedStrings.xml": fx.BILLION_LAUGHS}
    )
    expect_code(path, "doctype")


def test_doctype_in_workbook_part(xw_path: Path, tmp_path: Path) -> None:
    workbook = fx.read_member(xw_path, "xl/workbook.xml")
    head, sep, rest = workbook.partition(b"?>")
    hostile = head + sep + b'<!DOCTYPE w [<!ENTITY e "x">]>' + rest
    path = fx.rewrite_zip(xw_path, tmp_path / "wb.xlsx", {"xl/workbook.xml": hostile})
    expect_code(path, "doctype")


def test_bad_shared_string_index(xw_path: Path, tmp_path: Path) -> None:
    sheet = fx.read_member(xw_path, "xl/worksheets/sheet1.xml")
    hostile = sheet.replace(b'<c r="B2" t="s"><v>', b'<c r="B2" t="s"><v>9999', 1)
    assert hostile != sheet
    path = fx.rewrite_zip(xw_path, tmp_path / "idx.xlsx", {"xl/worksheets/sheet1.xml": hostile})
    expect_code(path, "corrupt")


def test_timeout(xw_path: Path) -> None:
    expect_code(xw_path, "timeout", Limits(max_seconds=-1.0))


def test_million_rows_below_template(xw_path: Path, tmp_path: Path) -> None:
    sheet = fx.read_member(xw_path, "xl/worksheets/sheet1.xml")
    junk = fx.sheet_with_junk_rows(sheet, 12, 1_000_000)
    path = fx.rewrite_zip(xw_path, tmp_path / "junk.xlsx", {"xl/worksheets/sheet1.xml": junk})
    before = fx.sha256(path)
    package = open_package(path)
    tracemalloc.start()
    data = package.read_sheet(fx.INFO, wanted=["B2", "B7"], max_row=11)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert data.rows_beyond and data.max_row_seen == 11
    assert data.cells["B2"].value == "张三" and data.cells["B7"].value == 12
    assert data.protected and data.merged == ["D2:E3"]
    # The work is bounded, not timed: the XML parser sees the template's rows and the chunk that
    # holds row 12, then only the part's end; the ~40 MB of junk rows are skipped by byte search.
    part_size = sum(len(chunk) for chunk in fx.sheet_with_junk_rows(sheet, 12, 1_000_000))
    assert part_size > 30 * 2**20
    assert data.parsed_bytes < len(sheet) + 3 * CHUNK_SIZE, data.parsed_bytes
    assert peak < 8 * 2**20, peak
    assert fx.sha256(path) == before


def test_rows_scan_capped_by_limits(xw_path: Path, tmp_path: Path) -> None:
    sheet = fx.read_member(xw_path, "xl/worksheets/sheet1.xml")
    junk = fx.sheet_with_junk_rows(sheet, 12, 50_000)
    path = fx.rewrite_zip(xw_path, tmp_path / "junk.xlsx", {"xl/worksheets/sheet1.xml": junk})
    data = open_package(path, Limits(max_rows_scanned=100)).read_sheet(fx.INFO)
    assert data.rows_beyond and data.max_row_seen == 100 and data.protected


def test_vba_project_flagged(xw_path: Path, tmp_path: Path) -> None:
    path = fx.rewrite_zip(xw_path, tmp_path / "m.xlsx", {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})
    assert open_package(path).has_vba


def test_external_link_listed(xw_path: Path, tmp_path: Path) -> None:
    rels = (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/externalLinkPath" '
        f'Target="{fx.EXTERNAL_URL}" TargetMode="External"/></Relationships>'
    ).encode()
    link = f'<externalLink xmlns="{fx.MAIN_NS}"><externalBook/></externalLink>'.encode()
    path = fx.rewrite_zip(
        xw_path,
        tmp_path / "link.xlsx",
        {
            "xl/externalLinks/externalLink1.xml": link,
            "xl/externalLinks/_rels/externalLink1.xml.rels": rels,
        },
    )
    package = open_package(path)
    assert package.external_links == ["xl/externalLinks/externalLink1.xml"]
    assert package.external_link_targets == {package.external_links[0]: [fx.EXTERNAL_URL]}


def test_random_corruption_only_raises_package_error(xw_path: Path) -> None:
    """Flipped bytes and truncations anywhere: a result or a PackageError, nothing else."""
    original = xw_path.read_bytes()
    rng = random.Random(20240601)
    codes: set[str] = set()
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.2:
            data = data[: rng.randrange(len(data))]
        try:
            package = open_package(bytes(data))
            for info in package.sheets:
                package.read_sheet(info.name)
        except PackageError as error:
            codes.add(error.code)
    assert codes <= {"corrupt", "not_zip", "empty", "zip_bomb", "not_xlsx", "too_many_parts"}


def test_streaming_path_matches_whole_part_path(
    xw_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts above WHOLE_PART_BYTES are streamed; both paths must give the same answers."""
    path = fx.rewrite_zip(
        xw_path, tmp_path / "p.xlsx", {"xl/worksheets/sheet2.xml": fx.prefixed_sheet(fx.MAIN_NS)}
    )
    names = [fx.INFO, "附表"]
    whole = [open_package(path).read_sheet(name) for name in names]
    partial = [open_package(path).read_sheet(name, max_row=2) for name in names]
    monkeypatch.setattr("xlcheck.xlsx.package.WHOLE_PART_BYTES", 0)
    assert [open_package(path).read_sheet(name) for name in names] == whole
    assert [open_package(path).read_sheet(name, max_row=2) for name in names] == partial
    lol = fx.rewrite_zip(
        xw_path, tmp_path / "lol.xlsx", {"xl/sharedStrings.xml": fx.BILLION_LAUGHS}
    )
    expect_code(lol, "doctype")


def test_shared_string_cap(xw_path: Path) -> None:
    expect_code(xw_path, "too_large", Limits(max_shared_strings=2))


# --- workbook.xml and its rels parsed once per distinct content ------------------------------


def test_repeated_workbook_part_is_parsed_once(xw_path: Path, tmp_path: Path) -> None:
    """A batch of one template: the second file with the same workbook.xml and rels reuses
    the first one's sheets and names instead of parsing them again."""
    from xlcheck.xlsx.workbook import read_workbook_facts

    first = open_package(xw_path)
    before = read_workbook_facts.cache_info()
    renamed = fx.rewrite_zip(xw_path, tmp_path / "copy.xlsx", {})
    second = open_package(renamed)
    after = read_workbook_facts.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses
    assert second.sheets == first.sheets and second.defined_names == first.defined_names
    second.defined_names.clear()  # a package's own copy: the cache is not shared mutably
    assert open_package(xw_path).defined_names == first.defined_names


def test_other_workbook_part_is_not_served_from_the_cache(xw_path: Path, tmp_path: Path) -> None:
    workbook = fx.read_member(xw_path, "xl/workbook.xml")
    name = open_package(xw_path).sheets[0].name
    other = workbook.replace(f'name="{name}"'.encode(), b'name="Renamed"', 1)
    path = fx.rewrite_zip(xw_path, tmp_path / "other.xlsx", {"xl/workbook.xml": other})
    assert open_package(path).sheets[0].name == "Renamed"
    assert open_package(xw_path).sheets[0].name == name


def test_hostile_workbook_part_fails_every_time(xw_path: Path, tmp_path: Path) -> None:
    workbook = fx.read_member(xw_path, "xl/workbook.xml")
    head, sep, rest = workbook.partition(b"?>")
    hostile = head + sep + b'<!DOCTYPE w [<!ENTITY e "x">]>' + rest
    path = fx.rewrite_zip(xw_path, tmp_path / "wb.xlsx", {"xl/workbook.xml": hostile})
    expect_code(path, "doctype")
    expect_code(path, "doctype")
