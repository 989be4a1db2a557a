"""Shared fixtures: the bundled forms, and the source tree on sys.path for test helpers.

`form` runs a test once per bundled form (ids "2021", "2019"): a test about "a form" asks for it.
`form_2021` is for tests about the 2021 format's own facts (its keys, its table 三 cells); a test
marked `form_2021` gets that form as `form` (it is not about a form, e.g. the reader, so once).
Modules in ONE_FORM_MODULES still get the 2021 form as `form`: they are about the 2021 published
layout or belong to work in flight; convert them by asking for `form_2021` and dropping them here.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from documents import BUNDLED_FORMS  # noqa: E402
from xlcheck.form import Form, load_form  # noqa: E402
from xlcheck.form.load import DEFAULT_FORM  # noqa: E402

ONE_FORM_MODULES = frozenset(
    {
        "test_batch",
        "test_batch_duplicates",
        "test_batch_forms",  # builds its own inbox of both forms
        "test_batch_filesystem",
        "test_batch_finish",
        "test_batch_mail_workers",
        "test_batch_memory",
        "test_cli",
        "test_form",
        "test_hostile_mail",
        "test_import",
        "test_import_hostile",
        "test_message_languages",
        "test_numbers",
        "test_output_names",
        "test_outputs_layer",
        "test_roles",
        "test_startup",
        "test_worst_inbox",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "form" not in metafunc.fixturenames:
        return
    if metafunc.module.__name__.rsplit(".", 1)[-1] in ONE_FORM_MODULES:
        return
    if metafunc.definition.get_closest_marker("form_2021"):
        return
    ids = sorted(BUNDLED_FORMS, reverse=True)  # "2021" first: the current format
    metafunc.parametrize(
        "form", [BUNDLED_FORMS[i] for i in ids], ids=ids, indirect=True, scope="session"
    )


@pytest.fixture(scope="session")
def form(request: pytest.FixtureRequest) -> Form:
    return load_form(getattr(request, "param", DEFAULT_FORM))


@pytest.fixture(scope="session")
def form_2021() -> Form:
    return load_form("gov-info-disclosure-2021")


def pytest_configure(config: pytest.Config) -> None:
    """Register the form_2021 marker; on CI the real-application tests must run: a missing
    LibreOffice fails, it never skips."""
    config.addinivalue_line(
        "markers", "form_2021: run once, with the 2021 form as `form` (not about a form)"
    )
    if os.environ.get("CI") and not (shutil.which("soffice") or shutil.which("libreoffice")):
        raise pytest.UsageError("CI must run the LibreOffice tests, but soffice is not installed")
