"""xlcheck serve through the framework's test client: what an office, the county and an API
client see. The checker is the real worker pool; the store the real SQLite index on disk."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

from cli_run import xlcheck
from serve_helpers import (
    ADMIN_PASSWORD,
    INVALID_EXAMPLE,
    csrf_of,
    invalid_workbook,
    pending_of,
    text_of,
    upload,
    valid_workbook,
    warned_workbook,
)
from xlcheck.check import check_bytes
from xlcheck.form import load_form
from xlcheck.serve.app import create_app
from xlcheck.serve.checker import UploadChecker
from xlcheck.serve.store import Store
from xlcheck.xlsxout import write_template

TOWN = "东风镇人民政府"
BUREAU = "某县交通运输局"


@pytest.fixture(scope="module")
def checker() -> Iterator[UploadChecker]:
    shared = UploadChecker(workers=2)
    yield shared
    shared.close()


class Served:
    def __init__(self, root: Path, store: Store, client: TestClient, tokens: dict[str, str]):
        self.root, self.store, self.client, self.tokens = root, store, client, tokens

    def office_page(self, name: str) -> str:
        answer = self.client.get(f"/o/{self.tokens[name]}")
        assert answer.status_code == 200
        return answer.text

    def check_as(self, name: str, filename: str, data: bytes) -> str:
        page = self.office_page(name)
        answer = self.client.post(
            f"/o/{self.tokens[name]}/check",
            data={"csrf": csrf_of(page)},
            files=upload(filename, data),
        )
        assert answer.status_code == 200, answer.text
        return answer.text

    def submit_as(self, name: str, filename: str, data: bytes) -> str:
        checked = self.check_as(name, filename, data)
        answer = self.client.post(
            f"/o/{self.tokens[name]}/submit",
            data={"csrf": csrf_of(checked), "pending": pending_of(checked)},
        )
        assert answer.status_code == 200, answer.text  # followed the 303 to the receipt
        return answer.text

    def login(self) -> str:
        page = self.client.get("/admin/login").text
        answer = self.client.post(
            "/admin/login", data={"csrf": csrf_of(page), "password": ADMIN_PASSWORD}
        )
        assert answer.status_code == 200 and "/admin" in str(answer.url)
        return answer.text


@pytest.fixture
def served(tmp_path: Path, checker: UploadChecker) -> Iterator[Served]:
    root = tmp_path / "season"
    store = Store.open(root)
    store.set_password(ADMIN_PASSWORD)
    added = store.add_offices([(TOWN, None), (BUREAU, None)])
    tokens = {office.name: token for office, token in added}
    app = create_app(root, store, checker=checker)
    with TestClient(app) as client:
        yield Served(root, store, client, tokens)
    store.close()


def inbox_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "inbox").rglob("*") if p.is_file())


# ---- the check-only page -------------------------------------------------------------------------


def test_the_check_page_shows_a_valid_workbook_as_passed_and_stores_nothing(served: Served) -> None:
    page = served.client.get("/").text
    answer = served.client.post(
        "/check", data={"csrf": csrf_of(page)}, files=upload("东风镇.xlsx", valid_workbook(TOWN))
    )
    shown = text_of(answer.text)
    assert answer.status_code == 200
    assert "通过：没有发现错误" in shown and "东风镇.xlsx" in shown
    assert inbox_files(served.root) == []


def test_the_check_page_lists_findings_by_sheet_and_offers_the_error_workbook(
    served: Served,
) -> None:
    page = served.client.get("/").text
    answer = served.client.post(
        "/check",
        data={"csrf": csrf_of(page)},
        files=upload("交通局.xlsx", INVALID_EXAMPLE.read_bytes()),
    )
    shown = text_of(answer.text)
    assert "有错误" in shown and "3 个错误" in shown
    assert "<h3>三、依申请公开</h3>" in answer.text  # grouped under the sheet the office sees
    assert (
        "D4" in shown
        and "「自然人」列：第一项加第二项之和（31）应等于第三项加第四项之和（34）" in shown
    )
    link = answer.text.split('href="/download/')[1].split('"')[0]
    workbook = served.client.get(f"/download/{link}")
    assert workbook.status_code == 200
    assert "attachment" in workbook.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    listed = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row)
    assert "第一项加第二项之和（31）应等于第三项加第四项之和（34）" in listed
    assert inbox_files(served.root) == []


def test_the_page_speaks_english_when_asked(served: Served) -> None:
    page = served.client.get("/?lang=en").text
    assert "Check an annual report" in page
    answer = served.client.post(
        "/check", data={"csrf": csrf_of(page)}, files=upload("b.xlsx", INVALID_EXAMPLE.read_bytes())
    )
    assert "Has errors" in answer.text and "3 errors" in answer.text


# ---- an office: check, submit, receipt, its files -------------------------------------------------


def test_an_office_checks_then_submits_and_gets_a_receipt_for_the_exact_bytes(
    served: Served,
) -> None:
    data = valid_workbook(TOWN)
    checked = served.check_as(TOWN, "东风镇2024年报.xlsx", data)
    assert "提交" in checked and inbox_files(served.root) == []  # nothing stored before 提交
    receipt = text_of(served.submit_as(TOWN, "东风镇2024年报.xlsx", data))
    assert "提交回执" in receipt and TOWN in receipt
    assert hashlib.sha256(data).hexdigest() in receipt
    (stored,) = inbox_files(served.root)
    assert stored.read_bytes() == data
    assert stored.parent.parent == served.root / "inbox"
    rows = served.store.submissions()
    assert [r.receipt for r in rows] == [rows[0].receipt] and rows[0].receipt in receipt
    page = text_of(served.office_page(TOWN))
    assert rows[0].receipt in page and "东风镇2024年报.xlsx" in page and "通过" in page


def test_a_valid_submission_offers_its_json_and_word_report(served: Served) -> None:
    served.submit_as(TOWN, "a.xlsx", valid_workbook(TOWN))
    (row,) = served.store.submissions()
    base = f"/o/{served.tokens[TOWN]}/files/{row.receipt}"
    document = served.client.get(f"{base}/json")
    assert document.status_code == 200 and json.loads(document.content)["agency"]["name"] == TOWN
    word = served.client.get(f"{base}/docx")
    assert word.status_code == 200 and zipfile.ZipFile(io.BytesIO(word.content)).testzip() is None


def test_the_batch_reads_the_servers_inbox_like_a_mailed_one(
    served: Served, tmp_path: Path
) -> None:
    served.submit_as(TOWN, "东风镇.xlsx", valid_workbook(TOWN))
    served.submit_as(BUREAU, "交通局.xlsx", INVALID_EXAMPLE.read_bytes())
    run = xlcheck("batch", str(served.root / "inbox"), "-o", str(tmp_path / "out"))
    assert run.returncode == 1, run.stderr  # one office has errors
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    statuses = {row["office"]: row["status"] for row in summary["rows"] if "office" in row}
    assert statuses == {TOWN: "通过", BUREAU: "有错误"}


def test_an_office_cannot_submit_a_report_of_another_office(served: Served) -> None:
    checked = served.check_as(TOWN, "交通局.xlsx", valid_workbook(BUREAU))
    answer = served.client.post(
        f"/o/{served.tokens[TOWN]}/submit",
        data={"csrf": csrf_of(checked), "pending": pending_of(checked)},
    )
    assert answer.status_code == 409
    assert BUREAU in text_of(answer.text) and inbox_files(served.root) == []


def test_one_office_submitting_twice_keeps_both_in_order(served: Served) -> None:
    served.submit_as(BUREAU, "first.xlsx", invalid_workbook(BUREAU))
    served.submit_as(BUREAU, "second.xlsx", valid_workbook(BUREAU))
    rows = served.store.submissions()
    assert [r.original_name for r in rows] == ["first.xlsx", "second.xlsx"]
    assert [r.facts.status for r in rows] == ["invalid", "valid"]
    assert rows[0].receipt < rows[1].receipt and len(inbox_files(served.root)) == 2


WHY = "本镇没有单独的公开平台，统一使用县政府门户网站的信息公开专栏。"


def test_a_warning_explained_on_the_page_travels_with_the_submission(served: Served) -> None:
    checked = served.check_as(TOWN, "东风镇.xlsx", warned_workbook(TOWN))
    assert 'name="explain-text-0"' in checked and 'value="W8"' in checked
    assert "explain-text-1" not in checked  # one open warning, one box; errors get none
    answer = served.client.post(
        f"/o/{served.tokens[TOWN]}/submit",
        data={
            "csrf": csrf_of(checked),
            "pending": pending_of(checked),
            "explain-text-0": WHY,
            "explain-rule-0": "W8",
            "explain-place-0": "/overview/platforms",
        },
    )
    receipt = text_of(answer.text)
    assert "已说明" in receipt and WHY in receipt
    (row,) = served.store.submissions()
    assert row.facts.open_warnings == 0
    assert row.facts.explanations == [{"rule": "W8", "place": "/overview/platforms", "text": WHY}]
    document = json.loads(
        served.client.get(f"/o/{served.tokens[TOWN]}/files/{row.receipt}/json").content
    )
    assert document["explanations"] == [
        {"rule": "W8", "pointer": "/overview/platforms", "text": WHY}
    ]
    served.login()
    summary = openpyxl.load_workbook(io.BytesIO(served.client.get("/admin/summary.xlsx").content))
    listed = " ".join(str(c.value) for row in summary.worksheets[0].iter_rows() for c in row)
    assert WHY in listed  # the county's 汇总 shows the office's words


def test_an_error_cannot_be_explained_away_on_the_page(served: Served) -> None:
    checked = served.check_as(BUREAU, "a.xlsx", invalid_workbook(BUREAU))
    served.client.post(
        f"/o/{served.tokens[BUREAU]}/submit",
        data={
            "csrf": csrf_of(checked),
            "pending": pending_of(checked),
            "explain-text-0": "数字是对的",
            "explain-rule-0": "R1",
            "explain-place-0": "",
        },
    )
    (row,) = served.store.submissions()
    assert row.facts.status == "invalid" and row.facts.errors == 3
    assert any(f["code"] == "S18" for f in row.facts.report["files"][0]["findings"])


# ---- links and tokens ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["x" * 43, "", "%2e%2e%2fadmin", "A" * 5000])
def test_a_wrong_or_guessed_token_sees_nothing(served: Served, token: str) -> None:
    answer = served.client.get(f"/o/{token}")
    assert answer.status_code == 404
    assert TOWN not in answer.text and BUREAU not in answer.text


def test_an_office_sees_only_its_own_receipts_and_files(served: Served) -> None:
    served.submit_as(TOWN, "a.xlsx", valid_workbook(TOWN))
    (row,) = served.store.submissions()
    other = served.tokens[BUREAU]
    assert served.client.get(f"/o/{other}/receipt/{row.receipt}").status_code == 404
    assert served.client.get(f"/o/{other}/files/{row.receipt}/json").status_code == 404
    assert row.receipt not in served.office_page(BUREAU)


def test_a_revoked_link_stops_working_and_a_reissued_one_works(served: Served) -> None:
    dashboard = served.login()
    town = next(o for o in served.store.offices() if o.name == TOWN)
    answer = served.client.post(f"/admin/offices/{town.id}/link", data={"csrf": csrf_of(dashboard)})
    new_link = answer.text.split('<code class="link">')[1].split("<")[0]
    assert served.client.get(f"/o/{served.tokens[TOWN]}").status_code == 404
    assert served.client.get(new_link).status_code == 200
    served.client.post(f"/admin/offices/{town.id}/revoke", data={"csrf": csrf_of(answer.text)})
    assert served.client.get(new_link).status_code == 404


# ---- CSRF, escaping, file names, sizes -------------------------------------------------------------


def test_a_form_posted_without_its_csrf_token_is_refused_and_nothing_stored(served: Served) -> None:
    checked = served.check_as(TOWN, "a.xlsx", valid_workbook(TOWN))
    answer = served.client.post(
        f"/o/{served.tokens[TOWN]}/submit", data={"pending": pending_of(checked)}
    )
    assert answer.status_code == 403 and inbox_files(served.root) == []
    refused = served.client.post(
        "/check", data={"csrf": "forged"}, files=upload("a.xlsx", valid_workbook(TOWN))
    )
    assert refused.status_code == 403
    served.login()
    town = next(o for o in served.store.offices() if o.name == TOWN)
    assert served.client.post(f"/admin/offices/{town.id}/revoke", data={}).status_code == 403
    assert served.client.get(f"/o/{served.tokens[TOWN]}").status_code == 200


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_echoed_value_is_escaped(served: Served) -> None:
    ((office, token),) = served.store.add_offices([(XSS, None)])
    data = valid_workbook(XSS)
    name = f"{XSS}.xlsx"
    checked = served.check_as(TOWN, name, valid_workbook(TOWN))
    # the name shown is its last path part ("script><img …" after the "/" of "</script>")
    assert "<img src=x" not in checked and "&gt;&lt;img src=x" in checked
    served.tokens[XSS] = token
    receipt = served.submit_as(XSS, name, data)
    dashboard = served.login()
    page = served.client.post(
        "/admin/deadline", data={"csrf": csrf_of(dashboard), "deadline": XSS}
    ).text
    for shown in (receipt, served.office_page(XSS), page, served.client.get("/admin").text):
        assert "<script>alert" not in shown and "<img src=x" not in shown
        assert "&lt;script&gt;alert" in shown


def test_text_read_from_inside_a_workbook_is_escaped(served: Served) -> None:
    form = load_form("gov-info-disclosure-2021")
    values = dict(check_bytes(valid_workbook(TOWN), "a.xlsx", form).values)
    values["proactive.regulations.made"] = XSS  # a cell the office typed text into
    buffer = io.BytesIO()
    write_template(form, buffer, values=values, agency=XSS)
    page = served.client.get("/").text
    answer = served.client.post(
        "/check", data={"csrf": csrf_of(page)}, files=upload("a.xlsx", buffer.getvalue())
    )
    assert "不是数字" in text_of(answer.text)  # the finding quotes what was typed
    assert "<script>alert" not in answer.text and "&lt;script&gt;alert" in answer.text


def test_a_file_name_with_a_path_is_data_only(served: Served) -> None:
    served.submit_as(TOWN, "../../../etc/passwd.xlsx", valid_workbook(TOWN))
    (stored,) = inbox_files(served.root)
    assert stored.is_relative_to(served.root / "inbox") and "passwd" not in stored.name
    assert not (served.root.parent / "etc").exists()
    (row,) = served.store.submissions()
    assert row.original_name == "../../../etc/passwd.xlsx"


def test_an_oversized_upload_is_refused_before_it_is_read(
    tmp_path: Path, checker: UploadChecker
) -> None:
    store = Store.open(tmp_path / "small")
    app = create_app(tmp_path / "small", store, checker=checker, max_upload=64 * 1024)
    with TestClient(app) as client:
        csrf = csrf_of(client.get("/").text)
        answer = client.post(
            "/check", data={"csrf": csrf}, files=upload("big.xlsx", b"PK" + b"\0" * 200_000)
        )
        assert answer.status_code == 413 and "文件太大" in answer.text
        api = client.post("/api/check", files=upload("big.xlsx", b"\0" * 200_000))
        assert api.status_code == 413 and "文件太大" in api.json()["error"]
        assert client.get("/").status_code == 200  # still answering
    store.close()


def zip_bomb() -> bytes:
    """An .xlsx-shaped zip whose sheet inflates to 2 GB of zeros from a few MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * 2**20
            for _ in range(2048):
                member.write(chunk)
    return buffer.getvalue()


