"""The batch command: a county's whole inbox in one run (the core lives in xlcheck.batch)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from xlcheck.cli_common import AUTO, auto_form_option, fail, lang_option


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out-dir", type=click.Path(path_type=Path), required=True, help="输出文件夹")
@click.option(
    "--jobs", type=click.IntRange(1, 256), default=None, help="并行进程数（默认全部核心）"
)
@click.option("--drafts", is_flag=True, help="为有错误的机关写出回复邮件草稿 (.eml)")
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="应报机关名单 (.csv/.xlsx)",
)
@click.option("--no-docx", is_flag=True, help="不生成 Word 报告")
@click.option("--rerun", is_flag=True, help="内容未变的文件也重新校验")
@click.option("--pdf", is_flag=True, help="为通过的报告另存 PDF（需要 LibreOffice）")
@click.option(
    "--archive",
    type=click.Path(file_okay=False, path_type=Path),
    help="历年档案文件夹：上年报告用于跨年核对，本次通过的报告存入 / archive across years",
)
@lang_option
@auto_form_option
def batch(
    inputs: Sequence[Path],
    out_dir: Path,
    jobs: int | None,
    drafts: bool,
    roster: Path | None,
    no_docx: bool,
    rerun: bool,
    pdf: bool,
    archive: Path | None,
    lang: str,
    form_name: str,
) -> None:
    """批量处理收件箱：文件夹、.xlsx、.zip、.eml、.mbox / check a whole inbox."""
    from xlcheck.batch import BatchError, BatchOptions, run_batch

    if pdf:
        _require_pdf(no_docx)
    options = BatchOptions(
        inputs=list(inputs),
        out_dir=out_dir,
        jobs=jobs,
        drafts=drafts,
        roster=roster,
        lang=lang,
        form_name=None if form_name == AUTO else form_name,
        docx=not no_docx,
        force_rerun=rerun,
        archive=archive,
    )
    try:
        report = run_batch(options, progress=_progress_bar() if sys.stderr.isatty() else None)
    except BatchError as exc:
        fail(str(exc))
    click.echo(report.summary_text(lang))
    if report.archived is not None:
        _say_archived(report.archived, lang)
    if pdf and report.summary_json is not None:
        _add_pdfs(out_dir, report.summary_json, lang)
    sys.exit(report.exit_code)


def _say_archived(intake: Any, lang: str) -> None:
    """One line: what this run added to the archive (a re-run adds nothing twice)."""
    if lang == "en":
        text = f"archive: {intake.added} reports added, {intake.kept} already kept"
        more = f", {intake.skipped} without a year not kept" if intake.skipped else ""
    else:
        text = f"档案：新存入 {intake.added} 份，已有 {intake.kept} 份"
        more = f"，{intake.skipped} 份未填年度未存入" if intake.skipped else ""
    click.echo(text + more)


def _require_pdf(no_docx: bool) -> None:
    """Before the batch runs: a PDF is made from the Word report, by LibreOffice."""
    from xlcheck.render.pdf import PdfError, require_soffice

    if no_docx:
        fail("--pdf 由 Word 报告生成，不能与 --no-docx 同用 / --pdf needs the Word reports")
    try:
        require_soffice()
    except PdfError as exc:
        fail(str(exc))


def _add_pdfs(out_dir: Path, summary_json: Path, lang: str) -> None:
    from xlcheck.batch.pdfs import add_pdfs
    from xlcheck.render.pdf import PdfError

    try:
        made = add_pdfs(out_dir, summary_json)
    except (PdfError, OSError) as exc:
        fail(str(exc))
    click.echo(f"已生成 PDF {made} 份" if lang != "en" else f"{made} PDF files written")


def _progress_bar() -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", nl=False, err=True)
        if done >= total:
            click.echo("", err=True)

    return update
