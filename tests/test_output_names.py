"""Names of the files and folders xlcheck makes from untrusted text (an office's 机关名称, an input's
file name): they never collide with the batch's own files or with each other, stay within 255 bytes,
carry no invisible bidi or zero-width characters, and the 汇总 links open the right file."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from batch_fixtures import office_values, workbook
from cli_run import xlcheck
from lo import SOFFICE
from lo import convert as lo_convert
from xlcheck.batch import SUMMARY_JSON, SUMMARY_XLSX
from xlcheck.batch.offices import OWN_NAMES, safe_filename
from xlcheck.batch.state import STATE_FILE, STORE_DIR
from xlcheck.filenames import NAME_MAX_BYTES, SUFFIX_ROOM, safe_name
from xlcheck.form import Form

EXT_B = "".join(chr(0x20000 + i) for i in range(70))  # 70 CJK Extension B characters, 4 bytes each
EMOJI = "😀🏛️📊" * 24
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
DEVICES = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{i}" for d in ("COM", "LPT") for i in range(10)}


def write_offices(form: Form, folder: Path, names: list[str], times: int = 1) -> None:
    """One valid workbook per name (`times` different ones: the later ones supersede)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        for sent in range(times):
            values = office_values(form, 1 + sent) | {"agency.name": name}
            values["agency.credit_code"] = None
            (folder / f"{index}-{sent}.xlsx").write_bytes(workbook(form, values))


def run_batch_cli(inbox: Path, out: Path) -> dict[str, Any]:
    run = xlcheck("batch", str(inbox), "-o", str(out), "--jobs", "2", "--drafts")
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    summary: dict[str, Any] = json.loads((out / SUMMARY_JSON).read_text("utf-8"))
    return summary


def placed(summary: dict[str, Any]) -> list[str]:
    return [rel for row in summary["rows"] for rel in row["outputs"].values()]


def office_folders(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


# ---- the one function that makes a name ------------------------------------------------------


@given(st.text(max_size=300))
def test_any_text_makes_a_safe_bounded_name(text: str) -> None:
    name = safe_filename(text)
    assert name and name == safe_filename(name)  # stable: a name made once is made again the same
    assert len(name.encode("utf-8")) + SUFFIX_ROOM <= NAME_MAX_BYTES
    assert not re.search(r'[\x00-\x1f\x7f<>:"/\\|?*#]', name) and not INVISIBLE.search(name)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in name)
    assert name[0] != "." and name[-1] not in " ."
    assert name.split(".")[0].rstrip(" ").upper() not in DEVICES
    assert name.casefold() not in {n.casefold() for n in OWN_NAMES}


def test_names_keep_what_people_read() -> None:
    assert safe_filename("某某县财政局") == "某某县财政局"
    assert safe_filename("某某\u202e局gpj.exe") == "某某局gpj.exe"
    assert safe_filename("\u200b.某某局") == "某某局"
    assert (
        safe_filename("汇总.xlsx") == "_汇总.xlsx"
        and safe_filename("SUMMARY.JSON") == "_SUMMARY.JSON"
    )
    assert safe_filename("com1.txt") == "_com1.txt" and safe_filename("NUL .x") == "_NUL .x"
    assert safe_name("a" * 300).encode() == b"a" * NAME_MAX_BYTES
    cut = safe_name(EXT_B, reserve=SUFFIX_ROOM)
    assert EXT_B.startswith(cut) and len(cut.encode()) <= NAME_MAX_BYTES - SUFFIX_ROOM


def test_own_names_are_every_name_the_batch_writes_at_the_top(form: Form, tmp_path: Path) -> None:
    assert {SUMMARY_XLSX, SUMMARY_JSON, STATE_FILE, STORE_DIR} <= OWN_NAMES
    write_offices(form, tmp_path / "in", ["某某县财政局"])
    run_batch_cli(tmp_path / "in", tmp_path / "out")
    top = {p.name for p in (tmp_path / "out").iterdir()} - {"某某县财政局"}
    assert top <= OWN_NAMES


# ---- issue 10.2: an office called like the batch's own files ---------------------------------


def test_offices_named_like_the_summary_get_their_own_folders(form: Form, tmp_path: Path) -> None:
    names = ["汇总.xlsx", "summary.json", "SUMMARY.JSON", ".xlcheck-state.sqlite", ".xlcheck-store"]
    write_offices(form, tmp_path / "in", names)
    out = tmp_path / "out"
    summary = run_batch_cli(tmp_path / "in", out)
    assert (out / SUMMARY_XLSX).is_file() and (out / SUMMARY_JSON).is_file()
    assert sorted(r["office"] for r in summary["rows"]) == sorted(names)
    assert all(r["status"] == "通过" for r in summary["rows"])
    folders = office_folders(out)
    assert len(folders) == len(names)
    assert not {f.casefold() for f in folders} & {n.casefold() for n in OWN_NAMES}
    assert placed(summary) and all((out / rel).is_file() for rel in placed(summary))


# ---- issue 10.4: names of 4-byte characters, sent twice --------------------------------------


def test_four_byte_names_sent_twice_stay_within_255_bytes(form: Form, tmp_path: Path) -> None:
    write_offices(form, tmp_path / "in", [EXT_B, EMOJI], times=2)
    out = tmp_path / "out"
    summary = run_batch_cli(tmp_path / "in", out)
    assert sorted(r["status"] for r in summary["rows"]) == ["已被新版本取代"] * 2 + ["通过"] * 2
    every = list(out.rglob("*"))
    assert not [p for p in every if p.name.endswith(".tmp")]
    assert max(len(p.name.encode()) for p in every) <= NAME_MAX_BYTES
    rels = placed(summary)
    assert sum("/superseded/" in rel for rel in rels) == 4  # JSON and Word of each earlier one
    assert all((out / rel).is_file() for rel in rels)


