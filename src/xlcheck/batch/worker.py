"""The worker side of a batch: check a chunk of submissions and write each one's outputs to the store.

Each worker process loads the batch's forms once. With one form (`--form`) every file is checked
against it; with several, each file's form is picked by its content (form.detect.pick_form), and
its outcome records which. One file never takes down the chunk: a timeout or any exception becomes
an unreadable outcome for that file. Outcomes are typed records (records.Outcome).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import resource
import select
import signal
import sqlite3
import threading
import time
import types
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcheck.check import FileResult, check_bytes, check_picked
from xlcheck.codes import detail, make_finding
from xlcheck.explain import Given, shown_with_explanation
from xlcheck.findings import Finding, count_explained
from xlcheck.form.model import Form, Lang
from xlcheck.outputs import (
    STORE_FILES,
    FolderDestination,
    OutputOptions,
    write_bytes_atomic,
    write_outputs,
)

from .offices import identify_office
from .records import Outcome, unreadable

MAX_MESSAGES = 5
VALUES_FILE = "values.json"

_forms: tuple[Form, ...] = ()


@dataclass(frozen=True)
class Job:
    """One submission to check: its place in gather order, its name and its bytes.

    `key` names its outcome in the re-run state and its folder in the store (see store_key).
    """

    seq: int
    filename: str
    data: bytes
    sha256: str
    key: str


@dataclass(frozen=True)
class Settings:
    """What every job of a batch shares; `store` is None when no outputs are written."""

    store: Path | None
    lang: Lang
    docx: bool
    timeout: float
    # explanations given beside a file (xlcheck serve's page), by the file's SHA-256
    explanations: Mapping[str, Given] = field(default_factory=dict)
    # the archive of accepted reports: each office's last year serves as --previous (X1)
    archive: Path | None = None


class _Timeout(Exception):
    pass


WORKER_HEADROOM = 1536 * 2**20  # address space a worker may add to what it has after start-up


def init_worker(form_names: tuple[str, ...], owner: int | None = None) -> None:
    """Process initializer: load the forms once per worker, then cap the worker's memory.

    The reader's own caps (declared zip sizes, part sizes, row limits) keep one file small; the
    cap is the backstop, so a file that still needs too much fails alone with MemoryError.
    `owner` is the process whose pool this is: the worker ends when it does (exit_with_owner).
    """
    global _forms
    from xlcheck.form import load_form

    if owner is not None:
        exit_with_owner(owner)
    _forms = tuple(load_form(name) for name in form_names)
    _tune_gc()
    cap_memory(WORKER_HEADROOM)


OWNER_POLL = 1.0  # seconds between looks where a pidfd cannot be had


def exit_with_owner(pid: int) -> None:
    """End this worker when the process that owns its pool ends, however it ends.

    A server or batch killed with kill -9 never shuts its pool down, and a worker would wait
    forever on its call queue (it holds the queue's write end itself, so no EOF ever comes),
    keeping the forkserver and the owner's stdout open with it. A daemon thread waits on a
    pidfd of the owner (readable when it exits), or looks once a second where there is none.
    """

    def watch() -> None:
        try:
            handle: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            handle = None
        if handle is not None:
            select.select([handle], [], [])
            os._exit(0)
        while True:
            time.sleep(OWNER_POLL)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:  # alive, as another user
                pass

    threading.Thread(target=watch, name="xlcheck-owner-watch", daemon=True).start()


GC_THRESHOLD = 20_000  # container allocations between young collections (CPython's default: 700)


def _tune_gc() -> None:
    """Checking a file builds thousands of short-lived objects that reference counting frees; the
    cyclic collector finds nothing among them. Freezing what start-up loaded (form, modules) and
    collecting less often saves ~2% of a worker's time (counted with callgrind, 100 workbooks)."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


def cap_memory(headroom: int) -> None:
    try:
        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * resource.getpagesize()
        limit = size + headroom
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError):  # no /proc or no permission: run without the backstop
        pass


def store_key(sha256: str, filename: str) -> str:
    """What an outcome and its stored outputs depend on: the bytes AND the file name.

    Messages ("「丙镇.xlsx」是空文件") and the error workbook name the file, and the name breaks
    ties between text formats, so two inputs with the same bytes under different names are
    two entries; the same name with the same bytes (a file given twice, a re-run) is one.
    """
    return hashlib.sha256(f"{sha256}\n{filename}".encode()).hexdigest()


def store_dir(store: Path, key: str) -> Path:
    return store / key[:2] / key


def loaded_forms() -> tuple[Form, ...]:
    """The forms init_worker loaded into this worker process."""
    if not _forms:
        raise RuntimeError("init_worker was not called")
    return _forms


def check_chunk(jobs: list[Job], settings: Settings) -> list[tuple[int, Outcome, dict[str, Any]]]:
    """(seq, outcome, values) for every job, in order; never raises for a bad file."""
    forms = loaded_forms()
    return [_check_one(forms, job, settings) for job in jobs]


def check_with(
    forms: tuple[Form, ...], data: bytes, name: str, given: Given = ()
) -> tuple[Form, FileResult]:
    """Check against the one form, or against the form picked by content among several;
    `given`: explanations given beside the file (check.check_bytes)."""
    if len(forms) == 1:
        return forms[0], check_bytes(data, name, forms[0], given=given)
    from xlcheck.form.detect import pick_form

    picked = pick_form(data, name, forms)
    return picked.form, check_picked(data, name, picked, given=given)


