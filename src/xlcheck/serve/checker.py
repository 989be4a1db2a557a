"""Check one uploaded file for `xlcheck serve` in a worker process, so that a hostile upload costs
one worker, never the server (and never blocks its event loop).

The check is the one `check` and `batch` make: the form picked by content among the bundled forms
(batch.worker.check_with), the report exactly `report.json_report([result], lang)`, the outputs
written by `outputs.write_outputs` into memory. The workers are the batch's (batch.pool
start_executor: forms loaded once, memory capped, a time limit per file). A worker that dies or
stops answering has its pool killed and restarted; every upload it held is tried once more, alone
in the new pool (as the batch re-runs suspects one at a time), so a neighbour in flight loses
nothing and the upload that breaks a worker twice is answered unreadable (F06, or F12 when stuck).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

from xlcheck.batch.pool import kill_workers, start_executor
from xlcheck.batch.worker import (
    Job,
    check_with,
    failure_finding,
    loaded_forms,
    summarise,
    time_limit,
)
from xlcheck.check import READ_LIMIT, FileResult, sniff_kind
from xlcheck.codes import detail, make_finding, size_mb
from xlcheck.explain import Given
from xlcheck.filenames import RunNames
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Lang
from xlcheck.outputs import KINDS, MemoryDestination, OutputOptions, write_outputs
from xlcheck.report import json_report
from xlcheck.sendertext import clean_file_name

log = logging.getLogger(__name__)

# Seconds past the time limit before a worker counts as stuck: its alarm did not fire (stuck in C
# code, or stopped), or it is still starting (forms loading) on a busy machine.
HANG_SLACK = 10.0
NAME_CHARS = 120  # of the name shown; a browser sends any length
UNNAMED = "未命名文件"  # shown for an upload without a usable name
Lost = Literal["broken", "hung"]
SUBMIT_TRIES = 3  # pools replaced in a row before a job is sent: more means none can start


@dataclass(frozen=True)
class Checked:
    """What the checker found about one upload (see SERVE-DESIGN.md); plain data only."""

    name: str  # the name shown in the report (the upload's base name, cleaned)
    sha256: str
    readable: bool
    valid: bool
    errors: int
    warnings: int
    open_warnings: int
    form_id: str | None
    form_version: str | None
    year: int | None
    office: str | None  # agency name read from the file (identify_office), None if unreadable
    credit_code: str | None
    suffix: str  # ".xlsx" ".json" ".html" ".txt" ".docx": what the content is (stored so)
    report: dict[str, Any]  # exactly what `xlcheck check --format json` prints for the file
    values: dict[str, Any]  # flat values (JSON-safe), for county totals
    outputs: dict[str, tuple[str, bytes]]  # kind -> (download name, bytes)


@dataclass(frozen=True)
class UploadJob:
    """One upload as a worker gets it (its name already cleaned)."""

    data: bytes
    name: str
    sha256: str
    lang: Lang
    documents: bool
    timeout: float
    given: Given = ()  # explanations typed on the page beside the file


class UploadChecker:
    """Checks uploads in worker processes; `check` awaits without blocking the event loop.

    Each upload is driven by one of `workers` threads, so no more uploads are in the pool than it
    has workers and the deadline (timeout + slack) counts from when one really starts.
    """

    def __init__(
        self, *, workers: int = 2, timeout: float = 20.0, slack: float = HANG_SLACK
    ) -> None:
        from xlcheck.form import available_forms

        self.timeout = timeout
        self._deadline = timeout + slack
        self._workers = workers
        self._forms = tuple(available_forms())
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="xlcheck-upload")
        self._lock = threading.Lock()
        self._turns = _Turns()
        self._generation = 0
        self._closed = False
        self._in_flight = 0  # uploads sent to a worker and not answered yet
        self._executor = start_executor(workers, self._forms)

    async def check(
        self,
        data: bytes,
        name: str,
        lang: Lang,
        *,
        documents: bool = False,
        explanations: Given = (),
    ) -> Checked:
        """Check an upload; `documents`: a valid one also gets its JSON and Word report;
        `explanations`: (rule, place, text) of warnings, typed on the page beside the file."""
        if self._closed:
            raise RuntimeError("UploadChecker is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._threads, self._check_now, data, name, lang, documents, explanations
        )

    def close(self) -> None:
        """Stop the workers (killed: one stuck in C code would never exit by itself)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor = self._executor
        self._threads.shutdown(wait=False, cancel_futures=True)
        kill_workers(executor)
        executor.shutdown(wait=True, cancel_futures=True)

    def _check_now(
        self, data: bytes, name: str, lang: Lang, documents: bool, given: Given
    ) -> Checked:
        shown = upload_name(name)
        digest = hashlib.sha256(data).hexdigest()
        job = UploadJob(data, shown, digest, lang, documents, self.timeout, given)
        if len(data) > READ_LIMIT:  # as `check` refuses such a file: never sent to a worker
            return unreadable_upload(job, oversized(shown, len(data)), kind="xlsx")
        with self._turns.shared():
            answer = self._attempt(job)
        if answer == "broken":  # perhaps a neighbour's fault: once more, alone
            with self._turns.alone():
                answer = self._attempt(job)
        if isinstance(answer, Checked):
            return answer
        return unreadable_upload(job, lost_finding(answer, shown))

    def _attempt(self, job: UploadJob) -> Checked | Lost:
        future, generation = self._submit(job)
        self._count(1)
        try:
            return future.result(timeout=self._deadline)
        except FutureTimeout:
            self._restart(generation)
            return "hung"
        except (BrokenProcessPool, CancelledError):  # a worker died: whose fault is not known
            self._restart(generation)
            return "broken"
        finally:
            self._count(-1)

    def _submit(self, job: UploadJob) -> tuple[Future[Checked], int]:
        """Send the job to the current pool; a pool that broke or was replaced before taking
        it is replaced (no try is counted for a job that never started)."""
        for _ in range(SUBMIT_TRIES):
            executor, generation = self._current()
            try:
                return executor.submit(check_upload, job), generation
            except (BrokenProcessPool, RuntimeError):
                self._restart(generation)
        raise RuntimeError("no worker pool takes jobs (is the interpreter exiting?)")

    def _current(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._closed:
                raise RuntimeError("UploadChecker is closed")
            return self._executor, self._generation

    def _restart(self, generation: int) -> None:
        """Kill the pool that broke or hung (once, whoever notices first); start a new one."""
        with self._lock:
            if generation != self._generation or self._closed:
                return
            old = self._executor
            self._generation += 1
            self._executor = start_executor(self._workers, self._forms)
        kill_workers(old)  # its other uploads see BrokenProcessPool and are tried again
        old.shutdown(wait=False)

    def _count(self, step: int) -> None:
        with self._lock:
            self._in_flight += step

    def _worker_pids(self) -> list[int]:
        """The pool's live worker processes (for tests and monitoring)."""
        processes: dict[int, Any] = getattr(self._executor, "_processes", None) or {}
        return [p.pid for p in list(processes.values()) if p.pid and p.is_alive()]


class _Turns:
    """First tries share the pool; a second try waits for the pool to itself (no new first try
    starts meanwhile), so a file that breaks a worker again breaks no one else's check."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sharing = 0
        self._alone = False
        self._waiting_alone = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._alone and not self._waiting_alone)
            self._sharing += 1
        try:
            yield
        finally:
            with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._changed:
            self._waiting_alone += 1
            self._changed.wait_for(lambda: not self._alone and not self._sharing)
            self._waiting_alone -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._changed:
                self._alone = False
                self._changed.notify_all()


# ---- in the worker process ---------------------------------------------------------------------


def check_upload(job: UploadJob) -> Checked:
    """Check one upload within its time limit; never raises for a bad file."""
    forms = loaded_forms()
    try:
        with time_limit(job.timeout):
            form, result = check_with(forms, job.data, job.name, job.given)
            return checked_result(result, job, form)
    except Exception as exc:  # out of time or memory, or a reader's bug: this upload only
        return unreadable_upload(job, failure_finding(exc, job.name))


def checked_result(result: FileResult, job: UploadJob, form: Form | None) -> Checked:
    """The Checked of a result; `form` None when no form read it (refused, worker lost)."""
    report = json.loads(json.dumps(json_report([result], job.lang), ensure_ascii=False))
    entry = report["files"][0]
    read_by = form if result.readable else None
    outcome = (
        summarise(read_by, result, Job(0, job.name, b"", job.sha256, ""), job.lang)
        if read_by
        else None
    )
    return Checked(
        name=job.name,
        sha256=job.sha256,
        readable=result.readable,
        valid=result.valid,
        errors=entry["errors"],
        warnings=entry["warnings"],
        open_warnings=entry["open_warnings"],
        form_id=read_by.id if read_by else None,
        form_version=read_by.form_version if read_by else None,
        year=outcome.year if outcome else None,
        office=outcome.office if outcome else None,
        credit_code=outcome.credit_code if outcome else None,
        suffix=content_suffix(result.kind, job.data, job.name),
        report=report,
        values=_json_safe(result.values) if read_by else {},
        outputs=upload_outputs(read_by, result, job, entry["warnings"]) if read_by else {},
    )


def upload_outputs(
    form: Form, result: FileResult, job: UploadJob, warnings: int
) -> dict[str, tuple[str, bytes]]:
    """The error workbook (errors or warnings to see), JSON + Word (valid, when asked), named as
    `check --errors-dir` and `convert` name them for one file."""
    kinds = ["errors"] if not result.valid or warnings else []
    if result.valid and job.documents:
        kinds += ["json", "docx"]
    if not kinds:
        return {}
    stem = RunNames(KINDS[k].suffix for k in kinds).take(PurePath(job.name).stem)
    names = {kind: stem + KINDS[kind].suffix for kind in kinds}
    memory = MemoryDestination()
    options = OutputOptions(lang=job.lang)
    done = write_outputs(form, result, kinds, memory, names, options, keep_going=True)
    for failed in done.failed:  # a writer's bug loses that output, not the check
        log.warning("%s: %s not written: %r", job.name, failed.kind, failed.error)
    return {w.kind: (w.name, memory.files[w.name]) for w in done.written}


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    """Values as JSON keeps them: a non-finite number (a typing slip read as 1E+400) as null."""
    text = json.dumps(values, ensure_ascii=False, default=str)
    safe: dict[str, Any] = json.loads(text, parse_constant=lambda _: None)
    return safe


# ---- uploads that no form read -------------------------------------------------------------------


def unreadable_upload(job: UploadJob, finding: Finding, kind: str | None = None) -> Checked:
    """An upload refused or lost with its worker: its one finding, no form, no outputs."""
    kind = kind or _kind_unopened(job.data, job.name)
    result = FileResult(job.name, kind, [finding], readable=False, sha256=job.sha256)
    return checked_result(result, job, None)


def oversized(name: str, size: int) -> Finding:
    """What `check` says of a file over READ_LIMIT (check.load_input)."""
    text = detail("file_size", size=size_mb(size), limit=size_mb(READ_LIMIT))
    return make_finding("F07", file=name, detail=text)


def lost_finding(lost: Lost, name: str) -> Finding:
    """An upload whose worker died twice (F06, as the batch says it) or got stuck (F12)."""
    if lost == "hung":
        return make_finding("F12", file=name)
    return make_finding("F06", file=name, values={"detail": "the worker process crashed"})


def _kind_unopened(data: bytes, name: str) -> str:
    """check.sniff_kind's answer without opening a zip: the server never lists an upload's zip."""
    if data[:2] == b"PK":
        return "import" if b"word/document.xml" in data else "xlsx"
    return sniff_kind(data, name)


# ---- the upload's name and content -------------------------------------------------------------


def upload_name(name: str) -> str:
    """The upload's base name, safe to show: any folder dropped (Windows' too), control, bidi
    and zero-width characters out, at most NAME_CHARS characters with the extension kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if len(base) > 4 * NAME_CHARS:  # cleaning looks at every character: keep start and extension
        base = base[: 2 * NAME_CHARS] + base[-16:]
    shown = clean_file_name(base, NAME_CHARS)
    return shown if shown.strip(" .") else UNNAMED


def content_suffix(kind: str, data: bytes, name: str) -> str:
    """The suffix the upload is stored with: what it was read as (a name only tells text apart,
    as importers.sniff.read_any reads a .html name as HTML)."""
    if kind != "import":
        return ".json" if kind == "json" else ".xlsx"
    if data[:2] == b"PK":
        return ".docx"
    from xlcheck.importers.sniff import looks_like_html

    if PurePath(name).suffix.lower() in (".html", ".htm") or looks_like_html(data):
        return ".html"
    return ".txt"
