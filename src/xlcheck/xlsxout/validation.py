"""Data validation of input cells: whole numbers (signed for a change), amounts, years, choices, texts.

Prompts and stop-style alerts are in Chinese; Excel caps a prompt title at 32 characters and a
message at 255, so both are clipped.
"""

from __future__ import annotations

from typing import Any

from xlcheck.codes import format_value
from xlcheck.form.model import Field

_COUNT = "请填写不小于 0 的整数，没有请填 0。"
_AMOUNT = "请填写不小于 0 的数字（单位：万元，最多 6 位小数），没有请填 0。"
_CHANGE = "请填写整数：增加填正数（如 2），减少填负数（如 -4），没有变化填 0。"


def _numeric(field: Field) -> dict[str, Any]:
    low = field.minimum if field.minimum is not None else 0
    kind = "integer" if field.type in ("count", "change", "year") else "decimal"
    rule: dict[str, Any] = {"validate": kind, "criteria": ">=", "value": low}
    if field.maximum is not None:
        rule = {"validate": kind, "criteria": "between", "minimum": low, "maximum": field.maximum}
    return rule


def _cap(field: Field) -> str:
    """The plausible maximum (the form's ranges) as the alert states it: 、不超过 1000000000."""
    return "" if field.maximum is None else f"、不超过 {format_value(field.maximum)}"


def _change_alert(field: Field) -> str:
    """A signed change: its range, and how a decrease is typed (not 减4)."""
    low = format_value(field.minimum if field.minimum is not None else 0)
    return (
        f"只能填写不小于 {low}{_cap(field)} 的整数，减少填负数（如 -4）；不要填写“增”“减”“—”“/”。"
    )


def _messages(field: Field) -> tuple[str, str]:
    """(input prompt, error alert) for the field's type."""
    if field.type == "count":
        return (
            _COUNT,
            f"只能填写不小于 0 的整数（件数）{_cap(field)}，没有请填 0；不要填写“无”“—”“/”。",
        )
    if field.type == "change":
        return _CHANGE, _change_alert(field)
    if field.type == "amount":
        return _AMOUNT, f"只能填写不小于 0 的数字{_cap(field)}，单位为万元；没有请填 0。"
    if field.type == "year":
        low, high = field.minimum or 2021, field.maximum or 2100
        return f"请填写四位年份（{low}–{high}），如 2025。", f"年份应为 {low}–{high} 之间的整数。"
    if field.type == "choice":
        return "请从下拉列表中选择。", "请从下拉列表中选择，不要手工输入其他内容。"
    if field.type == "credit_code":
        return "18 位统一社会信用代码，按文本填写。", "统一社会信用代码应为 18 位。"
    limit = field.max_length or 32767
    return "", f"文字不能超过 {limit} 个字符。"


def validation_for(field: Field) -> dict[str, Any] | None:
    """The xlsxwriter data_validation options of an input field, or None."""
    if field.type in ("count", "change", "amount", "year"):
        rule = _numeric(field)
    elif field.type == "choice":
        rule = {"validate": "list", "source": [c.label.zh for c in field.choices]}
    elif field.type == "credit_code":
        rule = {"validate": "length", "criteria": "==", "value": 18}
    elif field.max_length:
        rule = {"validate": "length", "criteria": "<=", "value": field.max_length}
    else:
        return None
    prompt, alert = _messages(field)
    if prompt:
        rule["input_title"] = field.label.zh[:32]
        rule["input_message"] = prompt[:255]
    rule.update(error_type="stop", error_title="输入有误", error_message=alert[:255])
    return rule