def test_two_files_in_one_upload_are_refused_with_a_page(served: Served) -> None:
    page = served.client.get("/").text
    answer = served.client.post(
        "/check",
        data={"csrf": csrf_of(page)},
        files=[("file", ("a.xlsx", b"PK1")), ("file", ("b.xlsx", b"PK2"))],
    )
    assert answer.status_code == 400 and "只选择一个文件" in text_of(answer.text)


def test_a_zip_bomb_is_answered_and_the_server_stays_up(served: Served) -> None:
    page = served.client.get("/").text
    answer = served.client.post(
        "/check", data={"csrf": csrf_of(page)}, files=upload("炸弹.xlsx", zip_bomb())
    )
    assert answer.status_code == 200 and "无法读取这个文件" in text_of(answer.text)
    again = served.client.post(
        "/check", data={"csrf": csrf_of(page)}, files=upload("好.xlsx", valid_workbook(TOWN))
    )
    assert "通过" in text_of(again.text)


def test_pages_carry_the_safe_headers_and_the_session_cookie_is_httponly_and_strict(
    served: Served,
) -> None:
    answer = served.client.get("/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-content-type-options"] == "nosniff"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


# ---- the JSON API ----------------------------------------------------------------------------------


def test_api_check_returns_what_the_cli_prints_plus_the_error_workbook(
    served: Served, tmp_path: Path
) -> None:
    name = "交通局-有错误.xlsx"
    (tmp_path / name).write_bytes(INVALID_EXAMPLE.read_bytes())
    cli = xlcheck("check", name, "--format", "json", cwd=tmp_path)
    answer = served.client.post("/api/check", files=upload(name, INVALID_EXAMPLE.read_bytes()))
    assert answer.status_code == 200
    body = answer.json()
    link = body.pop("error_workbook")
    assert body == json.loads(cli.stdout)
    assert served.client.get(link).status_code == 200