# ---- issue 10.15: links to names with %XX, bidi and zero-width characters --------------------

ODD_NAMES = [
    "某某%41局",
    "某某%2F局",
    "某某 局%",
    "某某\u202e局gpj.exe",
    "某某\u200b局",
    "某某[1]{2}局",
]


@pytest.fixture(scope="module")
def odd_batch(form: Form, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("odd")
    write_offices(form, root / "in", ODD_NAMES)
    return root / "out", run_batch_cli(root / "in", root / "out")


def relationship_targets(book: Path) -> list[str]:
    with zipfile.ZipFile(book) as package:
        rels = package.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")
    return [t.replace("&amp;", "&") for t in re.findall(r'Target="([^"]*)"', rels)]


def test_folder_names_carry_no_invisible_characters(odd_batch: tuple[Path, Any]) -> None:
    out, _ = odd_batch
    assert len(office_folders(out)) == len(ODD_NAMES)
    assert not [p for p in out.rglob("*") if INVISIBLE.search(p.name)]


def test_every_output_has_a_link_that_unquotes_to_it(odd_batch: tuple[Path, Any]) -> None:
    out, summary = odd_batch
    targets = [unquote(t.replace("\\", "/")) for t in relationship_targets(out / SUMMARY_XLSX)]
    assert targets and sorted(targets) == sorted(placed(summary))
    assert all((out / t).is_file() for t in targets)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_file_each_link_names(
    odd_batch: tuple[Path, Any], tmp_path: Path
) -> None:
    """What LibreOffice makes of each link: its HTML export writes the resolved file URL."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out, summary = odd_batch
    html = lo_convert(out / SUMMARY_XLSX, "html", tmp_path).read_text("utf-8", errors="replace")
    hrefs = [unquote(urlparse(h).path) for h in re.findall(r'<a href="(file:[^"]*)"', html)]
    assert sorted(hrefs) == sorted(str(out / rel) for rel in placed(summary))
    assert all(Path(h).is_file() for h in hrefs)


# ---- issue 10.9: convert of two inputs with one file name ------------------------------------


def test_convert_never_writes_one_output_over_another(form: Form, tmp_path: Path) -> None:
    sources = [
        tmp_path / "a" / "报表.xlsx",
        tmp_path / "b" / "报表.xlsx",
        tmp_path / "c" / "报表.XLSX",
    ]
    for index, source in enumerate(sources):
        source.parent.mkdir()
        values = office_values(form, index + 1) | {"agency.name": f"第{index}局"}
        source.write_bytes(workbook(form, values))
    out = tmp_path / "out"
    args = ["convert", *map(str, sources), "--to", "json", "--source-map", "--out-dir", str(out)]
    run = xlcheck(*args)
    assert run.returncode == 0, run.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        f"{stem}{suffix}"
        for stem in ("报表", "报表-2", "报表-3")
        for suffix in (".json", ".sourcemap.json")
    )
    agencies = [
        json.loads((out / f"{s}.json").read_text("utf-8")) for s in ("报表", "报表-2", "报表-3")
    ]
    assert [a["agency"]["name"] for a in agencies] == ["第0局", "第1局", "第2局"]
    lines = [line for line in run.stderr.splitlines() if str(out) in line]
    for source, stem in zip(sources, ("报表", "报表-2", "报表-3"), strict=True):
        assert any(str(source) in line and f"{stem}.json" in line for line in lines), run.stderr
    again = xlcheck(*args, "--lang", "en")  # the same names again; replacing them is said
    assert again.returncode == 0 and sorted(p.name for p in out.iterdir()) == names
    assert again.stderr.count("replaced") == 6, again.stderr


def test_check_error_workbooks_differ_where_case_does_not_tell_them_apart(tmp_path: Path) -> None:
    """On Windows and macOS Bad.errors.xlsx and bad.errors.xlsx are one file."""
    bad = Path(__file__).parents[1] / "examples" / "某县交通运输局-2024-有错误.xlsx"
    sources = [tmp_path / "a" / "Bad\u200b.xlsx", tmp_path / "b" / "bad.xlsx"]
    for source in sources:
        source.parent.mkdir()
        source.write_bytes(bad.read_bytes())
    out = tmp_path / "out"
    run = xlcheck("check", *map(str, sources), "--errors-dir", str(out))
    assert run.returncode == 1
    assert sorted(p.name for p in out.iterdir()) == ["Bad.errors.xlsx", "bad-2.errors.xlsx"]
    assert f"{sources[1]} → {out / 'bad-2.errors.xlsx'}" in run.stderr


def test_convert_of_an_input_with_a_name_of_248_bytes(form: Form, tmp_path: Path) -> None:
    source = tmp_path / f"{EXT_B[:62]}.xlsx"  # 253 bytes: its .sourcemap.json would be 263
    source.write_bytes(workbook(form, office_values(form, 1)))
    out = tmp_path / "out"
    run = xlcheck("convert", str(source), "--to", "json", "--source-map", "--out-dir", str(out))
    assert run.returncode == 0, run.stderr
    made = sorted(p.name for p in out.iterdir())
    assert [n.endswith(".json") and EXT_B.startswith(n.split(".")[0]) for n in made] == [True] * 2
    assert max(len(n.encode()) for n in made) <= NAME_MAX_BYTES
