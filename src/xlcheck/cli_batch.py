"""The batch command: a county's whole inbox in one run (the core lives in xlcheck.batch)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

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
    lang: str,
    form_name: str,
) -> None:
    """批量处理收件箱：文件夹、.xlsx、.zip、.eml、.mbox / check a whole inbox."""
    from xlcheck.batch import BatchError, BatchOptions, run_batch

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
    )
    try:
        report = run_batch(options, progress=_progress_bar() if sys.stderr.isatty() else None)
    except BatchError as exc:
        fail(str(exc))
    click.echo(report.summary_text(lang))
    sys.exit(report.exit_code)


def _progress_bar() -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", nl=False, err=True)
        if done >= total:
            click.echo("", err=True)

    return update
