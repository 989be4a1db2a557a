"""Every finding message reads in one language: the Chinese text carries no English words, the
English text no Chinese, apart from data (file names, cell references and JSON pointers, numbers,
what the file itself says, quoted, and the form's official Chinese labels).

Decided here: unit symbols and product or format names (MB, Excel, WPS, JSON, XML, UTF-8, .xlsx …)
are written the same way in Chinese text, as Chinese software does; "line 42", "declares … bytes"
or an exception's text are not: each language words them from plain numbers (codes.DETAILS).
"""

from __future__ import annotations

import ast
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from documents import valid_values
from import_fixtures import build_values, render_sample_style
from xlcheck.check import FileResult, check_bytes, check_path
from xlcheck.codes import CATALOGUE, DETAILS, detail, make_finding, render, size_mb
from xlcheck.findings import Finding
from xlcheck.form import Form, load_form
from xlcheck.form.model import Text
from xlcheck.report import format_text
from xlcheck.xlsxout import write_template
from xlsx_fixtures import declare_huge_size, rewrite_zip

SRC = Path(__file__).parents[1] / "src" / "xlcheck"
MINI = Path(__file__).parent / "forms" / "mini.json"
# Names written alike in both languages (see the module docstring).
SHARED_WORDS = frozenset(
    {"MB", "Excel", "WPS", "JSON", "XML", "VBA", "UTF", "PDF", "OpenDocument", "Word"}
    | {"xlsx", "xls", "et", "ods"}
)
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_QUOTED = re.compile(r"「[^」]*」|“[^”]*”")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def without(text: str, data: Iterable[str]) -> str:
    """The text with quoted spans and every data value taken out (longest first)."""
    for value in sorted({d for d in data if d}, key=len, reverse=True):
        text = text.replace(value, " ")
    return _QUOTED.sub(" ", text)


def english_in(zh: str, data: Iterable[str] = ()) -> list[str]:
    return [w for w in _LATIN_WORD.findall(without(zh, data)) if w not in SHARED_WORDS]


def chinese_in(en: str, data: Iterable[str] = ()) -> list[str]:
    return _CJK.findall(without(en, data))


def form_words(form: Form) -> set[str]:
    """The form's official Chinese names, quoted as data in English messages."""
    words = {s.heading for s in form.sheets if s.heading} | {s.heading for s in form.sections}
    words |= {lab.text for s in form.sheets for lab in s.labels} | set(form.legacy_labels)
    words |= {f.label.zh for f in form.fields.values()}
    return words | {"无"}  # what a message tells people to type


def assert_one_language(finding: Finding, data: Iterable[str] = ()) -> None:
    data = list(data)
    assert not english_in(finding.message.zh, data), (finding.code, finding.message.zh)
    assert not chinese_in(finding.message.en, data), (finding.code, finding.message.en)


# ---- the catalogue, with the params each call site passes ------------------------------------------

