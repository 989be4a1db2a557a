"""Last year's report for the rules that link two years (X1, W3, W4, W9): read with its own form,
its values mapped onto this form's keys as this form's `previous_forms` declares.

A 2020 report in the 2019 format serves a 2021 report: it is read with the 2019 form, and only the
fields the 2021 form declares as meaning the same in both reach the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlcheck.check import FileResult, check_path
from xlcheck.form.load import find_form
from xlcheck.form.model import Form, PreviousForm, Text


class PreviousError(Exception):
    """Last year's report cannot serve: the message (zh/en) names the file and why."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.zh)
        self.text = text


@dataclass(frozen=True)
class Previous:
    """Last year's values under this form's keys, and the check of the report in its own form."""

    values: dict[str, Any]
    result: FileResult


def read_previous(path: Path, form: Form) -> Previous:
    """Last year's report, ready for the rules; PreviousError when it cannot serve."""
    result = check_path(path, form)
    ident = document_form(result)
    if ident is None or ident == (form.id, form.form_version):
        return Previous(_values(path, result), result)
    declared = next((p for p in form.previous_forms if (p.form_id, p.form_version) == ident), None)
    if declared is None:
        raise PreviousError(_undeclared(path, ident, form))
    earlier = find_form(ident[0], ident[1], form)
    if earlier is None:
        raise PreviousError(_no_definition(path, ident))
    result = check_path(path, earlier)
    return Previous(map_previous(declared, earlier, _values(path, result)), result)


def carried_values(form: Form, last: Mapping[str, Any]) -> dict[str, Any]:
    """This year's inputs its carry-over rule fills from last year's values (fill --previous):
    for the 2021 form, 上年结转 = last year's 结转下年度, column by column."""
    carry = form.roles.carry_over
    if carry is None:
        return {}
    return {
        mine: last[theirs]
        for mine, theirs in carry.pairs
        if theirs in last and form.fields[mine].is_input
    }


def document_form(result: FileResult) -> tuple[str, str] | None:
    """(form id, form version) the document says it is: canonical JSON's form + form_version, a
    workbook's template id + form version; None when it does not say (read with this form)."""
    ident = result.template
    form_id = ident.get("form") if result.kind == "json" else ident.get("template_id")
    if form_id in (None, "None"):
        return None
    version = ident.get("form_version")
    return str(form_id), "" if version in (None, "None") else str(version)


def map_previous(declared: PreviousForm, earlier: Form, values: dict[str, Any]) -> dict[str, Any]:
    """The declared fields of the earlier form's values, under this form's keys."""
    unknown = [theirs for theirs, _ in declared.keys if theirs not in earlier.fields]
    if unknown:
        raise PreviousError(
            Text(
                f"表单定义有误：previous_forms 中 {earlier.id} {earlier.form_version} 没有字段 {unknown[0]}",
                f"form definition: previous_forms names {unknown[0]}, which "
                f"{earlier.id} {earlier.form_version} does not have",
            )
        )
    return {mine: values[theirs] for theirs, mine in declared.keys if theirs in values}


def _values(path: Path, result: FileResult) -> dict[str, Any]:
    if not result.readable:
        reason = result.findings[0]
        raise PreviousError(
            Text(
                f"无法读取上年报告 {path}：{reason.text('zh')}",
                f"cannot read last year's report {path}: {reason.text('en')}",
            )
        )
    return dict(result.values)


def _undeclared(path: Path, ident: tuple[str, str], form: Form) -> Text:
    accepted = "、".join(
        [f"{form.id} {form.form_version}"]
        + [f"{p.form_id} {p.form_version}" for p in form.previous_forms]
    )
    return Text(
        f"上年报告 {path} 的表单为 {ident[0]} {ident[1]}，不能用于核对本表单"
        f"（{form.id} {form.form_version}）；可用的上年表单：{accepted}",
        f"last year's report {path} is of form {ident[0]} {ident[1]}, which form "
        f"{form.id} {form.form_version} does not accept as previous; accepted: "
        f"{accepted.replace('、', ', ')}",
    )


def _no_definition(path: Path, ident: tuple[str, str]) -> Text:
    return Text(
        f"上年报告 {path} 的表单为 {ident[0]} {ident[1]}，但找不到该表单的定义文件"
        "（应与本表单定义放在同一文件夹，或随本工具附带）",
        f"last year's report {path} is of form {ident[0]} {ident[1]}, but no definition of it "
        "was found (beside this form's definition, or bundled)",
    )
