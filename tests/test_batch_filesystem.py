"""What the file system can throw at a batch: pipes, devices, symlink loops, very deep folders,
a full disk, the umask of a shared folder and the temp files of a run killed with kill -9."""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from openpyxl import load_workbook

from batch_fixtures import workbook
from documents import valid_values
from xlcheck.form import Form
from xlcheck.inbox import InboxLimits, Skipped, Submission, gather
from xlcheck.outputs import write_atomic

HANG_GUARD = 120  # seconds: only there so a regression fails instead of hanging the suite
DEPTH = 1000


def run_cli(
    *args: str, umask: int = 0o022, fsize: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, with its own umask and optionally a file-size limit."""

    def prepare() -> None:
        os.umask(umask)
        if fsize is not None:  # writes beyond it fail with EFBIG, as on a full disk
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "xlcheck", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        preexec_fn=prepare,
        check=False,
    )


def summary_rows(out: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads((out / "summary.json").read_text(encoding="utf-8"))["rows"]
    return {row["filename"]: row for row in rows}


def summary_cells(out: Path) -> str:
    """Every cell of 汇总.xlsx as one text, to look for names and reasons in it."""
    book = load_workbook(out / "汇总.xlsx", read_only=True)
    try:
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    finally:
        book.close()


@pytest.fixture()
def good(form: Form, tmp_path: Path) -> bytes:
    return workbook(form, valid_values(form, 1))


# ---- pipes and devices -----------------------------------------------------------------------


def test_a_fifo_and_a_link_to_dev_zero_are_listed_unreadable_and_the_batch_ends(
    good: bytes, tmp_path: Path
) -> None:
    inbox = tmp_path / "收件箱"
    inbox.mkdir()
    (inbox / "镇政府.xlsx").write_bytes(good)
    os.mkfifo(inbox / "管道.xlsx")
    (inbox / "零.xlsx").symlink_to("/dev/zero")
    direct = tmp_path / "直接.xlsx"  # named on the command line, so the link is followed
    direct.symlink_to("/dev/zero")
    pipe = tmp_path / "直接管道.zip"
    os.mkfifo(pipe)
    out = tmp_path / "输出"
    done = run_cli("batch", str(inbox), str(direct), str(pipe), "-o", str(out))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    rows = summary_rows(out)
    assert rows["镇政府.xlsx"]["status"] == "通过"
    for name in ("管道.xlsx", "零.xlsx", "直接.xlsx", "直接管道.zip"):
        assert rows[name]["status"] == "无法读取", name
    assert rows["管道.xlsx"]["rules"] == ["not_regular_file"]
    assert rows["直接.xlsx"]["rules"] == ["not_regular_file"]
    assert rows["零.xlsx"]["rules"] == ["symlink_outside"]
    cells = summary_cells(out)
    assert "「管道.xlsx」不是普通文件" in cells
    assert "「零.xlsx」是指向收件文件夹以外的链接" in cells


def _read_chars() -> int:
    """Bytes this process has read through read() so far (Linux /proc/self/io)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_the_size_cap_holds_while_reading_not_only_by_st_size(tmp_path: Path) -> None:
    # /proc files say 0 bytes in st_size and then deliver more: only a capped read notices
    lying = tmp_path / "说谎.xlsx"
    lying.symlink_to("/proc/self/smaps")
    big = tmp_path / "大.xlsx"
    big.write_bytes(b"x" * 100_000)
    before = _read_chars()
    items = list(gather([lying, big], InboxLimits(max_file_bytes=1000)))
    read = _read_chars() - before
    assert [(type(i).__name__, getattr(i, "reason", None)) for i in items] == [
        ("Skipped", "too_large"),
        ("Skipped", "too_large"),
    ]
    assert read < 100_000  # the big file was never read whole


def test_a_fifo_named_mbox_or_zip_is_not_opened_for_reading(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in ("a.mbox", "b.zip", "c.eml"):
        os.mkfifo(inbox / name)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from xlcheck.inbox import gather; from pathlib import Path;"
            f" print([i.reason for i in gather([Path({str(inbox)!r})])])",
        ],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert done.stdout.strip() == str(["not_regular_file"] * 3), done.stderr


def test_check_does_not_hang_on_a_fifo_or_read_dev_zero(tmp_path: Path) -> None:
    pipe = tmp_path / "管道.xlsx"
    os.mkfifo(pipe)
    zero = tmp_path / "零.xlsx"
    zero.symlink_to("/dev/zero")
    done = run_cli("check", str(pipe), str(zero))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.count("F17") == 2, done.stdout
    assert "不是普通文件" in done.stdout


# ---- symlinks and deep folders ---------------------------------------------------------------


def make_deep(root: Path, depth: int, data: bytes) -> None:
    """depth nested folders with a workbook at the bottom; paths beyond PATH_MAX, so by fd."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("层级目录", dir_fd=fd)
            inner = os.open("层级目录", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        out = os.open("深处.xlsx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, data)
        os.close(out)
    finally:
        os.close(fd)


def remove_deep(root: Path) -> None:
    """Remove a tree too deep for shutil.rmtree's recursion: a stack of folder fds."""
    fds, names = [os.open(root, os.O_RDONLY | os.O_DIRECTORY)], [str(root)]
    while fds:
        inner = None
        for name in os.listdir(fds[-1]):
            if stat.S_ISDIR(os.stat(name, dir_fd=fds[-1], follow_symlinks=False).st_mode):
                inner = name
                break
            os.unlink(name, dir_fd=fds[-1])
        if inner is not None:
            fds.append(os.open(inner, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
            names.append(inner)
            continue
        os.close(fds.pop())
        name = names.pop()
        if fds:
            os.rmdir(name, dir_fd=fds[-1])
    os.rmdir(root)


def test_symlink_loops_links_out_and_back_and_deep_folders_are_reported(
    good: bytes, tmp_path: Path
) -> None:
    inbox = tmp_path / "收件箱"
    (inbox / "乡镇").mkdir(parents=True)
    (inbox / "乡镇" / "镇政府.xlsx").write_bytes(good)
    (inbox / "自己.xlsx").symlink_to("自己.xlsx")  # a loop: resolve() used to raise RuntimeError
    (inbox / "乡镇" / "上级").symlink_to("..")  # back to an ancestor
    outside = tmp_path / "别处"
    outside.mkdir()
    (outside / "外面.xlsx").write_bytes(good)
    (inbox / "外部文件夹").symlink_to(outside)
    (inbox / "外部.xlsx").symlink_to(outside / "外面.xlsx")
    deep = inbox / "深"
    deep.mkdir()
    make_deep(deep, DEPTH, good)
    out = tmp_path / "输出"
    try:
        done = run_cli("batch", str(inbox), "-o", str(out))
    finally:
        remove_deep(deep)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    rows = summary_rows(out)
    assert rows["镇政府.xlsx"]["status"] == "通过"
    assert rows["自己.xlsx"]["rules"] == ["symlink_loop"]
    assert rows["上级"]["rules"] == ["symlink_inside"]
    assert rows["外部文件夹"]["rules"] == ["symlink_outside"]
    assert rows["外部.xlsx"]["rules"] == ["symlink_outside"]
    assert rows["层级目录"]["rules"] == ["folder_too_deep"]
    assert "外面.xlsx" not in rows and "深处.xlsx" not in rows
    cells = summary_cells(out)
    assert "「自己.xlsx」是循环的链接" in cells
    assert "文件夹嵌套过深" in cells


def test_the_walk_keeps_memory_of_depth_not_recursion(good: bytes, tmp_path: Path) -> None:
    make_deep(tmp_path, 200, good)
    try:
        items = list(gather([tmp_path], InboxLimits(max_folder_depth=300)))
    finally:
        remove_deep(tmp_path / "层级目录")
    assert [type(i) for i in items] == [Submission]
    assert items[0].origin.count("/层级目录") == 200


# ---- full disk --------------------------------------------------------------------------------


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[bool]:
    """A tmpfs of the given size mounted on folder when we may (root), else False."""
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    try:
        mounted = subprocess.run(mount, capture_output=True, check=False).returncode == 0
    except OSError:
        mounted = False
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_gives_one_line_and_exit_2(form: Form, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for index in range(6):
        values = valid_values(form, index)
        if index % 2:  # invalid ones get an error workbook, written by xlsxwriter's ZipFile
            values["applications.carried_forward.natural_person"] += 1
        (inbox / f"报表{index}.xlsx").write_bytes(workbook(form, values))
    # A real full disk where we can mount one; else every file is capped in size (EFBIG), which
    # fails the same writes but, per file, only those of the parent (the state comes first).
    with small_disk(tmp_path / "disk", "160k") as mounted:
        out = tmp_path / "disk" / "out"
        args = ("batch", str(inbox), "-o", str(out), "--jobs", "2")
        done = run_cli(*args) if mounted else run_cli(*args, fsize=60_000)
        leftovers = list(out.rglob(".xlcheck-*.tmp"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("xlcheck: ")
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert leftovers == []


def test_a_failed_write_leaves_no_half_zip_to_complain_later(tmp_path: Path) -> None:
    """The 58 "Exception ignored in ZipFile.__del__" tracebacks of a full disk, in small."""

    def write(fh: BinaryIO) -> None:
        archive = zipfile.ZipFile(fh, "w")  # as xlsxwriter does: never closed on an error
        archive.writestr("a.xml", b"<a/>" * 100)
        kept.append(archive)
        raise OSError(errno.ENOSPC, "No space left on device")

    kept: list[zipfile.ZipFile] = []
    complaints: list[str] = []
    hook, sys.unraisablehook = sys.unraisablehook, lambda u: complaints.append(repr(u.exc_value))
    try:
        with pytest.raises(OSError, match="No space"):
            write_atomic(tmp_path / "a.xlsx", write)
        kept.clear()
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert complaints == []
    assert list(tmp_path.iterdir()) == []


# ---- shared folders and crashed runs ----------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_outputs_follow_the_umask(good: bytes, tmp_path: Path, umask: int, mode: int) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(good)
    out = tmp_path / "out"
    done = run_cli("batch", str(inbox), "-o", str(out), umask=umask)
    assert done.returncode == 0, done.stderr
    files = [p for p in out.rglob("*") if p.is_file() and ".xlcheck-state" not in p.name]
    assert {p.name for p in files} >= {"汇总.xlsx", "summary.json"}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: mode for p in files}


def test_temp_files_of_a_killed_run_are_removed_and_nothing_else(
    good: bytes, tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.xlsx").write_bytes(good)
    out = tmp_path / "out"
    assert run_cli("batch", str(inbox), "-o", str(out)).returncode == 0
    office = next(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    left = [out / ".xlcheck-abc.tmp", office / ".xlcheck-k2j4_x9q.tmp"]
    for path in left:
        path.write_bytes(b"half a workbook")
    kept = [out / "notes.tmp", office / "xlcheck-abc.tmp", out / ".xlcheck-abc.tmp.bak"]
    for path in kept:
        path.write_text("mine")
    assert run_cli("batch", str(inbox), "-o", str(out)).returncode == 0
    assert [p for p in left if p.exists()] == []
    assert all(p.read_text() == "mine" for p in kept)


def test_a_skipped_record_names_what_the_file_is(tmp_path: Path) -> None:
    # a device, not a FIFO: on a regression this must fail, not hang the test run
    (tmp_path / "空.xlsx").symlink_to(os.devnull)
    (item,) = gather([tmp_path / "空.xlsx"])
    assert isinstance(item, Skipped) and item.reason == "not_regular_file"
    assert "character device" in item.detail
