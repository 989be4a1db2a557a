"""The one output layer (xlcheck.outputs): the registry of output kinds, the naming policy of a
single-file run and of the batch, and write_outputs into a folder or into memory (what a web page
or a mail command needs: bytes, no file)."""

from __future__ import annotations

import ast
import dataclasses
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from batch_fixtures import office_values, workbook
from cli_run import xlcheck
from xlcheck.batch.offices import safe_filename
from xlcheck.batch.place import output_names
from xlcheck.check import FileResult, check_bytes
from xlcheck.filenames import SUFFIX_ROOM
from xlcheck.form import Form
from xlcheck.outputs import (
    KINDS,
    STORE_FILES,
    BatchNames,
    FolderDestination,
    FolderNames,
    MemoryDestination,
    OutputError,
    OutputOptions,
    Written,
    canonical_json,
    output_bytes,
    source_map,
    write_outputs,
)

SHA = "a1b2c3d4" + "0" * 56


@pytest.fixture(scope="module")
def valid(form: Form) -> FileResult:
    return check_bytes(workbook(form, office_values(form, 0)), "某某县财政局.xlsx", form)


@pytest.fixture(scope="module")
def invalid(form: Form) -> FileResult:
    result = check_bytes(workbook(form, office_values(form, 10)), "有错误.xlsx", form)
    assert result.readable and not result.valid
    return result


# ---- the registry -----------------------------------------------------------------------------


def test_every_kind_has_a_suffix_and_fits_the_room_names_leave() -> None:
    assert {k: v.suffix for k, v in KINDS.items()} == {
        "json": ".json",
        "sourcemap": ".sourcemap.json",
        "docx": ".docx",
        "pdf": ".pdf",
        "errors": ".errors.xlsx",
        "readings": ".import.json",
    }
    for kind in KINDS.values():  # the longest name the batch makes: <office>-2025.<hash><suffix>
        assert len(f"-2025.{SHA[:8]}{kind.suffix}".encode()) <= SUFFIX_ROOM


def test_a_web_page_gets_each_output_as_bytes(form: Form, valid: FileResult) -> None:
    data = output_bytes(form, valid, "json")
    assert data == canonical_json(form, valid).encode("utf-8")
    assert json.loads(output_bytes(form, valid, "sourcemap")) == source_map(form, valid)
    with zipfile.ZipFile(io.BytesIO(output_bytes(form, valid, "docx"))) as package:
        assert "word/document.xml" in package.namelist()


def test_write_outputs_into_memory_returns_typed_records(form: Form, invalid: FileResult) -> None:
    memory = MemoryDestination()
    done = write_outputs(form, invalid, ["errors"], memory, {"errors": "x.errors.xlsx"})
    assert done.written == (Written("errors", "x.errors.xlsx", invalid.path, None, False),)
    assert not done.failed
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.written[0].name = "other"  # type: ignore[misc]
    book = openpyxl.load_workbook(io.BytesIO(memory.files["x.errors.xlsx"]))
    assert book.sheetnames[0] == "错误清单"
    options = OutputOptions(lang="en", source_name="shown.xlsx")
    english = output_bytes(form, invalid, "errors", options)
    assert openpyxl.load_workbook(io.BytesIO(english)).sheetnames[0] == "Findings"


def test_an_unknown_kind_is_refused_before_anything_is_written(
    form: Form, valid: FileResult
) -> None:
    memory = MemoryDestination()
    with pytest.raises(KeyError):
        write_outputs(form, valid, ["json", "nope"], memory, {"json": "a.json", "nope": "a.nope"})
    assert memory.files == {}


# ---- writing into a folder --------------------------------------------------------------------


