"""What `mail send` would send from a batch output folder: the reply drafts summary.json names,
and (on request) an acceptance mail for each valid submission whose sender is known.

Nothing here talks to a server; the folder is read, never written.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from xlcheck.batch.finish import PASSED
from xlcheck.mail.acceptance import acceptance_id, build_acceptance

SUMMARY = "summary.json"
MAILING = "mailing.json"  # what `templates --mail` writes: one row per office, its message
REPLY = "reply"
ACCEPTANCE = "acceptance"
TEMPLATE = "template"
DRAFT_KINDS = (REPLY, TEMPLATE)


class OutboxError(Exception):
    """The folder cannot be sent from; `key` names the text in send.TEXTS, `detail` fills it."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key, detail)
        self.key, self.detail = key, detail


@dataclass(frozen=True)
class Outgoing:
    """One message to send, as read from the folder (its From and Date are set when sent)."""

    kind: str  # REPLY | ACCEPTANCE
    office: str
    key: str  # SHA-256 of a draft's bytes; of an acceptance mail's identity
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    data: bytes


def read_rows(out_dir: Path) -> list[Mapping[str, Any]]:
    """The rows of the batch's summary.json, or of the mailing.json `templates --mail` wrote;
    anything else is not a folder to send from."""
    manifest = out_dir / (MAILING if (out_dir / MAILING).is_file() else SUMMARY)
    try:
        summary = json.loads(manifest.read_text("utf-8"))
        rows = summary["rows"]
    except (OSError, ValueError, TypeError, KeyError):
        raise OutboxError("not_batch", str(out_dir)) from None
    if not isinstance(rows, list):
        raise OutboxError("not_batch", str(out_dir))
    return [row for row in rows if isinstance(row, dict)]


def read_outbox(
    out_dir: Path, rows: list[Mapping[str, Any]], acceptance: bool, from_addr: str
) -> list[Outgoing]:
    """The reply drafts, then the acceptance mails when asked for, in summary order."""
    found = list(_drafts(out_dir, rows))
    if acceptance:
        found += acceptances(rows, from_addr)
    return found


def _drafts(out_dir: Path, rows: list[Mapping[str, Any]]) -> Iterator[Outgoing]:
    root = out_dir.resolve()
    for row in rows:
        outputs = row.get("outputs")
        kind = next((k for k in DRAFT_KINDS if isinstance(outputs, dict) and k in outputs), None)
        rel = outputs.get(kind) if kind is not None and isinstance(outputs, dict) else None
        if kind is None or not isinstance(rel, str):
            continue
        path = (out_dir / rel).resolve()
        if root not in path.parents:  # summary.json is ours, but never leave the folder
            raise OutboxError("draft_missing", rel)
        try:
            data = path.read_bytes()
        except OSError:
            raise OutboxError("draft_missing", rel) from None
        yield outgoing(kind, str(row.get("office") or ""), _sha256(data), data, rel)


def acceptances(rows: list[Mapping[str, Any]], from_addr: str) -> Iterator[Outgoing]:
    """An acceptance mail for each valid current submission whose sender address is known."""
    for row in rows:
        if row.get("status") != PASSED or not row.get("sender") or not row.get("sha256"):
            continue
        key = acceptance_id(row)
        try:
            data = build_acceptance(row, from_addr, key)
        except (ValueError, email.errors.HeaderParseError):  # a sender that is no address
            raise OutboxError("no_recipient", str(row.get("origin") or SUMMARY)) from None
        yield outgoing(ACCEPTANCE, str(row.get("office") or ""), key, data, SUMMARY)


def outgoing(kind: str, office: str, key: str, data: bytes, where: str) -> Outgoing:
    """Read the recipients, subject and Message-ID a message carries."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    try:
        to = message["To"]
        addresses = tuple(a.addr_spec for a in to.addresses) if to is not None else ()
        subject = str(message["Subject"] or "")
    except (ValueError, TypeError, IndexError):
        addresses, subject = (), ""
    if not addresses or not all(a.isascii() and "@" in a for a in addresses):
        raise OutboxError("no_recipient", where)
    message_id = str(message["Message-ID"] or "").strip()
    return Outgoing(kind, office, key, message_id, addresses, subject, data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
