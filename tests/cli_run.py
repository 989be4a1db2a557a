"""Run the real command line in a subprocess, as a user would (tests share this one helper)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HANG_GUARD = 300  # seconds; a guard against a hang, never an assertion about speed


def xlcheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m xlcheck ARGS`, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "xlcheck", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        cwd=cwd,
    )
