"""The one failure type of the xlsx package reader, carrying a stable code, and the
translation of low-level parser/zip exceptions on hostile input into it."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

ERROR_CODES: Final = frozenset(
    {
        "not_found",
        "too_large",
        "empty",
        "legacy_xls",
        "encrypted",
        "ods",
        "not_zip",
        "corrupt",
        "zip_bomb",
        "doctype",
        "not_xlsx",
        "too_many_parts",
        "timeout",
    }
)

# Everything the stdlib zip/zlib/expat/ElementTree stack raises on malformed input.
_LOW_LEVEL_ERRORS: Final = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    KeyError,
    IndexError,
    ExpatError,
    ParseError,
    UnicodeError,
    OverflowError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OSError,
)


class PackageError(Exception):
    """The workbook could not be read; `code` is stable, `detail` is English and technical."""

    code: str
    detail: str

    def __init__(self, code: str, detail: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown PackageError code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    def __reduce__(self) -> tuple[type[PackageError], tuple[str, str]]:
        # Keeps the exception picklable across a process pool.
        return (PackageError, (self.code, self.detail))


@contextmanager
def corrupt_on_error(what: str) -> Iterator[None]:
    """Turn any low-level exception raised while reading `what` into PackageError('corrupt')."""
    try:
        yield
    except PackageError:
        raise
    except _LOW_LEVEL_ERRORS as exc:
        raise PackageError("corrupt", f"{what}: {type(exc).__name__}: {exc}"[:300]) from exc
