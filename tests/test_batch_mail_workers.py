"""E-mails of a batch are parsed in worker processes, not in the batch's parent: the parent's
work per message is bounded (it never runs the mail parser), and what the batch reports is what
it reported when the parent parsed them (the other batch tests compare the summaries)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from batch_fixtures import mail, office_values, workbook
from xlcheck.batch import BatchOptions, run_batch
from xlcheck.form import Form
from xlcheck.inbox import gather
from xlcheck.inbox.mail import expand_message


def count_calls(code: Any, action: Any) -> int:
    """How often `code` runs in this process while `action` runs (a profile hook, no mock)."""
    calls = 0

    def hook(frame: FrameType, event: str, _: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code is code:
            calls += 1

    sys.setprofile(hook)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def test_the_parent_never_parses_an_email(form: Form, tmp_path: Path) -> None:
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    for index in range(3):
        data = workbook(form, office_values(form, index))
        (inbox / f"{index}.eml").write_bytes(mail(index, data, "Mon, 1 Feb 2021 09:00:00 +0800"))
    (inbox / "empty.eml").write_bytes(
        b"From: a@example.gov.cn\r\nSubject: x\r\n\r\nno attachment\r\n"
    )
    assert count_calls(expand_message.__code__, lambda: list(gather([inbox]))) >= 4  # it counts
    options = BatchOptions(
        [inbox], tmp_path / "out", 2, False, None, "zh", "gov-info-disclosure-2021", outputs=False
    )
    reports: list[Any] = []
    calls = count_calls(expand_message.__code__, lambda: reports.append(run_batch(options)))
    assert calls == 0
    (report,) = reports
    assert sum(report.counts.values()) == 3 and report.ignored == 1
    assert all(row["sender"] for row in report.rows)
