"""Checked uploads held in memory until the office submits them or they expire.

"Nothing is stored until it presses 提交": a check keeps the bytes and the result here, under a
random id, so the result page can offer the error workbook and the 提交 button without a second
upload. Bounded in count, bytes and age; the oldest go first.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .checker import Checked

MAX_ENTRIES = 256
MAX_BYTES = 512 * 2**20
MAX_AGE = 2 * 3600.0  # seconds: long enough to read the findings, fix a cell and come back


@dataclass(frozen=True)
class Held:
    office_id: int | None  # None: the check-only page (no submit possible)
    name: str
    data: bytes
    checked: Checked
    at: float

    @property
    def size(self) -> int:
        return len(self.data) + sum(len(blob) for _, blob in self.checked.outputs.values())


class Pending:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, Held] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._clock = clock

    def put(self, office_id: int | None, name: str, data: bytes, checked: Checked) -> str:
        held = Held(office_id, name, data, checked, self._clock())
        key = secrets.token_urlsafe(18)
        with self._lock:
            self._items[key] = held
            self._bytes += held.size
            self._expire()
        return key

    def get(self, key: str, office_id: int | None) -> Held | None:
        """The entry, only for the office that made it (or the check-only page for None)."""
        with self._lock:
            self._expire()
            held = self._items.get(key)
        if held is None or held.office_id != office_id:
            return None
        return held

    def drop(self, key: str) -> None:
        with self._lock:
            held = self._items.pop(key, None)
            if held is not None:
                self._bytes -= held.size

    def _expire(self) -> None:
        oldest = self._clock() - MAX_AGE
        while self._items:
            key, held = next(iter(self._items.items()))
            if len(self._items) <= MAX_ENTRIES and self._bytes <= MAX_BYTES and held.at >= oldest:
                break
            del self._items[key]
            self._bytes -= held.size