def test_api_submit_needs_the_office_token_and_returns_the_receipt(served: Served) -> None:
    data = valid_workbook(TOWN)
    assert served.client.post("/api/submit", files=upload("a.xlsx", data)).status_code == 401
    wrong = {"Authorization": "Bearer " + "A" * 43}
    assert (
        served.client.post("/api/submit", files=upload("a.xlsx", data), headers=wrong).status_code
        == 403
    )
    right = {"Authorization": f"Bearer {served.tokens[TOWN]}"}
    answer = served.client.post("/api/submit", files=upload("a.xlsx", data), headers=right)
    assert answer.status_code == 201
    receipt = answer.json()
    assert receipt["sha256"] == hashlib.sha256(data).hexdigest() and receipt["status"] == "valid"
    assert [r.receipt for r in served.store.submissions()] == [receipt["receipt"]]


# ---- the county -------------------------------------------------------------------------------------


def test_the_admin_needs_the_password_and_wrong_tries_are_limited(served: Served) -> None:
    assert "/admin/login" in str(served.client.get("/admin").url)
    page = served.client.get("/admin/login").text
    for _ in range(5):
        wrong = served.client.post(
            "/admin/login", data={"csrf": csrf_of(page), "password": "guess"}
        )
        assert wrong.status_code == 401
    limited = served.client.post(
        "/admin/login", data={"csrf": csrf_of(page), "password": ADMIN_PASSWORD}
    )
    assert limited.status_code == 429 and "15 分钟" in limited.text


