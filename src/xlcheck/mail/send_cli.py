"""`xlcheck mail send OUT_DIR --smtp HOST`: show what will go, ask, send each message once
(click only here; the work is in mail.outbox and mail.send)."""

from __future__ import annotations

import os
import sys
from email.headerregistry import Address
from pathlib import Path

import click

from xlcheck.cli_common import fail, lang_option
from xlcheck.mail.outbox import OutboxError, Outgoing, read_outbox, read_rows
from xlcheck.mail.send import PASSWORD_ENV, RateLimiter, Result, SendError, Server, send_all, text
from xlcheck.mail.sentlog import SentLog


@click.command()
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--smtp", "host", help="发信服务器 / SMTP server host")
@click.option("--port", type=click.IntRange(1, 65535), help="端口（--ssl 默认 465，否则 587）")
@click.option("--starttls", "security", flag_value="starttls", help="STARTTLS（587、25）")
@click.option("--ssl", "security", flag_value="ssl", help="隐式 TLS（465）")
@click.option("--user", help="登录用户名；密码取自环境变量 XLCHECK_SMTP_PASSWORD 或提示输入")
@click.option("--from", "from_addr", help="发件人地址（默认同 --user）")
@click.option("--dry-run", is_flag=True, help="只列出待发送的收件人和主题，不发送")
@click.option("--yes", is_flag=True, help="不询问，直接发送")
@click.option("--insecure", is_flag=True, help="不验证服务器证书（不推荐）")
@click.option(
    "--cafile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="用于验证服务器证书的 CA 证书 (PEM)",
)
@click.option("--rate", type=click.IntRange(1, 100000), default=30, show_default=True,
              help="每分钟最多发送几封")  # fmt: skip
@click.option("--acceptance", is_flag=True, help="同时给通过校验的机关发回执")
@lang_option
def send(
    out_dir: Path,
    host: str | None,
    port: int | None,
    security: str | None,
    user: str | None,
    from_addr: str | None,
    dry_run: bool,
    yes: bool,
    insecure: bool,
    cafile: Path | None,
    rate: int,
    acceptance: bool,
    lang: str,
) -> None:
    """发送批处理写出的回复草稿，每封只发一次 / send the batch's reply drafts, each once."""
    sender = from_addr or (user if user and "@" in user else None)
    if sender is not None and not _is_address(sender):
        fail(text("bad_from", lang, detail=sender))
    try:
        rows = read_rows(out_dir)
        items = read_outbox(out_dir, rows, acceptance, sender or "xlcheck@localhost")
    except OutboxError as exc:
        fail(text(exc.key, lang, detail=exc.detail))
    if not items:
        fail(text("no_drafts", lang, detail=out_dir))
    log = SentLog(out_dir)
    pending = [item for item in items if not log.has(item.key, item.message_id)]
    _show(pending, len(items) - len(pending), lang)
    if dry_run:
        click.echo(text("dry_run", lang))
        return
    if not pending:
        click.echo(text("nothing", lang))
        return
    if host is None:
        fail(text("no_smtp", lang))
    if sender is None:
        fail(text("no_from", lang))
    if not yes and not click.confirm(text("confirm", lang, n=len(pending)), default=False):
        fail(text("declined", lang))
    server = _server(host, port, security, user, cafile, insecure, lang)
    counts = {"sent": 0, "failed": 0}

    def report(item: Outgoing, result: Result) -> None:
        _report(item, result, counts, lang)

    try:
        send_all(pending, server, sender, log, RateLimiter(rate), report)
    except SendError as exc:
        fail(text(exc.key, lang, detail=exc.detail))
    finally:
        log.close()
    click.echo(text("done", lang, **counts))
    if counts["failed"]:
        click.echo(text("retry", lang))
    sys.exit(1 if counts["failed"] else 0)


def _is_address(value: str) -> bool:
    """One plain ASCII address (it goes into the From header and MAIL FROM as is)."""
    if not value.isascii() or any(c.isspace() or c in '<>",;' for c in value):
        return False
    try:
        return Address(addr_spec=value).addr_spec == value and "@" in value
    except Exception:  # the header parser raises several kinds on junk
        return False


def _show(pending: list[Outgoing], already: int, lang: str) -> None:
    if already:
        click.echo(text("already", lang, n=already))
    if pending:
        click.echo(text("pending", lang, n=len(pending)))
    for item in pending:
        kind = text(item.kind, lang)
        to = ", ".join(item.recipients)
        click.echo(text("line", lang, kind=kind, office=item.office, to=to, subject=item.subject))


def _server(
    host: str,
    port: int | None,
    security: str | None,
    user: str | None,
    cafile: Path | None,
    insecure: bool,
    lang: str,
) -> Server:
    """The connection settings; the password from the environment, else a hidden prompt."""
    implicit = security == "ssl" or (security is None and port == 465)
    password = None
    if user:
        password = os.environ.get(PASSWORD_ENV) or click.prompt(
            text("password", lang), hide_input=True, err=True
        )
    return Server(
        host, port or (465 if implicit else 587), implicit, user, password, cafile, insecure
    )


def _report(item: Outgoing, result: Result, counts: dict[str, int], lang: str) -> None:
    to = ", ".join(item.recipients)
    said = text(result.status, lang, office=item.office, to=to, detail=result.detail)
    if result.status == "sent":
        counts["sent"] += 1
        click.echo(said)
        return
    if result.status == "partly":  # it went (and is logged), but not to everyone
        counts["sent"] += 1
    counts["failed"] += 1
    click.echo(said, err=True)
