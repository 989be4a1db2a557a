"""Walk the given files and folders and expand each file into submissions or skips."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from xlcheck.regular import NotRegularFile, open_regular, read_capped

from .mail import expand_message, iter_mbox
from .models import Deferred, InboxLimits, Item, Trail
from .names import (
    CANDIDATE_SUFFIXES,
    content_suffix,
    is_candidate,
    is_junk,
    may_be_package,
    suffix_of,
)
from .zips import expand_zip

DEFAULT_LIMITS = InboxLimits()
_CONTAINERS = frozenset({".zip", ".eml", ".mbox"})
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
Opener = Callable[[], BinaryIO]


def gather(inputs: Iterable[Path], limits: InboxLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Yield every candidate file found in the inputs, and a Skipped for everything else.

    Folders are walked in sorted order, archive members in archive order. Origins start at each
    input's own name ("inbox/all.zip!乡镇/a.xlsx", "box.mbox#3!附件:x.xlsx",
    "mail.eml!转发1!附件:y.xlsx"). One bad input never stops the walk; inputs are only read,
    and only regular files are read. A link named as an input is followed; links met inside a
    folder are reported, never followed (they could lead out of the folder or loop back).
    """
    for item in _gather(inputs, limits, defer_mail=False):
        assert not isinstance(item, Deferred)
        yield item


def gather_deferring_mail(
    inputs: Iterable[Path], limits: InboxLimits = DEFAULT_LIMITS
) -> Iterator[Item | Deferred]:
    """As gather, but each .eml file and mbox message comes as a Deferred, to be expanded by
    `expand_deferred` in a worker process (a batch's parent then never parses a loose .eml or an
    mbox message; an e-mail inside a zip is still expanded where the zip is)."""
    return _gather(inputs, limits, defer_mail=True)


def expand_deferred(deferred: Deferred) -> list[Item]:
    """The items gather yields for that message: its attachments, or the reason there are none."""
    trail = replace(deferred.trail, defer_mail=False)
    return list(expand_message(deferred.data, deferred.filename, trail, expand_blob))


def _gather(
    inputs: Iterable[Path], limits: InboxLimits, defer_mail: bool
) -> Iterator[Item | Deferred]:
    for path in inputs:
        root = path.name or os.path.basename(os.path.abspath(path))
        trail = Trail(path, root, limits, defer_mail=defer_mail)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            yield _missing(trail, path, exc)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk_dir(path, root, trail)
        else:
            yield from _expand_path(path.name, trail, partial(open_regular, path))


def _missing(trail: Trail, path: Path, exc: OSError) -> Item:
    if path.is_symlink():
        return _link_skip(trail, path.name, exc)
    return trail.skipped(path.name, "unreadable_file", "no such file")


@dataclass
class _Level:
    """One open folder of the walk: its descriptor, place and the names still to visit."""

    fd: int
    path: Path
    origin: str
    depth: int
    names: Iterator[str]


def _walk_dir(folder: Path, origin: str, top: Trail) -> Iterator[Item | Deferred]:
    """Depth first, without recursion; each level is held by a descriptor, so paths deeper than
    PATH_MAX still work, and the depth is capped (a folder 1,000 deep is reported, not walked)."""
    try:
        root = _open_level(folder, None, folder, origin, 0)
        real_root = os.path.realpath(folder)
    except OSError as exc:
        yield top.skipped(folder.name, "unreadable_file", exc.strerror or str(exc))
        return
    stack = [root]
    try:
        while stack:
            level = stack[-1]
            name = next(level.names, None)
            if name is None:
                os.close(stack.pop().fd)
            elif not is_junk(name):
                inner = yield from _visit(level, name, real_root, top)
                if inner is not None:
                    stack.append(inner)
    finally:
        for level in stack:
            os.close(level.fd)


def _open_level(
    name: str | Path, dir_fd: int | None, path: Path, origin: str, depth: int
) -> _Level:
    # names, not DirEntry objects: a province's folder of 10,000 files costs 1 MB, not 10
    # a folder met inside the walk is opened without following a link swapped in meanwhile
    flags = _DIR_FLAGS if dir_fd is None else _DIR_FLAGS | os.O_NOFOLLOW
    fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        names = sorted(os.listdir(fd))
    except OSError:
        os.close(fd)
        raise
    return _Level(fd, path, origin, depth, iter(names))


def _visit(
    level: _Level, name: str, real_root: str, top: Trail
) -> Generator[Item | Deferred, None, _Level | None]:
    """Yield what one folder entry holds; return the folder to descend into, if it is one."""
    trail = replace(top, path=level.path / name, origin=f"{level.origin}/{name}")
    limits = top.limits
    try:
        mode = os.stat(name, dir_fd=level.fd, follow_symlinks=False).st_mode
    except OSError as exc:
        yield trail.skipped(name, "unreadable_file", exc.strerror or str(exc))
        return None
    if stat.S_ISLNK(mode):
        yield from _visit_link(level, name, trail, real_root)
    elif not stat.S_ISDIR(mode):
        yield from _expand_path(
            name, trail, lambda: open_regular(name, dir_fd=level.fd, follow=False)
        )
    elif level.depth >= limits.max_folder_depth:
        yield trail.skipped(
            name, "folder_too_deep", f"more than {limits.max_folder_depth} folders deep"
        )
    else:
        try:
            return _open_level(name, level.fd, trail.path, trail.origin, level.depth + 1)
        except OSError as exc:
            yield trail.skipped(name, "unreadable_file", exc.strerror or str(exc))
    return None


