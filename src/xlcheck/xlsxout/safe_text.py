"""Neutralise text echoed from a submission so no spreadsheet ever runs it as a formula.

Two defences, chosen for safety without falsifying the office's data:

1. Every echoed string is written as a string cell (`write_string`, and the workbook is created
   with ``strings_to_formulas=False``), so on opening it is text, never a formula.  This alone
   stops the classic payloads in .xlsx.
2. Text that *starts* like a formula (OWASP / ASVS 1.2.10: ``= + - @``, tab, CR, LF, NUL, and the
   full-width ``＝ ＋ － ＠`` that Chinese input methods produce) is risky where a person may
   re-enter it (F2 + Enter turns ``=...`` text into a live formula) or copy it to CSV:
   - in the office's own data cells we keep the value character for character and give the cell
     Excel's ``quotePrefix`` style (`needs_guard`), so re-entering keeps it text and the file
     can be resubmitted unchanged;
   - in text we compose (the findings list, cell comments, the summary line) `neutralise`
     prefixes a visible apostrophe, the escaping ASVS prescribes for exported text.

Composed text also loses the bidi embedding, override and isolate controls: a sender's
「某某县\u202ecod.exe局」 would otherwise show reversed in a list the clerk trusts. The office's
own cells and the canonical JSON keep them, character for character.
"""

from __future__ import annotations

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\0＝＋－＠")
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def needs_guard(text: str) -> bool:
    """True when the text starts with a character that a spreadsheet may read as a formula."""
    return bool(text) and text[0] in FORMULA_TRIGGERS


def neutralise(text: str) -> str:
    """Prefix an apostrophe to text that starts like a formula and drop bidi controls."""
    text = text.translate(_BIDI_CONTROLS)
    return "'" + text if needs_guard(text) else text
