"""Published-style reports generated FROM a canonical document: tab text, one cell per line, HTML, docx."""

from __future__ import annotations

import io
import random
from typing import Any

from xlcheck.canonical import nest
from xlcheck.cells import parse_range
from xlcheck.codes import format_value
from xlcheck.form import Form

APPLICANTS = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_organization",
    "legal_service_agency",
    "other_organization",
]
AGENCIES = [
    ("古庄店镇", "government", "township"),
    ("某某县人民政府", "government", "county"),
    ("某某县市场监督管理局", "department", None),
]
TEXTS = {
    "overview.intro": "2024 年，本机关认真贯彻《中华人民共和国政府信息公开条例》。\n全年收到政府信息公开申请 {new} 件。",
    "overview.proactive": "严格落实主动公开责任，及时公开各类政府信息。\n全年主动公开信息 120 条。",
    "overview.on_request": "畅通申请渠道，规范办理程序。",
    "overview.information_management": "1.强化制度建设。完善信息发布审核机制。 2.强化责任落实。",
    "overview.platforms": "加强政府网站和政务新媒体建设。",
    "overview.supervision": "开展工作考核、社会评议和责任追究。",
    "problems_and_improvements": "一是公开时效性有待加强。\n二是将加大公开力度。",
    "other_matters": "本年度未收取信息处理费。",
}


def build_values(form: Form, seed: int = 0) -> dict[str, Any]:
    """Flat values with non-zero numbers where every cross-total R1-R4 holds."""
    rng = random.Random(seed)
    v: dict[str, Any] = {}
    leaves = [f"applications.handled.{item.key}" for item in form.sets["handled_leaf_rows"]]
    for row in leaves:
        for col in APPLICANTS:
            v[f"{row}.{col}"] = rng.randint(0, 6) if rng.random() < 0.5 else 0
    for col in APPLICANTS:
        handled = sum(v[f"{row}.{col}"] for row in leaves)
        v[f"applications.handled.total.{col}"] = handled
        forward = rng.randint(0, 3)
        over = rng.randint(0, min(3, handled + forward))
        v[f"applications.carried_forward.{col}"] = forward
        v[f"applications.carried_over.{col}"] = over
        v[f"applications.new.{col}"] = handled + forward - over
    for item in form.sets["t3_rows"]:
        row = f"applications.{item.key}"
        v[f"{row}.total"] = sum(v[f"{row}.{col}"] for col in APPLICANTS)
    for block in form.sets["review_blocks"]:
        parts = [rng.randint(0, 4) for _ in form.sets["review_results"]]
        for res, n in zip(form.sets["review_results"], parts, strict=True):
            v[f"review_litigation.{block.key}.{res.key}"] = n
        v[f"review_litigation.{block.key}.total"] = sum(parts)
    for f in form.document_fields():  # table 二, whatever its layout in this form
        if f.is_numeric and f.is_input and f.key not in v:
            v[f.key] = random_value(rng, f.type)
    name, kind, tier = AGENCIES[seed % len(AGENCIES)]
    v.update({"agency.name": name, "agency.kind": kind, "year": 2020 + seed % 6})
    if tier:
        v["agency.tier"] = tier
    for key, text in TEXTS.items():
        v[key] = text.replace("{new}", str(v["applications.new.total"]))
    return v


def random_value(rng: random.Random, kind: str) -> int | float:
    """A value of a table 二 field by its type: counts, signed changes, amounts in the form's unit."""
    if kind == "change":
        return rng.randint(-9, 9)
    if kind == "amount":
        return round(rng.uniform(0.1, 5000), rng.randint(0, 6))
    return rng.randint(0, 500)


def build_document(form: Form, seed: int = 0) -> dict[str, Any]:
    return nest(form, build_values(form, seed))


def num(v: dict[str, Any], key: str) -> str:
    return format_value(v[key])


