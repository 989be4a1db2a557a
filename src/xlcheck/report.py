"""Render check results for people (grouped by table) and for machines (the JSON report)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from xlcheck.check import FileResult
from xlcheck.explain import EXPLAINED
from xlcheck.findings import Finding, count_by_severity, count_explained
from xlcheck.form.model import Lang

Style = Callable[[str, str], str]  # (text, role) -> styled text; role: error|warning|ok|dim|head

_WORDS = {
    "zh": {
        "error": "错误",
        "warning": "提示",
        "ok": "通过",
        "fail": "有错误",
        "unreadable": "无法读取",
        "file": "文件",
        "summary": "{e} 个错误，{w} 个提示",
        "explained_count": "（{x} 个已说明）",
        "general": "整个文件",
    },
    "en": {
        "error": "error",
        "warning": "warning",
        "ok": "valid",
        "fail": "has errors",
        "unreadable": "unreadable",
        "file": "file",
        "summary": "{e} errors, {w} warnings",
        "explained_count": " ({x} explained)",
        "general": "whole file",
    },
}


def plain_style(text: str, role: str) -> str:
    return text


def status_word(result: FileResult, lang: Lang) -> str:
    words = _WORDS[lang]
    if not result.readable:
        return words["unreadable"]
    return words["ok"] if result.valid else words["fail"]


def format_text(
    results: Sequence[FileResult], lang: Lang = "zh", style: Style = plain_style
) -> str:
    return "\n".join(_file_block(r, lang, style) for r in results) + "\n"


def _file_block(result: FileResult, lang: Lang, style: Style) -> str:
    words = _WORDS[lang]
    errors, warnings = count_by_severity(result.findings)
    mark = style("✓", "ok") if result.valid else style("✗", "error")
    summary = words["summary"].replace("{e}", str(errors)).replace("{w}", str(warnings))
    explained = count_explained(result.findings)
    if explained:
        summary += words["explained_count"].replace("{x}", str(explained))
    head = f"{mark} {style(result.path, 'head')} — {status_word(result, lang)}（{summary}）"
    if lang == "en":
        head = head.replace("（", " (").replace("）", ")")
    lines = [head]
    for group, findings in group_by_table(result.findings, lang):
        lines.append(f"  {style(group or words['general'], 'head')}")
        lines.extend(_finding_line(f, lang, style) for f in findings)
    return "\n".join(lines)


def group_by_table(findings: Sequence[Finding], lang: Lang) -> list[tuple[str, list[Finding]]]:
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        name = f.table.get(lang) if f.table else (f.sheet or "")
        groups.setdefault(name, []).append(f)
    return list(groups.items())


def _finding_line(f: Finding, lang: Lang, style: Style) -> str:
    where = f.cell or (f.pointer or "")
    severity = style(_WORDS[lang][f.severity], f.severity)
    rule = f.rule or f.code
    line = f"    {style(where, 'dim'):<6} {severity} {rule:<4} {f.text(lang)}"
    if f.explanation is not None:  # the office's own words, shown as it wrote them
        line += " " + style(f"[{EXPLAINED.get(lang)}{f.explanation}]", "ok")
    return line


def format_json(results: Sequence[FileResult], lang: Lang = "zh") -> str:
    return json.dumps(json_report(results, lang), ensure_ascii=False, indent=2) + "\n"


def json_report(results: Sequence[FileResult], lang: Lang = "zh") -> dict[str, Any]:
    return {"files": [_file_dict(r, lang) for r in results]}


def _file_dict(result: FileResult, lang: Lang) -> dict[str, Any]:
    errors, warnings = count_by_severity(result.findings)
    explained = count_explained(result.findings)
    return {
        "path": result.path,
        "valid": result.valid,
        "readable": result.readable,
        "kind": result.kind,
        "template": result.template or None,
        "form": result.picked.describe(lang) if result.picked else None,
        "errors": errors,
        "warnings": warnings,
        "explained": explained,
        "open_warnings": warnings - explained,
        "findings": [f.to_dict(lang) for f in result.findings],
    }
