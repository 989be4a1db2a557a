"""The Word report: structure, official table layouts (merges and labels copied from the spec), values, style.

Every test runs for each bundled form, except the layouts copied from the 2021 spec (`report_2021`);
the 2019 table 二 layout is tested in test_form_2019.py."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from docs_fixtures import report_document, report_document_for
from documents import set_at
from xlcheck.cells import format_cell
from xlcheck.check import check_bytes
from xlcheck.form import Field, Form
from xlcheck.render import write_report
from xlcheck.render.docx_report import TemplateError

SECTIONS = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]
TOPICS = [
    "（一）主动公开",
    "（二）依申请公开",
    "（三）政府信息管理",
    "（四）政府信息公开平台建设",
    "（五）监督保障",
]

# Merged ranges and label cells of the three tables, copied from the spec (format §2–§4).
T2_MERGES = {
    "A1:D1",
    "A5:D5",
    "B6:D6",
    "B7:D7",
    "A8:D8",
    "B9:D9",
    "B10:D10",
    "B11:D11",
    "A12:D12",
    "B13:D13",
    "B14:D14",
}
T3_MERGES = {
    "A1:C3",
    "D1:J1",
    "D2:D3",
    "E2:I2",
    "J2:J3",
    "A4:C4",
    "A5:C5",
    "A6:A27",
    "B6:C6",
    "B7:C7",
    "B8:B15",
    "B16:B18",
    "B19:B23",
    "B24:B26",
    "B27:C27",
    "A28:C28",
}
T4_MERGES = {"A1:E1", "F1:O1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:J2", "K2:O2"}
T2_LABELS = {
    "A1": "第二十条第（一）项",
    "A2": "信息内容",
    "B2": "本年制发件数",
    "C2": "本年废止件数",
    "D2": "现行有效件数",
    "A3": "规章",
    "A4": "行政规范性文件",
    "A5": "第二十条第（五）项",
    "A6": "信息内容",
    "B6": "本年处理决定数量",
    "A7": "行政许可",
    "A8": "第二十条第（六）项",
    "A9": "信息内容",
    "B9": "本年处理决定数量",
    "A10": "行政处罚",
    "A11": "行政强制",
    "A12": "第二十条第（八）项",
    "A13": "信息内容",
    "B13": "本年收费金额（单位：万元）",
    "A14": "行政事业性收费",
}
T3_LABELS = {
    "A1": "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    "D1": "申请人情况",
    "D2": "自然人",
    "E2": "法人或其他组织",
    "J2": "总计",
    "E3": "商业企业",
    "F3": "科研机构",
    "G3": "社会公益组织",
    "H3": "法律服务机构",
    "I3": "其他",
    "A4": "一、本年新收政府信息公开申请数量",
    "A5": "二、上年结转政府信息公开申请数量",
    "A6": "三、本年度办理结果",
    "B6": "（一）予以公开",
    "B7": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "B8": "（三）不予公开",
    "C8": "1.属于国家秘密",
    "C9": "2.其他法律行政法规禁止公开",
    "C10": "3.危及“三安全一稳定”",
    "C11": "4.保护第三方合法权益",
    "C12": "5.属于三类内部事务信息",
    "C13": "6.属于四类过程性信息",
    "C14": "7.属于行政执法案卷",
    "C15": "8.属于行政查询事项",
    "B16": "（四）无法提供",
    "C16": "1.本机关不掌握相关政府信息",
    "C17": "2.没有现成信息需要另行制作",
    "C18": "3.补正后申请内容仍不明确",
    "B19": "（五）不予处理",
    "C19": "1.信访举报投诉类申请",
    "C20": "2.重复申请",
    "C21": "3.要求提供公开出版物",
    "C22": "4.无正当理由大量反复申请",
    "C23": "5.要求行政机关确认或重新出具已获取信息",
    "B24": "（六）其他处理",
    "C24": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "C25": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "C26": "3.其他",
    "B27": "（七）总计",
    "A28": "四、结转下年度继续办理",
}
RESULTS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
T4_LABELS = {
    "A1": "行政复议",
    "F1": "行政诉讼",
    "F2": "未经复议直接起诉",
    "K2": "复议后起诉",
    **{f"{c}2": t for c, t in zip("ABCDE", RESULTS, strict=True)},
    **{f"{c}3": t for c, t in zip("FGHIJ", RESULTS, strict=True)},
    **{f"{c}3": t for c, t in zip("KLMNO", RESULTS, strict=True)},
}
TABLES = [
    ("t2", 14, 4, T2_MERGES, T2_LABELS),
    ("t3", 28, 10, T3_MERGES, T3_LABELS),
    ("t4", 4, 15, T4_MERGES, T4_LABELS),
]


def render(form: Form, doc: dict[str, Any], **options: Any) -> DocxDocument:
    buffer = io.BytesIO()
    write_report(form, doc, buffer, **options)
    buffer.seek(0)
    return docx.Document(buffer)


@pytest.fixture(scope="module")
def report(form: Form) -> DocxDocument:
    return render(form, report_document_for(form))


@pytest.fixture(scope="module")
def report_2021(form_2021: Form) -> DocxDocument:
    return render(form_2021, report_document())


def tables_of(form: Form) -> list[str]:
    """The ids of the form's tables (sheets with header rows), in the Word report's order."""
    return [sheet.id for sheet in form.sheets if sheet.header_rows]


def count_and_amount(form: Form) -> tuple[Field, Field]:
    """An input count and the amount of the table that holds the form's amount."""
    amount = next(f for f in form.fields.values() if f.type == "amount" and f.is_input)
    count = next(f for f in form.fields.values() if f.type == "count" and f.sheet == amount.sheet)
    return count, amount


