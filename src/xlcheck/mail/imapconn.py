"""The IMAP session of `mail fetch` (the one module that speaks imaplib): TLS, login, the folder,
listing, fetching and moving by UID. Failures become a FetchError keyed into fetch.TEXT."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TIMEOUT = 60.0  # seconds of silence before a connection counts as dropped
_LIST_ITEM = re.compile(
    rb"UID (?P<uid>\d+)|RFC822\.SIZE (?P<size>\d+)|INTERNALDATE \"(?P<date>[^\"]*)\""
)


class FetchError(Exception):
    """The fetch could not go on: a key of fetch.TEXT and the values its text names."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Listed:
    """One message of the folder as the listing names it, before its bytes are fetched."""

    uid: int
    size: int
    date: time.struct_time | None


def encode_mailbox(name: str) -> str:
    """A folder name as IMAP wants it on the wire: modified UTF-7 (RFC 3501 5.1.3), quoted.
    Coremail and Exchange name folders in Chinese (已处理), which imaplib leaves to us."""
    out: list[str] = []
    run: list[str] = []
    for char in name + "\0":  # the sentinel ends the last run
        if 0x20 <= ord(char) <= 0x7E or char == "\0":
            if run:
                raw = "".join(run).encode("utf-16-be")
                out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
                run.clear()
            out.append("&-" if char == "&" else char.strip("\0"))
        else:
            run.append(char)
    text = "".join(out)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tls_context(cafile: Path | None, insecure: bool) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    except (OSError, ssl.SSLError) as exc:
        raise FetchError("cafile", cafile=cafile, reason=reason_of(exc)) from exc
    if insecure:  # asked for by name: the clerk's own server with a certificate of its own
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(host: str, port: int, starttls: bool, context: ssl.SSLContext) -> imaplib.IMAP4:
    """An encrypted session: implicit TLS, or STARTTLS before anything else is said."""
    server = f"{host}:{port}"
    try:
        if not starttls:
            return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT)
        conn = imaplib.IMAP4(host, port, timeout=TIMEOUT)
        try:
            conn.starttls(context)
        except BaseException:
            conn.shutdown()
            raise
        return conn
    except ssl.SSLCertVerificationError as exc:
        raise FetchError("certificate", server=server, reason=exc.verify_message) from exc
    except imaplib.IMAP4.error as exc:  # no STARTTLS offered, or a greeting that is not IMAP
        raise FetchError("no_tls", server=server, reason=reason_of(exc)) from exc
    except (OSError, EOFError) as exc:
        raise FetchError("connect", server=server, reason=reason_of(exc)) from exc


def login(conn: imaplib.IMAP4, user: str, password: str) -> set[str]:
    """Log in; the capabilities the server names afterwards (MOVE, UIDPLUS are only told then)."""
    try:
        if (user + password).isascii():
            conn.login(user, password)
        else:  # LOGIN is ASCII only; SASL PLAIN carries UTF-8
            secret = f"\0{user}\0{password}".encode()
            conn.authenticate("PLAIN", lambda _challenge: secret)
        typ, data = conn.capability()
    except imaplib.IMAP4.abort as exc:
        raise FetchError("dropped_login", reason=reason_of(exc)) from exc
    except imaplib.IMAP4.error as exc:
        raise FetchError("login", user=user, reason=reason_of(exc)) from exc
    except OSError as exc:
        raise FetchError("dropped_login", reason=reason_of(exc)) from exc
    words = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
    return set(words.upper().split())


def select(conn: imaplib.IMAP4, folder: str, writable: bool) -> tuple[int, int]:
    """Open the folder (read-only unless mail is to be moved): (UIDVALIDITY, message count)."""
    typ, data = conn.select(encode_mailbox(folder), readonly=not writable)
    if typ != "OK":
        raise FetchError("folder", folder=folder, reason=_answer(data))
    _, validity = conn.response("UIDVALIDITY")
    if not validity or validity[0] is None:
        raise FetchError("no_uidvalidity", folder=folder)
    return int(validity[0]), int(data[0] or 0)


def ensure_folder(conn: imaplib.IMAP4, folder: str) -> None:
    """The folder mail is moved to exists afterwards (made when missing, as a client would)."""
    typ, data = conn.list('""', encode_mailbox(folder))
    if typ == "OK" and any(d is not None for d in data):
        return
    typ, data = conn.create(encode_mailbox(folder))
    if typ != "OK":
        raise FetchError("create", folder=folder, reason=_answer(data))


def list_messages(conn: imaplib.IMAP4, count: int) -> list[Listed]:
    """Every message's UID, size and arrival time, in UID order (one command for the folder)."""
    if count == 0:
        return []
    typ, data = conn.uid("FETCH", "1:*", "(UID RFC822.SIZE INTERNALDATE)")
    if typ != "OK":
        raise FetchError("server", reason=_answer(data))
    found = (_listed(d) for d in data if isinstance(d, bytes))
    return sorted((item for item in found if item is not None), key=lambda item: item.uid)


def _listed(line: bytes) -> Listed | None:
    values: dict[str, bytes] = {}
    for match in _LIST_ITEM.finditer(line):
        values.update({k: v for k, v in match.groupdict().items() if v is not None})
    if "uid" not in values:
        return None
    date = values.get("date")
    stamp = imaplib.Internaldate2tuple(b'INTERNALDATE "' + date + b'"') if date else None
    return Listed(int(values["uid"]), int(values.get("size", b"0")), stamp)


def fetch_message(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    """The message exactly as the server holds it; BODY.PEEK leaves it unread. None when it
    was expunged meanwhile."""
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise FetchError("server", reason=_answer(data))
    for part in data:
        # other FETCH answers may come unasked (flags another client changed): only BODY[] counts
        if isinstance(part, tuple) and b"BODY[]" in part[0]:
            return bytes(part[1])
    return None


def move_message(conn: imaplib.IMAP4, uid: int, folder: str, capabilities: set[str]) -> None:
    """UID MOVE where the server has it; else copy, mark deleted, and expunge that UID only
    (UIDPLUS), or the folder as a last resort (older servers offer nothing finer)."""
    target = encode_mailbox(folder)
    if "MOVE" in capabilities:
        _check(conn.uid("MOVE", str(uid), target))
        return
    _check(conn.uid("COPY", str(uid), target))
    _check(conn.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"))
    if "UIDPLUS" in capabilities:
        _check(conn.uid("EXPUNGE", str(uid)))
    else:
        _check(conn.expunge())


def close(conn: imaplib.IMAP4) -> None:
    """Log out politely; a connection already gone is simply closed."""
    try:
        conn.logout()
    except (imaplib.IMAP4.error, OSError, EOFError):
        with contextlib.suppress(OSError):
            conn.shutdown()


def _check(answer: tuple[str, list[Any]]) -> None:
    typ, data = answer
    if typ != "OK":
        raise FetchError("server", reason=_answer(data))


def _answer(data: list[Any]) -> str:
    parts = [d.decode("utf-8", "replace") for d in data if isinstance(d, bytes)]
    return " ".join(parts) or "?"


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]  # imaplib passes the server's bytes through str()
    return text or type(exc).__name__
