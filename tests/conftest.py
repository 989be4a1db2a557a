"""Shared fixtures: the bundled form, and the source tree on sys.path for test helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from xlcheck.form import Form, load_form  # noqa: E402


@pytest.fixture(scope="session")
def form() -> Form:
    return load_form()
