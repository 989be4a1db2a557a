"""The upload checker of `xlcheck serve`: the report is exactly what `xlcheck check --format json`
prints, outputs come from the one output layer, the upload's name and bytes are never trusted, and
a hostile upload (bomb, garbage, a worker killed or stuck) costs one worker, never the server."""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import signal
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from batch_fixtures import credit_code, office_values, workbook
from cli_run import xlcheck
from documents import valid_document
from xlcheck.check import READ_LIMIT
from xlcheck.form import Form
from xlcheck.serve.checker import Checked, UploadChecker, _Turns
from xlsx_fixtures import zeros

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
VALID = "某县市场监督管理局-2024.xlsx"  # valid, no warnings
INVALID = "某县交通运输局-2024-有错误.xlsx"  # 3 errors, 2 warnings
WARNED = "古庄店镇-2023.xlsx"  # valid with one warning
PUBLISHED = EXAMPLES / "published" / "2023-guzhuangdian-town.txt"
SHEET = "xl/worksheets/sheet5.xml"


@pytest.fixture(scope="module")
def checker() -> Iterator[UploadChecker]:
    shared = UploadChecker(workers=2, timeout=20.0)
    yield shared
    shared.close()


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def check(
    checker: UploadChecker, data: bytes, name: str, lang: Any = "zh", **kwargs: Any
) -> Checked:
    return asyncio.run(checker.check(data, name, lang, **kwargs))


def assert_still_checks(checker: UploadChecker) -> None:
    """After anything hostile, a good workbook gets its full, correct answer."""
    good = check(checker, example(VALID), VALID)
    assert good.readable and good.valid and good.errors == 0


def codes(checked: Checked) -> list[str]:
    return [f["code"] for f in checked.report["files"][0]["findings"]]


