"""Pieces shared by the command modules: one-line tool errors, shared options, terminal colour."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import click

LANGS = click.Choice(["zh", "en"])
lang_option = click.option(
    "--lang", type=LANGS, default="zh", show_default=True, help="消息语言 / message language"
)
form_option = click.option(
    "--form",
    "form_name",
    default="gov-info-disclosure-2021",
    show_default=True,
    help="表单定义（名称或 JSON 文件）",
)


class ToolError(Exception):
    """The tool could not do what was asked (exit 2): one line for the user."""


def fail(message: str) -> NoReturn:
    raise ToolError(message)


def stop_on_failure(done: Any) -> None:
    """A command stops at the first output it could not write: one located line (exit 2) when
    the folder or an input is to blame (OutputError), else the writer's bug goes to main()."""
    from xlcheck.outputs import OutputError

    for failed in done.failed:
        if isinstance(failed.error, OutputError):
            fail(str(failed.error))
        raise failed.error


def load_form_or_fail(name: str) -> Any:
    from xlcheck.form import FormError, load_form

    try:
        return load_form(name)
    except FormError as exc:
        fail(f"表单定义有误：{exc}")


def read_previous_or_fail(form: Any, path: Path, lang: str) -> Any:
    """Last year's report (xlcheck.previous.Previous); one that cannot serve is exit 2."""
    from xlcheck.previous import PreviousError, read_previous

    try:
        return read_previous(path, form)
    except PreviousError as exc:
        fail(exc.text.get("en" if lang == "en" else "zh"))


def styler(stream_is_tty: bool) -> Any:
    colours = {
        "error": "red",
        "warning": "yellow",
        "ok": "green",
        "dim": "bright_black",
        "head": None,
    }

    def style(text: str, role: str) -> str:
        if not stream_is_tty:
            return text
        return click.style(text, fg=colours.get(role), bold=role == "head")

    return style
