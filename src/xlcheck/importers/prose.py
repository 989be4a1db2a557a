"""Prose of a published report: the title, the section headings, the overview topics and texts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlcheck.codes import make_finding
from xlcheck.findings import Finding
from xlcheck.form.model import Form, Section
from xlcheck.importers.model import Item, Para, Reading
from xlcheck.importers.norm import clean, norm

_NUMERALS = "一二三四五六七八九十"
_PREFIX = re.compile(
    rf"^\s*(?:[（(]\s*[{_NUMERALS}]\s*[）)]|[{_NUMERALS}]\s*[、.．,，]?|\d{{1,2}}\s*[、.．]?)\s*"
)
# A bracketed number such as （一） opens a subsection, never one of the form's sections.
_BRACKETED = re.compile(rf"^\s*[（(]\s*[{_NUMERALS}]\s*[）)]")
_PUNCT = re.compile(r"[、,，.．:：;；。\s]")
_TOPIC_END = re.compile(r"[。．.：:；;，,\s]")
MAX_HEADING = 40
MAX_TOPIC = 16


@dataclass(frozen=True)
class Heading:
    index: int  # 0..5 in form.sections
    text: str
    place: str
    position: int  # index of the paragraph among the page items


@dataclass
class Layout:
    headings: list[Heading] = field(default_factory=list)
    sections: dict[int, list[Item]] = field(default_factory=dict)
    front: list[Item] = field(default_factory=list)


def heading_key(text: str) -> str:
    return _PUNCT.sub("", norm(_PREFIX.sub("", text, count=1)))


def find_heading(form: Form, para: Para) -> int | None:
    """The section a paragraph heads: its text without number and punctuation is the section's
    heading or one of the other wordings the form declares (`import.headings`)."""
    if len(para.text) > MAX_HEADING or _BRACKETED.match(para.text):
        return None
    key = heading_key(para.text)
    if not key:
        return None
    for index, section in enumerate(form.sections):
        variants = form.published.headings.get(section.heading, ())
        if key in {heading_key(section.heading), *(heading_key(v) for v in variants)}:
            return index
    return None


def split_sections(form: Form, items: tuple[Item, ...]) -> Layout:
    """Each item goes to the section of the last heading before it; items before any go to front."""
    layout = Layout()
    current: int | None = None
    for position, item in enumerate(items):
        index = find_heading(form, item) if isinstance(item, Para) else None
        if index is not None and isinstance(item, Para):
            layout.headings.append(Heading(index, item.text, item.place, position))
            layout.sections.setdefault(index, [])
            current = index
        elif current is None:
            layout.front.append(item)
        else:
            layout.sections[current].append(item)
    return layout


def audit_headings(form: Form, layout: Layout) -> list[Finding]:
    """A01 missing, A02 out of order, A03 irregular text."""
    findings: list[Finding] = []
    found = {h.index for h in layout.headings}
    for index, section in enumerate(form.sections):
        if index not in found:
            findings.append(
                make_finding(
                    "A01",
                    expected=section.heading,
                    values={"place": "document", "expected": section.heading},
                )
            )
    highest = -1
    for h in layout.headings:
        official = form.sections[h.index].heading
        if h.index < highest:
            findings.append(
                make_finding(
                    "A02",
                    found=h.text,
                    position=h.index + 1,
                    values={"place": h.place, "found": h.text},
                )
            )
        highest = max(highest, h.index)
        if clean(h.text) != official:
            findings.append(
                make_finding(
                    "A03",
                    found=h.text,
                    expected=official,
                    values={"place": h.place, "found": h.text},
                )
            )
    return findings


def title_patterns(form: Form) -> tuple[re.Pattern[str], ...]:
    """The shapes of the document title, in order: the form's `import.title.patterns`, else
    `roles.title_pattern` (named groups are roles such as name and year)."""
    return tuple(re.compile(p) for p in form.published.titles or (form.roles.title_pattern,))


def read_title(form: Form, items: list[Item]) -> tuple[dict[str, str], str] | None:
    """({role: text}, place) from the first line shaped like one of the document title's shapes,
    or from a line and the next together (a long title broken after the office's name)."""
    patterns = title_patterns(form)
    paras = [norm(i.text) for i in items if isinstance(i, Para)]
    places = [i.place for i in items if isinstance(i, Para)]
    for at, text in enumerate(paras):
        for candidate in (text, text + "".join(paras[at + 1 : at + 2])):
            match = next((m for p in patterns if (m := p.match(candidate))), None)
            if match and (candidate == text or _breaks_at_group(match, len(text))):
                return {k: v for k, v in match.groupdict().items() if v}, places[at]
    return None


def _breaks_at_group(match: re.Match[str], at: int) -> bool:
    """Two lines read as one title only when the break falls where a role begins or ends (the
    office's name alone on the first line), never inside the name."""
    return any(at in match.span(group) for group in match.groupdict() if match.group(group))


def read_period(form: Form, items: list[Item]) -> tuple[str, str] | None:
    """(year, place) from the first statement of the statistical period (`import.title.period`)."""
    if not form.published.period:
        return None
    pattern = re.compile(form.published.period)
    for item in items:
        if isinstance(item, Para) and (match := pattern.search(norm(item.text))):
            return match.group("year"), item.place
    return None


def section_text(items: list[Item]) -> str:
    return "\n".join(clean(i.text) for i in items if isinstance(i, Para) and clean(i.text))


@dataclass(frozen=True)
class Topic:
    key: str
    found: str  # the numbered heading as printed, e.g. 一主动公开
    rest: str  # text after the heading on the same line


def match_topic(form: Form, text: str) -> Topic | None:
    prefix = _PREFIX.match(text)
    if not prefix or not prefix.group(0).strip():
        return None
    body = text[prefix.end() :]
    end = _TOPIC_END.search(body)
    phrase = body[: end.start()] if end else body
    if not phrase or len(phrase) > MAX_TOPIC:
        return None
    for f in form.fields.values():
        if f.heading and any(phrase.startswith(w) for w in topic_words(form, f.key, f.heading)):
            rest = body[len(phrase) :].lstrip("。．.：:；;，, \u3000")
            return Topic(f.key, prefix.group(0).strip() + phrase, rest)
    return None


def topic_words(form: Form, key: str, heading: str) -> tuple[str, ...]:
    """The topic's heading without its number, and the other names the form declares for it."""
    return (_PREFIX.sub("", heading, count=1), *form.published.topics.get(key, ()))


@dataclass
class Overview:
    texts: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)


