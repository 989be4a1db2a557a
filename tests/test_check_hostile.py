"""Hostile and broken submissions through the whole checker (and the CLI): one clear finding
naming the file, exit 1, no traceback, the input never modified. Built from our real template."""

from __future__ import annotations

import resource
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from documents import sum_input, valid_values_for
from xlcheck.check import check_path
from xlcheck.form import Form
from xlcheck.xlsx.container import CHUNK_SIZE
from xlcheck.xlsxout import write_template
from xlsx_fixtures import (
    BILLION_LAUGHS,
    build_ods,
    build_ole,
    declare_huge_size,
    read_member,
    rewrite_zip,
    sha256,
    sheet_with_junk_rows,
)

T3_PART = "xl/worksheets/sheet5.xml"  # 填报说明, 基本信息, 一, 二, 三: the fifth sheet


@pytest.fixture()
def filled(form: Form, tmp_path: Path) -> Path:
    path = tmp_path / "filled.xlsx"
    write_template(form, path, values=valid_values_for(form, 1))
    return path


def hostile_files(form: Form, good: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, the one code it must give)."""
    return {
        "legacy_xls": (build_ole(folder / "老格式.xlsx", ["Workbook"]), "F03"),
        "wps_et": (build_ole(folder / "报表.et", ["Workbook"]), "F03"),
        "encrypted": (
            build_ole(folder / "加密.xlsx", ["EncryptionInfo", "EncryptedPackage"]),
            "F04",
        ),
        "ods": (build_ods(folder / "报表.ods"), "F05"),
        "zip_bomb": (declare_huge_size(good, folder / "bomb.xlsx", T3_PART, 3 * 2**30), "F07"),
        "billion_laughs": (
            rewrite_zip(good, folder / "laughs.xlsx", {"xl/sharedStrings.xml": BILLION_LAUGHS}),
            "F08",
        ),
        "truncated": (_truncated(good, folder / "半截.xlsx"), "F06"),
    }


def _truncated(good: Path, target: Path) -> Path:
    target.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return target


@pytest.mark.form_2021  # about the package reader, not a form
@pytest.mark.parametrize(
    "name", ["legacy_xls", "wps_et", "encrypted", "ods", "zip_bomb", "billion_laughs", "truncated"]
)
def test_each_hostile_file_gets_one_located_line(
    form: Form, filled: Path, tmp_path: Path, name: str
) -> None:
    path, code = hostile_files(form, filled, tmp_path)[name]
    before = sha256(path)
    result = check_path(path, form)
    assert [f.code for f in result.findings] == [code]
    assert path.name in result.findings[0].text("zh")
    assert sha256(path) == before


def test_macros_and_external_links_are_reported_not_run(
    form: Form, filled: Path, tmp_path: Path
) -> None:
    path = rewrite_zip(
        filled,
        tmp_path / "macro.xlsx",
        {
            "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0not really",
            "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>',
        },
    )
    result = check_path(path, form)
    assert {"S09", "S08"} <= {f.code for f in result.findings} and result.valid


class _CountingParser(ET.XMLPullParser):  # type: ignore[type-arg]
    """The stdlib pull parser, counting the bytes it is given (the reader's XML work)."""

    fed = 0

    def feed(self, data: bytes | str) -> None:
        _CountingParser.fed += len(data)
        super().feed(data)


def test_a_million_rows_below_the_template_cost_little(
    form: Form, filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = read_member(filled, T3_PART)
    path = rewrite_zip(
        filled, tmp_path / "junk.xlsx", {T3_PART: sheet_with_junk_rows(original, 100, 1_000_000)}
    )
    monkeypatch.setattr(ET, "XMLPullParser", _CountingParser)
    _CountingParser.fed = 0
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = check_path(path, form)
    key = sum_input(form).key
    assert result.valid and result.values[key] == valid_values_for(form, 1)[key]
    # bounded work, never wall time: the streaming reader stops parsing after the template's
    # last row and skips the ~40 MB of junk rows by byte search
    assert _CountingParser.fed < len(original) + 3 * CHUNK_SIZE, _CountingParser.fed
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 200_000  # KiB


@pytest.mark.form_2021  # the CLI's default form; about bad files, not a form
def test_cli_gives_exit_1_and_no_traceback_for_a_batch_of_bad_files(
    form: Form, filled: Path, tmp_path: Path
) -> None:
    files = [p for p, _ in hostile_files(form, filled, tmp_path).values()]
    run = subprocess.run(
        [sys.executable, "-m", "xlcheck", "check", *map(str, files), str(filled)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout.count(" — 无法读取（") == len(files) and "✓" in run.stdout


def test_kind_is_decided_by_content_not_by_name(form: Form, filled: Path, tmp_path: Path) -> None:
    from docs_fixtures import report_document_for
    from xlcheck.render.docx_report import write_report

    report = tmp_path / "报告.bin"
    write_report(form, report_document_for(form), report)
    assert check_path(report, form).kind == "import"
    workbook = tmp_path / "报表.docx"
    workbook.write_bytes(filled.read_bytes())
    assert check_path(workbook, form).kind == "xlsx" and check_path(workbook, form).valid


@pytest.mark.form_2021  # about the package reader, not a form
def test_randomly_damaged_workbooks_never_raise(form: Form, filled: Path) -> None:
    """200 copies with random bytes overwritten: each is read, or refused with one finding."""
    import random

    from xlcheck.check import check_bytes

    original = filled.read_bytes()
    rng = random.Random(7)
    outcomes = set()
    for _ in range(200):
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            start = rng.randrange(len(data))
            data[start : start + rng.randint(1, 16)] = rng.randbytes(rng.randint(1, 16))
        result = check_bytes(bytes(data), "damaged.xlsx", form)
        assert result.readable or len(result.findings) == 1
        outcomes.add(result.readable)
    assert outcomes == {True, False}  # some damage is harmless (e.g. in a zip comment), most is not


def test_json_that_python_would_accept_but_json_does_not(form: Form) -> None:
    import json as jsonlib

    from documents import input_counts, set_at, valid_document_for
    from xlcheck.check import check_bytes

    amount = next(f for f in form.fields.values() if f.type == "amount")
    count = input_counts(form)[0]
    doc = valid_document_for(form, 1)
    set_at(doc, amount.key, 7654.321)  # stand-ins, replaced in the JSON text below
    set_at(doc, count.key, 987654321)
    text = jsonlib.dumps(doc, ensure_ascii=False)
    for constant in ("NaN", "Infinity", "-Infinity"):
        bad = text.replace("7654.321", constant, 1)
        result = check_bytes(bad.encode(), "n.json", form)
        assert [f.code for f in result.findings] == ["F11"] and constant.strip(
            "-"
        ) in result.findings[0].text()
    huge = text.replace("987654321", "1e400", 1)
    codes = {(f.code, f.pointer) for f in check_bytes(huge.encode(), "h.json", form).findings}
    assert ("V13", count.pointer) in codes  # read as inf: out of the plausible range
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    assert [f.code for f in check_bytes(deep, "d.json", form).findings] == ["F11"]
    listed = jsonlib.loads(text)
    listed["agency"]["tier"] = ["county"]
    assert "/agency/tier" in {
        f.pointer for f in check_bytes(jsonlib.dumps(listed).encode(), "l.json", form).findings
    }
