"""Shared fixtures: the bundled form, and the source tree on sys.path for test helpers."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from xlcheck.form import Form, load_form  # noqa: E402


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form()


def pytest_configure(config: pytest.Config) -> None:
    """On CI the real-application tests must run: a missing LibreOffice fails, it never skips."""
    if os.environ.get("CI") and not (shutil.which("soffice") or shutil.which("libreoffice")):
        raise pytest.UsageError("CI must run the LibreOffice tests, but soffice is not installed")
