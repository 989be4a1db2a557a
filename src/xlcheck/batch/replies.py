"""Reply drafts: a short Chinese e-mail to an office whose submission has errors, workbook attached."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xlcheck.mailout import build_reply

MAX_LISTED = 5


def reply_body(office: str, errors: int, messages: Sequence[str]) -> str:
    """N 个错误, the first few messages, and what to do."""
    lines = [
        f"{office}：",
        "",
        f"贵单位报送的政府信息公开工作年度报告经自动检查，发现 {errors} 个错误，主要是：",
        "",
        *(f"{i}. {m}" for i, m in enumerate(messages[:MAX_LISTED], start=1)),
    ]
    if errors > MAX_LISTED:
        lines.append(f"……（其余 {errors - MAX_LISTED} 个见附件）")
    lines += [
        "",
        "附件中的错误表标出了每个有问题的单元格。请修改后重新报送。",
        "",
        "（本邮件由 xlcheck 自动生成，发送前请核对。）",
    ]
    return "\r\n".join(lines) + "\r\n"


def build_draft(row: Mapping[str, Any], attachment_name: str, attachment: bytes) -> bytes:
    """The reply .eml for one row of the summary; the row must have a sender."""
    subject = row.get("subject") or "政府信息公开工作年度报告"
    office = str(row.get("office") or "")
    return build_reply(
        str(row["sender"]),
        row.get("sender_name"),
        f"回复：{subject}（请修改后重新报送）",
        reply_body(office, int(row.get("errors") or 0), row.get("messages") or []),
        attachment_name,
        attachment,
        in_reply_to=row.get("message_id"),
    )