def table_cells(document: DocxDocument, form: Form, sheet_id: str) -> dict[str, Any]:
    tbl = document.element.body.findall(qn("w:tbl"))[tables_of(form).index(sheet_id)]
    return read_table(tbl)[2]


def text_of(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(qn("w:t")))


def style_name(document: DocxDocument, paragraph: Any) -> str:
    return str(paragraph.style.name)


def read_table(tbl: Any) -> tuple[int, int, dict[str, tuple[str, str, Any]]]:
    """rows, columns and {anchor A1: (range A1:B2, text, tc)}, merges computed from gridSpan and vMerge."""
    anchors: dict[tuple[int, int], list[Any]] = {}
    open_vertical: dict[int, tuple[int, int]] = {}
    rows = tbl.findall(qn("w:tr"))
    for r, tr in enumerate(rows, start=1):
        col = 1
        for tc in tr.findall(qn("w:tc")):
            span_el = tc.tcPr.find(qn("w:gridSpan"))
            span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
            vmerge = tc.tcPr.find(qn("w:vMerge"))
            if vmerge is not None and vmerge.get(qn("w:val")) in (None, "continue"):
                anchor = anchors[open_vertical[col]]
                assert anchor[3] == col + span - 1, "continued cell spans other columns"
                anchor[2] = r
                assert text_of(tc) == ""
            else:
                anchors[(r, col)] = [r, col, r, col + span - 1, text_of(tc), tc]
                if vmerge is not None:
                    open_vertical[col] = (r, col)
            col += span
        assert col - 1 == len(tbl.findall(qn("w:tblGrid") + "/" + qn("w:gridCol")))
    cols = len(tbl.findall(qn("w:tblGrid") + "/" + qn("w:gridCol")))
    cells = {
        format_cell(r1, c1): (f"{format_cell(r1, c1)}:{format_cell(r2, c2)}", text, tc)
        for r1, c1, r2, c2, text, tc in anchors.values()
    }
    return len(rows), cols, cells


def value_at(doc: dict[str, Any], key: str) -> Any:
    node: Any = doc
    for part in key.split("."):
        node = node[part]
    return node


# --- the fixture itself ------------------------------------------------------------------


def test_fixture_is_valid_for_its_form(form: Form) -> None:
    doc = json.dumps(report_document_for(form), ensure_ascii=False).encode()
    result = check_bytes(doc, "report.json", form)
    assert result.valid and not result.findings, [f.text() for f in result.findings]


