"""Pieces shared by the command modules: one-line tool errors, shared options, terminal colour."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from xlcheck.form.model import Lang

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

AUTO = "auto"
# check, import, convert and fill: by default the form is picked per file by its content.
auto_form_option = click.option(
    "--form",
    "form_name",
    default=AUTO,
    show_default=True,
    help="表单定义（名称或 JSON 文件）；auto：按文件内容在内置表单中判定 / "
    "form (name or JSON file); auto: picked per file by content among the bundled forms",
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


@dataclass(frozen=True)
class FormChoice:
    """How a command picks each file's form: the one named by --form, or by content."""

    forced: Any  # a Form when --form names one, else None
    default: Any  # the form of a file that shows no other (the bundled default)
    candidates: Any  # Sequence[Form]: the bundled forms, loaded when looked at

    @property
    def is_auto(self) -> bool:
        return self.forced is None

    def form_of(self, result: Any) -> Any:
        """The form a checked file was read with (the default when none was picked)."""
        return result.picked.form if result.picked else self.default

    def choose(self, data: bytes, name: str) -> Any:
        """form.detect.Picked for one file's bytes."""
        from xlcheck.form.detect import forced, pick_form

        if self.forced is not None:
            return forced(self.forced)
        return pick_form(data, name, self.candidates, self.default)


def form_choice_or_fail(name: str) -> FormChoice:
    """--form auto picks among the bundled forms; any other name or file is forced."""
    if name != AUTO:
        form = load_form_or_fail(name)
        return FormChoice(form, form, (form,))
    from xlcheck.form.detect import bundled_forms
    from xlcheck.form.load import DEFAULT_FORM

    return FormChoice(None, load_form_or_fail(DEFAULT_FORM), bundled_forms())


def say_picked(result: Any, lang: str) -> None:
    """One line on stderr: which form a file was checked against, and why (auto only)."""
    picked = getattr(result, "picked", None)
    if picked is None or picked.basis == "forced":
        return
    en = lang == "en"
    click.echo(
        f"{result.path}{': ' if en else '：'}{picked.reason.get('en' if en else 'zh')}", err=True
    )


def read_previous_or_fail(form: Any, path: Path, lang: str) -> Any:
    """Last year's report (xlcheck.previous.Previous); one that cannot serve is exit 2."""
    from xlcheck.previous import PreviousError, read_previous

    try:
        return read_previous(path, form)
    except PreviousError as exc:
        fail(exc.text.get("en" if lang == "en" else "zh"))


def previous_for(path: Path, lang: str) -> Any:
    """Last year's values as each picked form reads them (read once per form; exit 2 when the
    file cannot serve)."""
    read: dict[Any, Any] = {}

    def values(form: Any) -> Any:
        if form not in read:
            read[form] = read_previous_or_fail(form, path, lang).values
        return read[form]

    return values


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


@dataclass(frozen=True)
class FolderRun:
    """Where one run's outputs go (names from the one naming policy: a stem per input, distinct
    across the run), each file said on stderr with the input it came from."""

    names: Any  # outputs.FolderNames
    destination: Any  # outputs.FolderDestination: atomic, never onto an input
    options: Any  # outputs.OutputOptions

    @classmethod
    def make(
        cls,
        out_dir: Path,
        files: Sequence[Path],
        kinds: Sequence[str],
        lang: str,
        docx_template: Path | None = None,
    ) -> FolderRun:
        from xlcheck.outputs import FolderDestination, FolderNames, OutputOptions

        language: Lang = "en" if lang == "en" else "zh"
        return cls(
            FolderNames(out_dir, files, kinds),
            FolderDestination(out_dir, protect=files),
            OutputOptions(lang=language, docx_template=docx_template),
        )

    def write(self, form: Any, result: Any, source: Path, kinds: list[str], done: str) -> None:
        """Write these outputs of source; `done` names what was written (a key of _SAID)."""
        from xlcheck.outputs import write_outputs

        names = self.names.take(source, kinds)
        wrote = write_outputs(form, result, kinds, self.destination, names, self.options)
        en = self.options.lang == "en"
        for written in wrote.written:
            more = _SAID["replaced"][en] if written.replaced else ""
            said = f"{_SAID[done][en]}{more}{': ' if en else '：'}{source} → {written.path}"
            click.echo(said, err=True)
        stop_on_failure(wrote)


# What a run says of each file it writes: (zh, en).
_SAID = {
    "written": ("已写出", "written"),
    "errors": ("有错误，未转换；错误清单", "has errors, not converted; error workbook"),
    "error_workbook": ("错误清单", "error workbook"),
    "replaced": ("（替换了原有文件）", " (replaced an existing file)"),
}