def _check_one(
    forms: tuple[Form, ...], job: Job, settings: Settings
) -> tuple[int, Outcome, dict[str, Any]]:
    try:
        with time_limit(settings.timeout):
            given = settings.explanations.get(job.sha256, ())
            form, result = check_with(forms, job.data, job.filename, given)
            used = None
            if settings.archive is not None and result.readable:
                result, used = with_last_year(settings.archive, form, result, job, given)
            outcome = summarise(form, result, job, settings.lang)
            if settings.store is not None and result.readable:
                files, problems = store_outputs(form, result, job, settings)
                outcome = outcome.replace(files=files, problems=tuple(problems))
                if settings.archive is not None:
                    write_bytes_atomic(
                        store_dir(settings.store, job.key) / PREVIOUS_FILE, (used or "").encode()
                    )
            return job.seq, outcome, result.values
    except Exception as exc:  # a crash inside the reader (or the alarm) must not stop the batch
        return job.seq, failed_outcome(job, failure_finding(exc, job.filename), settings), {}


PREVIOUS_FILE = "previous.txt"  # the SHA-256 of the archived report used as last year's


def with_last_year(
    archive: Path, form: Form, result: FileResult, job: Job, given: Given
) -> tuple[FileResult, str | None]:
    """The office is known only once read: check again with its last year's report from the
    archive as previous (X1), when the archive has one; and that report's SHA-256."""
    from xlcheck.archive import ArchiveError
    from xlcheck.archive.lookup import last_year
    from xlcheck.previous import PreviousError

    try:
        found = last_year(archive, form, result.values, job.sha256)
    except (ArchiveError, PreviousError, sqlite3.Error, OSError):
        return result, None  # an archived report that cannot serve: checked as without one
    if found is None:
        return result, None
    kept, previous = found
    again = check_bytes(job.data, job.filename, form, previous=previous, given=given)
    return again, kept.sha256


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise _Timeout in this (worker) process once `seconds` have passed; main thread only."""
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _on_alarm(signum: int, frame: types.FrameType | None) -> None:
    raise _Timeout


def failure_finding(exc: Exception, filename: str) -> Finding:
    """Why a file's check stopped: F12 out of time, F07 out of memory, F06 anything else."""
    if isinstance(exc, _Timeout):
        return make_finding("F12", file=filename)
    if isinstance(exc, MemoryError):
        return make_finding("F07", file=filename, detail=detail("memory"))
    technical = f"{type(exc).__name__}: {exc}"[:200]
    return make_finding("F06", file=filename, values={"detail": technical})


def summarise(form: Form, result: FileResult, job: Job, lang: Lang) -> Outcome:
    """The small record the parent keeps about one checked file."""
    errors = [f for f in result.findings if f.is_error]
    office = identify_office(result.values, job.sha256, form.roles) if result.readable else None
    year = result.values.get(form.roles.year) if form.roles.year else None
    return Outcome(
        sha256=job.sha256,
        key=job.key,
        kind=result.kind,
        readable=result.readable,
        valid=result.valid,
        office_key=office.key if office else None,
        office=office.name if office else None,
        credit_code=office.credit_code if office else None,
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        errors=len(errors),
        warnings=len(result.findings) - len(errors),
        explained=count_explained(result.findings),
        rules=tuple(failing_rules(errors)),
        messages=tuple(shown_with_explanation(f, lang) for f in _shown(errors, result)),
        form=form.id,
        form_version=form.form_version,
    )


def _shown(errors: list[Finding], result: FileResult) -> list[Finding]:
    """The errors, else the open warnings and then the explained ones (with the office's words)."""
    if errors:
        return errors[:MAX_MESSAGES]
    ordered = sorted(result.findings, key=lambda f: not f.is_open)
    return ordered[:MAX_MESSAGES]


def failing_rules(errors: list[Finding]) -> list[str]:
    """Rule ids (or finding codes when no rule) of the errors, most frequent first."""
    counts = Counter(f.rule or f.code for f in errors)
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def failed_outcome(job: Job, finding: Finding, settings: Settings) -> Outcome:
    """A timeout or a crash: not remembered across runs, as it may not recur."""
    text = finding.text(settings.lang)
    return unreadable(job.sha256, finding.code, text, key=job.key, transient=True)


# ---- outputs into the content-addressed store ------------------------------------------------------


def store_outputs(
    form: Form, result: FileResult, job: Job, settings: Settings
) -> tuple[dict[str, str], list[str]]:
    """Write JSON + Word (valid) or the error workbook (invalid); return files and problems."""
    assert settings.store is not None
    folder = store_dir(settings.store, job.key)
    wanted = ["json", "docx"] if result.valid else ["errors"]
    if not settings.docx and "docx" in wanted:
        wanted.remove("docx")
    options = OutputOptions(lang=settings.lang, source_name=job.filename)
    done = write_outputs(
        form, result, wanted, FolderDestination(folder), STORE_FILES, options, keep_going=True
    )
    files = {w.kind: w.name for w in done.written}
    # a writer's failure loses one output, not the file's check
    problems = [f"{f.name}: {type(f.error).__name__}: {f.error}"[:200] for f in done.failed]
    values = json.dumps(result.values, ensure_ascii=False, sort_keys=True, default=str)
    write_bytes_atomic(folder / VALUES_FILE, values.encode("utf-8"))
    return files, problems
