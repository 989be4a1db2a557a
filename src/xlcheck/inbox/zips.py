"""Zip archives: members with their real (often GBK) names; bombs refused before inflating."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .models import Expand, InboxLimits, Item, Trail
from .names import is_junk, zip_member_name

# What zipfile raises on damaged, truncated or exotic archives (deflate64, bad CRC, ...).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
)


def expand_zip(
    source: Path | BinaryIO | bytes, filename: str, trail: Trail, expand: Expand
) -> Iterator[Item]:
    """Yield the members of one archive (a path, an open file or bytes), recursing through `expand`."""
    if trail.zip_depth >= trail.limits.max_zip_depth:
        yield trail.skipped(filename, "nested_too_deep", "zip inside zip deeper than the limit")
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except ZIP_ERRORS as exc:
        yield trail.skipped(filename, "unreadable_container", f"not a readable zip: {exc}")
        return
    with archive:
        members = [info for info in archive.infolist() if _is_member(info)]
        problem = _archive_problem(members, trail.limits)
        if problem:
            yield trail.skipped(filename, "zip_bomb", problem)
            return
        inner = replace(trail, zip_depth=trail.zip_depth + 1)
        for info in members:
            yield from _expand_member(archive, info, inner, expand)


def _is_member(info: zipfile.ZipInfo) -> bool:
    """Drop directories, macOS resource forks and hidden or lock files."""
    name = zip_member_name(info)
    return not (info.is_dir() or name.startswith("__MACOSX/") or is_junk(name))


def _archive_problem(members: list[zipfile.ZipInfo], limits: InboxLimits) -> str | None:
    """Judge the archive as a whole by its declared sizes."""
    if len(members) > limits.max_members:
        return f"{len(members)} members, more than {limits.max_members}"
    total = sum(info.file_size for info in members)
    if total > limits.max_archive_bytes:
        return f"declares {total} bytes uncompressed, more than {limits.max_archive_bytes}"
    return None


def _member_problem(info: zipfile.ZipInfo, limits: InboxLimits) -> str | None:
    """Judge one member by its declared size and compression ratio, before inflating it."""
    if info.file_size > limits.max_member_bytes:
        return f"declares {info.file_size} bytes, more than {limits.max_member_bytes}"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
        return f"compression ratio {ratio:.0f} above {limits.max_ratio:.0f}"
    return None


def _expand_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, trail: Trail, expand: Expand
) -> Iterator[Item]:
    name = zip_member_name(info)
    filename = name.rsplit("/", 1)[-1]
    here = trail.at(f"{trail.origin}!{name}")
    if info.flag_bits & 0x1:
        yield here.skipped(filename, "encrypted_zip", "member is password-protected")
        return
    problem = _member_problem(info, trail.limits)
    if problem:
        yield here.skipped(filename, "zip_bomb", problem)
        return
    try:
        with archive.open(info) as stream:
            # read one byte past the declared size so a lying header cannot inflate more
            data = stream.read(info.file_size + 1)
    except ZIP_ERRORS as exc:
        yield here.skipped(filename, "unreadable_container", f"cannot extract member: {exc}")
        return
    yield from expand(filename, data, _member_time(info), here)


def _member_time(info: zipfile.ZipInfo) -> datetime | None:
    """The member's DOS date and time: local wall-clock time without a zone."""
    try:
        return datetime(*info.date_time)
    except ValueError:
        return None