def _visit_link(level: _Level, name: str, trail: Trail, real_root: str) -> Iterator[Item]:
    """A link inside a folder is never followed. One that is not a workbook's name and not a
    folder is ignored like any other file; the others are reported, saying where they lead."""
    try:
        target_mode = os.stat(name, dir_fd=level.fd).st_mode
    except OSError as exc:
        yield _link_skip(trail, name, exc)
        return
    if not (is_candidate(name) or suffix_of(name) in _CONTAINERS or stat.S_ISDIR(target_mode)):
        yield trail.skipped(name, "not_a_workbook", f"'{suffix_of(name)}' is not a workbook type")
        return
    target = os.readlink(name, dir_fd=level.fd)
    real = os.path.realpath(level.path / name)
    inside = real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)
    where = "into the folder it is in" if inside else "outside the folder"
    reason = "symlink_inside" if inside else "symlink_outside"
    yield trail.skipped(name, reason, f"link to {target!r}, {where}: not followed")


def _link_skip(trail: Trail, name: str, exc: OSError) -> Item:
    if exc.errno == errno.ELOOP:
        return trail.skipped(name, "symlink_loop", "the link points back to itself")
    return trail.skipped(name, "unreadable_file", f"broken link: {exc.strerror or exc}")


def _expand_path(name: str, trail: Trail, opener: Opener) -> Iterator[Item | Deferred]:
    """Expand one file on disk; zip and mbox files are streamed, others read with a cap."""
    suffix = suffix_of(name)
    known = is_candidate(name) or suffix in _CONTAINERS
    try:
        stream = opener()
    except NotRegularFile as exc:
        if known:
            yield trail.skipped(name, "not_regular_file", f"{exc.strerror}: not read")
        else:
            yield trail.skipped(name, "not_a_workbook", f"'{suffix}' is not a workbook type")
        return
    except OSError as exc:
        yield _unopenable(trail, name, exc) if known else _not_a_workbook(trail, name, suffix)
        return
    with stream:
        if not known:
            # a name that says nothing (附件, report.bin): its first bytes decide whether the
            # content is read whole and judged, as for a mail attachment or a zip member
            if not may_be_package(_peek(stream)):
                yield _not_a_workbook(trail, name, suffix)
                return
            yield from _expand_small_file(stream, name, trail)
        elif suffix == ".zip":
            yield from expand_zip(stream, name, trail, expand_blob)
        elif suffix == ".mbox":
            yield from _expand_mbox(stream, name, trail)
        else:
            yield from _expand_small_file(stream, name, trail)


def _peek(stream: BinaryIO) -> bytes:
    """The first 8 bytes, the stream left at its start."""
    try:
        head = stream.read(8)
        stream.seek(0)
    except OSError:
        return b""
    return head


def _not_a_workbook(trail: Trail, name: str, suffix: str) -> Item:
    return trail.skipped(name, "not_a_workbook", f"'{suffix}' is not a workbook type")


def _unopenable(trail: Trail, name: str, exc: OSError) -> Item:
    if exc.errno == errno.ELOOP:  # O_NOFOLLOW met a link swapped in after the walk looked
        return trail.skipped(name, "symlink_loop", "became a link while being read")
    return trail.skipped(name, "unreadable_file", f"cannot read: {exc.strerror or exc}")


def _expand_small_file(stream: BinaryIO, name: str, trail: Trail) -> Iterator[Item | Deferred]:
    limits = trail.limits
    cap = limits.max_message_bytes if suffix_of(name) == ".eml" else limits.max_file_bytes
    try:
        info = os.fstat(stream.fileno())
        # st_size is only a hint (0 for /proc files, a file may grow): the read is capped too
        data = None if info.st_size > cap else read_capped(stream, cap)
    except OSError as exc:
        yield _unopenable(trail, name, exc)
        return
    if data is None:
        yield trail.skipped(name, "too_large", f"more than {cap} bytes")
        return
    if trail.defer_mail and suffix_of(name) == ".eml":
        yield Deferred(name, data, trail)
        return
    yield from expand_blob(name, data, datetime.fromtimestamp(info.st_mtime, UTC), trail)


def _expand_mbox(stream: BinaryIO, name: str, trail: Trail) -> Iterator[Item | Deferred]:
    try:
        for number, data in iter_mbox(stream, trail.limits.max_message_bytes):
            here = trail.at(f"{trail.origin}#{number}")
            if data is None:
                yield here.skipped(name, "too_large", "mbox message above the size limit")
            elif trail.defer_mail:
                yield Deferred(name, data, here)
            else:
                yield from expand_message(data, name, here, expand_blob)
    except (OSError, ValueError) as exc:
        yield trail.skipped(name, "unreadable_container", f"cannot read mbox: {exc}")


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
