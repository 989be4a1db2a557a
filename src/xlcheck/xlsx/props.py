"""Document properties (docProps/core.xml, app.xml, custom.xml) read as plain text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from xlcheck.xlsx.errors import corrupt_on_error
from xlcheck.xlsx.xmlsafe import PrologGuard, children, local_name

_APP_STEP = 2048


@dataclass(frozen=True)
class CoreProperties:
    """Dublin Core properties; timestamps stay as the W3CDTF text written in the file."""

    title: str | None = None
    creator: str | None = None
    last_modified_by: str | None = None
    created: str | None = None
    modified: str | None = None


_CORE_FIELDS = {
    "title": "title",
    "creator": "creator",
    "lastModifiedBy": "last_modified_by",
    "created": "created",
    "modified": "modified",
}


def parse_core(root: ET.Element) -> CoreProperties:
    values: dict[str, str | None] = {}
    for child in root:
        field = _CORE_FIELDS.get(local_name(child.tag))
        if field is not None:
            values[field] = child.text or ""
    return CoreProperties(**values)


def read_app_name(data: bytes) -> str | None:
    """The producing application ('Microsoft Excel', 'WPS 表格', 'LibreOffice/…') from app.xml.

    <Application> comes first in practice, so the part is parsed only until it is seen (app.xml
    lists every defined name and can be larger than the workbook part).
    """
    guard = PrologGuard()
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    with corrupt_on_error("docProps/app.xml"):
        for start in range(0, len(data), _APP_STEP):
            chunk = data[start : start + _APP_STEP]
            guard.feed(chunk)
            parser.feed(chunk)
            for _event, element in cast(Iterator[tuple[str, ET.Element]], parser.read_events()):
                if local_name(element.tag) == "Application":
                    return (element.text or "").strip() or None
        guard.feed(b"", True)
        parser.close()
    return None


def parse_custom(root: ET.Element) -> dict[str, str]:
    """Custom properties by name, every value as its text (booleans stay 'true'/'false')."""
    properties: dict[str, str] = {}
    for prop in children(root, "property"):
        name = prop.get("name")
        if name is not None and len(prop):
            properties[name] = prop[0].text or ""
    return properties
