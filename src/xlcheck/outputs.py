"""Outputs of a checked submission: canonical JSON with provenance, its source map, atomic writes.

Every output is written to a temporary file in the target folder and renamed into place, so a
crash never leaves half a file; an input file is never a destination.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from xlcheck import __version__
from xlcheck.canonical import dump_json, key_to_pointer, nest
from xlcheck.check import FileResult
from xlcheck.form.model import Form


class OutputError(Exception):
    """An output could not be written (unwritable folder, would overwrite an input)."""


def canonical_document(
    form: Form, result: FileResult, *, unvalidated: bool = False
) -> dict[str, Any]:
    """The document of spec §5 plus a provenance block; same input, byte-identical JSON."""
    doc = nest(form, result.values)
    provenance: dict[str, Any] = {
        "source_sha256": result.sha256,
        "source_kind": result.kind,
        "template_id": result.template.get("template_id"),
        "template_version": result.template.get("template_version"),
        "form_version": form.form_version,
        "xlcheck_version": __version__,
        "validated": not unvalidated,
    }
    doc["provenance"] = {k: v for k, v in provenance.items() if v is not None}
    return doc


def canonical_json(form: Form, result: FileResult, *, unvalidated: bool = False) -> str:
    return dump_json(canonical_document(form, result, unvalidated=unvalidated))


def source_map(form: Form, result: FileResult) -> dict[str, Any]:
    """JSON pointer -> sheet, cell, defined name, raw value and the normalisation applied."""
    entries: dict[str, Any] = {}
    for key, entry in result.sources.items():
        if key not in form.fields or not form.fields[key].in_document:
            continue
        entries[key_to_pointer(key)] = {
            "sheet": getattr(entry, "sheet", None),
            "cell": getattr(entry, "cell", None),
            "name": getattr(entry, "name", None),
            "raw": _jsonable(getattr(entry, "raw", None)),
            "normalisation": list(getattr(entry, "steps", ())),
        }
    return {"source": result.path, "source_sha256": result.sha256, "fields": entries}


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def write_atomic(
    dest: Path, write: Callable[[BinaryIO], None], *, protect: Mapping[Path, Any] | None = None
) -> None:
    """Write through a temporary file in the same folder, then rename; never onto a protected input."""
    dest = Path(dest)
    if any(_same_file(dest, p) for p in protect or {}):
        raise OutputError(f"输出会覆盖输入文件，已停止 / refusing to overwrite the input: {dest}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".xlcheck-", suffix=".tmp", dir=dest.parent)
    except OSError as exc:
        raise OutputError(f"无法写入 / cannot write to {dest.parent}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(dest: Path, data: bytes, **kwargs: Any) -> None:
    def write(fh: BinaryIO) -> None:
        fh.write(data)

    write_atomic(dest, write, **kwargs)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
