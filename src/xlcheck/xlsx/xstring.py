"""Cell text escapes of ECMA-376 Part 1 §22.9.2.19 (ST_Xstring), decoded as text is read.

Excel, LibreOffice and xlsxwriter store a character that XML cannot carry (or that XML would
change, such as CR) as `_xHHHH_`, and a typed `_xHHHH_` with its underscore escaped as
`_x005F_xHHHH_`. Without decoding, a CR LF typed into a cell reads back as `_x000D_` + LF.
"""

from __future__ import annotations

import re
from typing import Final

_ESCAPE: Final = re.compile(r"_x([0-9A-Fa-f]{4})_")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def decode_xstring(text: str) -> str:
    """The text an ST_Xstring stands for: each `_xHHHH_` (4 hex digits, either case) one character.

    Left to right and without re-reading what was decoded, so `_x005F_x0041_` is `_x0041_`.
    """
    if "_x" not in text:  # nearly every cell: a substring test, no regex
        return text
    decoded = _ESCAPE.sub(_character, text)
    return _join_surrogates(decoded) if _SURROGATE.search(decoded) else decoded


def _character(match: re.Match[str]) -> str:
    return chr(int(match.group(1), 16))


def _join_surrogates(text: str) -> str:
    """UTF-16 pairs written as two escapes become one character; a lone half becomes U+FFFD
    (it is no character at all, and neither JSON output nor Word could store it)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
