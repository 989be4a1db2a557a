"""Fetch new submissions from an IMAP folder into an inbox folder that `xlcheck batch` reads.

Each new message is stored as a .eml file exactly as the server holds it, synced to disk, and only
then recorded (imapstate) and, when asked, moved on the server: a connection that drops at any
point loses nothing, and the next run stores nothing twice. Mail is never deleted or moved
unless `move_to` is given. No printing here: the command (fetch_cli) says what happened.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import imaplib
import os
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from xlcheck.filenames import safe_name
from xlcheck.inbox.models import InboxLimits
from xlcheck.outputs import write_atomic

from . import imapconn
from .imapconn import FetchError, Listed, encode_mailbox, reason_of
from .imapstate import FetchState, Source, StateBusy, digest

PASSWORD_ENV = "XLCHECK_IMAP_PASSWORD"
MAX_MESSAGE_BYTES = InboxLimits().max_message_bytes  # what batch would read of one .eml
_NAME_CHARS = 60  # of the subject in a stored file's name

__all__ = ["PASSWORD_ENV", "TEXT", "FetchError", "FetchOptions", "FetchResult", "encode_mailbox"]

# Each failure is one line; {reason} is the server's or the system's own words.
TEXT: dict[str, tuple[str, str]] = {
    "connect": (
        "无法连接 IMAP 服务器 {server}：{reason}。请检查服务器地址、端口和网络。",
        "cannot connect to the IMAP server {server}: {reason}. Check the host, port and network.",
    ),
    "certificate": (
        "服务器 {server} 的证书未通过验证（{reason}），已拒绝连接。可用 --cafile 指定该服务器的"
        "证书；确认服务器可信时才可加 --insecure。",
        "the certificate of {server} does not verify ({reason}): refused. Name the server's "
        "certificate with --cafile; add --insecure only for a server you trust.",
    ),
    "no_tls": (
        "服务器 {server} 不能建立加密连接（{reason}）。换用 993 端口（不加 --starttls）试试。",
        "{server} offers no encrypted session ({reason}). Try port 993 without --starttls.",
    ),
    "cafile": (
        "无法读取证书文件「{cafile}」：{reason}",
        "cannot read the certificate file {cafile}: {reason}",
    ),
    "login": (
        "登录失败：用户「{user}」的用户名或密码不对（服务器答复：{reason}）。",
        "login failed for user {user}: wrong user name or password (the server said: {reason}).",
    ),
    "dropped_login": (
        "登录时连接中断：{reason}。请稍后再试。",
        "the connection dropped while logging in: {reason}. Try again later.",
    ),
    "folder": (
        "邮箱中没有文件夹「{folder}」（服务器答复：{reason}）。",
        "the mailbox has no folder {folder} (the server said: {reason}).",
    ),
    "no_uidvalidity": (
        "服务器没有给出文件夹「{folder}」的 UIDVALIDITY，无法记住已收取的邮件。",
        "the server gave no UIDVALIDITY for {folder}: cannot remember what was fetched.",
    ),
    "create": (
        "无法在服务器上建立文件夹「{folder}」：{reason}",
        "cannot create the folder {folder} on the server: {reason}",
    ),
    "server": ("服务器拒绝了请求：{reason}", "the server refused: {reason}"),
    "dropped": (
        "收取时连接中断（{reason}）：已保存的 {saved} 封新邮件都已完整写入「{out}」；"
        "再次运行即可继续收取，不会重复。",
        "the connection dropped while fetching ({reason}): the {saved} new messages saved in "
        "{out} are whole; run again to go on, nothing is stored twice.",
    ),
    "busy": (
        "另一个 xlcheck mail fetch 正在写入「{out}」，请等它结束。",
        "another xlcheck mail fetch is writing into {out}: wait for it to finish.",
    ),
    "output": ("无法写入「{out}」：{reason}", "cannot write into {out}: {reason}"),
}


def message_text(error: FetchError, lang: str) -> str:
    zh, en = TEXT[error.key]
    return (en if lang == "en" else zh).format(**error.params)


@dataclass(frozen=True)
class FetchOptions:
    host: str
    port: int
    user: str
    out_dir: Path
    folder: str = "INBOX"
    starttls: bool = False
    move_to: str | None = None
    insecure: bool = False
    cafile: Path | None = None


@dataclass
class FetchResult:
    """What one run did: files written, messages already stored, moved, too big to fetch."""

    out_dir: Path
    new: list[str] = field(default_factory=list)
    same: int = 0
    moved: int = 0
    too_big: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Folder:
    """The selected folder of one session: what every message's step needs to know."""

    conn: imaplib.IMAP4
    options: FetchOptions
    capabilities: set[str]
    source: Source
    uidvalidity: int
    listing: list[Listed]


