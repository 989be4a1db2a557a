"""`xlcheck mail fetch`: new submissions from an IMAP folder into an inbox folder (click only here).

The password comes from XLCHECK_IMAP_PASSWORD or a hidden prompt, never from an option: an
option would stay in the shell's history and in the process list.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from xlcheck.cli_common import fail, lang_option

IMPLICIT_TLS_PORT = 993
STARTTLS_PORT = 143


@click.command()
@click.option("--imap", "host", required=True, help="IMAP 服务器地址 / IMAP server host")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="端口（默认 993；加 --starttls 时 143）/ port (993; 143 with --starttls)",
)
@click.option("--starttls", is_flag=True, help="先明文连接再升级为 TLS / STARTTLS on a plain port")
@click.option("--user", help="用户名（不给则提示输入）/ user name (prompted when not given)")
@click.option("--folder", default="INBOX", show_default=True, help="收取的文件夹 / folder to fetch")
@click.option(
    "--move-to",
    metavar="FOLDER",
    help="邮件保存到本地后移到该文件夹（如 已处理）/ move each message there once it is saved",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="不验证服务器证书（仅限确认可信的服务器）/ do not verify the server's certificate",
)
@click.option(
    "--cafile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="信任的服务器证书或 CA（PEM）/ certificate or CA to trust (PEM)",
)
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="收件文件夹（xlcheck batch 读取）/ inbox folder that xlcheck batch reads",
)
@lang_option
def fetch(
    host: str,
    port: int | None,
    starttls: bool,
    user: str | None,
    folder: str,
    move_to: str | None,
    insecure: bool,
    cafile: Path | None,
    out_dir: Path,
    lang: str,
) -> None:
    """从 IMAP 邮箱收取报送邮件，存为 .eml / fetch new submissions from an IMAP mailbox."""
    from xlcheck.mail.fetch import (
        PASSWORD_ENV,
        FetchError,
        FetchOptions,
        fetch_mail,
        message_text,
    )

    en = lang == "en"
    if move_to is not None and _same_folder(move_to, folder):
        fail(_SAME_FOLDER[en].format(folder=folder))
    if user is None:
        user = click.prompt("用户名 / user", err=True)
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "密码 / password", hide_input=True, err=True
    )
    if insecure:
        click.echo(_INSECURE[en], err=True)
    default_port = STARTTLS_PORT if starttls else IMPLICIT_TLS_PORT
    options = FetchOptions(
        host, port or default_port, user, out_dir, folder, starttls, move_to, insecure, cafile
    )
    try:
        result = fetch_mail(options, password)
    except FetchError as exc:
        fail(message_text(exc, lang))
    click.echo(_summary(result, move_to, en))


_SAME_FOLDER = (
    "--move-to 不能是收取的文件夹「{folder}」本身：请另选一个文件夹（如 已处理）。",
    "--move-to cannot be the folder fetched from ({folder}): name another (e.g. 已处理).",
)


def _same_folder(a: str, b: str) -> bool:
    """INBOX is case-insensitive in IMAP; other names are compared as given."""
    return a == b or a.upper() == b.upper() == "INBOX"


_INSECURE = (
    "注意：--insecure 已关闭证书验证，连接可能被冒充。",
    "warning: --insecure turns certificate checks off; the server may be an impostor.",
)


def _summary(result: object, move_to: str | None, en: bool) -> str:
    from xlcheck.mail.fetch import MAX_MESSAGE_BYTES, FetchResult

    assert isinstance(result, FetchResult)
    new, out = len(result.new), result.out_dir
    lines = [
        f"Fetched {new} new messages into {out}"
        if en
        else f"已收取 {new} 封新邮件，保存在「{out}」"
    ]
    if result.same:
        lines.append(
            f"{result.same} were already stored: not stored again"
            if en
            else f"{result.same} 封与已保存的邮件相同，未重复保存"
        )
    if result.moved:
        lines.append(
            f"moved {result.moved} to {move_to}"
            if en
            else f"已将 {result.moved} 封移到「{move_to}」"
        )
    if result.too_big:
        mb = MAX_MESSAGE_BYTES // (1024 * 1024)
        lines.append(
            f"{len(result.too_big)} larger than {mb} MB: not fetched (UIDs {result.too_big})"
            if en
            else f"{len(result.too_big)} 封超过 {mb} MB，未收取（UID {result.too_big}）"
        )
    return "\n".join(lines)
