"""The typed records of a batch: what a worker found about one submission (`Outcome`), where the
submission came from (`Envelope`), the two together as the spool keeps them (`Record`), and a
file listed as no submission of its own (`Ignored`).

They cross process boundaries (pickled) and are kept on disk as JSON (the scratch spool, the
re-run state), so each has `to_json` and `from_json`; `from_json` raises ValueError on a shape it
does not know, which the re-run state treats as "not checked before".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Outcome:
    """What the parent keeps about one checked submission (never its values: see the spool)."""

    sha256: str | None
    readable: bool
    valid: bool
    kind: str = "unknown"  # xlsx | json | import | unknown
    key: str | None = None  # store_key: names it in the re-run state and the store
    office_key: str | None = None
    office: str | None = None
    credit_code: str | None = None
    year: int | None = None
    errors: int = 0
    warnings: int = 0
    explained: int = 0  # of the warnings, those the office explained (no longer open)
    rules: tuple[str, ...] = ()  # failing rules (or codes), most frequent first
    messages: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)  # output kind -> stored file name
    problems: tuple[str, ...] = ()  # outputs that could not be written, technical detail
    transient: bool = False  # a timeout or crash: not remembered, it may not recur
    form: str | None = None  # the form it was checked against: id and version
    form_version: str | None = None

    @property
    def form_ident(self) -> tuple[str, str] | None:
        if self.form is None or self.form_version is None:
            return None
        return self.form, self.form_version

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["files"] = dict(self.files)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Outcome:
        return _build(cls, data, tuples=("rules", "messages", "problems"))

    def replace(self, **changes: Any) -> Outcome:
        return dataclasses.replace(self, **changes)


def unreadable(sha256: str | None, rule: str, message: str, **more: Any) -> Outcome:
    """A submission that could not be read at all: one rule, one message."""
    return Outcome(sha256, False, False, errors=1, rules=(rule,), messages=(message,), **more)


@dataclass(frozen=True)
class Envelope:
    """Where a submission came from and when (an e-mail's Date, else the file's mtime)."""

    seq: int
    origin: str
    filename: str
    sender: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    message_id: str | None = None
    date: str | None = None  # ISO 8601, as shown
    when: float = -math.inf  # for ordering; -inf when unknown

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Envelope:
        return _build(cls, data)


def envelope_of(seq: int, item: Any) -> Envelope:
    """The envelope of an inbox item (a Submission or a Skipped file)."""
    date = getattr(item, "date", None)
    mtime = getattr(item, "file_mtime", None)
    when = date or mtime
    return Envelope(
        seq,
        str(item.origin),
        str(item.filename),
        item.sender,
        item.sender_name,
        item.subject,
        item.message_id,
        when.isoformat(timespec="seconds") if isinstance(when, datetime) else None,
        when.timestamp() if isinstance(when, datetime) else -math.inf,
    )


@dataclass(frozen=True)
class Record:
    """One spooled submission: its envelope and its outcome."""

    envelope: Envelope
    outcome: Outcome

    def to_json(self) -> dict[str, Any]:
        return {**self.envelope.to_json(), "outcome": self.outcome.to_json()}

    @classmethod
    def from_json(cls, data: Any) -> Record:
        if not isinstance(data, dict) or not isinstance(data.get("outcome"), dict):
            raise ValueError("not a spooled record")
        rest = {k: v for k, v in data.items() if k != "outcome"}
        return cls(Envelope.from_json(rest), Outcome.from_json(data["outcome"]))


@dataclass(frozen=True)
class Ignored:
    """A file on 已忽略的文件: no submission (a PDF, an e-mail without attachment), or a later
    copy of one (`duplicate_of` names the copy it repeats, `text` says so in the batch's language)."""

    envelope: Envelope
    reason: str
    detail: str
    office: str | None = None
    duplicate_of: str | None = None
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        rest = {k: v for k, v in dataclasses.asdict(self).items() if k != "envelope"}
        return {**self.envelope.to_json(), **rest}

    @classmethod
    def from_json(cls, data: Any) -> Ignored:
        if not isinstance(data, dict):
            raise ValueError("not an ignored file")
        names = {f.name for f in dataclasses.fields(Envelope)}
        envelope = Envelope.from_json({k: v for k, v in data.items() if k in names})
        rest = {k: v for k, v in data.items() if k not in names}
        return _build(cls, {**rest, "envelope": envelope})


def _build(cls: type[_T], data: Any, tuples: tuple[str, ...] = ()) -> _T:
    """An instance from its JSON object; ValueError when a field is unknown or missing."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: not an object")
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    if not set(data) <= names:
        raise ValueError(f"{cls.__name__}: unknown fields {sorted(set(data) - names)}")
    given = {k: tuple(v) if k in tuples else v for k, v in data.items()}
    try:
        return cls(**given)
    except TypeError as exc:  # a required field missing
        raise ValueError(f"{cls.__name__}: {exc}") from exc
