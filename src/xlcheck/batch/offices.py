"""Who sent a submission: the office identity from the form's identity roles, names safe for the file system, the roster."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcheck.filenames import SUFFIX_ROOM, safe_name
from xlcheck.form.model import Roles

# GB 32100-2015: 18 characters from this alphabet; the last is a check character (mod 31).
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_SPACES = re.compile(r"\s+")
MAX_DIR_CHARS = 60  # a folder name people can still read in Explorer's column
UNNAMED = "未填机关名称"
ROSTER_NAME = (
    "机关名称"  # the roster's column headings (also those of a list of links made from it)
)
ROSTER_CODE = "统一社会信用代码"
# What a batch writes at OUT's top level beside the office folders (batch/__init__.py, state.py;
# SQLite's journal next to its file): an office called 汇总.xlsx must not take one of these names.
OWN_NAMES = frozenset(
    {
        "汇总.xlsx",
        "summary.json",
        ".xlcheck-state.sqlite",
        ".xlcheck-state.sqlite-journal",
        ".xlcheck-state.sqlite-wal",
        ".xlcheck-state.sqlite-shm",
        ".xlcheck-store",
    }
)


@dataclass(frozen=True)
class Office:
    """The identity of a reporting office: a stable key and the name to show."""

    key: str  # code:<credit code> | name:<normalised name>
    name: str
    credit_code: str | None


def check_character(body: str) -> str:
    """The GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(CODE_ALPHABET.index(c) * w for c, w in zip(body, CODE_WEIGHTS, strict=True))
    return CODE_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(code: Any) -> bool:
    return (
        isinstance(code, str) and bool(_CODE.match(code)) and check_character(code[:17]) == code[17]
    )


def normalise_name(name: Any) -> str:
    """Full-width letters and digits folded (NFKC), every space removed: 某某县 财政局 = 某某县财政局."""
    if not isinstance(name, str):
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFKC", name))


def identify_office(values: Mapping[str, Any], fallback: str, roles: Roles) -> Office:
    """Credit code first when it is valid, else the normalised name; never the file name.

    The form's roles say which fields hold them; a form without them names offices by content hash.
    """
    name = normalise_name(values.get(roles.name) if roles.name else None)
    code = values.get(roles.credit_code) if roles.credit_code else None
    code = unicodedata.normalize("NFKC", code).upper() if isinstance(code, str) else None
    if valid_credit_code(code):
        return Office(f"code:{code}", name or str(code), code)
    if name:
        return Office(f"name:{name}", name, None)
    return Office(f"unnamed:{fallback}", f"{UNNAMED}-{fallback[:8]}", None)


def safe_filename(name: str) -> str:
    """An office's folder and file name base: safe on every system, room left for the suffixes,
    never one of the batch's own names (see filenames.safe_name)."""
    return safe_name(name, reserve=SUFFIX_ROOM, max_chars=MAX_DIR_CHARS, taken=OWN_NAMES)


# ---- the roster of offices that must report --------------------------------------------------------


def read_roster(path: Path) -> list[tuple[str, str | None]]:
    """(机关名称, 统一社会信用代码 or None) rows from a .csv (UTF-8 or GBK) or .xlsx roster."""
    rows = (
        roster_xlsx_rows(path)
        if path.suffix.lower() in (".xlsx", ".xlsm")
        else roster_csv_rows(path)
    )
    header = [str(c or "").strip() for c in next(rows, [])]
    if ROSTER_NAME not in header:
        raise ValueError(f"名单「{path.name}」没有「{ROSTER_NAME}」列")
    name_at = header.index(ROSTER_NAME)
    code_at = header.index(ROSTER_CODE) if ROSTER_CODE in header else None
    found = []
    for row in rows:
        name = str(row[name_at] or "").strip() if name_at < len(row) else ""
        code = row[code_at] if code_at is not None and code_at < len(row) else None
        if name:
            found.append((name, str(code).strip().upper() if code else None))
    return found


def roster_csv_rows(path: Path) -> Iterator[list[Any]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Excel on Chinese Windows saves CSV in GBK
        text = data.decode("gb18030", errors="replace")
    return iter(list(csv.reader(io.StringIO(text))))


def roster_xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return iter(rows)


def roster_keys(roster: list[tuple[str, str | None]]) -> set[str]:
    """The code:… and name:… keys that missing_offices looks for."""
    return {f"code:{code}" for _, code in roster if code} | {
        f"name:{normalise_name(name)}" for name, _ in roster
    }


def missing_offices(
    roster: list[tuple[str, str | None]], reported: set[str]
) -> list[tuple[str, str | None]]:
    """Roster entries matched by no readable submission; `reported` holds code:… and name:… keys."""
    return [
        (name, code)
        for name, code in roster
        if f"code:{code}" not in reported and f"name:{normalise_name(name)}" not in reported
    ]
