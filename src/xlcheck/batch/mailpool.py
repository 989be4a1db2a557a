"""E-mails parsed in worker processes: the walk yields each message as a Deferred, a small pool
expands it into its attachments (or the reason it has none), and the items come back in walk
order, so that sequence numbers, envelopes, duplicates and summaries are what they would be had
the parent parsed them (~1 ms of CPU a message that the parent, a batch's one serial part,
no longer spends).

A message that crashes or hangs its worker, or passes the per-file time, becomes an unreadable
container; the pool is then replaced. Memory per worker is capped as the checkers' is.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from xlcheck.inbox.models import Deferred, Item
from xlcheck.inbox.walk import expand_deferred

from .pool import SLACK_SECONDS, kill_workers
from .worker import WORKER_HEADROOM, cap_memory

BATCH = 8  # consecutive messages sent to a worker at once (one round trip each)
BATCH_BYTES = 8 * 2**20
AHEAD_BYTES = 64 * 2**20  # messages in flight: the parent's memory stays bounded


def init_mail_worker() -> None:
    cap_memory(WORKER_HEADROOM)


def expand_batch(batch: list[Deferred]) -> list[list[Item]]:
    return [expand_deferred(deferred) for deferred in batch]


@dataclass
class _Waiting:
    """A run of the walk's output: items as they are, or messages being expanded."""

    items: list[Item] = field(default_factory=list)
    messages: list[Deferred] = field(default_factory=list)
    future: Future[list[list[Item]]] | None = None


def _size(messages: list[Deferred]) -> int:
    return sum(len(message.data) for message in messages)


def _in_flight(window: deque[_Waiting]) -> int:
    return sum(_size(waiting.messages) for waiting in window)


class MailPool:
    """Expands deferred messages in order, with at most `ahead` batches in flight."""

    def __init__(self, workers: int, timeout: float) -> None:
        self.workers = max(1, workers)
        self.timeout = timeout
        self.executor: ProcessPoolExecutor | None = None

    def expand(self, walked: Iterable[Item | Deferred]) -> Iterator[Item]:
        window: deque[_Waiting] = deque()
        pending: list[Deferred] = []
        for item in walked:
            if isinstance(item, Deferred):
                pending.append(item)
                if len(pending) < BATCH and _size(pending) < BATCH_BYTES:
                    continue
            if pending:
                window.append(self._submit(pending))
                pending = []
            if not isinstance(item, Deferred):
                window.append(_Waiting(items=[item]))
            while len(window) > 4 * self.workers or _in_flight(window) > AHEAD_BYTES:
                yield from self._resolve(window.popleft())
        if pending:
            window.append(self._submit(pending))
        while window:
            yield from self._resolve(window.popleft())

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def _submit(self, messages: list[Deferred]) -> _Waiting:
        return _Waiting(messages=messages, future=self._pool().submit(expand_batch, messages))

    def _pool(self) -> ProcessPoolExecutor:
        if self.executor is None:
            context = multiprocessing.get_context("forkserver")
            self.executor = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=init_mail_worker
            )
        return self.executor

    def _resolve(self, waiting: _Waiting) -> Iterator[Item]:
        if waiting.future is None:
            yield from waiting.items
            return
        try:
            expanded = waiting.future.result(timeout=self._deadline(len(waiting.messages)))
        except Exception:  # noqa: BLE001 - a worker died or hung: find the message that did it
            self._restart()
            expanded = [self._alone(message) for message in waiting.messages]
        for items in expanded:
            yield from items

    def _alone(self, message: Deferred) -> list[Item]:
        try:
            future = self._pool().submit(expand_batch, [message])
            return future.result(timeout=self._deadline(1))[0]
        except Exception:  # noqa: BLE001 - this message breaks its worker on its own
            self._restart()
            detail = "parsing the e-mail crashed or timed out"
            return [message.trail.skipped(message.filename, "unreadable_container", detail)]

    def _deadline(self, count: int) -> float:
        return self.timeout * count + SLACK_SECONDS

    def _restart(self) -> None:
        if self.executor is None:
            return
        kill_workers(self.executor)
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor = None