def broken_workbook() -> bytes:
    data = example(VALID)
    return data[: len(data) // 2]


# ---- the report is what the command line prints -------------------------------------------------


def test_the_report_is_exactly_what_check_format_json_prints(
    checker: UploadChecker, form_2021: Form, tmp_path: Path
) -> None:
    files = {
        "报表.json": json.dumps(valid_document(form_2021), ensure_ascii=False).encode(),
        VALID: example(VALID),
        INVALID: example(INVALID),
        WARNED: example(WARNED),
        "半截.xlsx": broken_workbook(),
        "空.xlsx": b"",
        PUBLISHED.name: PUBLISHED.read_bytes(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for lang in ("zh", "en"):
        run = xlcheck("check", "--format", "json", "--lang", lang, *files, cwd=tmp_path)
        printed = json.loads(run.stdout)["files"]
        for (name, data), cli_file in zip(files.items(), printed, strict=True):
            assert check(checker, data, name, lang).report == {"files": [cli_file]}, name


def test_the_report_text_is_byte_identical_to_the_cli(
    checker: UploadChecker, tmp_path: Path
) -> None:
    (tmp_path / INVALID).write_bytes(example(INVALID))
    run = xlcheck("check", "--format", "json", INVALID, cwd=tmp_path)
    report = check(checker, example(INVALID), INVALID).report
    assert json.dumps(report, ensure_ascii=False, indent=2) + "\n" == run.stdout


def test_an_oversized_upload_gets_the_cli_finding_without_reaching_a_worker(
    checker: UploadChecker, tmp_path: Path
) -> None:
    data = b"PK" + bytes(READ_LIMIT - 1)  # one byte over the limit
    (tmp_path / "大.xlsx").write_bytes(data)
    run = xlcheck("check", "--format", "json", "大.xlsx", cwd=tmp_path)
    with stopped_workers(checker):  # a worker could not answer now: none is asked
        checked = check(checker, data, "大.xlsx")
    assert checked.report == json.loads(run.stdout)
    assert codes(checked) == ["F07"] and not checked.readable
    assert checked.outputs == {} and checked.values == {}


# ---- what the page and the store are told ---------------------------------------------------------


def test_a_valid_workbook_is_summed_up(checker: UploadChecker) -> None:
    checked = check(checker, example(VALID), VALID)
    assert (checked.readable, checked.valid, checked.errors, checked.warnings) == (
        True,
        True,
        0,
        0,
    )
    assert checked.name == VALID and checked.suffix == ".xlsx"
    assert checked.form_id == "gov-info-disclosure-annual-report"
    assert checked.form_version == checked.report["files"][0]["form"]["form_version"]
    assert checked.year == 2024
    assert checked.office == "某县市场监督管理局"
    assert checked.credit_code is None  # its check character is wrong: known by its name
    assert checked.values["agency.name"] == "某县市场监督管理局"
    json.dumps(checked.values, allow_nan=False)  # JSON-safe
    assert checked.outputs == {}  # no documents asked for, nothing to correct


def test_an_office_with_a_valid_credit_code_is_known_by_it(
    checker: UploadChecker, form_2021: Form
) -> None:
    values = office_values(form_2021, 0)
    checked = check(checker, workbook(form_2021, values), "报表.xlsx")
    assert checked.valid and checked.credit_code == credit_code(0)
    assert checked.office == values["agency.name"]


def test_an_invalid_workbook_gets_the_error_workbook_the_cli_names(
    checker: UploadChecker, tmp_path: Path
) -> None:
    checked = check(checker, example(INVALID), INVALID)
    assert (checked.valid, checked.errors, checked.warnings) == (False, 3, 2)
    (tmp_path / INVALID).write_bytes(example(INVALID))
    xlcheck("check", "--errors-dir", "out", INVALID, cwd=tmp_path)
    [made] = (tmp_path / "out").iterdir()
    assert list(checked.outputs) == ["errors"]
    name, data = checked.outputs["errors"]
    assert name == made.name
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == load_workbook(made).sheetnames


def test_a_valid_report_with_a_warning_gets_documents_from_the_one_output_layer(
    checker: UploadChecker, tmp_path: Path
) -> None:
    checked = check(checker, example(WARNED), WARNED, documents=True)
    assert checked.valid and checked.warnings == 1 and checked.open_warnings == 1
    assert list(checked.outputs) == ["errors", "json", "docx"]
    (tmp_path / WARNED).write_bytes(example(WARNED))
    xlcheck("convert", "--to", "json", "--out-dir", "out", WARNED, cwd=tmp_path)
    [made] = (tmp_path / "out").iterdir()
    assert checked.outputs["json"] == (made.name, made.read_bytes())
    name, docx = checked.outputs["docx"]
    assert name == made.with_suffix(".docx").name and docx[:2] == b"PK"
    without = check(checker, example(WARNED), WARNED)
    assert list(without.outputs) == ["errors"]


# ---- the upload's name is data -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.xlsx", "passwd.xlsx"),
        ("C:\\Users\\张三\\Desktop\\报表.xlsx", "报表.xlsx"),
        ("报\x00表.xlsx", "报 表.xlsx"),
        ("\u202eslx.exe\u202c.xlsx", "slx.exe.xlsx"),
        ("", "未命名文件"),
        ("../..", "未命名文件"),
    ],
)
def test_the_name_shown_is_the_uploads_base_name_cleaned(
    checker: UploadChecker, given: str, shown: str
) -> None:
    checked = check(checker, example(INVALID), given)
    assert checked.name == shown
    assert checked.report["files"][0]["path"] == shown
    name, _ = checked.outputs["errors"]
    assert "/" not in name and "\\" not in name and "\x00" not in name and ".." not in name


def test_a_500_byte_name_is_bounded_and_keeps_its_extension(checker: UploadChecker) -> None:
    checked = check(checker, example(INVALID), "报" * 166 + ".xlsx")  # 503 bytes
    assert checked.name.endswith(".xlsx") and len(checked.name.encode()) < 500
    name, _ = checked.outputs["errors"]
    assert len(name.encode()) <= 255 and name.endswith(".errors.xlsx")


# ---- what the content is, whatever its name ----------------------------------------------------------


def test_the_suffix_is_decided_by_content_not_by_name(
    checker: UploadChecker, form_2021: Form
) -> None:
    document = json.dumps(valid_document(form_2021), ensure_ascii=False).encode()
    html = b"<html><body><p>" + PUBLISHED.read_bytes() + b"</p></body></html>"
    assert check(checker, example(VALID), "报表.txt").suffix == ".xlsx"
    assert check(checker, document, "报表.xlsx").suffix == ".json"
    assert check(checker, PUBLISHED.read_bytes(), "年报.txt").suffix == ".txt"
    assert check(checker, html, "年报.txt").suffix == ".html"
    assert check(checker, word_document(), "年报.xlsx").suffix == ".docx"


def word_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# ---- hostile uploads cost one worker ---------------------------------------------------------------


def bomb(lie: bool) -> bytes:
    """The valid workbook with its table sheet inflating to 300 MB of zeros (about 300 KB
    compressed); `lie`: its declared sizes patched to look small."""
    source = zipfile.ZipFile(io.BytesIO(example(VALID)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != SHEET:
                archive.writestr(info, source.read(info))
        with archive.open(SHEET, "w", force_zip64=True) as member:
            for chunk in zeros(300 * 2**20):
                member.write(chunk)
    data = buffer.getvalue()
    if not lie:
        return data
    local = data.replace((300 * 2**20).to_bytes(8, "little"), (4096).to_bytes(8, "little"))
    return declare_size(local, 4096)


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (lambda: bomb(lie=False), "F07"),
        (lambda: bomb(lie=True), "F06"),
        (lambda: random.Random(12).randbytes(200_000), "F02"),
        (lambda: b"", "F13"),
        (lambda: declare_size(example(VALID), 3 * 2**30), "F07"),
    ],
    ids=["zip_bomb", "zip_bomb_lying_sizes", "random_bytes", "empty", "huge_declared_size"],
)
def test_a_hostile_upload_is_unreadable_and_the_next_one_checks(
    checker: UploadChecker, upload: Any, expected: str
) -> None:
    checked = check(checker, upload(), "报表.xlsx")
    assert not checked.readable and not checked.valid and checked.errors == 1
    assert checked.outputs == {} and checked.office is None and checked.form_id is None
    assert codes(checked) == [expected]
    assert_still_checks(checker)


def declare_size(data: bytes, size: int) -> bytes:
    """The workbook with its table sheet's uncompressed size patched in the central directory."""
    patched = bytearray(data)
    name = SHEET.encode()
    offset = patched.find(b"PK\x01\x02")
    while offset >= 0:
        length = int.from_bytes(patched[offset + 28 : offset + 30], "little")
        if patched[offset + 46 : offset + 46 + length] == name:
            patched[offset + 24 : offset + 28] = size.to_bytes(4, "little")
        offset = patched.find(b"PK\x01\x02", offset + 46)
    return bytes(patched)


# ---- workers killed or stuck -------------------------------------------------------------------------


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class stopped_workers:  # noqa: N801 - used as a context manager, reads as a phrase
    """SIGSTOP every worker of the checker (so none can answer), SIGCONT what is left after."""

    def __init__(self, checker: UploadChecker) -> None:
        self.checker = checker
        self.pids: list[int] = []

    def __enter__(self) -> list[int]:
        check(self.checker, example(VALID), VALID)  # at least one worker is up
        self.pids = self.checker._worker_pids()
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        return self.pids

    def __exit__(self, *exc: object) -> None:
        for pid in self.pids:
            if alive(pid):
                os.kill(pid, signal.SIGCONT)


def test_uploads_in_flight_when_a_worker_is_killed_get_their_own_results(
    checker: UploadChecker,
) -> None:
    async def scenario(pids: list[int]) -> tuple[Checked, Checked, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        clock = asyncio.create_task(ticker())
        valid = asyncio.create_task(checker.check(example(VALID), VALID, "zh"))
        invalid = asyncio.create_task(checker.check(example(INVALID), INVALID, "zh"))
        while checker._in_flight + valid.done() + invalid.done() < 2:  # both sent
            await asyncio.sleep(0.01)
        before = ticks
        while ticks < before + 3:  # the event loop runs while the checks cannot
            await asyncio.sleep(0.01)
        os.kill(pids[0], signal.SIGKILL)
        results = await asyncio.gather(valid, invalid)
        clock.cancel()
        return results[0], results[1], ticks - before

    with stopped_workers(checker) as pids:
        valid, invalid, ticked = asyncio.run(scenario(pids))
    assert ticked >= 3
    assert valid.valid and valid.errors == 0
    assert not invalid.valid and invalid.errors == 3 and "errors" in invalid.outputs
    assert_still_checks(checker)


def test_an_upload_whose_worker_dies_every_time_is_answered_f06(
    checker: UploadChecker, tmp_path: Path
) -> None:
    victim = slow_workbook()
    stop = threading.Event()

    def kill_every_worker() -> None:  # a worker dies mid-check, on the retry too
        while not stop.is_set():
            for pid in checker._worker_pids():
                if checker._in_flight:
                    os.kill(pid, signal.SIGKILL)
            stop.wait(0.02)

    killer = threading.Thread(target=kill_every_worker)
    killer.start()
    try:
        checked = check(checker, victim, "慢.xlsx")
    finally:
        stop.set()
        killer.join()
    assert not checked.readable and codes(checked) == ["F06"]
    assert "慢.xlsx" in checked.report["files"][0]["findings"][0]["message"]
    assert_still_checks(checker)


def slow_workbook() -> bytes:
    """A workbook whose 900,000 shared strings take the reader a second or two: time to kill."""
    source = zipfile.ZipFile(io.BytesIO(example(VALID)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                head, _, rest = data.partition(b"<si>")
                extra = b"".join(b"<si><t>x%d</t></si>" % k for k in range(900_000))
                data = head + extra + b"<si>" + rest
            archive.writestr(info, data)
    return buffer.getvalue()


def test_a_stuck_worker_is_killed_and_its_upload_answered_f12() -> None:
    stuck = UploadChecker(workers=1, timeout=1.0, slack=1.0)
    try:
        with stopped_workers(stuck):  # stopped: its alarm can never fire
            checked = check(stuck, example(VALID), VALID)
            assert not checked.readable and codes(checked) == ["F12"]
            assert_still_checks(stuck)  # the stopped worker is gone, not waited for
    finally:
        stuck.close()


def test_a_second_try_has_the_pool_to_itself() -> None:
    turns = _Turns()
    events: list[str] = []
    first = turns.shared()
    first.__enter__()

    def retry() -> None:
        with turns.alone():
            events.append("alone")

    def newcomer() -> None:
        with turns.shared():
            events.append("shared")

    waiting = threading.Thread(target=retry)
    waiting.start()
    for _ in range(3000):  # a hang guard, not a timing: the retry waits for the first try
        if turns._waiting_alone or events:
            break
        threading.Event().wait(0.01)
    later = threading.Thread(target=newcomer)
    later.start()
    assert events == []
    first.__exit__(None, None, None)
    waiting.join()
    later.join()
    assert events == ["alone", "shared"]  # a newcomer waits behind the retry


def test_a_closed_checker_says_so() -> None:
    closed = UploadChecker(workers=1)
    closed.close()
    with pytest.raises(RuntimeError):
        check(closed, example(VALID), VALID)
