"""Every form-specific fact lives in the form definition: no module outside `form/` names a key,
a sheet id, a rule id or a label of the bundled 2021 form. The facts are collected from the form JSON itself,
so a key added to the form is covered without touching this test."""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import typing
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from xlcheck.form import Form
from xlcheck.form.model import FieldType

PACKAGE = Path(__file__).parents[1] / "src" / "xlcheck"
# Folders of src/xlcheck whose code may name a form's facts: `form/` reads the definitions.
EXEMPT = ("form",)
# Words that are engine vocabulary as well as a key or sheet id of the 2021 form: field types
# (year), kinds of section content (overview). Code may say them; they do not name the form's fields.
VOCABULARY = frozenset(typing.get_args(FieldType)) | {"overview", "table", "text"}
# Words of the whole report family that modules outside `form/` say for their own purpose, each with
# the reason; a form's key never belongs here.
ALLOWED = {
    (
        "batch/offices.py",
        "机关名称",
    ): "the roster's own column heading, and the unnamed-office fallback",
    ("batch/offices.py", "统一社会信用代码"): "the roster's own column heading",
    ("batch/summary.py", "机关名称"): "汇总's own column heading",
    ("batch/summary.py", "统一社会信用代码"): "汇总's own column heading",
    ("cli.py", "机关名称"): "help of template --agency",
    ("templates.py", "机关名称"): "the roster's own column heading (documented)",
    ("templates.py", "统一社会信用代码"): "the roster's own column heading (documented)",
    ("cli_templates.py", "机关名称"): "help of templates --roster: the roster's columns",
    ("cli_templates.py", "统一社会信用代码"): "help of templates --roster: the roster's columns",
    ("cli_templates.py", "报告年度"): "help of templates --year",
    ("cli.py", "报告年度"): "help of template --year",
    ("codes.py", "从下拉列表选择"): "the message of every choice field (field type)",
    ("codes.py", "如 2025"): "the message of every year field (field type)",
    ("codes.py", "报告年度"): "the message of every year field (field type)",
    (
        "xlsxout/validation.py",
        "统一社会信用代码",
    ): "the input message of a credit_code field (type)",
    ("xlsxout/validation.py", "如 2025"): "the input message of every year field (field type)",
}
# A label shorter than this is matched only as a whole string: 其他 and 总计 are plain words.
LONG_LABEL = 4


def form_facts(form: Form) -> tuple[set[str], set[str], set[str]]:
    """(keys and dotted key prefixes, sheet and rule ids, label texts) of the bundled form."""
    raw = json.loads(
        (resources.files("xlcheck") / "forms" / "gov-info-disclosure-2021.json").read_text("utf-8")
    )
    keys = set(form.fields)
    keys |= {k.rsplit(".", i)[0] + "." for k in form.fields for i in range(1, k.count(".") + 1)}
    sheets = {s.id for s in form.sheets} | {r.id for r in form.rules}
    labels = {lab.text for s in form.sheets for lab in s.labels}
    labels |= {s.name for s in form.sheets} | {s.short.zh for s in form.sheets}
    for f in form.fields.values():
        labels |= {t.zh for t in (f.label, f.row_label, f.col_label) if t is not None}
    labels |= {item.label.zh for items in form.sets.values() for item in items}
    labels |= {s.heading for s in form.sections}
    labels |= set(raw["rules"][-1].get("labels", ())) | set(form.legacy_labels)
    labels |= published_texts(form)
    return keys, sheets, {t.strip() for t in labels if t.strip()}


def published_texts(form: Form) -> set[str]:
    """The texts of the form's `import` block: extra table labels, other spellings, topic names,
    office-name endings, section-heading variants."""
    published = form.published
    texts = {e.ending for e in published.name_endings}
    texts |= {n for names in published.topics.values() for n in names}
    texts |= {v for variants in published.headings.values() for v in variants}  # heading variants
    for table in published.tables:
        texts |= set(table.labels) | {a for spellings in table.aliases.values() for a in spellings}
        texts |= {t for f in table.foreign_columns for t in (*f.labels, *f.replace)}
    return texts


def code_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] not in EXEMPT:
            yield path


def strings_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant (docstrings and f-string parts too) and comment."""
    source = path.read_text("utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string


def offences(text: str, keys: set[str], sheets: set[str], labels: set[str]) -> Iterator[str]:
    whole = text.strip()
    if whole in (keys | sheets | labels) - VOCABULARY:
        yield whole
    for key in keys:
        if "." in key.rstrip(".") and re.search(rf"(?<![\w.]){re.escape(key)}", text):
            yield key
    yield from (label for label in labels if len(label) >= LONG_LABEL and label in text)


def test_no_module_outside_form_names_a_2021_key_or_label(form: Form) -> None:
    keys, sheets, labels = form_facts(form)
    found = [
        f"{path.relative_to(PACKAGE)}:{line}: {fact}"
        for path in code_files()
        for line, text in strings_of(path)
        for fact in offences(text, keys, sheets, labels)
        if (path.relative_to(PACKAGE).as_posix(), fact) not in ALLOWED
    ]
    assert not found, "\n".join(found)


def test_the_check_finds_a_planted_key_and_label(form: Form) -> None:
    """The check itself works: a literal key, sheet id or label in code would be found."""
    keys, sheets, labels = form_facts(form)
    planted = [
        'values.get("agency.name")',
        'form.sheet("t3")',
        'row == "（七）总计"',
        'rule.id == "X1"',
        'key.startswith("overview.")',
    ]
    for line in planted:
        strings = [n.value for n in ast.walk(ast.parse(line)) if isinstance(n, ast.Constant)]
        assert any(list(offences(s, keys, sheets, labels)) for s in strings), line
