"""A batch re-run with an archive: a remembered outcome serves only while the archive would give
its office the same last year's report as when it was checked.

The worker records, beside each submission's stored outputs, the SHA-256 of the archived report
it was checked against (batch.worker.PREVIOUS_FILE, empty when none). A report archived since, or
a new link, checks that office's submission again; every other outcome is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from xlcheck.batch.records import Outcome
from xlcheck.batch.worker import PREVIOUS_FILE, store_dir

from .lookup import previous_sha

Lookup = Callable[[str], tuple[Outcome, dict[str, Any]] | None]


def same_last_year(lookup: Lookup, root: Path, store: Path) -> Lookup:
    """`lookup` (the re-run state's) that answers only while last year's report is unchanged."""

    def cached(key: str) -> tuple[Outcome, dict[str, Any]] | None:
        hit = lookup(key)
        if hit is None or not hit[0].readable:
            return hit
        try:
            used = (store_dir(store, key) / PREVIOUS_FILE).read_text("utf-8")
        except OSError:  # checked without the archive
            return None
        return hit if used == previous_sha(root, hit[0]) else None

    return cached
