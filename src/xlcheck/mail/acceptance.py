"""The acceptance mail (回执) for a valid submission: office, year and the SHA-256 of the file
received, in reply to the office's own message. Built the way mailout.build_reply builds replies
(every header value cleaned to one line), without an attachment.
"""

from __future__ import annotations

import email.policy
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from xlcheck.sendertext import clean_message_id, clean_text

_POLICY = email.policy.SMTP
SUBJECT = "回执：已收到并通过校验"


def acceptance_id(row: Mapping[str, Any]) -> str:
    """The identity of the acceptance for one submission to one address (stable across runs)."""
    identity = f"acceptance|{row.get('sha256')}|{row.get('sender')}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def acceptance_body(row: Mapping[str, Any]) -> str:
    office, year = clean_text(str(row.get("office") or "")), row.get("year")
    lines = [
        f"{office}：",
        "",
        f"贵单位报送的{year or ''}年度政府信息公开工作年度报告已收到，经自动检查未发现错误，已通过校验。",
        "",
        f"收到的文件：{clean_text(str(row.get('filename') or ''))}",
        f"文件 SHA-256：{row.get('sha256')}",
    ]
    warnings = int(row.get("warnings") or 0) - int(row.get("explained") or 0)
    if warnings > 0:
        lines.append(f"另有 {warnings} 处提示（不影响通过），请核实。")
    lines += ["", "（本邮件由 xlcheck 自动发送。）"]
    return "\r\n".join(lines) + "\r\n"


def build_acceptance(row: Mapping[str, Any], from_addr: str, key: str) -> bytes:
    """The complete message; raises ValueError when the sender address is not one."""
    message = EmailMessage(policy=_POLICY)
    message["From"] = Address(addr_spec=from_addr)
    name = clean_text(str(row.get("sender_name") or ""))
    message["To"] = Address(display_name=name, addr_spec=str(row["sender"]))
    office, year = clean_text(str(row.get("office") or "")), row.get("year")
    message["Subject"] = f"{SUBJECT}（{office}{year or ''}年度报告）"
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = from_addr.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<xlcheck-acceptance-{key[:32]}@{domain}>"
    reply_to = clean_message_id(str(row.get("message_id") or ""))
    if reply_to:
        message["In-Reply-To"] = reply_to
        message["References"] = reply_to
    message.set_content(acceptance_body(row), cte="base64")
    return message.as_bytes()
