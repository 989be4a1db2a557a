"""The command line (click only here): parse options, make one core call, print, exit 0/1/2.

Exit codes: 0 every file valid (warnings allowed); 1 a file has errors or cannot be read;
2 usage error or the tool itself could not run. Heavy modules are imported inside commands so
that `xlcheck check` on one file starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from xlcheck import __version__
from xlcheck.cli_common import (
    FolderRun,
    ToolError,
    auto_form_option,
    fail,
    form_choice_or_fail,
    form_option,
    lang_option,
    load_form_or_fail,
    previous_for,
    say_picked,
    styler,
)
from xlcheck.form.model import Lang


def _guard_output(path: Path, force: bool) -> None:
    if path.exists() and not force:
        fail(f"输出文件已存在：{path}（加 --force 覆盖）/ output exists: use --force")


class _LazyGroup(click.Group):
    """Commands kept in other modules are imported only when named (or listed by --help), so
    `xlcheck check` does not pay for the converters', importers' and batch's imports."""

    lazy = {
        "batch": "xlcheck.cli_batch:batch",
        "convert": "xlcheck.cli_convert:convert",
        "fill": "xlcheck.cli_convert:fill",
        "import": "xlcheck.cli_convert:import_cmd",
        "serve": "xlcheck.cli_serve:serve",
        "mail": "xlcheck.cli_mail:mail",
        "templates": "xlcheck.cli_templates:templates",
        "archive": "xlcheck.cli_archive:archive",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            import importlib

            module, _, attr = self.lazy[cmd_name].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlcheck")
def cli() -> None:
    """xlcheck：政府信息公开工作年度报告的填报模板、校验与输出。

    Locked Excel templates, validation and official outputs for statutory reports.
    """


@cli.command()
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="模板输出路径 (.xlsx)"
)
@click.option("--agency", help="预填机关名称")
@click.option("--year", type=click.IntRange(2000, 2100), help="预填报告年度")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@form_option
def template(
    output: Path, agency: str | None, year: int | None, force: bool, form_name: str
) -> None:
    """生成锁定的 Excel 填报模板 / write the locked template."""
    from xlcheck.outputs import OutputError, write_atomic
    from xlcheck.xlsxout import write_template

    form = load_form_or_fail(form_name)
    _guard_output(output, force)
    try:
        write_atomic(output, lambda fh: write_template(form, fh, agency=agency, year=year))
    except OutputError as exc:
        fail(str(exc))
    click.echo(f"已生成模板：{output}")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--errors-dir", type=click.Path(path_type=Path), help="为有错误的工作簿写出 <名称>.errors.xlsx"
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--previous", type=click.Path(path_type=Path), help="上年报告（JSON 或 xlsx），用于跨年核对"
)
@click.option(
    "--archive",
    type=click.Path(file_okay=False, path_type=Path),
    help="历年档案：按机关找出上年报告用于跨年核对（--previous 优先）",
)
@lang_option
@auto_form_option
def check(
    files: Sequence[Path],
    errors_dir: Path | None,
    fmt: str,
    previous: Path | None,
    archive: Path | None,
    lang: str,
    form_name: str,
) -> None:
    """校验报送的工作簿或 JSON / validate returned workbooks or canonical JSON."""
    from xlcheck.check import check_path_as
    from xlcheck.report import format_json, format_text

    choice = form_choice_or_fail(form_name)
    prior = previous_for(previous, lang) if previous else None
    if prior is not None and not choice.is_auto:
        prior(choice.forced)  # a previous report that cannot serve stops before any check
    results = [check_path_as(Path(f), choice.choose, previous=prior) for f in files]
    if archive is not None and prior is None:  # an explicit --previous wins
        from xlcheck.cli_archive import with_archive

        results = with_archive(archive, choice, files, results, lang)
    if fmt == "text":
        for result in results:
            say_picked(result, lang)
    if errors_dir is not None:
        _write_error_workbooks(choice, results, files, errors_dir, lang)
    language: Lang = "en" if lang == "en" else "zh"
    text = (
        format_json(results, language)
        if fmt == "json"
        else format_text(results, language, styler(sys.stdout.isatty()))
    )
    click.echo(text, nl=False)
    sys.exit(0 if all(r.valid for r in results) else 1)


def _write_error_workbooks(
    choice: Any, results: Sequence[Any], files: Sequence[Path], folder: Path, lang: str
) -> None:
    run = FolderRun.make(folder, files, ["errors"], lang)  # 报表 and 报表-2 for two 报表.xlsx
    for result, source in zip(results, files, strict=True):
        if result.valid or not result.readable or result.kind != "xlsx":
            continue
        run.write(choice.form_of(result), result, source, ["errors"], "error_workbook")


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@lang_option
@form_option
def rules(fmt: str, lang: str, form_name: str) -> None:
    """列出表单的校验规则 / print the rule catalogue."""
    import json

    form = load_form_or_fail(form_name)
    rows = [
        {
            "id": d.id,
            "severity": d.severity,
            "kind": d.kind,
            "title": d.title.get(lang),
            "description": d.description.get(lang),
            "formula": d.formula,
        }
        for d in form.declarations
    ]
    if fmt == "json":
        click.echo(
            json.dumps(
                {"form": form.id, "form_version": form.form_version, "rules": rows},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for row in rows:
        sev = (
            ("错误" if row["severity"] == "error" else "提示") if lang == "zh" else row["severity"]
        )
        click.echo(f"{row['id']:<4} {sev}  {row['title']}：{row['description']}")
        click.echo(f"      {row['formula']}")


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Entry point: one-line messages for usage and tool errors, never a traceback."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="xlcheck",
            standalone_mode=False,
        )
    except click.UsageError as exc:
        hint = f"（{exc.ctx.command_path} --help 查看用法）" if exc.ctx else ""
        click.echo(f"xlcheck: 用法错误 / usage error: {exc.format_message()}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"xlcheck: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("xlcheck: 已中止 / aborted", err=True)
        sys.exit(2)
    except ToolError as exc:
        click.echo(f"xlcheck: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(2)
    except Exception as exc:  # the tool failed: say so in one line, details only on request
        if os.environ.get("XLCHECK_DEBUG"):
            raise
        click.echo(f"xlcheck: 内部错误 / internal error: {type(exc).__name__}: {exc}", err=True)
        sys.exit(2)
    sys.exit(0)
