"""Put a submission's stored outputs where people look for them: OUTDIR/<office>/, or its
superseded/ folder, linked (or copied) from the content-addressed store, replaced atomically."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from xlcheck.outputs import (
    STORE_FILES,
    TEMP_PREFIX,
    TEMP_SUFFIX,
    BatchNames,
    OutputError,
    write_bytes_atomic,
)

from .offices import safe_filename
from .records import Record
from .replies import build_draft
from .worker import store_dir

# The batch's naming policy: files named after the office (made safe, never one of the batch's own
# names) and the year; the rest of the policy is the one in xlcheck.outputs.names.
BATCH_NAMES = BatchNames(base=safe_filename)


def output_names(office: str, year: int | None, sha256: str, current: bool) -> dict[str, str]:
    """File names of each output kind; superseded ones carry the content hash to stay distinct."""
    return BATCH_NAMES.take(office, year, sha256, current)


def place_outputs(
    record: Record, folder: Path, store: Path, current: bool, drafts: bool
) -> dict[str, Path]:
    """Link each stored output of a readable record into `folder`; return kind -> path."""
    outcome = record.outcome
    assert outcome.office is not None and outcome.sha256 is not None and outcome.key is not None
    target = folder if current else folder / "superseded"
    names = output_names(outcome.office, outcome.year, outcome.sha256, current)
    placed = {}
    for kind, stored in outcome.files.items():
        placed[kind] = target / names[kind]
        link_file(store_dir(store, outcome.key) / stored, placed[kind])
    if drafts and current and "errors" in placed and record.envelope.sender:
        draft = stored_draft(record, store, names["errors"])
        placed["reply"] = target / names["reply"]
        link_file(draft, placed["reply"])
    return placed


def stored_draft(record: Record, store: Path, attachment_name: str) -> Path:
    """The reply draft for this e-mail, built once and kept in the store (same bytes on re-runs)."""
    outcome, envelope = record.outcome, record.envelope
    assert outcome.key is not None
    folder = store_dir(store, outcome.key)
    identity = f"{envelope.message_id}|{envelope.sender}|{attachment_name}"
    path = folder / f"reply-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.eml"
    if not path.is_file():
        attachment = (folder / STORE_FILES["errors"]).read_bytes()
        row = envelope.to_json() | outcome.to_json()
        write_bytes_atomic(path, build_draft(row, attachment_name, attachment))
    return path


def link_file(source: Path, dest: Path) -> None:
    """Make dest the same content as source: a hard link when possible, else a copy; atomic."""
    try:
        if dest.exists() and os.path.samefile(source, dest):
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        # our temporary name, so a run killed here leaves a file the next start removes
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=dest.parent)
        os.close(fd)
        os.unlink(tmp)
        try:
            _link_or_copy(source, tmp)
            os.replace(tmp, dest)
        except BaseException:  # nothing of ours is left behind when the name cannot be made
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {dest}: {exc.strerror or exc}") from exc


def _link_or_copy(source: Path, dest: str) -> None:
    try:
        os.link(source, dest)
    except OSError:  # file systems without hard links (FAT, some shares)
        shutil.copyfile(source, dest)


def remove_stale(out_dir: Path, before: Iterable[str], now: set[str]) -> None:
    """Delete files this tool placed last time that are no longer wanted, then empty folders."""
    folders: set[Path] = set()
    for rel in set(before) - now:
        path = out_dir / rel
        if path.is_file() and out_dir in path.parents:
            path.unlink()
            folders.update(p for p in path.parents if out_dir in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def prune_store(store: Path, keep: Callable[[str], bool]) -> None:
    """Remove stored outputs of inputs that were not part of this run."""
    if not store.is_dir():
        return
    for prefix in store.iterdir():
        for folder in prefix.iterdir() if prefix.is_dir() else ():
            if not keep(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
