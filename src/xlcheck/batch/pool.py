"""Run check chunks in worker processes, bounded in flight, so that a crash or hang costs one file.

Chunks go to a `ProcessPoolExecutor`. When the pool breaks (a worker died) or stops answering,
it is killed and the chunks it held are re-run one file at a time, one at a time, in a fresh
pool: the file that breaks that is recorded as unreadable, every other file gets its result.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from xlcheck.codes import make_finding

from .records import Outcome
from .worker import Job, Settings, check_chunk, failed_outcome, init_worker

Result = tuple[int, Outcome, dict[str, Any]]
CHUNK_FILES = 16
CHUNK_BYTES = 8 * 2**20
TASKS_PER_CHILD = 64  # chunks a worker handles before it is replaced (bounds leaked memory)
SLACK_SECONDS = 30.0
PRELOAD = [
    "xlcheck.batch.worker",
    "xlcheck.reader",
    "xlcheck.xlsxout",
    "xlcheck.render.docx_report",
]


def chunked(jobs: Iterable[Job]) -> Iterator[list[Job]]:
    """Chunks of at most CHUNK_FILES files and about CHUNK_BYTES bytes."""
    chunk: list[Job] = []
    size = 0
    for job in jobs:
        chunk.append(job)
        size += len(job.data)
        if len(chunk) >= CHUNK_FILES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


class CheckPool:
    """A process pool for check chunks that survives crashing and hanging files."""

    def __init__(self, workers: int, form_names: tuple[str, ...], settings: Settings) -> None:
        self.workers = workers
        self.form_names = form_names
        self.settings = settings
        self.pending: dict[Future[list[Result]], list[Job]] = {}
        self.suspects: list[Job] = []
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return start_executor(self.workers, self.form_names)

    def submit(self, chunk: list[Job]) -> Iterator[Result]:
        """Queue a chunk; yield whatever results are ready once the pool is full."""
        while len(self.pending) >= 2 * self.workers:
            yield from self._collect(self._deadline(max(self.pending.values(), key=len)))
        try:
            self.pending[self.executor.submit(check_chunk, chunk, self.settings)] = chunk
        except BrokenProcessPool:  # broke between two waits: the chunk was never started
            self.suspects.extend(chunk)
            self._restart()

    def drain(self) -> Iterator[Result]:
        """Yield every remaining result, then re-run suspects one by one."""
        while self.pending:
            yield from self._collect(self._deadline(max(self.pending.values(), key=len)))
        yield from self._isolate()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _deadline(self, chunk: list[Job]) -> float:
        return self.settings.timeout * len(chunk) + SLACK_SECONDS

    def _collect(self, timeout: float) -> Iterator[Result]:
        done, _ = wait(self.pending, timeout=timeout, return_when=FIRST_COMPLETED)
        if not done:  # nothing finished in time: a worker hangs below Python's reach
            self._restart()
            return
        for future in done:
            chunk = self.pending.pop(future)
            try:
                yield from future.result()
            except BrokenProcessPool:
                self.suspects.extend(chunk)
        if self.suspects:
            self._restart()

    def _restart(self) -> None:
        """Kill the pool; everything it still held becomes a suspect."""
        for chunk in self.pending.values():
            self.suspects.extend(chunk)
        self.pending.clear()
        kill_workers(self.executor)
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor = self._start()

    def _isolate(self) -> Iterator[Result]:
        while self.suspects:
            job = self.suspects.pop(0)
            future = self.executor.submit(check_chunk, [job], self.settings)
            try:
                yield from future.result(timeout=self._deadline([job]))
            except Exception:  # it broke or hung the pool on its own: this is the bad file
                kill_workers(self.executor)
                self.executor.shutdown(wait=True, cancel_futures=True)
                self.executor = self._start()
                yield crashed(job, self.settings)


def start_executor(workers: int, form_names: tuple[str, ...]) -> ProcessPoolExecutor:
    """Worker processes that load the forms once and cap their memory (worker.init_worker)."""
    context = multiprocessing.get_context("forkserver")  # max_tasks_per_child rules out fork
    context.set_forkserver_preload(PRELOAD)  # imported once; replaced workers start warm
    return ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=init_worker,
        initargs=(form_names, os.getpid()),
        max_tasks_per_child=TASKS_PER_CHILD,
    )


def crashed(job: Job, settings: Settings) -> Result:
    technical = "the worker process crashed or timed out"  # F06's message says damaged
    finding = make_finding("F06", file=job.filename, values={"detail": technical})
    return job.seq, failed_outcome(job, finding, settings), {}


def kill_workers(executor: ProcessPoolExecutor) -> None:
    """Kill every live process of the pool (a worker stuck in C ignores the shutdown)."""
    processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.kill()


def run_pool(
    workers: int, form_names: tuple[str, ...], settings: Settings, chunks: Iterable[list[Job]]
) -> Iterator[Result]:
    """Results of every job of every chunk, in completion order."""
    pool = CheckPool(workers, form_names, settings)
    try:
        for chunk in chunks:
            yield from pool.submit(chunk)
        yield from pool.drain()
    finally:
        pool.close()