def fetch_mail(options: FetchOptions, password: str) -> FetchResult:
    """Fetch the folder's new mail into options.out_dir; FetchError when it cannot go on."""
    context = imapconn.tls_context(options.cafile, options.insecure)
    conn = imapconn.connect(options.host, options.port, options.starttls, context)
    result = FetchResult(options.out_dir)
    try:
        capabilities = imapconn.login(conn, options.user, password)
        with _dropped(result):
            folder = _open_folder(conn, options, capabilities)
        with _state(options.out_dir) as state, _dropped(result):
            known = state.known_uids(folder.source, folder.uidvalidity)
            for item in folder.listing:
                _take(folder, state, item, item.uid in known, result)
        return result
    finally:
        imapconn.close(conn)


def _open_folder(conn: imaplib.IMAP4, options: FetchOptions, capabilities: set[str]) -> _Folder:
    uidvalidity, count = imapconn.select(conn, options.folder, bool(options.move_to))
    if options.move_to:
        imapconn.ensure_folder(conn, options.move_to)
    listing = imapconn.list_messages(conn, count)
    source = Source(f"{options.host.lower()}:{options.port}", options.user, options.folder)
    return _Folder(conn, options, capabilities, source, uidvalidity, listing)


@contextlib.contextmanager
def _state(out_dir: Path) -> Iterator[FetchState]:
    """The inbox's state, made only now: a login or folder that fails writes nothing."""
    try:
        with FetchState.open(out_dir) as state:
            yield state
    except StateBusy as exc:
        raise FetchError("busy", out=out_dir) from exc
    except OSError as exc:  # OutputError too: the folder, the disk
        raise FetchError("output", out=out_dir, reason=reason_of(exc)) from exc


@contextlib.contextmanager
def _dropped(result: FetchResult) -> Iterator[None]:
    """A connection lost mid-fetch: one line, saying what is safe on disk. Socket errors are
    the network's; any other OSError (a full disk) goes on to _state, so this one is inside."""
    try:
        yield
    except (imaplib.IMAP4.abort, ssl.SSLError, TimeoutError, ConnectionError, EOFError) as exc:
        saved, out = len(result.new), result.out_dir
        raise FetchError("dropped", reason=reason_of(exc), saved=saved, out=out) from exc
    except imaplib.IMAP4.error as exc:
        raise FetchError("server", reason=reason_of(exc)) from exc


def _take(
    folder: _Folder, state: FetchState, item: Listed, known: bool, result: FetchResult
) -> None:
    """One message: fetched and stored unless known, then moved when asked (never before)."""
    if not known:
        if item.size > MAX_MESSAGE_BYTES:
            result.too_big.append(item.uid)
            return
        data = imapconn.fetch_message(folder.conn, item.uid)
        if data is None:
            return  # expunged by another client meanwhile
        sha = digest(data)
        name = state.stored_as(sha)
        if name is None:
            name = _store(folder.options.out_dir, data, item)
            result.new.append(name)
        else:
            result.same += 1
        state.record(folder.source, folder.uidvalidity, item.uid, sha, name)
    if folder.options.move_to:
        imapconn.move_message(folder.conn, item.uid, folder.options.move_to, folder.capabilities)
        result.moved += 1


def _store(folder: Path, data: bytes, item: Listed) -> str:
    """Write the message under a name no other file has, synced before it counts as stored."""
    stem = safe_name(_name_text(data, item), reserve=16, max_chars=_NAME_CHARS + 20)
    name, n = f"{stem}.eml", 1
    while os.path.lexists(folder / name):
        n += 1
        name = f"{stem}-{n}.eml"

    def write(fh: BinaryIO) -> None:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())

    write_atomic(folder / name, write)
    _sync_folder(folder)
    return name


def _name_text(data: bytes, item: Listed) -> str:
    """ "20250301-091200 关于报送年报": when it arrived and what it says it is."""
    stamp = time.strftime("%Y%m%d-%H%M%S", item.date) if item.date else f"uid{item.uid}"
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(data)
        subject = " ".join(str(headers.get("subject", "")).split())
    except Exception:  # noqa: BLE001 - a subject that will not decode is only left out
        subject = ""
    return f"{stamp} {subject[:_NAME_CHARS]}".strip()


def _sync_folder(folder: Path) -> None:
    """The rename itself must reach the disk before the UID is recorded."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
