"""Document properties (docProps/core.xml, app.xml, custom.xml) read as plain text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from xlcheck.xlsx.xmlsafe import children, first_child, local_name


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


def parse_app_name(root: ET.Element) -> str | None:
    """The producing application, e.g. 'Microsoft Excel', 'WPS 表格', 'LibreOffice/…'."""
    element = first_child(root, "Application")
    return None if element is None else (element.text or "").strip() or None


def parse_custom(root: ET.Element) -> dict[str, str]:
    """Custom properties by name, every value as its text (booleans stay 'true'/'false')."""
    properties: dict[str, str] = {}
    for prop in children(root, "property"):
        name = prop.get("name")
        if name is not None and len(prop):
            properties[name] = prop[0].text or ""
    return properties
