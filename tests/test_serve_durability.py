"""Nothing is lost and no half file is seen: a real process submitting in a loop is killed with
SIGKILL at random moments, and the reopened store must hold every receipt it printed.

What must hold after each kill and reopen:
- every receipt the child printed (it prints only after submit() returned) has its row, and its
  file in inbox/ byte-identical (sha256) to what was sent, with mtime = the received time, and its
  outputs in outputs/<receipt>/;
- the files in inbox/ are exactly the rows' files (a row whose move the kill cut short is finished
  by the open; a file without a row cannot exist, as the row is committed before the rename);
- .incoming/ is empty (temps without a row are removed, those with one are moved into place);
- ids and receipts strictly increase with arrival, across all the kills.
Bounded by counts (rounds, receipts read per round), never by time.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xlcheck.serve.store import Store, SubmissionRow

ROUNDS = 8
MOST_PER_ROUND = 6
CHILD_LIMIT = 200  # a child never killed stops by itself

CHILD = """
import hashlib, sys
from pathlib import Path
from xlcheck.serve.store import Facts, Store

store = Store.open(Path(sys.argv[1]))
store.add_offices([("某某镇人民政府", None), ("县财政局", None)])
offices = [o.id for o in store.offices()]
round_no = int(sys.argv[2])
for n in range(int(sys.argv[3])):
    data = hashlib.sha256(f"{round_no}-{n}".encode()).digest() * (64 + 97 * n)
    sha = hashlib.sha256(data).hexdigest()
    facts = Facts("valid", 0, 0, 0, "f", 2025, {"n": n}, {"v": n}, [])
    outputs = {"json": (f"{n}.json", sha.encode())}
    row = store.submit(offices[n % 2], data, f"{n}.xlsx", sha, ".xlsx", facts, outputs)
    print(row.receipt, sha, flush=True)
"""


def _number(receipt: str) -> int:
    return int(receipt.rsplit("-", 1)[1])


def _run_and_kill(root: Path, round_no: int, wanted: int) -> list[tuple[str, str]]:
    """Start a child, read `wanted` printed receipts, then SIGKILL it wherever it is."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(round_no), str(CHILD_LIMIT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed = []
    try:
        assert child.stdout is not None
        while len(printed) < wanted:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"the child stopped: {child.communicate(timeout=60)[1]}")
            receipt, sha = line.split()
            printed.append((receipt, sha))
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    return printed


def _check_folder(store: Store, printed: list[tuple[str, str]]) -> list[SubmissionRow]:
    root = store.root
    rows = store.submissions()
    by_receipt = {r.receipt: r for r in rows}
    for receipt, sha in printed:
        row = by_receipt[receipt]
        assert row.sha256 == sha
        stored = root / row.stored_path
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
        assert (root / row.outputs["json"]).read_bytes() == sha.encode()
    for row in rows:  # also those committed but killed before they were printed
        stored = root / row.stored_path
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == row.sha256
        received = datetime.strptime(row.received_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert int(stored.stat().st_mtime) == int(received.timestamp())
    in_inbox = {p.relative_to(root).as_posix() for p in (root / "inbox").rglob("*") if p.is_file()}
    assert in_inbox == {r.stored_path for r in rows}
    assert {p.name for p in (root / "outputs").iterdir()} == set(by_receipt)
    assert list((root / ".incoming").iterdir()) == []
    ids = [r.id for r in rows]
    assert ids == sorted(set(ids)) and [_number(r.receipt) for r in rows] == ids
    return rows


def test_a_killed_submitter_loses_nothing_and_leaves_no_half_file(tmp_path: Path) -> None:
    root = tmp_path / "serve"
    pick = random.Random(12)
    printed_all: list[tuple[str, str]] = []
    for round_no in range(ROUNDS):
        printed = _run_and_kill(root, round_no, pick.randint(1, MOST_PER_ROUND))
        printed_all += printed
        store = Store.open(root)
        try:
            rows = _check_folder(store, printed_all)
        finally:
            store.close()
    numbers = [_number(receipt) for receipt, _ in printed_all]
    assert numbers == sorted(set(numbers))  # strictly increasing across the kills
    assert len(rows) >= len(printed_all)
