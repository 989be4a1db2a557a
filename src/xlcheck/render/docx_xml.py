"""Small WordprocessingML builders: elements by prefixed tag, and text runs that hold text literally."""

from __future__ import annotations

import functools
import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from lxml import etree

XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 forbids (lxml raises on them); tab, LF and CR are allowed but handled by callers.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@functools.cache
def _clark(tag: str) -> str:
    """'w:tc' -> '{namespace}tc', cached: name lookups dominate when building thousands of cells."""
    return str(qn(tag))


def _attributes(attrs: dict[str, str]) -> dict[str, str]:
    return {_clark(f"w:{name}"): value for name, value in attrs.items()}


def el(tag: str, **attrs: str) -> BaseOxmlElement:
    """A new WordprocessingML element; attribute names are given without the w: prefix."""
    element: BaseOxmlElement = OxmlElement(tag)
    for name, value in _attributes(attrs).items():
        element.set(name, value)
    return element


def sub(parent: BaseOxmlElement, tag: str, **attrs: str) -> BaseOxmlElement:
    """Append a new child (lxml's SubElement keeps python-docx's element classes)."""
    child: BaseOxmlElement = etree.SubElement(parent, _clark(tag), _attributes(attrs))
    return child


def clean_text(text: str) -> str:
    """Text as it will be stored: characters that XML 1.0 forbids are dropped, nothing else changes."""
    return _FORBIDDEN.sub("", text)


def text_run(parent: BaseOxmlElement, text: str) -> None:
    """Append runs holding `text` literally (a tab becomes w:tab); never parsed as markup."""
    run = sub(parent, "w:r")
    for index, piece in enumerate(clean_text(text).split("\t")):
        if index:
            sub(run, "w:tab")
        if piece:
            t = sub(run, "w:t")
            t.text = piece
            t.set(XML_SPACE, "preserve")
