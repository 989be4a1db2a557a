"""The batch worker's memory backstop: past its cap a file fails alone with MemoryError."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
from xlcheck.batch.worker import cap_memory
cap_memory(64 * 2**20)
try:
    block = bytearray(512 * 2**20)
except MemoryError:
    print("capped")
else:
    print("not capped")
"""


def test_worker_memory_is_capped() -> None:
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "capped", run.stderr
