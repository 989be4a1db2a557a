"""The registry of output kinds: each kind makes, from a form, a checked result and the options,
a writer of one binary file, and names the suffix that file gets. Callers pick kinds by name from
KINDS (as check-jsonschema picks a reporter from REPORTER_BY_NAME); a new kind is one more entry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from xlcheck.check import FileResult
from xlcheck.form.model import Form, Lang

from .atomic import OutputError
from .documents import canonical_document, canonical_json, readings_json, source_map_json

Writer = Callable[[BinaryIO], None]


@dataclass(frozen=True)
class OutputOptions:
    """What a caller may choose about the outputs; a result that is not valid is marked
    未经校验 in its JSON and Word report whatever the caller (only `convert --force` writes one)."""

    lang: Lang = "zh"  # of the error workbook
    docx_template: Path | None = None  # a local letterhead for the Word report
    source_name: str | None = (
        None  # the input's name shown in the error workbook (default: its file)
    )


@dataclass(frozen=True)
class OutputKind:
    """One kind of output. `dated`: the batch names it with the report's year (an error workbook
    is not: the year may be what is wrong)."""

    name: str
    suffix: str
    make: Callable[[Form, FileResult, OutputOptions], Writer]
    dated: bool = True


def _data(text: str) -> Writer:
    data = text.encode("utf-8")

    def write(fh: BinaryIO) -> None:
        fh.write(data)

    return write


def _json(form: Form, result: FileResult, options: OutputOptions) -> Writer:
    return _data(canonical_json(form, result, unvalidated=not result.valid))


def _sourcemap(form: Form, result: FileResult, options: OutputOptions) -> Writer:
    return _data(source_map_json(form, result))


def _readings(form: Form, result: FileResult, options: OutputOptions) -> Writer:
    return _data(readings_json(result))


def _docx(form: Form, result: FileResult, options: OutputOptions) -> Writer:
    doc = canonical_document(form, result, unvalidated=not result.valid)

    def write(fh: BinaryIO) -> None:
        from xlcheck.render.docx_report import TemplateError, write_report

        try:
            write_report(
                form, doc, fh, docx_template=options.docx_template, unvalidated=not result.valid
            )
        except TemplateError as exc:  # only an unreadable letterhead is blamed on it
            raise OutputError(f"无法使用 Word 模板 / unusable --docx-template: {exc}") from exc

    return write


def _pdf(form: Form, result: FileResult, options: OutputOptions) -> Writer:
    """The Word report made into PDF by LibreOffice (render/pdf.py); OutputError without it."""
    word = _docx(form, result, options)

    def write(fh: BinaryIO) -> None:
        import io

        from xlcheck.render.pdf import PdfError, docx_to_pdf

        buffer = io.BytesIO()
        word(buffer)
        try:
            fh.write(docx_to_pdf(buffer.getvalue()))
        except PdfError as exc:
            raise OutputError(str(exc)) from exc

    return write


def _errors(form: Form, result: FileResult, options: OutputOptions) -> Writer:
    source_name = options.source_name or Path(result.path).name

    def write(fh: BinaryIO) -> None:
        from xlcheck.xlsxout import write_error_workbook

        write_error_workbook(
            form,
            fh,
            cells=result.raw,
            findings=result.findings,
            source_name=source_name,
            lang=options.lang,
            explanations=result.explanations,
        )

    return write


KINDS: dict[str, OutputKind] = {
    kind.name: kind
    for kind in (
        OutputKind("json", ".json", _json),
        OutputKind("sourcemap", ".sourcemap.json", _sourcemap),
        OutputKind("docx", ".docx", _docx),
        OutputKind("pdf", ".pdf", _pdf),
        OutputKind("errors", ".errors.xlsx", _errors, dated=False),
        OutputKind("readings", ".import.json", _readings),
    )
}
