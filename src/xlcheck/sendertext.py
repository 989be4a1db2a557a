"""Text a sender chose (a Subject, a From name, an attachment's name, a Message-ID), made safe to
show in a cell and to echo in one header line. Standard library only, so that writing a reply
does not load the inbox readers."""

from __future__ import annotations

import re
import unicodedata

from xlcheck.filenames import BREAKING_CATEGORIES, HIDDEN_CATEGORY, suffix_of

_SPACES = re.compile(r" {2,}")
_MSG_ID = re.compile(r"<[!-;=?-~]{1,250}>")  # printable ASCII without <, > and space
MAX_HEADER_CHARS = 200


def clean_text(text: str, limit: int = MAX_HEADER_CHARS) -> str:
    """Sender-supplied text made safe for one header line or cell: no control, line-break or
    invisible format characters, spaces collapsed, at most `limit` characters."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in BREAKING_CATEGORIES:
            kept.append(" ")
        elif category != HIDDEN_CATEGORY:
            kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()[:limit].rstrip()


def clean_file_name(name: str, limit: int = 120) -> str:
    """An attachment's name made safe to show and to echo in a header, its extension kept."""
    text = clean_text(name, 10 * limit)
    if len(text) <= limit:
        return text
    suffix = suffix_of(text)[:16]
    return text[: limit - len(suffix)].rstrip() + suffix


def clean_message_id(value: str) -> str | None:
    """The first <id@host> token of a Message-ID header; anything else is not one."""
    found = _MSG_ID.search(value)
    return found.group(0) if found else None