def sheet_grid(form: Form, sheet_id: str, v: dict[str, Any]) -> list[list[tuple[str, int, int]]]:
    """The official table as rows of (text, rowspan, colspan), merges as the form defines them."""
    sheet = form.sheet(sheet_id)
    cells: dict[tuple[int, int], tuple[str, int, int]] = {}
    covered: set[tuple[int, int]] = set()
    # Checks, titles and input hints belong to the workbook; a published table prints none of them.
    shown = [lab for lab in sheet.labels if lab.role not in ("check", "title", "hint")]
    spans = [(lab.range, lab.text) for lab in shown]
    # An amount under a header that names no unit carries its unit in the cell, as reports print
    # it (a text given in `v` is printed as it is).
    bare = not any("元" in lab.text for lab in shown if lab.role == "header")
    for f in (form.fields[k] for k in sheet.field_keys):
        unit = "万元" if bare and f.type == "amount" and not isinstance(v[f.key], str) else ""
        spans.append((f.merge or f.cell, num(v, f.key) + unit))
    for ref, text in spans:
        r1, c1, r2, c2 = parse_range(ref if ":" in ref else f"{ref}:{ref}")
        cells[(r1, c1)] = (text, r2 - r1 + 1, c2 - c1 + 1)
        covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
    last = max(r for r, _ in cells)
    width = max(c + span - 1 for (_, c), (_, _, span) in cells.items())
    return [
        [cells.get((r, c), ("", 1, 1)) for c in range(1, width + 1) if (r, c) not in covered]
        for r in range(1, last + 1)
    ]


def prose_lines(form: Form, v: dict[str, Any], *, inline_topics: bool) -> dict[str, list[str]]:
    """Lines of section 一 (with topic headings), 五 and 六."""
    one = v["overview.intro"].split("\n")
    for f in form.fields.values():
        if f.heading and f.key in v:
            paras = v[f.key].split("\n")
            if inline_topics:
                one += [f"{f.heading}。{paras[0]}", *paras[1:]]
            else:
                one += [f.heading, *paras]
    return {
        "overview": one,
        "problems_and_improvements": v["problems_and_improvements"].split("\n"),
        "other_matters": v["other_matters"].split("\n"),
    }


def title(v: dict[str, Any]) -> str:
    return f"{v['agency.name']} {v['year']} 年政府信息公开工作年度报告"


def render_text(
    form: Form, v: dict[str, Any], tables: dict[str, list[str]], *, inline: bool
) -> str:
    prose = prose_lines(form, v, inline_topics=inline)
    out = ["", title(v), ""]
    for section in form.sections:
        out += [section.heading, ""]
        if section.content == "overview":
            out += [line for p in prose["overview"] for line in (p, "")]
        elif section.content == "table":
            out += [*tables[section.sheet or ""], ""]
        else:
            out += [line for p in prose[section.field or ""] for line in (p, "")]
    return "\n".join(out)


def t3_values(form: Form, v: dict[str, Any], key: str) -> list[str]:
    return [num(v, f"applications.{key}.{c.key}") for c in form.sets["all_columns"]]


def sample_t2(v: dict[str, Any]) -> list[str]:
    """Table 二 as the sample prints it: tab-separated, split in two before (八)'s body."""
    stock = [
        f"{label}\t"
        + "\t".join(num(v, f"proactive.{k}.{c}") for c in ("made", "repealed", "in_force"))
        for label, k in (("规章", "regulations"), ("行政规范性文件", "normative_documents"))
    ]
    return [
        "第二十条第（一）项\t\t\t",
        "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
        *stock,
        "第二十条第（五）项\t\t\t",
        "信息内容\t本年处理决定数量\t\t",
        f"行政许可\t{num(v, 'proactive.licensing')}\t\t",
        "第二十条第（六）项\t\t\t",
        "信息内容\t本年处理决定数量\t\t",
        f"行政处罚\t{num(v, 'proactive.punishment')}\t\t",
        f"行政强制\t{num(v, 'proactive.enforcement')}\t\t",
        "第二十条第（八）项\t\t\t",
        "",
        "信息内容\t本年收费金额（单位：万元）",
        f"行政事业性收费\t{num(v, 'proactive.fees_wan_yuan')}",
    ]


def sample_t3(form: Form, v: dict[str, Any]) -> list[str]:
    """Table 三 with the sample's defects: half-width (一), 总计 beside 申请人情况, rows shifted left."""
    lines = [
        "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计\t",
        "\t\t自然人\t法人或其他组织\t\t\t\t\t\t",
        "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t",
    ]
    groups = {
        "withheld": "(三) 不予公开",
        "unavailable": "(四) 无法提供",
        "not_processed": "(五) 不予处理",
        "other": "(六) 其他处理",
    }
    for item in form.sets["t3_rows"]:
        vals = "\t".join(t3_values(form, v, item.key))
        label = form.fields[f"applications.{item.key}.total"].row_label
        leaf = (label.zh if label else "").split(" ")[-1].replace("（", "(").replace("）", ") ")
        if item.key == "handled.other.other":
            lines.append(f"{leaf}\t\t{vals}\t")
        elif item.key == "handled.total":
            lines.append(f"{leaf}\t{vals}\t\t")
        elif "." in item.key.removeprefix("handled."):
            group = item.key.split(".")[1]
            first = item.key.endswith(("state_secret", "not_held", "complaints", "no_correction"))
            lines.append(f"\t{groups[group] if first else ''}\t{leaf}\t{vals}")
        elif item.key.startswith("handled."):
            lines.append(
                f"{'三、本年度办理结果' if item.key == 'handled.granted' else ''}\t{leaf}\t{vals}\t"
            )
        else:
            lines.append(f"{leaf}\t\t{vals}\t")
    return lines