def read_overview(form: Form, section: Section, items: list[Item]) -> Overview:
    """Intro (the section's field without a heading) = text before the first topic; each topic's
    text runs to the next topic."""
    intro = next(
        (k for k in form.sheet(section.sheet or "").field_keys if not form.fields[k].heading), ""
    )
    parts: dict[str, list[str]] = {intro: []}
    out = Overview()
    current = intro
    for item in items:
        if not isinstance(item, Para) or not clean(item.text):
            continue
        topic = match_topic(form, clean(item.text))
        if topic is None:
            parts.setdefault(current, []).append(clean(item.text))
            continue
        current = topic.key
        parts.setdefault(current, [])
        if topic.rest:
            parts[current].append(topic.rest)
        out.readings.append(Reading(current, item.text[:40], item.place, "topic heading"))
        out.findings += _numbering(form, topic, item.place)
    out.texts = {key: "\n".join(lines) for key, lines in parts.items() if key}
    for f in form.fields.values():
        if f.heading and f.key not in parts:
            out.findings.append(
                make_finding(
                    "A05",
                    expected=f.heading,
                    values={"place": section.heading, "expected": f.heading},
                )
            )
    return out


def _numbering(form: Form, topic: Topic, place: str) -> list[Finding]:
    expected = form.fields[topic.key].heading or ""
    want = expected[: len(expected) - len(_PREFIX.sub("", expected, count=1))]
    if norm(topic.found).startswith(norm(want)):  # （一） and (一) are the same numbering
        return []
    return [
        make_finding(
            "A04",
            found=topic.found,
            expected=expected,
            values={"place": place, "found": topic.found},
        )
    ]