def test_fixture_satisfies_every_cross_total(form_2021: Form) -> None:
    """Checked by hand, not by the engine that the Word tests then rely on."""
    form = form_2021
    doc = report_document()
    apps = doc["applications"]
    columns = [
        "natural_person",
        "commercial_enterprise",
        "research_institution",
        "social_welfare_organization",
        "legal_service_agency",
        "other_organization",
        "total",
    ]
    leaves = [
        (g, k)
        for g in ("withheld", "unavailable", "not_processed", "other")
        for k in apps["handled"][g]
    ] + [(None, "granted"), (None, "partially_granted")]
    assert len(leaves) == 21
    rows = [key for key in form.sheet("t3").field_keys]
    for col in columns:
        assert (
            apps["new"][col] + apps["carried_over"][col]
            == apps["handled"]["total"][col] + apps["carried_forward"][col]
        )
        leaf_sum = sum((apps["handled"][g][k] if g else apps["handled"][k])[col] for g, k in leaves)
        assert apps["handled"]["total"][col] == leaf_sum
    for key in rows:
        if key.endswith(".total"):
            row = value_at(doc, key.rsplit(".", 1)[0])
            assert row["total"] == sum(v for c, v in row.items() if c != "total")
    for block in doc["review_litigation"].values():
        assert (
            block["total"]
            == block["upheld"] + block["corrected"] + block["other"] + block["pending"]
        )
    assert apps["handled"]["total"]["total"] > 0 and doc["proactive"]["fees_wan_yuan"] > 0


# --- structure ---------------------------------------------------------------------------


def test_title_centred_with_agency_and_year(report: DocxDocument, form: Form) -> None:
    first = report.paragraphs[0]
    year = report_document_for(form)["year"]
    assert first.text == f"某某县市场监督管理局{year}年政府信息公开工作年度报告"
    assert style_name(report, first) == "Title"
    assert first.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert report.core_properties.title == first.text


def test_six_headings_in_order_then_subsections(report: DocxDocument) -> None:
    headings = [p.text for p in report.paragraphs if style_name(report, p) == "Heading 1"]
    topics = [p.text for p in report.paragraphs if style_name(report, p) == "Heading 2"]
    assert headings == SECTIONS
    assert topics == TOPICS
    texts = [p.text for p in report.paragraphs]
    assert texts.index("（一）主动公开") > texts.index("一、总体情况")
    assert texts[texts.index("（五）监督保障") + 1].startswith("将政务公开工作纳入年度工作考核")
    assert texts.index("（五）监督保障") < texts.index("二、主动公开政府信息情况")


def test_prose_is_one_paragraph_per_line(report: DocxDocument) -> None:
    texts = [p.text for p in report.paragraphs]
    assert texts[2].startswith("2024年，某某县市场监督管理局") and texts[3].startswith("全年新收")
    i = texts.index("五、存在的主要问题及改进情况")
    assert texts[i + 1 : i + 4] == [
        "一是部分信息公开的时效性有待加强。",
        "二是政策解读形式较为单一。",
        "下一步，我局将建立信息发布时限台账，推行图解、视频等多样化解读方式。",
    ]
    assert texts[-1].startswith("本年度依据《政府信息公开信息处理费管理办法》")
    body = report.styles["Normal"].paragraph_format
    assert body.first_line_indent == Pt(32) and body.line_spacing == Pt(28)


def test_tables_follow_the_body_order(report: DocxDocument) -> None:
    order = [child.tag for child in report.element.body if child.tag in (qn("w:p"), qn("w:tbl"))]
    assert order.count(qn("w:tbl")) == 3
    headings = [i for i, child in enumerate(report.element.body) if text_of(child) in SECTIONS[1:4]]
    tables = [i for i, child in enumerate(report.element.body) if child.tag == qn("w:tbl")]
    assert [t - h for h, t in zip(headings, tables, strict=True)] == [1, 1, 1]


@pytest.mark.parametrize(("sheet_id", "n_rows", "n_cols", "merges", "labels"), TABLES)
def test_table_layout_is_the_spec(
    report_2021: DocxDocument,
    form_2021: Form,
    sheet_id: str,
    n_rows: int,
    n_cols: int,
    merges: set[str],
    labels: dict[str, str],
) -> None:
    form = form_2021
    tbl = report_2021.element.body.findall(qn("w:tbl"))[[t[0] for t in TABLES].index(sheet_id)]
    rows, cols, cells = read_table(tbl)
    assert (rows, cols) == (n_rows, n_cols)
    found_merges = {ref for ref, _, _ in cells.values() if ref.split(":")[0] != ref.split(":")[1]}
    value_cells = {form.fields[k].cell: k for k in form.sheet(sheet_id).field_keys}
    expected_merges = merges | {
        form.fields[k].merge for k in value_cells.values() if form.fields[k].merge
    }
    assert found_merges == expected_merges == merges
    assert {a: text for a, (_, text, _) in cells.items() if a not in value_cells} == labels


