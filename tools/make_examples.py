"""Regenerate examples/: realistic filled workbooks, made from the form and the published sample.

- 古庄店镇-2023.xlsx: the real town report of ../shared/samples entered into the template (all zero);
- 某县市场监督管理局-2024.xlsx: a county department with non-zero numbers that balance;
- 某县交通运输局-2024-有错误.xlsx: typical mistakes (a column that does not balance, a number typed as
  full-width text, 无 in a count cell) ;
- 某某镇人民政府-2024-有错误.xlsx: a town reporting 规章 (R6).
Run: python tools/make_examples.py  (needs the package installed or PYTHONPATH=src).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from documents import valid_values  # noqa: E402
from xlcheck.form import Form, load_form  # noqa: E402
from xlcheck.xlsxout import write_template  # noqa: E402

TOPIC_PREFIX = re.compile(r"^[（(]?[一二三四五][）)]?[^。，\s]{0,10}(公开|管理|情况)[。\s]*")
SAMPLE = ROOT / "examples" / "published" / "2023-guzhuangdian-town.txt"
TOPICS = {
    "proactive": "主动公开",
    "on_request": "依申请公开",
    "information_management": "政府信息管理",
    "platforms": "平台建设",
    "supervision": "监督",
}


def sample_values(form: Form) -> dict[str, Any]:
    """The sample's own prose, section by section; its tables are all zero."""
    lines = SAMPLE.read_text("utf-8").splitlines()
    starts = [lines.index(s.heading) for s in form.sections] + [len(lines)]
    sections = ["", *("\n".join(lines[a:b]) for a, b in zip(starts, starts[1:], strict=False))]
    overview = [p.strip() for p in sections[1].splitlines()[1:] if p.strip()]
    values: dict[str, Any] = {k: 0 for k, f in form.fields.items() if f.is_numeric}
    values.update(
        {
            "agency.name": "古庄店镇人民政府",
            "agency.kind": "government",
            "agency.tier": "township",
            "year": 2023,
            "overview.intro": overview[0],
            "overview.platforms": "",
        }
    )
    for paragraph in overview[1:]:
        for key, word in TOPICS.items():
            if word in paragraph[:12]:
                # the template gives each topic its own cell and heading: drop the typed numbering
                values[f"overview.{key}"] = TOPIC_PREFIX.sub("", paragraph)
    values["problems_and_improvements"] = "\n".join(
        p.strip() for p in sections[5].splitlines()[1:] if p.strip()
    )
    values["other_matters"] = next(p.strip() for p in sections[6].splitlines()[1:] if p.strip())
    return values


def with_mistakes(form: Form) -> dict[str, Any]:
    values = valid_values(form, 7, tier="county")
    values["agency.name"] = "某县交通运输局"
    values["applications.handled.granted.natural_person"] += 3  # the column no longer balances (R1)
    full_width = str(values["applications.new.commercial_enterprise"]).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    values["applications.new.commercial_enterprise"] = (
        full_width  # typed as text: read, normalised, recorded
    )
    values["proactive.enforcement"] = "无"  # a placeholder instead of 0 (R5)
    return values


def town_with_regulations(form: Form) -> dict[str, Any]:
    values = valid_values(form, 11, tier="township")
    values["agency.name"] = "某某镇人民政府"
    values["proactive.regulations.made"] = 2  # a town cannot make 规章 (R6)
    values["proactive.regulations.in_force"] = 2
    return values


def main() -> None:
    form = load_form()
    county = valid_values(form, 5, tier="county")
    county["agency.name"] = "某县市场监督管理局"
    examples = {
        "古庄店镇-2023.xlsx": sample_values(form),
        "某县市场监督管理局-2024.xlsx": county,
        "某县交通运输局-2024-有错误.xlsx": with_mistakes(form),
        "某某镇人民政府-2024-有错误.xlsx": town_with_regulations(form),
    }
    for name, values in examples.items():
        path = ROOT / "examples" / name
        with path.open("wb") as fh:
            write_template(form, fh, values=values)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