def test_the_county_sees_each_office_go_from_not_submitted_to_errors_to_passed(
    served: Served,
) -> None:
    def state_of(name: str) -> str:
        page = served.client.get("/admin").text
        row = page.split(f'data-office="{name}"')[1].split("</tr>")[0]
        return text_of(row)

    served.login()
    assert "未报送" in state_of(BUREAU)
    served.submit_as(BUREAU, "a.xlsx", invalid_workbook(BUREAU))
    assert "有错误" in state_of(BUREAU)
    served.submit_as(BUREAU, "b.xlsx", valid_workbook(BUREAU))
    shown = state_of(BUREAU)
    assert "通过" in shown and "已更新" in shown and "未报送" in state_of(TOWN)
    assert "1 个单位的报表已通过并计入合计" in text_of(served.client.get("/admin").text)


def test_the_deadline_set_by_the_county_shows_to_offices(served: Served) -> None:
    dashboard = served.login()
    served.client.post(
        "/admin/deadline", data={"csrf": csrf_of(dashboard), "deadline": "2027年1月15日"}
    )
    assert "2027年1月15日" in text_of(served.office_page(TOWN))


def test_the_county_downloads_the_summary_and_all_outputs(served: Served) -> None:
    served.submit_as(TOWN, "东风镇.xlsx", valid_workbook(TOWN))
    served.submit_as(BUREAU, "交通局.xlsx", INVALID_EXAMPLE.read_bytes())
    served.login()
    summary = served.client.get("/admin/summary.xlsx")
    assert summary.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(summary.content))
    listed = " ".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row)
    assert TOWN in listed and BUREAU in listed
    archive = zipfile.ZipFile(io.BytesIO(served.client.get("/admin/outputs.zip").content))
    names = archive.namelist()
    assert "汇总.xlsx" in names and any(n.startswith(TOWN) and n.endswith(".docx") for n in names)
    assert not any(part.startswith(".") for n in names for part in n.split("/"))