@pytest.mark.parametrize("table", [0, 1, 2])
def test_every_value_cell_holds_the_document_value(
    report: DocxDocument, form: Form, table: int
) -> None:
    doc = report_document_for(form)
    sheet_id = tables_of(form)[table]
    cells = table_cells(report, form, sheet_id)
    right = {
        s.style_id
        for s in report.styles
        if s.type == 1 and s.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    }
    for key in form.sheet(sheet_id).field_keys:
        _, text, tc = cells[form.fields[key].cell]
        value = value_at(doc, key)
        amount = form.fields[key].type == "amount"
        assert text == (f"{value:.6f}".rstrip("0").rstrip(".") if amount else str(value)), key
        p_pr = tc.find(qn("w:p")).pPr
        assert p_pr.find(qn("w:pStyle")).get(qn("w:val")) in right and p_pr.find(qn("w:jc")) is None
    if sheet_id == "t2" and form.form_version == "2021":
        assert cells["B14"][1] == "5949.088667"


def test_amounts_without_float_noise_counts_as_integers(form: Form) -> None:
    doc = report_document_for(form)
    count, amount = count_and_amount(form)
    set_at(doc, amount.key, 5949.0886669999)
    set_at(doc, count.key, 84.0)
    cells = table_cells(render(form, doc), form, amount.sheet)
    assert (cells[amount.cell][1], cells[count.cell][1]) == ("5949.088667", "84")
    for fee, shown in ((4068.208, "4068.208"), (0, "0"), (12.0, "12"), (0.000001, "0.000001")):
        set_at(doc, amount.key, fee)
        assert table_cells(render(form, doc), form, amount.sheet)[amount.cell][1] == shown


def test_tables_skip_workbook_only_cells(report: DocxDocument) -> None:
    all_text = "".join(text_of(t) for t in report.element.body.findall(qn("w:tbl")))
    assert "勾稽检查" not in all_text and "提示" not in all_text


# --- style and page ----------------------------------------------------------------------


def test_page_is_a4_with_official_margins(report: DocxDocument) -> None:
    section = report.sections[0]
    measured = [
        section.page_width,
        section.page_height,
        section.top_margin,
        section.bottom_margin,
        section.left_margin,
        section.right_margin,
    ]
    assert [round(m.mm, 1) for m in measured] == [210, 297, 37, 35, 28, 26]
    assert section.orientation == 0


@pytest.mark.parametrize(
    ("style", "font", "size"),
    [
        ("Title", "方正小标宋简体", 22),
        ("Heading 1", "黑体", 16),
        ("Heading 2", "楷体_GB2312", 16),
        ("Normal", "仿宋_GB2312", 16),
        ("Table Text", "仿宋_GB2312", 10.5),
    ],
)
def test_styles_name_east_asian_fonts(
    report: DocxDocument, style: str, font: str, size: float
) -> None:
    element = report.styles[style].element
    fonts = element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:ascii")) == font
    assert fonts.get(qn("w:eastAsiaTheme")) is None
    assert report.styles[style].font.size == Pt(size)


def test_footer_has_centred_page_field(report: DocxDocument) -> None:
    footer = report.sections[0].footer
    xml = footer._element.xml
    assert "PAGE" in "".join(t.text for t in footer._element.iter(qn("w:instrText")))
    assert re.sub(r"\s", "", footer.paragraphs[0].text) == "—1—"
    assert footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER and "fldChar" in xml


# --- text safety, empty text, unvalidated ------------------------------------------------


def test_hostile_text_is_literal_and_control_chars_are_dropped(form: Form) -> None:
    doc = report_document_for(form)
    count, _ = count_and_amount(form)
    doc["agency"]["name"] = "某局<b>\x01"
    doc["overview"]["intro"] = "=cmd|'/C calc'!A0\n<script>alert(1)</script>&amp;\x01尾\x1f\ttab"
    set_at(doc, count.key, "八十\x02\t件")  # only possible unvalidated: shown as text
    result = render(form, doc, unvalidated=True)
    texts = [p.text for p in result.paragraphs]
    assert texts[0] == f"某局<b>{doc['year']}年政府信息公开工作年度报告"
    assert "=cmd|'/C calc'!A0" in texts
    assert "<script>alert(1)</script>&amp;尾\ttab" in texts
    shown = table_cells(result, form, count.sheet)[count.cell]
    assert shown[1] == "八十件" and shown[2].find(".//" + qn("w:tab")) is not None


