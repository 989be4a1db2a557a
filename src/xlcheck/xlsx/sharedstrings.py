"""The shared-strings table, streamed once per package and capped by max_shared_strings."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import cast

from xlcheck.xlsx.errors import PackageError, corrupt_on_error
from xlcheck.xlsx.limits import Deadline, Limits
from xlcheck.xlsx.xmlsafe import PrologGuard, guard_prolog, parse_xml, rich_text


def read_shared_strings(chunks: Iterator[bytes], limits: Limits, deadline: Deadline) -> list[str]:
    """All <si> texts in order: rich-text runs concatenated, whitespace kept as written."""
    guard = PrologGuard()
    with corrupt_on_error("sharedStrings"):
        head = guard_prolog(guard, chunks)
        _check_declared_count(guard, limits)
        ns = guard.root_namespace()
        return _collect(itertools.chain(head, chunks), ns, limits, deadline)


def parse_shared_strings(data: bytes, limits: Limits) -> list[str]:
    """The same as read_shared_strings for a small part parsed whole."""
    root = parse_xml(data, "sharedStrings")
    ns = root.tag[: root.tag.find("}") + 1]
    si_tag, t_tag, r_tag = ns + "si", ns + "t", ns + "r"
    strings = [rich_text(si, t_tag, r_tag) for si in root if si.tag == si_tag]
    if len(strings) > limits.max_shared_strings:
        raise PackageError("too_large", f"more than {limits.max_shared_strings} strings")
    return strings


def _check_declared_count(guard: PrologGuard, limits: Limits) -> None:
    declared = guard.root_attrs.get("uniqueCount", "")
    if declared.isdigit() and len(declared) < 12 and int(declared) > limits.max_shared_strings:
        raise PackageError("too_large", f"sharedStrings declares {declared} strings")


def _collect(chunks: Iterator[bytes], ns: str, limits: Limits, deadline: Deadline) -> list[str]:
    si_tag, t_tag, r_tag = ns + "si", ns + "t", ns + "r"
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    strings: list[str] = []
    root: ET.Element | None = None
    for chunk in chunks:
        deadline.check()
        parser.feed(chunk)
        for event, element in cast(Iterator[tuple[str, ET.Element]], parser.read_events()):
            if event == "start":
                root = element if root is None else root
            elif element.tag == si_tag:
                strings.append(rich_text(element, t_tag, r_tag))
        if len(strings) > limits.max_shared_strings:
            raise PackageError("too_large", f"more than {limits.max_shared_strings} strings")
        if root is not None:
            del root[:]  # processed <si> elements; keeps memory bounded
    parser.close()
    return strings
