"""The frozen data model of a form: fields with their places, sheets with their labels, rules.

Everything here is plain data produced by `form.load`; nothing in this module reads files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from xlcheck.form.compiled import CompiledForm

Lang = Literal["zh", "en"]
Severity = Literal["error", "warning"]
# count: a whole number >= 0; change: a signed whole number (items added or removed this year);
# amount: a number in the form's unit (万元) with up to 6 decimals.
FieldType = Literal["count", "change", "amount", "text", "choice", "year", "credit_code"]
FIELD_TYPES: frozenset[str] = frozenset(get_args(FieldType))
NUMERIC_TYPES: frozenset[str] = frozenset({"count", "change", "amount"})
WHOLE_TYPES: frozenset[str] = frozenset({"count", "change"})
Bound = int | float
# The plausible range of each numeric field type when a form declares none: a value outside it is
# a typing slip (a 400-digit count, a fee in yuan times 10^300), reported, never summed or printed.
DEFAULT_RANGES: dict[str, tuple[Bound, Bound]] = {
    "count": (0, 10**9),
    "change": (-(10**9), 10**9),
    "amount": (0, 10**9),  # 万元
    "year": (2000, 2100),
}


@dataclass(frozen=True)
class Text:
    """A user-facing string in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: Lang = "zh") -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Choice:
    value: str
    label: Text


@dataclass(frozen=True)
class SetItem:
    key: str
    label: Text


@dataclass(frozen=True)
class Field:
    """One value of the canonical document and the one workbook cell that holds it."""

    key: str
    sheet: str  # sheet id
    cell: str  # A1 reference on that sheet
    type: FieldType
    label: Text  # short label, e.g. 机关名称 or 规章／本年制发件数
    row_label: Text | None = None
    col_label: Text | None = None
    required: bool = True
    in_document: bool = True
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    minimum: Bound | None = None  # the plausible range (counts, amounts, years; see DEFAULT_RANGES)
    maximum: Bound | None = None
    merge: str | None = None
    computed_by: str | None = None  # id of the rule instance whose formula computes this cell
    heading: str | None = None
    # Derived from type; a plain attribute because the reader asks it several times per cell.
    is_numeric: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "is_numeric", self.type in NUMERIC_TYPES)

    @property
    def pointer(self) -> str:
        return "/" + self.key.replace(".", "/")

    @property
    def is_input(self) -> bool:
        return self.computed_by is None


@dataclass(frozen=True)
class LabelCell:
    range: str  # "A1" or "A1:C3"
    text: str
    role: str  # title | header | band | row | note | hint | check


@dataclass(frozen=True)
class Sheet:
    id: str
    name: str  # the worksheet name in the template
    short: Text  # how messages name it: 表三
    heading: str | None
    labels: tuple[LabelCell, ...]
    field_keys: tuple[str, ...]
    column_widths: dict[str, float] = field(default_factory=dict)
    row_height: float | None = None
    header_rows: tuple[int, int] | None = None


@dataclass(frozen=True)
class Term:
    """A signed operand: a field of this year's or last year's document, or a constant."""

    key: str | None
    sign: int = 1
    previous: bool = False
    constant: float | None = None