FILE = "报表（第2版）.xlsx"
DATA = [
    FILE,
    "NaN",
    "mini-form",
    "[1]book.xlsx",
    "[2]other.xlsx",
]  # data inside the Text params below
PARAMS: dict[str, list[dict[str, Any]]] = {
    "F01": [{"file": FILE}],
    "F02": [{"file": FILE}],
    "F03": [{"file": FILE}],
    "F04": [{"file": FILE}],
    "F05": [{"file": FILE}],
    "F06": [{"file": FILE}],
    "F07": [
        {"file": FILE, "detail": detail("file_size", size=size_mb(60 * 2**20), limit=50)},
        {"file": FILE, "detail": detail("text_size", size=12.3, limit=5)},
        {"file": FILE, "detail": detail("unpacked_size", size=250, limit=200)},
        {"file": FILE, "detail": detail("too_many_items", limit="10,000")},
        {"file": FILE, "detail": detail("too_large")},
        {"file": FILE, "detail": detail("zip_bomb")},
        {"file": FILE, "detail": detail("too_many_parts")},
        {"file": FILE, "detail": detail("memory")},
    ],
    "F08": [{"file": FILE}],
    "F09": [
        {"file": FILE, "detail": detail("no_template")},
        {"file": FILE, "detail": detail("template_id", template_id="mini-form")},
    ],
    "F10": [{"file": FILE, "version": "2024.1", "expected": "2025.1"}],
    "F11": [
        {
            "file": FILE,
            "line": 3,
            "column": 7,
            "detail": detail(name, message="Expecting value", value="NaN"),
        }
        for name in ("json_syntax", "json_encoding", "json_too_deep", "json_value", "json_constant")
    ]
    + [{"file": FILE, "line": 1, "column": 1, "detail": detail("json_not_object")}],
    "F12": [{"file": FILE}],
    "F13": [{"file": FILE}],
    "F14": [{"file": FILE, "detail": Text("PDF 文件", "a PDF file")}],
    "F17": [{"file": FILE, "detail": Text("是命名管道", "a named pipe")}],
    "S01": [{"name": "表二"}],
    "S02": [{"name": "Sheet1"}],
    "S03": [{"expected": "表二", "name": "Sheet2"}],
    "S04": [{"key": "proactive.punishment", "raw": "12"}],
    "S05": [{"key": "proactive.punishment", "formula": "SUM(B5:B7)"}],
    "S06": [{"name": "表二"}],
    "S07": [{}],
    "S08": [{"detail": Text("[1]book.xlsx；[2]other.xlsx", "[1]book.xlsx; [2]other.xlsx")}],
    "S09": [{}],
    "S10": [{"name": "proactive.punishment", "actual": "表二!C9", "expected": "表二!C8"}],
    "S11": [{"count": 12}],
    "S12": [{"key": "applications.handled.total.total", "cached": 3, "computed": 5}],
    "S13": [{"name": "表二", "count": 4}],
    "S14": [{"found": "9f2c1a", "expected": "0b77e4", "version": "2025.1"}],
    "S15": [{}],
    "S16": [{"table": Text("「表三」", "“Table 3”"), "shift": Text("下移了 1 行", "down 1 row")}],
    "S17": [{"key": "overview.intro", "chars": "U+0000"}],
    "S18": [{"where": Text("「核实说明」第 3 行", "Row 3 of sheet “核实说明”"), "rule_id": "R1"}],
    "S19": [
        {
            "where": Text("「explanations」第 1 项", "Item 1 of “explanations”"),
            "rule_id": "Z9",
            "example": "W1、W2、W3",
        }
    ],
    "S20": [{"where": Text("「核实说明」第 4 行", "Row 4 of sheet “核实说明”"), "rule_id": "W1"}],
    "S21": [
        {"where": Text("「核实说明」第 5 行", "Row 5 of sheet “核实说明”"), "place": "表九!Q9"}
    ],
    "S22": [{"found": "序号、规则、位置", "expected": "规则、位置、说明"}],
    "V01": [{"key": "proactive.punishment"}],
    "V02": [{"key": "proactive.punishment", "raw": "无"}],
    "V03": [{"key": "proactive.punishment", "value": -1}],
    "V04": [{"key": "proactive.punishment", "value": 1.5}],
    "V05": [{"key": "proactive.punishment", "value": 0.1234567}],
    "V06": [{"key": "agency.name"}],
    "V07": [{"key": "agency.name", "raw": "甲", "choices": "乙、丙"}],
    "V08": [{"key": "year", "raw": "二〇二五"}],
    "V09": [{"key": "agency.name", "raw": "9133"}],
    "V10": [{"key": "agency.name", "limit": 200}],
    "V11": [{"key": "year", "value": 1999}],
    "V12": [{"key": "proactive.punishment", "raw": "１２", "value": 12}],
    "V13": [
        {
            "key": "proactive.fees_wan_yuan",
            "value": "1E+308",
            "minimum": 0,
            "maximum": 1000000000,
            "unit": Text(" 万元", " (10,000 yuan)"),
        }
    ],
    "J01": [{"key": "proactive.punishment", "detail": Text("应为整数", "must be an integer")}],
    "J02": [{"pointer": "/extra", "key": "extra"}],
    "J03": [{"key": "form", "value": "other", "expected": "gov-info-disclosure-2021"}],
    "A01": [{"expected": "六、其他需要报告的事项"}],
    "A02": [{"found": "三、收到和处理政府信息公开申请情况", "position": 3}],
    "A03": [{"found": "五.存在的主要问题", "expected": "五、存在的主要问题及改进情况"}],
    "A04": [{"found": "一主动公开", "expected": "（一）主动公开"}],
    "A05": [{"expected": "（四）政府信息公开平台建设"}],
    "A06": [{"key": "proactive.punishment", "raw": "x", "place": Text("第 42 行", "line 42")}],
    "A07": [{"table": Text("表二「主动公开政府信息情况」", "Table 2 “主动公开政府信息情况”")}],
    "A08": [{"detail": Text("第 42 行用「—」表示没有发生。", "line 42 writes “—” for none.")}],
    "A09": [{"key": "review_litigation.review.total", "printed": 5, "computed": 6}],
    "A10": [
        {"key": "proactive.fees_wan_yuan", "raw": "25.1", "place": Text("第 42 行", "line 42")}
    ],
    "A40": [{"place": Text("第 42 行", "line 42"), "row": "规章", "found": 4, "expected": 3}],
    "A41": [
        {
            "place": Text("第 42 行", "line 42"),
            "row": "规章",
            "head": "1",
            "tail": "5",
            "joined": "15",
        }
    ],
    "A50": [{"file": FILE, "pages": 4}],
    "A51": [{"file": FILE, "pages": 5000, "limit": 50}],
    "A52": [{"file": FILE}],
    "A55": [{"changed": 812, "han": 3120}],
}
RULE_CODES = {code for code, entry in CATALOGUE.items() if not entry.message.zh}


def test_every_catalogue_entry_has_realistic_params() -> None:
    assert set(PARAMS) == set(CATALOGUE) - RULE_CODES