def test_a_folder_gets_atomic_files_and_never_an_input(
    form: Form, valid: FileResult, tmp_path: Path
) -> None:
    source = tmp_path / "报表.json"
    source.write_text("{}", "utf-8")
    folder = FolderDestination(tmp_path, protect=[source])
    done = write_outputs(form, valid, ["json", "docx"], folder, {"json": "报表.json", "docx": "b"})
    assert source.read_text("utf-8") == "{}"
    assert [w.kind for w in done.written] == [] and isinstance(done.failed[0].error, OutputError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报表.json"]  # stopped at the first


def test_keep_going_loses_one_output_not_the_others(
    form: Form, valid: FileResult, tmp_path: Path
) -> None:
    bad_template = tmp_path / "letterhead.docx"
    bad_template.write_bytes(b"not a docx")
    options = OutputOptions(docx_template=bad_template)
    names = {"docx": "r.docx", "json": "r.json"}
    done = write_outputs(
        form, valid, ["docx", "json"], FolderDestination(tmp_path), names, options, keep_going=True
    )
    assert [w.kind for w in done.written] == ["json"]
    assert done.written[0].path == tmp_path / "r.json" and (tmp_path / "r.json").is_file()
    assert "--docx-template" in str(done.failed[0].error)
    assert not list(tmp_path.glob(".xlcheck-*"))


# ---- one naming policy ------------------------------------------------------------------------


def test_a_single_file_run_names_outputs_after_the_input(tmp_path: Path) -> None:
    inputs = [
        tmp_path / "a" / "报表.xlsx",
        tmp_path / "b" / "报表.xlsx",
        tmp_path / "out" / "x.json",
    ]
    names = FolderNames(tmp_path / "out", inputs, ("json", "sourcemap", "errors"))
    assert names.take(inputs[0], ["json", "sourcemap"]) == {
        "json": "报表.json",
        "sourcemap": "报表.sourcemap.json",
    }
    assert names.take(inputs[1], ["errors"]) == {"errors": "报表-2.errors.xlsx"}
    assert names.take(inputs[2], ["json"]) == {"json": "x.canonical.json"}  # never the input
    assert names.take(tmp_path / "c" / "报表.XLSX", ["json"]) == {"json": "报表-3.json"}


def test_the_batch_names_outputs_after_the_office_and_year() -> None:
    names = BatchNames(base=safe_filename)
    assert names.take("某某县财政局", 2024, SHA, current=True) == {
        "json": "某某县财政局-2024.json",
        "sourcemap": "某某县财政局-2024.sourcemap.json",
        "docx": "某某县财政局-2024.docx",
        "pdf": "某某县财政局-2024.pdf",
        "errors": "某某县财政局.errors.xlsx",
        "readings": "某某县财政局-2024.import.json",
        "reply": "某某县财政局.reply.eml",
    }
    old = names.take("汇总.xlsx", None, SHA, current=False)
    assert old["json"] == "_汇总.xlsx.a1b2c3d4.json"
    assert old["errors"] == "_汇总.xlsx.a1b2c3d4.errors.xlsx"
    assert output_names("汇总.xlsx", None, SHA, False) == old
    assert set(STORE_FILES) <= set(KINDS)


def test_check_errors_dir_names_around_an_input_instead_of_stopping(
    form: Form, tmp_path: Path
) -> None:
    """Two inputs: 报表.xlsx (invalid) and, in the errors folder, 报表.errors.xlsx. The first's
    error workbook gets a name of its own, as convert's outputs do, instead of exit 2."""
    bad = workbook(form, office_values(form, 10))
    (tmp_path / "报表.xlsx").write_bytes(bad)
    (tmp_path / "报表.errors.xlsx").write_bytes(bad)
    run = xlcheck("check", "报表.xlsx", "报表.errors.xlsx", "--errors-dir", ".", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert (tmp_path / "报表.errors.xlsx").read_bytes() == bad
    assert "错误清单：报表.xlsx → 报表.canonical.errors.xlsx" in run.stderr
    assert "错误清单：报表.errors.xlsx → 报表.errors.errors.xlsx" in run.stderr


# ---- the callers only call the layer ----------------------------------------------------------


def test_commands_and_batch_write_through_the_registry() -> None:
    """No caller imports a writer or a naming helper of its own: they call the layer."""
    writers = {"write_error_workbook", "write_report", "canonical_json", "source_map", "RunNames"}
    src = Path(__file__).parents[1] / "src" / "xlcheck"
    for module in ("cli.py", "cli_convert.py", "batch/worker.py"):
        tree = ast.parse((src / module).read_text("utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert not imported & writers, module
