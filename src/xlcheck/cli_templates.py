"""`xlcheck templates`: one locked template per office on the roster (click only here)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from xlcheck.cli_common import fail, form_option, load_form_or_fail
from xlcheck.filenames import safe_name


@click.command()
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    required=True,
    help="报送单位名单（csv 或 xlsx：机关名称、统一社会信用代码、类型、层级、联系人、邮箱）",
)
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="报告年度")
@click.option(
    "--previous-dir",
    type=click.Path(path_type=Path),
    help="上年 xlcheck batch 的输出文件夹：从各单位上年通过的报告预填并锁定「上年结转」",
)
@click.option(
    "-o", "--out-dir", type=click.Path(path_type=Path), required=True, help="模板输出文件夹"
)
@click.option("--force", is_flag=True, help="覆盖已存在的模板")
@click.option(
    "--mail",
    is_flag=True,
    help="同时为每个有邮箱的单位写出附带模板的邮件（用 xlcheck mail send 模板文件夹 发出）",
)
@click.option("--deadline", help="邮件中写明的报送截止时间，如 2026年1月15日")
@click.option(
    "--from", "from_addr", default="xlcheck@localhost", show_default=True, help="发件人地址"
)
@form_option
def templates(
    roster: Path,
    year: int,
    previous_dir: Path | None,
    out_dir: Path,
    force: bool,
    mail: bool,
    deadline: str | None,
    from_addr: str,
    form_name: str,
) -> None:
    """为名单中每个单位生成预填的锁定模板 / one prefilled, locked template per office."""
    from xlcheck.outputs import OutputError, write_bytes_atomic
    from xlcheck.templates import (
        RosterError,
        last_year_reports,
        prepare,
        read_roster_rows,
        template_bytes,
        template_mail,
    )

    form = load_form_or_fail(form_name)
    try:
        rows = read_roster_rows(roster)
        reports = last_year_reports(previous_dir) if previous_dir is not None else {}
    except RosterError as exc:
        fail(str(exc))
    if not rows:
        fail(f"名单「{roster}」中没有单位")
    names = {row.line: safe_name(f"{row.name}-{year}") + ".xlsx" for row in rows}
    if not force:
        taken = [n for n in names.values() if (out_dir / n).exists()]
        if taken:
            fail(f"模板已存在：{out_dir / taken[0]}（加 --force 覆盖）")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"无法创建输出文件夹 {out_dir}：{exc.strerror}")
    carried = 0
    mailing: list[dict[str, object]] = []
    for row in rows:
        prepared = prepare(form, row, year, reports)
        data = template_bytes(form, prepared)
        message = (
            template_mail(prepared, year, names[row.line], data, deadline, from_addr)
            if mail
            else None
        )
        try:
            write_bytes_atomic(out_dir / names[row.line], data)
            if message is not None:
                eml = names[row.line].removesuffix(".xlsx") + ".eml"
                write_bytes_atomic(out_dir / eml, message)
                mailing.append({"office": row.name, "outputs": {"template": eml}})
        except OutputError as exc:
            fail(str(exc))
        if mail and message is None:
            prepared.notes.append(f"第 {row.line} 行没有邮箱，未写邮件")
        carried += prepared.carried
        for note in prepared.notes:
            click.echo(f"{row.name}：{note}", err=True)
    click.echo(f"已为 {len(rows)} 个单位生成模板：{out_dir}")
    if mail:
        manifest = json.dumps({"rows": mailing}, ensure_ascii=False, indent=1).encode("utf-8")
        write_bytes_atomic(out_dir / "mailing.json", manifest)
        click.echo(f"已写出 {len(mailing)} 封邮件；发送：xlcheck mail send {out_dir} --smtp 服务器")
    if previous_dir is not None:
        click.echo(f"其中 {carried} 个单位的「上年结转」已按上年通过的报告预填并锁定。")
