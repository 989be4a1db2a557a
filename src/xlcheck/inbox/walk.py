"""Walk the given files and folders and expand each file into submissions or skips."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from .mail import expand_message, iter_mbox
from .models import InboxLimits, Item, Trail
from .names import CANDIDATE_SUFFIXES, content_suffix, is_candidate, is_junk, suffix_of
from .zips import expand_zip

DEFAULT_LIMITS = InboxLimits()
_CONTAINERS = frozenset({".zip", ".eml", ".mbox"})


def gather(inputs: Iterable[Path], limits: InboxLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Yield every candidate file found in the inputs, and a Skipped for everything else.

    Folders are walked recursively in sorted order, archive members in archive order. Origins
    start at each input's own name ("inbox/all.zip!乡镇/a.xlsx", "box.mbox#3!附件:x.xlsx",
    "mail.eml!转发1!附件:y.xlsx"). One bad input never stops the walk; inputs are only read.
    """
    for path in inputs:
        root = path.name or path.resolve().name
        if not path.exists():
            yield Trail(path, root, limits).skipped(path.name, "unreadable_file", "no such file")
        elif path.is_dir():
            yield from _walk_dir(path, root, limits)
        else:
            yield from _expand_path(path, root, limits)


def _walk_dir(folder: Path, origin: str, limits: InboxLimits) -> Iterator[Item]:
    try:
        # names, not Path objects: a province's folder of 10,000 files costs 1 MB, not 10
        names = sorted(os.listdir(folder))
    except OSError as exc:
        yield Trail(folder, origin, limits).skipped(folder.name, "unreadable_file", str(exc))
        return
    for name in names:
        if is_junk(name):
            continue
        entry = folder / name
        here = f"{origin}/{entry.name}"
        if entry.is_dir():
            if not entry.is_symlink():  # a linked folder could loop back
                yield from _walk_dir(entry, here, limits)
        else:
            yield from _expand_path(entry, here, limits)


def _expand_path(path: Path, origin: str, limits: InboxLimits) -> Iterator[Item]:
    """Expand one file on disk; zip and mbox files are streamed, others read whole."""
    trail = Trail(path, origin, limits)
    suffix = suffix_of(path.name)
    if not (is_candidate(path.name) or suffix in _CONTAINERS):
        yield trail.skipped(path.name, "not_a_workbook", f"'{suffix}' is not a workbook type")
    elif suffix == ".zip":
        yield from expand_zip(path, path.name, trail, expand_blob)
    elif suffix == ".mbox":
        yield from _expand_mbox(path, trail)
    else:
        yield from _expand_small_file(path, trail)


def _expand_small_file(path: Path, trail: Trail) -> Iterator[Item]:
    limits = trail.limits
    cap = limits.max_message_bytes if suffix_of(path.name) == ".eml" else limits.max_file_bytes
    try:
        stat = path.stat()
        if stat.st_size > cap:
            yield trail.skipped(path.name, "too_large", f"{stat.st_size} bytes, limit {cap}")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield trail.skipped(path.name, "unreadable_file", f"cannot read: {exc.strerror or exc}")
        return
    yield from expand_blob(path.name, data, datetime.fromtimestamp(stat.st_mtime, UTC), trail)


def _expand_mbox(path: Path, trail: Trail) -> Iterator[Item]:
    try:
        for number, data in iter_mbox(path, trail.limits.max_message_bytes):
            here = trail.at(f"{trail.origin}#{number}")
            if data is None:
                yield here.skipped(path.name, "too_large", "mbox message above the size limit")
            else:
                yield from expand_message(data, path.name, here, expand_blob)
    except (OSError, ValueError) as exc:
        yield trail.skipped(path.name, "unreadable_container", f"cannot read mbox: {exc}")


def expand_blob(filename: str, data: bytes, mtime: datetime | None, trail: Trail) -> Iterator[Item]:
    """Expand one file's bytes by its extension: archive, e-mail, candidate or skip.

    When the extension is none we know (".xlsx" alone, "附件", "data.bin"), the content decides.
    """
    suffix = suffix_of(filename)
    if suffix not in CANDIDATE_SUFFIXES and suffix not in _CONTAINERS:
        suffix = content_suffix(data) or suffix
    if suffix == ".zip":
        yield from expand_zip(data, filename, trail, expand_blob)
    elif suffix == ".eml":
        yield from expand_message(data, filename, trail, expand_blob)
    elif suffix in CANDIDATE_SUFFIXES:
        yield trail.submission(filename, data, mtime)
    else:
        yield trail.skipped(filename, "not_a_workbook", f"'{suffix}' is not a workbook type")
