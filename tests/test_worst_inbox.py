"""The worst inbox of issue 10 through the real CLI: the batch ends with exit 1 and a complete
汇总.xlsx, every valid office has its outputs, no temporary file is left and nothing outside the
output folder is touched."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from worst_inbox import WorstInbox, build_worst_inbox, remove_tree, walk_tree
from xlcheck.form import Form

INVISIBLE = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b"))


def tree_state(base: Path, skip: Path) -> dict[str, Any]:
    """Every entry under base but `skip`, links and FIFOs not followed: kind, bytes' hash, mtime."""
    state: dict[str, Any] = {}
    for path, info in walk_tree(base):
        if path == skip or skip in path.parents:
            continue
        key = path.relative_to(base).as_posix()
        if stat.S_ISLNK(info.st_mode):
            state[key] = ("link", os.readlink(path))
        elif stat.S_ISREG(info.st_mode):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[key] = ("file", digest, info.st_mtime_ns, stat.S_IMODE(info.st_mode))
        else:
            state[key] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
    return state


def plain(name: str | None) -> str:
    return (name or "").translate(INVISIBLE)


@pytest.fixture(scope="module")
def run(form: Form, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("worst")
    inbox = build_worst_inbox(form, base)
    out = base / "输出"
    before = tree_state(base, out)
    done = subprocess.run(
        [sys.executable, "-m", "xlcheck", "batch", str(inbox.root), "-o", str(out), "--drafts"],
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard only: the assertions are about the outcome
        preexec_fn=lambda: os.umask(0o022),
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    book = load_workbook(out / "汇总.xlsx", read_only=True)
    origin = [c.value for c in next(book["汇总"].iter_rows(max_row=1))].index("来源")
    listed = {
        str(row[column])
        for title, column in (("汇总", origin), ("已忽略的文件", 0))
        for row in book[title].iter_rows(min_row=2, values_only=True)
        if len(row) > column and row[column]
    }
    cells = [
        value
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    book.close()
    yield {
        "inbox": inbox,
        "base": base,
        "out": out,
        "done": done,
        "before": before,
        "after": tree_state(base, out),
        "summary": summary,
        "listed": listed,
        "cells": cells,
    }
    remove_tree(base)


def current_rows(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        plain(row["office"]): row
        for row in summary["rows"]
        if row["office"]
        and row["status"] not in ("已被新版本取代",)
        and "重复" not in row["status"]
    }


def test_the_batch_ends_with_exit_1_and_one_clean_output(run: dict[str, Any]) -> None:
    done = run["done"]
    assert done.returncode == 1, done.stderr[-3000:]
    noise = done.stdout + done.stderr
    assert "Traceback" not in noise and "Exception ignored" not in noise
    assert len(done.stderr.strip().splitlines()) <= 1


def test_the_summary_lists_every_input(run: dict[str, Any]) -> None:
    """Each file, FIFO and link of the inbox is named in 汇总.xlsx: as itself, as the container of
    a listed member, or inside a folder that is listed as a whole (too deep, a loop)."""
    inbox: WorstInbox = run["inbox"]
    listed: set[str] = run["listed"]
    top = inbox.root.name
    missing = []
    for path, info in walk_tree(inbox.root):
        if not stat.S_ISDIR(info.st_mode):
            rel = f"{top}/{path.relative_to(inbox.root).as_posix()}"
            if not any(
                o == rel or o.startswith((rel + "!", rel + "#")) or rel.startswith(o + "/")
                for o in listed
            ):
                missing.append(rel[:120])
    assert not missing


def test_every_valid_office_has_its_outputs(run: dict[str, Any]) -> None:
    inbox: WorstInbox = run["inbox"]
    rows = current_rows(run["summary"])
    out: Path = run["out"]
    for name in inbox.valid_offices:
        row = rows[plain(name)]
        assert row["status"] == "通过", (name, row["messages"])
        assert set(row["outputs"]) >= {"json", "docx"}
        for relative in row["outputs"].values():
            path = (out / relative).resolve()
            assert out.resolve() in path.parents and path.is_file()
            assert len(path.name.encode("utf-8")) <= 255
            assert not set(path.name) & {"\u202e", "\u200b"}
    for name in inbox.invalid_offices:
        row = rows[plain(name)]
        assert row["status"] == "有错误", (name, row["messages"])
        assert "errors" in row["outputs"]


def test_no_temporary_file_is_left_and_outputs_honour_the_umask(run: dict[str, Any]) -> None:
    out: Path = run["out"]
    left = [p for p in out.rglob("*") if p.name.startswith(".xlcheck-") and p.suffix == ".tmp"]
    assert not left
    unreadable = [
        p.name
        for p in out.rglob("*")
        if p.is_file() and not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o044 != 0o044
    ]
    assert unreadable == []


def test_nothing_outside_the_output_folder_is_touched(run: dict[str, Any]) -> None:
    assert run["after"] == run["before"]
    assert run["inbox"].outside.read_text(encoding="utf-8").startswith("outside the inbox")


def test_a_header_injected_by_a_sender_never_reaches_the_reply(run: dict[str, Any]) -> None:
    rows = current_rows(run["summary"])
    outputs = rows["某某县换行局"]["outputs"]
    assert "reply" in outputs
    raw = (run["out"] / outputs["reply"]).read_bytes()
    draft = email.message_from_bytes(raw, policy=email.policy.default)
    assert draft["Bcc"] is None and draft["X-Evil"] is None
    assert b"\nBcc:" not in raw and b"\nX-Evil:" not in raw


def test_prose_comes_back_as_typed(run: dict[str, Any]) -> None:
    row = current_rows(run["summary"])["某某县换段局"]
    doc = json.loads((run["out"] / row["outputs"]["json"]).read_text(encoding="utf-8"))
    text = doc["overview"]["intro"]
    assert text.replace("\r\n", "\n") == "第一段。\n第二段。_x0041_"
    with zipfile.ZipFile(run["out"] / row["outputs"]["docx"]) as word:
        body = word.read("word/document.xml").decode("utf-8")
    assert "_x000D_" not in body and "_x005F_" not in body and "第二段。_x0041_" in body


def test_identical_content_is_one_submission(run: dict[str, Any]) -> None:
    rows = [r for r in run["summary"]["rows"] if r["office"] == "某某县重复局"]
    assert [r["status"] for r in rows].count("通过") == 1
    assert "已被新版本取代" not in {r["status"] for r in rows}
    assert not (run["out"] / "某某县重复局" / "superseded").exists()
    empties = {
        r["filename"]: r
        for r in run["summary"]["rows"]
        if r["filename"] in ("丙镇.xlsx", "丁镇.xlsx")
    }
    assert set(empties) == {"丙镇.xlsx", "丁镇.xlsx"}
    for filename, row in empties.items():
        assert any("「" in m for m in row["messages"]), row["messages"]
        assert all(filename in m for m in row["messages"] if "「" in m), row["messages"]


def test_a_shifted_sheet_is_one_finding(run: dict[str, Any]) -> None:
    [row] = [r for r in run["summary"]["rows"] if r["filename"] == "pandas.xlsx"]
    assert row["status"] == "有错误" and row["errors"] == 1, row["messages"]
    assert "整体下移了 1 行、右移了 1 列" in row["messages"][0]


def test_no_cell_of_the_summary_can_reverse_text(run: dict[str, Any]) -> None:
    """An office called 「某某县\u202ecod.exe局」 shows as written, not reversed, in 汇总.xlsx."""
    assert "某某县cod.exe局" in run["cells"]
    assert not [
        c
        for c in run["cells"]
        if set(c) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    ]
