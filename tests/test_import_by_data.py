"""Import reads a published report by the form's `import` declaration alone: a form with another
table layout (tests/forms/mini.json, table 二 of the 2019 format) imports with no code for it, and a
bad declaration is a FormError naming its place when the form loads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cli_run import xlcheck
from xlcheck.canonical import flatten
from xlcheck.form import load_form
from xlcheck.form.load import build_checked
from xlcheck.form.parts import FormError
from xlcheck.importers import import_report

FORMS = Path(__file__).parent / "forms"
MINI = FORMS / "mini.json"
TABLE_TWO_2019 = FORMS / "published-2019-table-two.json"

MINI_TEXT = "\n".join(
    [
        "星辰总公司迷你报表",
        "",
        "项目\t其一\t其二\t小计",
        "甲\t1\t2\t3",
        "乙\t—\t4\t4",
        "丙\t1\t6\t8",
    ]
)
MINI_HTML = (
    "<html><head><meta charset='utf-8'></head><body><h1>星辰分部迷你报表</h1>"
    "<table><tr><td>项目</td><td>其一</td><td>其二</td><td>合计</td></tr>"
    "<tr><td>甲</td><td>1</td><td>2</td><td>3</td></tr>"
    "<tr><td>乙</td><td>0</td><td>4</td><td>4</td></tr>"
    "<tr><td>丙</td><td>1</td><td>6</td><td>7</td></tr></table></body></html>"
)


ENDINGS = {
    "name_endings": [{"ending": "总公司", "kind": "big"}, {"ending": "分部", "kind": "small"}]
}


def test_mini_text_report_imports_by_its_declaration() -> None:
    form = build_checked(mini_with(ENDINGS), "mini.json")
    result = import_report(MINI_TEXT.encode(), "mini.txt", form)
    values = flatten(form, result.doc)
    assert values["org.name"] == "星辰总公司"
    assert values["org.kind"] == "big"  # from the declared name ending
    assert values["grid.a.x"] == 1 and values["grid.b.x"] == 0 and values["grid.c.total"] == 8
    codes = {(f.code, f.values.get("defect")) for f in result.findings}
    assert ("A08", "zero_mark") in codes
    a09 = [f for f in result.findings if f.code == "A09"]
    assert [f.pointer for f in a09] == ["/grid/c/total"]  # printed 8, parts add up to 7
    assert "合计" in result.labels_seen  # printed as its declared alias 小计


def test_mini_html_report_imports_by_its_declaration() -> None:
    form = build_checked(mini_with(ENDINGS), "mini.json")
    result = import_report(MINI_HTML.encode(), "mini.html", form)
    values = flatten(form, result.doc)
    assert values["org.kind"] == "small"
    assert [values[f"grid.{r}.total"] for r in "abc"] == [3, 4, 7]
    assert result.findings == []


def test_import_command_with_a_second_form(tmp_path: Path) -> None:
    """The issue's failure: `import --form mini.json` ended with 内部错误 KeyError: 't2'."""
    report = tmp_path / "mini.txt"
    report.write_text(MINI_TEXT, encoding="utf-8")
    run = xlcheck("import", "--form", str(MINI), "-o", str(tmp_path), str(report))
    assert run.returncode in (0, 1), run.stderr
    assert "内部错误" not in run.stdout + run.stderr
    written = json.loads((tmp_path / "mini.json").read_text("utf-8"))
    assert written["grid"]["c"]["x"] == 1


TABLE_TWO_TEXT = """星辰县交通运输局2020年政府信息公开工作年度报告

二、主动公开政府信息情况

第二十条第（一）项
信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量
规章\t0\t0\t0
规范性文件\t2\t3\t15
第二十条第（五）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政许可\t30\t+2\t120
其他对外管理服务事项\t5\t0\t8
第二十条第（六）项
信息内容\t上一年项目数量\t本年增/减\t处理决定数量
行政处罚\t10\t1\t40
行政强制\t3\t0\t2
第二十条第（八）项
信息内容\t上一年项目数量\t本年增/减
行政事业性收费\t2\t0
第二十条第（九）项
信息内容\t采购项目数量\t采购总金额
政府集中采购\t4\t25.1万元
"""


def test_table_two_of_the_2019_format_imports_by_data() -> None:
    form = load_form(str(TABLE_TWO_2019))
    result = import_report(TABLE_TWO_TEXT.encode(), "2020.txt", form)
    proactive = result.doc["proactive"]
    assert proactive["regulations"] == {"produced": 0, "published": 0, "public_total": 0}
    assert proactive["normative_documents"] == {"produced": 2, "published": 3, "public_total": 15}
    assert proactive["licensing"] == {"previous_count": 30, "change": 2, "decisions": 120}
    assert proactive["other_services"] == {"previous_count": 5, "change": 0, "decisions": 8}
    assert proactive["fees"] == {"previous_count": 2, "change": 0}
    assert proactive["procurement"] == {"projects": 4, "amount_wan_yuan": 25.1}
    assert result.doc["year"] == 2020
    assert result.findings == []


# ---- a bad declaration: a FormError naming its place ----------------------------------------------


def mini_with(change: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(MINI.read_text("utf-8"))
    data["import"].update(copy.deepcopy(change))
    return data


@pytest.mark.parametrize(
    ("change", "place"),
    [
        ({"tables": [{"sheet": "nope"}]}, "import.tables[0].sheet"),
        ({"tables": [{"sheet": "grid", "read": "one_row"}]}, "import.tables[0].read"),
        ({"tables": [{"sheet": "grid", "checks": ["tidy"]}]}, "import.tables[0].checks"),
        ({"tables": [{"sheet": "grid"}, {"sheet": "grid"}]}, "import.tables[1].sheet"),
        ({"tables": [{"sheet": "grid", "aliases": {"丁": ["戊"]}}]}, "import.tables[0].aliases"),
        (
            {"tables": [{"sheet": "grid", "total_beside": {"total": "合计", "group": "无此"}}]},
            "import.tables[0].total_beside",
        ),
        (
            {
                "tables": [
                    {"sheet": "grid", "foreign_columns": [{"labels": ["x"], "replace": ["y"]}]}
                ]
            },
            "import.tables[0].foreign_columns[0]",
        ),
        ({"name_endings": [{"ending": "局", "kind": "huge"}]}, "import.name_endings[0]"),
        ({"name_endings": [{"ending": "局", "tier": "city"}]}, "import.name_endings[0]"),
        ({"audit": {"printed_totals": ["E1"]}}, "import.audit.printed_totals"),
        ({"audit": {"fee_statement": "org.name"}}, "import.audit.fee_statement"),
        ({"topics": {"org.name": ["名称"]}}, "import.topics"),
        ({"tidy": True}, "import"),
    ],
)
def test_a_bad_import_declaration_is_a_located_form_error(
    change: dict[str, Any], place: str
) -> None:
    with pytest.raises(FormError) as caught:
        build_checked(mini_with(change), "mini.json")
    assert place in str(caught.value)