def sample_t4(form: Form, v: dict[str, Any]) -> list[str]:
    cols = "\t".join(c.label.zh[:2] + " " + c.label.zh[2:] for c in form.sets["review_columns"])
    vals = "\t".join(
        num(v, f"review_litigation.{b.key}.{c.key}")
        for b in form.sets["review_blocks"]
        for c in form.sets["review_columns"]
    )
    return [
        "行政复议\t\t\t\t\t行政诉讼" + "\t" * 9,
        f"{cols}\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t",
        f"\t\t\t\t\t{cols}\t{cols}",
        vals,
    ]


def table_sheets(form: Form) -> list[str]:
    return [s.sheet for s in form.sections if s.content == "table" and s.sheet]


def render_tab_text(form: Form, v: dict[str, Any]) -> str:
    """Each table row as one tab-separated line, one cell per merged cell (as a copy from a web
    page or Word gives); a blank value stays an empty cell between tabs."""
    tables = {
        t: ["\t".join(text for text, _, _ in row) for row in sheet_grid(form, t, v)]
        for t in table_sheets(form)
    }
    return render_text(form, v, tables, inline=False)


def render_sample_style(form: Form, v: dict[str, Any]) -> str:
    """Tab-separated text with every layout defect of the published 2021 sample (2021 form only)."""
    tables = {"t2": sample_t2(v), "t3": sample_t3(form, v), "t4": sample_t4(form, v)}
    return render_text(form, v, tables, inline=True)


def render_cell_lines(form: Form, v: dict[str, Any]) -> str:
    """One cell per line, official labels, no blank cells."""
    tables = {
        t: [text for row in sheet_grid(form, t, v) for text, _, _ in row if text]
        for t in table_sheets(form)
    }
    return render_text(form, v, tables, inline=False)


def html_table(grid: list[list[tuple[str, int, int]]]) -> str:
    rows = []
    for row in grid:
        tds = "".join(
            f'<td rowspan="{rs}" colspan="{cs}">{text.replace(chr(10), "<br>")}</td>'
            for text, rs, cs in row
        )
        rows.append(f"<tr>{tds}</tr>")
    return '<table border="1">' + "\n".join(rows) + "</table>"


def render_html(form: Form, v: dict[str, Any], encoding: str = "utf-8") -> bytes:
    prose = prose_lines(form, v, inline_topics=False)
    body = [f"<h1>{title(v)}</h1>"]
    for section in form.sections:
        body.append(f"<p><strong>{section.heading}</strong></p>")
        if section.content == "table":
            body.append(html_table(sheet_grid(form, section.sheet or "", v)))
        else:
            body += [f"<p>&nbsp;&nbsp;{p}</p>" for p in prose[section.field or "overview"]]
    page = (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>{title(v)}</title>'
        f"<style>td {{ border: 1px }}</style></head><body>\n" + "\n".join(body) + "</body></html>"
    )
    return page.encode(encoding)


def render_docx(form: Form, v: dict[str, Any]) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title(v), level=1)
    prose = prose_lines(form, v, inline_topics=False)
    for section in form.sections:
        document.add_paragraph(section.heading)
        if section.content == "table":
            add_docx_table(document, sheet_grid(form, section.sheet or "", v))
        else:
            for p in prose[section.field or "overview"]:
                document.add_paragraph(p)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_docx_table(document: Any, grid: list[list[tuple[str, int, int]]]) -> None:
    width = sum(cs for _, _, cs in grid[0])
    table = document.add_table(rows=len(grid), cols=width)
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(grid):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            cell = table.cell(r, c)
            if rs > 1 or cs > 1:
                cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
            cell.text = text
            taken |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
            c += cs
