"""xlcheck serve in a real browser: Debian's Chromium driven by Playwright against a real
`xlcheck serve` process on loopback. An office uploads a bad workbook, reads the findings,
downloads and opens the error workbook, uploads the corrected one, submits and gets its receipt;
the county logs in and sees the office go from 有错误 to 通过.

Set XLCHECK_SCREENSHOTS=docs/img to refresh the README's screenshots (the tests write them only then).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from serve_helpers import ADMIN_PASSWORD, invalid_workbook, valid_workbook, warned_workbook
from serve_server import Server, running_server

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags: as root in a container; no calls home (the machine's network is closed).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--lang=zh-CN",  # the browser's own words (the file button) in Chinese, as an office sees them
]
TOWN = "东风镇人民政府"
BUREAU = "某县交通运输局"
SHOTS = os.environ.get("XLCHECK_SCREENSHOTS")

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Chromium is not installed (.ci/run installs Debian's chromium)",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser") / "season"
    with running_server(root, [TOWN, BUREAU]) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(  # type: ignore[attr-defined]
        accept_downloads=True, viewport={"width": 1100, "height": 900}, locale="zh-CN"
    )
    opened = context.new_page()
    yield opened
    context.close()


def shot(page: object, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def choose(page: object, tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    page.set_input_files("input[type=file]", str(path))  # type: ignore[attr-defined]
    page.click("form.upload button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("#result")  # type: ignore[attr-defined]


def test_an_office_fixes_its_workbook_submits_and_the_county_sees_it(
    server: Server, page: object, tmp_path: Path
) -> None:
    p = page  # Playwright's Page
    p.goto(server.links[BUREAU])  # type: ignore[attr-defined]
    assert p.inner_text("h1") == BUREAU  # type: ignore[attr-defined]
    shot(p, "office")

    choose(p, tmp_path, "交通运输局2024年报.xlsx", invalid_workbook(BUREAU))
    result = p.inner_text("#result")  # type: ignore[attr-defined]
    assert "有错误" in result and "3 个错误" in result and "三、依申请公开" in result
    shot(p, "office-errors")
    with p.expect_download() as waited:  # type: ignore[attr-defined]
        p.click("text=下载错误清单")  # type: ignore[attr-defined]
    download = waited.value
    assert download.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert any("错误" in ws.title or "问题" in ws.title for ws in book.worksheets)

    p.click("form.submit button")  # type: ignore[attr-defined]  # submitted with errors: county sees it
    p.wait_for_selector(".receipt")  # type: ignore[attr-defined]

    admin = p.context.new_page()  # type: ignore[attr-defined]
    admin.goto(server.url + "/admin")
    shot(admin, "login")
    admin.fill("input[name=password]", ADMIN_PASSWORD)
    admin.click("form.login button")
    admin.wait_for_selector("table.roster")
    row = admin.locator(f'tr[data-office="{BUREAU}"]')
    assert "有错误" in row.inner_text()
    assert "未报送" in admin.locator(f'tr[data-office="{TOWN}"]').inner_text()

    p.goto(server.links[BUREAU])  # type: ignore[attr-defined]
    choose(p, tmp_path, "交通运输局2024年报-改.xlsx", valid_workbook(BUREAU))
    assert "通过" in p.inner_text("#result")  # type: ignore[attr-defined]
    shot(p, "office-valid")
    p.click("form.submit button")  # type: ignore[attr-defined]
    p.wait_for_selector(".receipt")  # type: ignore[attr-defined]
    receipt = p.inner_text(".receipt")  # type: ignore[attr-defined]
    assert "提交编号" in receipt and BUREAU in receipt and "通过" in receipt
    shot(p, "receipt")

    admin.reload()
    row_text = admin.locator(f'tr[data-office="{BUREAU}"]').inner_text()
    assert "通过" in row_text and "已更新" in row_text
    shot(admin, "county")


def test_an_office_explains_a_warning_and_the_receipt_shows_it(
    server: Server, page: object, tmp_path: Path
) -> None:
    p = page
    p.goto(server.links[TOWN])  # type: ignore[attr-defined]
    choose(p, tmp_path, "东风镇2024年报.xlsx", warned_workbook(TOWN))
    why = "本镇没有单独的公开平台，统一使用县政府门户网站的信息公开专栏。"
    # the box sits beside the warning, outside the 提交 form, and still goes with it (form=)
    p.fill("textarea[name=explain-text-0]", why)  # type: ignore[attr-defined]
    shot(p, "office-explain")
    p.click("form.submit button")  # type: ignore[attr-defined]
    p.wait_for_selector(".receipt")  # type: ignore[attr-defined]
    result = p.inner_text("#result")  # type: ignore[attr-defined]
    assert "已说明" in result and why in result and "1 个提示已说明" in result


def test_a_file_dropped_on_the_box_is_checked(server: Server, page: object) -> None:
    p = page
    p.goto(server.url + "/")  # type: ignore[attr-defined]
    data = list(valid_workbook(TOWN))
    # a real drop event carrying a File, as the browser builds it when a file is dragged in
    p.evaluate(  # type: ignore[attr-defined]
        """(bytes) => {
            const file = new File([new Uint8Array(bytes)], "拖入.xlsx");
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const box = document.querySelector(".drop");
            box.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""",
        data,
    )
    p.wait_for_selector("#result")  # type: ignore[attr-defined]
    assert "通过" in p.inner_text("#result") and "拖入.xlsx" in p.inner_text("#result")  # type: ignore[attr-defined]
    shot(p, "check")


def test_the_pages_run_no_inline_script_and_log_no_errors(server: Server, page: object) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    for path in ("/", "/admin/login", "/?lang=en"):
        page.goto(server.url + path)  # type: ignore[attr-defined]
    assert errors == []