class Terms(tuple[Term, ...]):
    """The terms of one side of a rule, built once at load: a tuple that also knows its fast sum.

    Sums are most of the checking time (about 700 terms per workbook); most are plain fields of
    this year's values, which `checks.kinds.total` adds in C through `plain_keys`.
    """

    # No __slots__: the instance dict holds the cached plan (hashing a tuple of Terms per sum
    # would cost more than the sum itself).
    @functools.cached_property
    def plain_keys(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """(added keys, subtracted keys) when every term is a plain field of this year's values."""
        return plain_keys_of(self)


def plain_keys_of(terms: tuple[Term, ...]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    if not all(t.key is not None and t.constant is None and not t.previous for t in terms):
        return None
    added = tuple(str(t.key) for t in terms if t.sign == 1)
    return added, tuple(str(t.key) for t in terms if t.sign != 1)


@dataclass(frozen=True)
class Rule:
    """One expanded rule instance, e.g. R1 for the column 自然人."""

    id: str  # the declared id, R1
    instance: str  # R1[col=natural_person]
    kind: str
    severity: Severity
    title: Text
    description: Text
    message: Text
    bindings: tuple[tuple[str, SetItem], ...]
    params: dict[str, Any]
    live: dict[str, Any] | None = None

    @functools.cached_property
    def needs_previous(self) -> bool:
        return any(t.previous for t in self.terms())

    def terms(self) -> list[Term]:
        found: list[Term] = []
        for name in ("target", "operands", "left", "right"):
            value = self.params.get(name)
            if isinstance(value, Term):
                found.append(value)
            elif isinstance(value, tuple):
                found.extend(v for v in value if isinstance(v, Term))
        return found


@dataclass(frozen=True)
class RuleDecl:
    """A rule as declared in the form definition, before expansion (for the catalogue)."""

    id: str
    kind: str
    severity: Severity
    title: Text
    description: Text
    formula: str


@dataclass(frozen=True)
class Section:
    heading: str
    content: str  # overview | table | text
    sheet: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class CarryOver:
    """The rule that links this year's document to last year's, and the (this key, last key) pairs."""

    rule: str
    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Roles:
    """Which field plays which part for the engine (spec: the form's `roles` block); None = absent.

    The batch names offices by `name`/`credit_code`, files them by `year`; `template --agency/--year`
    prefill `name`/`year`; `fill --previous` copies by `carry_over`; the importer reads the document
    title with `title_pattern` (named groups are role names) and fills `kind`/`tier`.
    """

    name: str | None = None
    credit_code: str | None = None
    kind: str | None = None
    tier: str | None = None
    year: str | None = None
    carry_over: CarryOver | None = None
    title_pattern: str = ""
    prose: tuple[str, ...] = ()  # text fields written as paragraphs: overview topics, text sections

    def field_of(self, role: str) -> str | None:
        """The field key of an identity role (name, credit_code, kind, tier, year)."""
        found: str | None = getattr(self, role) if role in IDENTITY_ROLES else None
        return found


IDENTITY_ROLES = ("name", "credit_code", "kind", "tier", "year")


@dataclass(frozen=True)
class PreviousForm:
    """An earlier form whose documents may serve as last year's: how its keys map onto this form's."""

    form_id: str
    form_version: str
    keys: tuple[tuple[str, str], ...]  # (key in the earlier form, key of this form)


ReadKind = Literal["rows", "one_row"]
TableCheck = Literal["table_split", "half_width_brackets", "shifted_left"]
TABLE_CHECKS: frozenset[str] = frozenset(get_args(TableCheck))


@dataclass(frozen=True)
class ForeignColumns:
    """Column headings of another layout: when a table shows any of `labels`, the rows of the
    columns they stand for (`replace`, this form's column labels) hold other numbers and are not
    read; each of their fields gets A06 with `source` as the text seen."""

    labels: tuple[str, ...]
    replace: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TotalBeside:
    """A header defect: the `total` label printed beside the `group` label instead of under it."""

    total: str
    group: str


@dataclass(frozen=True)
class PublishedTable:
    """How one sheet of the form appears as a table of a published report (spec: `import.tables`).

    `rows`: each data row is found by its row label; `one_row`: a single row of values whose
    column order is read from the header (the sheet's header labels over each field's column).
    """

    sheet: str
    read: ReadKind = "rows"
    labels: tuple[str, ...] = ()  # further texts that mark a block as part of this table
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # label -> other spellings
    checks: tuple[TableCheck, ...] = ()
    foreign_columns: tuple[ForeignColumns, ...] = ()
    total_beside: TotalBeside | None = None


@dataclass(frozen=True)
class NameEnding:
    """An office name ending and the values it implies, by role (kind, tier)."""

    ending: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Published:
    """How the form's published report reads back (spec: the form's `import` block)."""

    tables: tuple[PublishedTable, ...] = ()
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> other topic names
    name_endings: tuple[NameEnding, ...] = ()
    printed_totals: tuple[str, ...] = ()  # ids of sum rules whose totals a report prints
    fee_statement: str | None = None  # the text field that must not just say 无
    # Further shapes of the document title, after `roles.title_pattern` (named groups are roles),
    # and the statistical period in the body, whose `year` group gives the year a title lacks.
    titles: tuple[str, ...] = ()
    period: str = ""
    headings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # heading -> variants

    @property
    def inferred_roles(self) -> tuple[str, ...]:
        """The roles the name endings fill, in the order they are first declared."""
        return tuple(dict.fromkeys(role for e in self.name_endings for role, _ in e.values))


@dataclass(frozen=True)
class Detect:
    """What tells this form's published reports apart by content (spec: the form's `detect`):
    `labels` match a whole table cell's text; `single_rows` are row labels that stand alone in
    this form but are divided into sub-rows in others (the cells after them hold numbers)."""

    labels: tuple[str, ...] = ()
    single_rows: tuple[str, ...] = ()


# eq=False: a loaded form is one object, compared and hashed by identity, so that per-form
# caches (functools.lru_cache in checks/) can key on it.
@dataclass(frozen=True, eq=False)
class Form:
    id: str
    form_version: str
    template_version: str
    title: Text
    basis: str
    document_title: Text
    sections: tuple[Section, ...]
    instructions_name: str
    instructions: dict[str, tuple[str, ...]]
    sets: dict[str, tuple[SetItem, ...]]
    sheets: tuple[Sheet, ...]
    fields: dict[str, Field]
    rules: tuple[Rule, ...]
    declarations: tuple[RuleDecl, ...]
    legacy_labels: tuple[str, ...] = ()
    roles: Roles = Roles()
    previous_forms: tuple[PreviousForm, ...] = ()
    published: Published = Published()
    detect: Detect = Detect()
    source: str | None = None  # the definition file, when loaded from one

    def sheet(self, sheet_id: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.id == sheet_id:
                return sheet
        raise KeyError(sheet_id)

    def sheet_of(self, key: str) -> Sheet:
        return self.sheet(self.fields[key].sheet)

    def document_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.in_document]

    def rule_by_instance(self, instance: str) -> Rule:
        return self._rules_by_instance[instance]

    @functools.cached_property
    def _rules_by_instance(self) -> dict[str, Rule]:
        return {rule.instance: rule for rule in self.rules}

    @functools.cached_property
    def compiled(self) -> CompiledForm:
        """Lookups every workbook's check needs, worked out once (the form never changes)."""
        from xlcheck.form.compiled import compile_form

        return compile_form(self)
