"""`xlcheck archive show|link` and `check --archive` (click only here; the archive lives in
xlcheck.archive): an office's history across years, and a renamed or merged office joined to
its old name so that its last year's report is found."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from xlcheck.cli_common import fail, lang_option

archive_option = click.option(
    "--archive",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="档案文件夹（由 batch --archive 建立）/ the archive folder",
)


@click.group()
def archive() -> None:
    """历年档案：机关的报送历史、改名或合并的关联 / the archive of accepted reports."""


def _fail(exc: Any, lang: str) -> None:
    """An ArchiveError or PreviousError: one line in the user's language (exit 2)."""
    fail(exc.text.en if lang == "en" else exc.text.zh)


def _reader(root: Path, lang: str) -> Any:
    from xlcheck.archive import ArchiveError
    from xlcheck.archive.lookup import Reader

    try:
        return Reader(root)
    except ArchiveError as exc:
        _fail(exc, lang)


@archive.command()
@click.argument("office")
@archive_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@lang_option
def show(office: str, root: Path, fmt: str, lang: str) -> None:
    """机关的历年报送：年度、每次通过的报送、重新报送、关联 / an office's history."""
    from xlcheck.archive.history import history_of

    reader = _reader(root, lang)
    try:
        found = history_of(reader, office)
    finally:
        reader.close()
    if found is None:
        fail(
            f"no office “{office}” in the archive {root} (by name or credit code)"
            if lang == "en"
            else f"档案「{root}」中没有机关「{office}」（按名称或信用代码查找）"
        )
    if fmt == "json":
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(found.text(lang), nl=False)


@archive.command()
@click.argument("old")
@click.argument("new")
@archive_option
@lang_option
def link(old: str, new: str, root: Path, lang: str) -> None:
    """改名或合并：NEW 的跨年核对也查找 OLD 的报告 / NEW's lookups find OLD's reports."""
    from xlcheck.archive import ArchiveError, open_archive
    from xlcheck.archive.lookup import Reader

    _reader(root, lang).close()  # an archive must be there: a mistyped folder makes none
    try:
        store = open_archive(root)
        try:
            old_key, new_key = store.link(old, new)
        finally:
            store.close()
        reader = Reader(root)
        count = len(reader.reports({old_key}))
        reader.close()
    except ArchiveError as exc:
        _fail(exc, lang)
    if lang == "en":
        click.echo(f"linked: “{new}” now also finds the {count} reports of “{old}”")
    else:
        click.echo(f"已关联：「{new}」跨年核对时也查找「{old}」的报告（现有 {count} 份）")


def with_archive(
    root: Path, choice: Any, files: Sequence[Path], results: list[Any], lang: str
) -> list[Any]:
    """`check --archive`: each readable file checked again with its office's last year's
    report from the archive as previous (said on stderr), when the archive has one."""
    from xlcheck.archive import ArchiveError
    from xlcheck.archive.lookup import last_year
    from xlcheck.check import check_path_as
    from xlcheck.previous import PreviousError

    _reader(root, lang).close()
    checked = []
    for path, result in zip(files, results, strict=True):
        if not result.readable:
            checked.append(result)
            continue
        try:
            found = last_year(root, choice.form_of(result), result.values, result.sha256 or "")
        except (ArchiveError, PreviousError) as exc:
            _fail(exc, lang)
        if found is None:
            checked.append(result)
            continue
        kept, previous = found
        _say_used(path, kept, lang)
        checked.append(check_path_as(Path(path), choice.choose, previous=_given(previous)))
    return checked


def _given(values: Any) -> Any:
    """Last year's values whatever form the file is picked in (it was picked once already)."""
    return lambda _form: values


def _say_used(path: Path, kept: Any, lang: str) -> None:
    if lang == "en":
        text = (
            f"{path}: last year's report from the archive: {kept.office}, {kept.year}"
            f" ({kept.source or '-'}, sha256 {kept.sha256[:12]})"
        )
    else:
        text = (
            f"{path}：上年报告取自档案：{kept.office} {kept.year} 年度"
            f"（{kept.source or '-'}，sha256 {kept.sha256[:12]}）"
        )
    click.echo(text, err=True)
