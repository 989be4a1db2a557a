"""`xlcheck serve DIR`: the web pages for offices and the county (click only here).

The admin password never comes from the command line: it is asked at the prompt, or read from the
environment variable XLCHECK_ADMIN_PASSWORD (for scripted set-ups), and stored as a slow hash.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from xlcheck.cli_common import fail

PASSWORD_ENV = "XLCHECK_ADMIN_PASSWORD"
MIN_PASSWORD = 10
LINKS_FILE = "报送链接-{stamp}.csv"
MIN_CONCURRENCY = 64  # connections and requests at once (a county's offices, a browser's few each)
CONCURRENCY_PER_WORKER = 16


@click.command()
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（默认只本机可访问）")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="端口；0 表示任选一个空闲端口",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path),
    help="报送单位名单（csv 或 xlsx），为新单位生成报送链接",
)
@click.option("--set-password", is_flag=True, help="设置管理员密码（在提示符输入）后退出")
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="校验进程数"
)
def serve(
    folder: Path, host: str, port: int, roster: Path | None, set_password: bool, workers: int
) -> None:
    """在浏览器中校验与报送 / check and submit in the browser; the county's overview."""
    from xlcheck.serve.store import Store, StoreError

    try:
        store = Store.open(folder)
    except StoreError as exc:
        fail(str(exc))
    try:
        if set_password:
            _set_password(store)
            return
        listener = _listen(host, port)
        if roster is not None:  # after binding: the links carry the port really listened on
            _add_roster(store, folder, roster, host, listener.getsockname()[1])
        _run(folder, store, listener, workers, has_password=store.has_password())
    finally:
        store.close()


def _set_password(store: Any) -> None:
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = click.prompt(
            "管理员密码 / admin password", hide_input=True, confirmation_prompt=True
        )
    if len(password) < MIN_PASSWORD:
        fail(
            f"密码至少 {MIN_PASSWORD} 个字符 / the password needs at least {MIN_PASSWORD} characters"
        )
    store.set_password(password)
    click.echo("已设置管理员密码。/ The admin password is set.")


def _add_roster(store: Any, folder: Path, roster: Path, host: str, port: int) -> None:
    """Offices new to the index get a link; the links go to a file only the server's user reads
    (they are secrets: never printed, never logged)."""
    from xlcheck.batch.offices import ROSTER_CODE, ROSTER_NAME, read_roster

    try:
        rows = read_roster(roster)
    except Exception as exc:  # noqa: BLE001 - any unreadable roster is one clear line
        fail(f"无法读取报送单位名单「{roster}」：{exc}")
    added = store.add_offices(rows)
    if not added:
        click.echo(f"名单中的 {len(rows)} 个单位都已在册，没有新的报送链接。")
        return
    base = f"http://{_url_host(host)}:{port}"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([ROSTER_NAME, ROSTER_CODE, "报送链接"])
    for office, token in added:
        writer.writerow([office.name, office.credit_code or "", f"{base}/o/{token}"])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = folder / LINKS_FILE.format(stamp=stamp)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(buffer.getvalue())
    click.echo(f"已加入 {len(added)} 个单位；各单位的报送链接见「{path}」（只有本机用户可读）。")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _listen(host: str, port: int) -> socket.socket:
    """Bind before anything starts, so a port in use is one clear line and exit 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every answer on a kept-alive connection waited 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        fail(
            f"无法在 {host}:{port} 上监听（{exc.strerror}）。换一个 --port，或先停掉占用它的程序。"
        )
    sock.listen(128)
    return sock


def _run(
    folder: Path, store: Any, listener: socket.socket, workers: int, has_password: bool
) -> None:
    import uvicorn

    from xlcheck.serve.app import create_app

    app = create_app(folder, store, workers=workers)
    host, port = listener.getsockname()[:2]
    click.echo(f"xlcheck serve：http://{_url_host(host)}:{port}/ （Ctrl+C 停止）")
    if not has_password:
        click.echo(
            "尚未设置管理员密码，县级汇总页暂不可用：xlcheck serve 目录 --set-password", err=True
        )
    sys.stdout.flush()
    # No access log: an office's link carries its token, and secrets never reach a log.
    # limit_concurrency: beyond it uvicorn answers 503 at once rather than queueing without end
    # (each waiting upload holds its body, up to the size cap, in memory).
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        limit_concurrency=max(MIN_CONCURRENCY, CONCURRENCY_PER_WORKER * workers),
    )
    uvicorn.Server(config).run(sockets=[listener])
