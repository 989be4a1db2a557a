"""Names of the files and folders xlcheck makes from untrusted text (an office's name, an input's
file name): usable on Windows, macOS and Linux, bounded in bytes, free of invisible characters, and
distinct within one run. The one place such a name is made; Chinese is kept as it is."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable

# ext4, XFS, APFS count a name in bytes (255); NTFS in UTF-16 units (255), never more than bytes.
NAME_MAX_BYTES = 255
# What callers append to a made name: `-2025.a1b2c3d4.docx`, `.a1b2c3d4.errors.xlsx` (21 bytes),
# `.canonical.sourcemap.json` (25), a `-12` telling two alike apart. The full name stays <= 255.
SUFFIX_ROOM = 40
# Reserved on Windows in any name; '#' would cut a hyperlink to the file short.
_RESERVED_CHARS = frozenset('<>:"/\\|?*#')
# Windows device names, whatever the extension (COM¹ is one too).
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{kind}{n}" for kind in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)
# Format characters (Cf) are dropped: bidi overrides and isolates (U+202A-202E, U+2066-2069,
# U+200E/F, U+061C) make 'gpj.exe' read as 'exe.jpg', zero-width ones (U+200B-200D, U+2060, U+FEFF)
# make two names look alike. Controls, lone surrogates and line breaks break a name or a header
# line: in a file name they become '_' (mail text, `sendertext.py`, makes them a space).
HIDDEN_CATEGORY = "Cf"
BREAKING_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def suffix_of(name: str) -> str:
    """Return the lower-case extension of a file name, with its dot ("" if none).

    Trailing spaces and dots are dropped, as Windows drops them ("report.XLSX " is .xlsx).
    """
    base = name.rsplit("/", 1)[-1].rstrip(" .\t")
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def safe_name(
    text: str,
    *,
    reserve: int = 0,
    max_chars: int | None = None,
    taken: Collection[str] = (),
) -> str:
    """A file or folder name from `text`, at most NAME_MAX_BYTES - reserve bytes in UTF-8.

    `taken` are names that must not be made (compared without case, as Windows and macOS do):
    such a name, like an empty one or a device name, gets a leading '_'.
    """
    limit = NAME_MAX_BYTES - reserve
    name = _bound(unicodedata.normalize("NFC", _clean(text)).strip(" ."), limit, max_chars)
    if not name or _is_device(name) or name.casefold() in _folded(taken):
        name = "_" + _bound(name, limit - 1, None if max_chars is None else max_chars - 1)
    return name


def _bound(name: str, limit: int, max_chars: int | None) -> str:
    """At most `max_chars` characters and `limit` bytes in UTF-8, cut between characters."""
    if max_chars is not None:
        name = name[:max_chars]
    data = name.encode("utf-8")
    if len(data) > limit:
        name = data[:limit].decode("utf-8", errors="ignore")
    return name.rstrip(" .")


def _clean(text: str) -> str:
    if text.isprintable() and not _RESERVED_CHARS.intersection(text):
        return text  # the usual name: nothing to do
    return "".join(map(_clean_char, text))


def _clean_char(char: str) -> str:
    if char in _RESERVED_CHARS:
        return "_"
    category = unicodedata.category(char)
    if category == HIDDEN_CATEGORY:
        return ""
    if category in BREAKING_CATEGORIES:
        return "_"
    return " " if category == "Zs" else char  # a no-break or ideographic space reads as a space


def _is_device(name: str) -> bool:
    return name.split(".")[0].rstrip(" ").upper() in _DEVICES


def _folded(names: Collection[str]) -> set[str]:
    return {n.casefold() for n in names}


def name_key(name: str) -> str:
    """Two names a case-insensitive file system (Windows, macOS) takes for one have one key."""
    return unicodedata.normalize("NFC", name).casefold()


class RunNames:
    """The stems handed out in one run, each with the suffixes its outputs get: two inputs both
    called 报表.xlsx (from two folders) get 报表 and 报表-2, so no output replaces another."""

    def __init__(self, suffixes: Iterable[str]) -> None:
        self.suffixes = tuple(suffixes)
        self.used: set[str] = set()

    def take(self, wanted: str, blocked: Callable[[str], bool] = lambda stem: False) -> str:
        """A stem for `wanted` none of whose names is used yet in this run nor `blocked`."""
        base = safe_name(wanted, reserve=SUFFIX_ROOM)
        stem, n = base, 1
        while not self._free(stem) or blocked(stem):
            n += 1
            stem = f"{base}-{n}"
        self.used.update(name_key(stem + s) for s in self.suffixes)
        return stem

    def _free(self, stem: str) -> bool:
        return not any(name_key(stem + s) in self.used for s in self.suffixes)
