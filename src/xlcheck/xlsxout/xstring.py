"""Cell text escapes on write (ECMA-376 Part 1 §22.9.2.19 ST_Xstring), the inverse of the reader's
`xlsx.xstring.decode_xstring`.

xlsxwriter (3.3.1) escapes control characters and a typed `_xHHHH_`, but only non-overlapping
ones: in `_x005F_x0041_` the underscore that closes the first escape also opens the second, which
it leaves alone, so the text reads back as `_x005FA`. Every writer of ours goes through xlsxwriter,
so its one escaping hook is replaced by the complete version below when this module is imported.
"""

from __future__ import annotations

import re
from typing import Any, Final

from xlsxwriter.xmlwriter import XMLwriter

# An underscore that would start an escape, found with a lookahead so that overlapping ones count.
_OPENING_UNDERSCORE: Final = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
# What XML 1.0 cannot carry, or would change (CR), plus the two non-characters; tab and LF stay.
_UNSAFE: Final = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def escape_xstring(text: Any) -> Any:
    """Text as an ST_Xstring; anything that is not a string is returned unchanged (as xlsxwriter)."""
    if not isinstance(text, str):
        return text
    if "_x" in text:
        text = _OPENING_UNDERSCORE.sub("_x005F_", text)
    return _UNSAFE.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def install() -> None:
    """Make xlsxwriter's shared-string, inline-string and data writers use escape_xstring."""
    XMLwriter._escape_control_characters = staticmethod(escape_xstring)


install()
