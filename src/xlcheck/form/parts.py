"""Primitives shared by the form loader: the error type, texts, sets and {placeholder} filling."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from xlcheck.form.model import SetItem, Text

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class FormError(Exception):
    """A form definition that cannot be used; the message says where."""


def text_of(value: Any) -> Text:
    if isinstance(value, str):
        return Text(value, value)
    return Text(value["zh"], value.get("en", value["zh"]))


def check_text(where: str, value: Any) -> None:
    """A user-facing text: a non-empty string, or {"zh": ..., "en": ...} with a non-empty zh."""
    if isinstance(value, str) and value:
        return
    zh, en = (value.get("zh"), value.get("en", "")) if isinstance(value, Mapping) else (None, None)
    if isinstance(zh, str) and zh and isinstance(en, str):
        return
    raise FormError(f"{where} must be a text or {{zh, en}}")


def set_item(item: Mapping[str, Any]) -> SetItem:
    return SetItem(item["key"], Text(item["zh"], item.get("en", item["zh"])))


def lookup_set(sets: Mapping[str, tuple[SetItem, ...]], name: str) -> tuple[SetItem, ...]:
    if name not in sets:
        raise FormError(f"unknown set {name!r}")
    return sets[name]


def fill(pattern: str, bindings: Mapping[str, str]) -> str:
    """Replace {var} placeholders by their bound keys; an unbound placeholder is a form error."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in bindings:
            raise FormError(f"{pattern!r}: placeholder {{{name}}} is not bound")
        return bindings[name]

    return _PLACEHOLDER.sub(replace, pattern)