@pytest.mark.parametrize("code", sorted(PARAMS))
def test_catalogue_entry_renders_in_one_language_each(form: Form, code: str) -> None:
    for params in PARAMS[code]:
        finding = make_finding(code, form=form, **params)
        data = [*DATA, *(str(v) for v in params.values() if not isinstance(v, Text))]
        assert not _PLACEHOLDER.search(finding.message.zh), finding.message.zh
        assert not _PLACEHOLDER.search(finding.message.en), finding.message.en
        assert_one_language(finding, [*data, *form_words(form)])


@pytest.mark.parametrize("name", sorted(DETAILS))
def test_every_detail_text_is_in_one_language_each(name: str) -> None:
    text = DETAILS[name]
    assert not english_in(_PLACEHOLDER.sub("", text.zh)), text.zh
    assert not chinese_in(_PLACEHOLDER.sub("", text.en)), text.en


def test_rule_messages_of_the_form_are_in_one_language_each(form: Form) -> None:
    for rule in form.rules:
        zh = render(rule.message.zh, {})
        en = render(rule.message.en, {})
        assert not english_in(_PLACEHOLDER.sub("", zh)), (rule.id, zh)
        assert not chinese_in(_PLACEHOLDER.sub("", en), form_words(form)), (rule.id, en)


# ---- the call sites: no literal text handed to a message ------------------------------------------

_NOT_MESSAGE_PARAMS = frozenset({"form", "key", "severity", "rule", "values"})


def literal_text(node: ast.expr) -> str:
    """Letters or CJK written into the call: a string constant, the text of an f-string, str(exc)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(v) for v in node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return "str(...)"
    return ""


def message_literals() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "make_finding"):
                continue
            for kw in node.keywords:
                text = literal_text(kw.value) if kw.arg not in _NOT_MESSAGE_PARAMS else ""
                if re.search(r"[A-Za-z]|" + _CJK.pattern, text):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {kw.arg}={text!r}")
    return found


def test_no_call_site_writes_text_into_a_message_param() -> None:
    """Words reach a message only through a template of each language (DETAILS or a Text)."""
    assert message_literals() == []


# ---- real inputs through the real call sites ------------------------------------------------------


def checked_bytes(form: Form, data: bytes, name: str) -> list[Finding]:
    return check_bytes(data, name, form).findings


def docx_with_huge_document(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", b" " * size)
    return out.getvalue()


def real_findings(form: Form, tmp_path: Path) -> list[tuple[str, Finding]]:
    good = tmp_path / "好.xlsx"
    write_template(form, good, values=valid_values(form, 1))
    bomb = declare_huge_size(good, tmp_path / "炸弹.xlsx", "xl/worksheets/sheet5.xml", 3 * 2**30)
    links = rewrite_zip(
        good,
        tmp_path / "链接.xlsx",
        {
            "xl/externalLinks/externalLink1.xml": b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
        },
    )
    mini = tmp_path / "小表.xlsx"
    write_template(load_form(str(MINI)), mini, values={})
    big = tmp_path / "大.xlsx"
    with big.open("wb") as fh:
        fh.truncate(51 * 2**20)
    sample = render_sample_style(form, build_values(form, 4)).encode()
    untitled = sample.replace("政府信息公开工作年度报告".encode(), b"", 1)
    out: list[tuple[str, Finding]] = []
    for path in (bomb, links, mini, big):
        out += [(path.name, f) for f in check_path(path, form, display=path.name).findings]
    inputs = {
        "样例.txt": sample,
        "无标题.txt": untitled,
        "大.txt": b"x" + b" \n" * (3 * 2**20),
        "报告.docx": docx_with_huge_document(21 * 2**20),
        "坏.json": b'{"form": ',
        "编码.json": b'{"a": "\xff"}',
        "深.json": b"[" * 100_000 + b"]" * 100_000,
        "非数.json": b'{"a": NaN}',
        "长数.json": b'{"a": ' + b"9" * 5000 + b"}",
        "数组.json": b"[1, 2]",
    }
    for name, data in inputs.items():
        out += [(name, f) for f in checked_bytes(form, data, name)]
    return out


def values_of(finding: Finding) -> list[str]:
    """The data a finding carries beside its message (a list value gives each item)."""
    out = [finding.pointer or "", finding.cell or ""]
    for value in finding.values.values():
        out += [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def test_findings_of_real_inputs_are_in_one_language_each(form: Form, tmp_path: Path) -> None:
    findings = real_findings(form, tmp_path)
    codes = {f.code for _, f in findings}
    assert {"F07", "F09", "F11", "S08", "A06", "A08"} <= codes
    words = form_words(form)
    for name, finding in findings:
        assert_one_language(finding, [name, *words, *values_of(finding)])


def test_reports_in_english_carry_no_chinese_words(form: Form, tmp_path: Path) -> None:
    """The whole --lang en report of the unreadable cases: only file names are Chinese."""
    mini = tmp_path / "小表.xlsx"
    write_template(load_form(str(MINI)), mini, values={})
    results: list[FileResult] = [check_path(mini, form, display=mini.name)]
    results.append(check_bytes(b"x" + b" \n" * (3 * 2**20), "大.txt", form))
    text = format_text(results, "en")
    assert not chinese_in(text, ["小表.xlsx", "大.txt"]), text
