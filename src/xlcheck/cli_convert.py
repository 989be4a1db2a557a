"""Commands that write documents: convert (JSON, Word), fill (JSON -> workbook), import (published)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from xlcheck.cli_common import (
    FolderRun,
    auto_form_option,
    fail,
    form_choice_or_fail,
    lang_option,
    read_previous_or_fail,
    say_picked,
    styler,
)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--to",
    "target",
    type=click.Choice(["json", "docx", "pdf"]),
    required=True,
    help="输出格式（pdf 需要 LibreOffice）",
)
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
@auto_form_option
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
    """把有效的工作簿转换为规范 JSON、Word 报告或 PDF / convert valid workbooks to JSON, Word or PDF."""
    from xlcheck.report import format_text

    if target == "pdf":
        _require_libreoffice()
    choice = form_choice_or_fail(form_name)
    _ensure_folder(out_dir)
    run = FolderRun.make(out_dir, files, (target, "sourcemap", "errors"), lang, docx_template)
    results = _check_all(files, choice, lang)
    for result, source in zip(results, files, strict=True):
        form = choice.form_of(result)
        if result.valid or (force and result.readable):
            kinds = [target, "sourcemap"] if source_map else [target]
            run.write(form, result, Path(source), kinds, "written")
        elif result.readable and result.kind == "xlsx":
            run.write(form, result, Path(source), ["errors"], "errors")
    invalid = [r for r in results if not r.valid]
    if invalid:
        click.echo(format_text(invalid, lang, styler(sys.stdout.isatty())), nl=False)  # type: ignore[arg-type]
    sys.exit(0 if not invalid or (force and all(r.readable for r in results)) else 1)


def _require_libreoffice() -> None:
    """Before anything is read: a PDF needs LibreOffice (one line, exit 2 without it)."""
    from xlcheck.render.pdf import PdfError, require_soffice

    try:
        require_soffice()
    except PdfError as exc:
        fail(str(exc))


def _check_all(files: Sequence[Path], choice: Any, lang: str) -> list[Any]:
    """Check each file against its form (picked by content unless --form forced one), saying
    on stderr which form each was read as."""
    from xlcheck.check import check_path_as

    results = [check_path_as(Path(f), choice.choose) for f in files]
    for result in results:
        say_picked(result, lang)
    return results


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
@auto_form_option
def fill(
    data: Path, output: Path, previous: Path | None, force: bool, lang: str, form_name: str
) -> None:
    """用规范 JSON 生成填好的锁定模板 / write a filled, locked template from canonical JSON."""
    from xlcheck.check import check_path_as
    from xlcheck.outputs import OutputError, write_atomic
    from xlcheck.previous import carried_values
    from xlcheck.report import format_text
    from xlcheck.xlsxout import write_template

    choice = form_choice_or_fail(form_name)
    if output.exists() and not force:
        fail(f"输出文件已存在：{output}（加 --force 覆盖）")
    result = check_path_as(data, choice.choose)  # the JSON's form + form_version pick the form
    say_picked(result, lang)
    if not result.readable:
        click.echo(format_text([result], lang), nl=False)  # type: ignore[arg-type]
        sys.exit(1)
    form = choice.form_of(result)
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
@auto_form_option
def import_cmd(files: Sequence[Path], out_dir: Path, lang: str, form_name: str) -> None:
    """把已发布的报告（.txt/.html/.docx/.pdf）转为规范 JSON 并审查 / import published reports."""
    from xlcheck.report import format_text

    choice = form_choice_or_fail(form_name)
    _ensure_folder(out_dir)
    run = FolderRun.make(out_dir, files, ("json", "readings"), lang)
    results = _check_all(files, choice, lang)
    for result, source in zip(results, files, strict=True):
        if result.readable:
            form = choice.form_of(result)
            run.write(form, result, Path(source), ["json", "readings"], "written")
    click.echo(format_text(results, lang, styler(sys.stdout.isatty())), nl=False)  # type: ignore[arg-type]
    sys.exit(0 if all(r.valid for r in results) else 1)
