"""What the serve tests share: workbooks for offices, a served DIR, and reading a page's forms."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

from xlcheck.check import check_path
from xlcheck.form import load_form
from xlcheck.xlsxout import write_template

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VALID_EXAMPLE = EXAMPLES / "某县市场监督管理局-2024.xlsx"  # valid, no open errors
INVALID_EXAMPLE = EXAMPLES / "某县交通运输局-2024-有错误.xlsx"  # three errors
ADMIN_PASSWORD = "县政务公开办-2026-春"

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_PENDING = re.compile(r'name="pending" value="([^"]+)"')


def valid_workbook(agency: str) -> bytes:
    """A valid 2021 workbook for `agency`: the valid example's figures under its name."""
    form = load_form("gov-info-disclosure-2021")
    values = dict(check_path(VALID_EXAMPLE, form).values)
    values["agency.credit_code"] = None
    buffer = io.BytesIO()
    write_template(form, buffer, values=values, agency=agency)
    return buffer.getvalue()


def warned_workbook(agency: str) -> bytes:
    """A valid workbook with one open warning: W8, the platforms text (一、总体情况) left empty."""
    form = load_form("gov-info-disclosure-2021")
    values = dict(check_path(VALID_EXAMPLE, form).values)
    values["agency.credit_code"] = None
    values["overview.platforms"] = None
    buffer = io.BytesIO()
    write_template(form, buffer, values=values, agency=agency)
    return buffer.getvalue()


def invalid_workbook(agency: str) -> bytes:
    """The invalid example's figures (three errors) under `agency`."""
    form = load_form("gov-info-disclosure-2021")
    values = dict(check_path(INVALID_EXAMPLE, form).values)
    buffer = io.BytesIO()
    write_template(form, buffer, values=values, agency=agency)
    return buffer.getvalue()


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no CSRF field"
    return html.unescape(found.group(1))


def pending_of(page: str) -> str:
    found = _PENDING.search(page)
    assert found, "the page has no 提交 form"
    return html.unescape(found.group(1))


def text_of(page: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def upload(name: str, data: bytes) -> dict[str, Any]:
    return {"file": (name, data, "application/octet-stream")}
