"""Commands that write documents: convert (JSON, Word), fill (JSON -> workbook), import (published)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import click

from xlcheck.cli_common import (
    fail,
    form_option,
    lang_option,
    load_form_or_fail,
    read_previous_or_fail,
    styler,
)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--to", "target", type=click.Choice(["json", "docx"]), required=True, help="输出格式")
@click.option("--out-dir", type=click.Path(path_type=Path), default=Path("."), show_default=True)
@click.option("--force", is_flag=True, help="有错误也转换（输出标注“未经校验”）")
@click.option(
    "--source-map", is_flag=True, help="同时写出 <名称>.sourcemap.json（JSON 指针 → 单元格）"
)
@click.option(
    "--docx-template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="本地红头/样式模板 .docx",
)
@lang_option
@form_option
def convert(
    files: Sequence[Path],
    target: str,
    out_dir: Path,
    force: bool,
    source_map: bool,
    docx_template: Path | None,
    lang: str,
    form_name: str,
) -> None:
    """把有效的工作簿转换为规范 JSON 或 Word 报告 / convert valid workbooks to JSON or Word."""
    from xlcheck.check import check_path
    from xlcheck.report import format_text

    form = load_form_or_fail(form_name)
    _ensure_folder(out_dir)
    run = Outputs(out_dir, files, (f".{target}", ".sourcemap.json", ".errors.xlsx"), lang)
    results = [check_path(Path(f), form) for f in files]
    for result, source in zip(results, files, strict=True):
        if result.valid or (force and result.readable):
            _write_outputs(form, result, Path(source), run, target, source_map, docx_template)
        elif result.readable and result.kind == "xlsx":
            _write_errors(form, result, Path(source), run)
    invalid = [r for r in results if not r.valid]
    if invalid:
        click.echo(format_text(invalid, lang, styler(sys.stdout.isatty())), nl=False)  # type: ignore[arg-type]
    sys.exit(0 if not invalid or (force and all(r.readable for r in results)) else 1)


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"无法创建输出文件夹 {folder}：{exc.strerror}")
    if not _writable(folder):
        fail(f"输出文件夹不可写：{folder}")


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK | os.X_OK)


class Outputs:
    """Where one run's outputs go: a stem per input, distinct across the run (two inputs called
    报表.xlsx from two folders write 报表.json and 报表-2.json), each file written atomically and
    said on stderr with the input it came from."""

    def __init__(self, out_dir: Path, files: Sequence[Path], suffixes: Sequence[str], lang: str):
        from xlcheck.filenames import RunNames

        self.out_dir, self.lang = out_dir, lang
        self.inputs = {Path(f): None for f in files}
        self.resolved = {Path(f).resolve() for f in files}
        self.names = RunNames(suffixes)

    def stem(self, source: Path) -> str:
        """The stem of this input's outputs; never an input's own name (then <stem>.canonical)."""
        from xlcheck.filenames import SUFFIX_ROOM, safe_name

        def blocked(stem: str) -> bool:
            return any(
                (self.out_dir / (stem + s)).resolve() in self.resolved for s in self.names.suffixes
            )

        wanted = source.stem
        if blocked(safe_name(wanted, reserve=SUFFIX_ROOM)):
            wanted += ".canonical"
        return self.names.take(wanted, blocked)

    def write(self, source: Path, dest: Path, write: Callable[[BinaryIO], None], done: str) -> None:
        """Write dest from source; `done` names what was written (a key of _SAID)."""
        from xlcheck.outputs import OutputError, write_atomic

        existed = dest.exists()  # made before this run: no two outputs of one run share a name
        try:
            write_atomic(dest, write, protect=self.inputs)
        except OutputError as exc:
            fail(str(exc))
        en = self.lang == "en"
        more = _SAID["replaced"][en] if existed else ""
        click.echo(f"{_SAID[done][en]}{more}{': ' if en else '：'}{source} → {dest}", err=True)


# What a run says of each file it writes: (zh, en).
_SAID = {
    "written": ("已写出", "written"),
    "errors": ("有错误，未转换；错误清单", "has errors, not converted; error workbook"),
    "replaced": ("（替换了原有文件）", " (replaced an existing file)"),
}


def _write_outputs(
    form: Any,
    result: Any,
    source: Path,
    run: Outputs,
    target: str,
    with_map: bool,
    docx_template: Path | None,
) -> None:
    from xlcheck.outputs import canonical_document, canonical_json, source_map

    unvalidated = not result.valid
    stem = run.stem(source)
    if target == "json":
        data = canonical_json(form, result, unvalidated=unvalidated).encode("utf-8")
        run.write(source, run.out_dir / f"{stem}.json", _bytes(data), "written")
    else:
        doc = canonical_document(form, result, unvalidated=unvalidated)
        run.write(
            source,
            run.out_dir / f"{stem}.docx",
            lambda fh: _write_docx(form, doc, fh, docx_template, unvalidated),
            "written",
        )
    if with_map:
        data = (json.dumps(source_map(form, result), ensure_ascii=False, indent=2) + "\n").encode()
        run.write(source, run.out_dir / f"{stem}.sourcemap.json", _bytes(data), "written")


def _bytes(data: bytes) -> Callable[[BinaryIO], None]:
    def write(fh: BinaryIO) -> None:
        fh.write(data)

    return write


def _write_docx(
    form: Any, doc: Any, fh: BinaryIO, docx_template: Path | None, unvalidated: bool
) -> None:
    from xlcheck.render.docx_report import write_report

    try:
        write_report(form, doc, fh, docx_template=docx_template, unvalidated=unvalidated)
    except ValueError as exc:
        if not _is_template_error(exc):  # a bad value is not the template's fault
            raise
        fail(f"无法使用 Word 模板 / unusable --docx-template: {exc}")


def _is_template_error(exc: ValueError) -> bool:
    """Only an unreadable --docx-template is blamed on it (python-docx is loaded on the error path)."""
    from xlcheck.render.docx_page import TemplateError

    return isinstance(exc, TemplateError)


def _write_errors(form: Any, result: Any, source: Path, run: Outputs) -> None:
    from xlcheck.xlsxout import write_error_workbook

    def write(fh: BinaryIO) -> None:
        write_error_workbook(
            form,
            fh,
            cells=result.raw,
            findings=result.findings,
            source_name=source.name,
            lang=run.lang,
        )

    run.write(source, run.out_dir / f"{run.stem(source)}.errors.xlsx", write, "errors")


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="填好的模板 (.xlsx)"
)
@click.option(
    "--previous",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="上年 JSON：以其“结转下年度”预填本年“上年结转”",
)
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@lang_option
@form_option
def fill(
    data: Path, output: Path, previous: Path | None, force: bool, lang: str, form_name: str
) -> None:
    """用规范 JSON 生成填好的锁定模板 / write a filled, locked template from canonical JSON."""
    from xlcheck.check import check_path
    from xlcheck.outputs import OutputError, write_atomic
    from xlcheck.previous import carried_values
    from xlcheck.report import format_text
    from xlcheck.xlsxout import write_template

    form = load_form_or_fail(form_name)
    if output.exists() and not force:
        fail(f"输出文件已存在：{output}（加 --force 覆盖）")
    result = check_path(data, form)
    if not result.readable:
        click.echo(format_text([result], lang), nl=False)  # type: ignore[arg-type]
        sys.exit(1)
    last = read_previous_or_fail(form, previous, lang) if previous is not None else None
    _refuse_out_of_range([result] if last is None else [result, last.result], lang)
    values = dict(result.values)
    if last is not None:
        values.update(carried_values(form, last.values))
    try:
        write_atomic(
            output, lambda fh: write_template(form, fh, values=values), protect={data: None}
        )
    except OutputError as exc:
        fail(str(exc))
    click.echo(f"已生成：{output}")


def _refuse_out_of_range(results: list[Any], lang: str) -> None:
    """A value outside its plausible range (V13) cannot go into a cell: say where, exit 1."""
    import dataclasses

    from xlcheck.report import format_text

    found = [
        dataclasses.replace(r, findings=[f for f in r.findings if f.code == "V13"]) for r in results
    ]
    found = [r for r in found if r.findings]
    if found:
        click.echo(format_text(found, lang), nl=False)  # type: ignore[arg-type]
        sys.exit(1)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--out-dir", type=click.Path(path_type=Path), default=Path("."), show_default=True
)
@lang_option
@form_option
def import_cmd(files: Sequence[Path], out_dir: Path, lang: str, form_name: str) -> None:
    """把已发布的报告（.txt/.html/.docx）转为规范 JSON 并审查 / import published reports."""
    from xlcheck.check import check_path
    from xlcheck.outputs import canonical_json
    from xlcheck.report import format_text

    form = load_form_or_fail(form_name)
    _ensure_folder(out_dir)
    run = Outputs(out_dir, files, (".json", ".import.json"), lang)
    results = [check_path(Path(f), form) for f in files]
    for result, source in zip(results, files, strict=True):
        if not result.readable:
            continue
        stem = run.stem(Path(source))
        document = canonical_json(form, result, unvalidated=not result.valid).encode("utf-8")
        run.write(Path(source), out_dir / f"{stem}.json", _bytes(document), "written")
        readings = {
            "source": str(source),
            "readings": [_reading_dict(r) for r in result.sources.values()],
        }
        data = (json.dumps(readings, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        run.write(Path(source), out_dir / f"{stem}.import.json", _bytes(data), "written")
    click.echo(format_text(results, lang, styler(sys.stdout.isatty())), nl=False)  # type: ignore[arg-type]
    sys.exit(0 if all(r.valid for r in results) else 1)


def _reading_dict(reading: Any) -> dict[str, Any]:
    import dataclasses

    if dataclasses.is_dataclass(reading) and not isinstance(reading, type):
        return {
            k: (v if isinstance(v, str | int | float | bool | type(None)) else str(v))
            for k, v in dataclasses.asdict(reading).items()
        }
    return {"value": str(reading)}