def test_empty_text_keeps_heading_and_says_none(form: Form) -> None:
    doc = report_document_for(form)
    doc["overview"]["platforms"] = "  \n\u3000\u3000"
    doc["other_matters"] = ""
    doc["overview"]["intro"] = None
    texts = [p.text for p in render(form, doc).paragraphs]
    assert texts[texts.index("（四）政府信息公开平台建设") + 1] == "无"
    assert texts[-1] == "无" and texts[-2] == "六、其他需要报告的事项"
    assert texts[1:3] == ["一、总体情况", "（一）主动公开"]


def test_leading_fullwidth_spaces_are_not_doubled(form: Form) -> None:
    doc = report_document_for(form)
    doc["other_matters"] = "\u3000\u3000无。\r\n"
    assert render(form, doc).paragraphs[-1].text == "无。"


def test_unvalidated_adds_red_mark_under_title(form: Form, report: DocxDocument) -> None:
    result = render(form, report_document_for(form), unvalidated=True)
    mark = result.paragraphs[1]
    assert mark.text == "未经校验"
    assert str(mark.style.font.color.rgb) == "FF0000"
    assert "未经校验" not in [p.text for p in report.paragraphs]


def test_writes_to_a_path(form: Form, tmp_path: Path) -> None:
    target = tmp_path / "report.docx"
    write_report(form, report_document_for(form), target)
    assert docx.Document(str(target)).paragraphs[0].text.endswith("年度报告")


# --- county template ---------------------------------------------------------------------


def make_template(path: Path) -> None:
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "某某县人民政府办公室"
    heading = template.styles["Heading 1"]
    heading.font.size = Pt(18)
    heading.element.rPr.find(qn("w:rFonts")).set(qn("w:eastAsia"), "县定黑体")
    template.add_paragraph("模板正文，应被清除")
    template.add_table(rows=1, cols=1)
    template.save(str(path))


def test_template_keeps_header_and_its_styles(form: Form, tmp_path: Path) -> None:
    template = tmp_path / "letterhead.docx"
    make_template(template)
    result = render(form, report_document_for(form), docx_template=template)
    assert result.sections[0].header.paragraphs[0].text == "某某县人民政府办公室"
    heading = result.styles["Heading 1"]
    assert heading.font.size == Pt(18)
    assert heading.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "县定黑体"
    texts = [p.text for p in result.paragraphs]
    assert "模板正文，应被清除" not in texts and texts[0].endswith("年度报告")
    assert [p.text for p in result.paragraphs if p.style.name == "Heading 1"] == SECTIONS
    assert len(result.tables) == 3
    assert result.styles["Table Text"].font.size == Pt(10.5)  # missing styles are added
    assert "PAGE" in result.sections[0].footer._element.xml


@pytest.mark.parametrize("content", [b"", b"not a zip", b"PK\x03\x04broken"])
def test_unreadable_template_is_a_template_error(
    form: Form, tmp_path: Path, content: bytes
) -> None:
    template = tmp_path / "letterhead.docx"
    template.write_bytes(content)
    with pytest.raises(TemplateError, match="letterhead.docx"):
        render(form, report_document_for(form), docx_template=template)
    with pytest.raises(TemplateError):
        render(form, report_document_for(form), docx_template=tmp_path / "missing.docx")


def test_template_is_not_modified(form: Form, tmp_path: Path) -> None:
    template = tmp_path / "letterhead.docx"
    make_template(template)
    before = template.read_bytes()
    render(form, report_document_for(form), docx_template=template)
    assert template.read_bytes() == before


# --- the import rule and the real rendering -------------------------------------------------


def test_python_docx_is_imported_only_by_the_docx_writers_of_render() -> None:
    render = Path(__file__).parents[1] / "src" / "xlcheck" / "render"
    importers = {
        p.name
        for p in render.rglob("*.py")
        if re.search(r"^\s*(from|import) docx\b", p.read_text(encoding="utf-8"), re.M)
    }
    assert importers and all(re.fullmatch(r"docx\w*\.py", name) for name in importers)


@pytest.mark.libreoffice
def test_libreoffice_renders_at_least_three_pages(form: Form, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    source = tmp_path / "report.docx"
    write_report(form, copy.deepcopy(report_document_for(form)), source)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / "report.pdf"
    assert pdf.exists()
    info = subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60
    )
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))  # type: ignore[union-attr]
    assert pages >= 3
