"""The one Finding type: what is wrong, where (sheet, cell, JSON pointer), and how to say it.

Findings are data. Exceptions mean the tool itself failed; a bad workbook yields findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlcheck.form.model import Lang, Severity, Text


@dataclass(frozen=True)
class Operand:
    """One cell that took part in a rule: where it is and the value used."""

    pointer: str
    value: Any
    sheet: str | None = None
    cell: str | None = None
    previous: bool = False


@dataclass(frozen=True)
class Culprit:
    """The single cell whose change would satisfy every failed rule, and the value it would need."""

    pointer: str
    current: Any
    suggested: Any
    sheet: str | None = None
    cell: str | None = None


@dataclass(frozen=True)
class Finding:
    code: str  # stable, from codes.CATALOGUE
    severity: Severity
    message: Text
    rule: str | None = None  # declared rule id (R1) or None for reading/structure findings
    instance: str | None = None  # expanded rule instance (R1[col=natural_person])
    pointer: str | None = None  # JSON pointer into the canonical document
    sheet: str | None = None  # worksheet name as the office sees it
    cell: str | None = None  # A1
    table: Text | None = None  # 表三
    row_label: Text | None = None
    col_label: Text | None = None
    values: dict[str, Any] = field(default_factory=dict)
    operands: tuple[Operand, ...] = ()
    culprit: Culprit | None = None
    explanation: str | None = None  # why the office says a warning's figure is right

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def is_open(self) -> bool:
        """An error, or a warning nobody has explained."""
        return self.explanation is None

    def text(self, lang: Lang = "zh") -> str:
        return self.message.get(lang)

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        """The machine form used by `--format json` and summary.json."""
        data: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "rule": self.rule,
            "sheet": self.sheet,
            "cell": self.cell,
            "pointer": self.pointer,
            "message": self.message.get(lang),
        }
        if self.instance and self.instance != self.rule:
            data["instance"] = self.instance
        if self.values:
            data["values"] = self.values
        if self.explanation is not None:
            data["explained"] = True
            data["explanation"] = self.explanation
        if self.operands:
            data["operands"] = [
                {"pointer": o.pointer, "cell": o.cell, "value": o.value, "previous": o.previous}
                for o in self.operands
            ]
        if self.culprit:
            c = self.culprit
            data["culprit"] = {
                "pointer": c.pointer,
                "cell": c.cell,
                "current": c.current,
                "suggested": c.suggested,
            }
        return data


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)


def count_by_severity(findings: list[Finding]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.is_error)
    return errors, len(findings) - errors


def count_explained(findings: list[Finding]) -> int:
    """Warnings the office explained: counted among the warnings, but no longer open."""
    return sum(1 for f in findings if f.explanation is not None)
