"""Safe XML parsing for package parts: expat reads each part's prolog first and refuses any
DOCTYPE or ENTITY declaration (Excel never writes one), then the C ElementTree parser reads it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Final
from xml.parsers import expat

from xlcheck.xlsx.errors import PackageError, corrupt_on_error
from xlcheck.xlsx.xstring import decode_xstring

_UTF8_NAMES: Final = frozenset({"utf-8", "utf8"})
# A local attribute quoter: xml.sax.saxutils (for one quoteattr) imports urllib, http, email and
# ssl, which cost a `xlcheck check` process more than reading the workbook does.
_ATTR_ESCAPES: Final = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


def quote_attr(value: str) -> str:
    """An XML attribute value in double quotes, escaped as the XML spec requires."""
    return '"' + value.translate(_ATTR_ESCAPES) + '"'


class _RootReached(Exception):
    """Raised from the expat start handler to stop at the root element."""


class PrologGuard:
    """Feeds the start of a document to expat until its root element; raises 'doctype' on a DTD.

    After it is done it knows the root's qualified name, namespace declarations and encoding.
    """

    def __init__(self) -> None:
        parser = expat.ParserCreate()
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.XmlDeclHandler = self._note_encoding
        parser.StartElementHandler = self._note_root
        self._parser = parser
        self.done = False
        self.root_qname = ""
        self.root_attrs: dict[str, str] = {}
        self.encoding: str | None = None

    def _refuse_doctype(self, *args: object) -> None:
        raise PackageError("doctype", "XML part declares a DOCTYPE")

    def _refuse_entity(self, *args: object) -> None:
        raise PackageError("doctype", "XML part declares an ENTITY")

    def _note_encoding(self, version: str, encoding: str | None, standalone: int) -> None:
        self.encoding = encoding

    def _note_root(self, name: str, attrs: dict[str, str]) -> None:
        self.root_qname = name
        self.root_attrs = attrs
        raise _RootReached

    def feed(self, chunk: bytes, final: bool = False) -> None:
        """Parse more of the prolog; a no-op once the root element was reached."""
        if self.done:
            return
        try:
            self._parser.Parse(chunk, final)
        except _RootReached:
            self.done = True
            self._parser = None  # type: ignore[assignment]

    @property
    def is_utf8(self) -> bool:
        return self.encoding is None or self.encoding.casefold() in _UTF8_NAMES

    def root_namespace(self) -> str:
        """'{uri}' of the root element (or '' when it has none), as ElementTree spells tags."""
        prefix, _, _ = self.root_qname.rpartition(":")
        uri = self.root_attrs.get(f"xmlns:{prefix}" if prefix else "xmlns", "")
        return f"{{{uri}}}" if uri else ""

    def root_start_tag(self) -> bytes:
        """An equivalent root start tag carrying only the namespace declarations."""
        decls = " ".join(
            f"{key}={quote_attr(value)}"
            for key, value in self.root_attrs.items()
            if key == "xmlns" or key.startswith("xmlns:")
        )
        return f"<{self.root_qname} {decls}>".encode()


def guard_prolog(guard: PrologGuard, chunks: Iterator[bytes]) -> list[bytes]:
    """Feed chunks to the guard until it reaches the root; returns the chunks it consumed."""
    consumed: list[bytes] = []
    for chunk in chunks:
        consumed.append(chunk)
        guard.feed(chunk)
        if guard.done:
            return consumed
    guard.feed(b"", True)
    if not guard.done:
        raise PackageError("corrupt", "XML part has no root element")
    return consumed


def parse_xml(data: bytes, what: str) -> ET.Element:
    """A whole (small) part as an element tree, after the DOCTYPE check."""
    guard = PrologGuard()
    with corrupt_on_error(what):
        guard_prolog(guard, iter((data,)))
        return ET.fromstring(data)


def local_name(tag: str) -> str:
    """'sheet' for '{uri}sheet' or 'sheet'."""
    return tag.rpartition("}")[2]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    """Direct children with the given local name, whatever their namespace."""
    return (child for child in element if local_name(child.tag) == name)


def first_child(element: ET.Element, name: str) -> ET.Element | None:
    return next(children(element, name), None)


def rich_text(element: ET.Element, t_tag: str, r_tag: str) -> str:
    """Text of an <si> or <is>: direct <t> plus rich-text runs <r><t>; phonetic runs skipped.

    Each <t> is an ST_Xstring of its own, so escapes are decoded per piece, before joining."""
    if len(element) == 1 and element[0].tag == t_tag:
        return decode_xstring(element[0].text or "")
    parts: list[str] = []
    for child in element:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            parts.extend(sub.text or "" for sub in child if sub.tag == t_tag)
    return "".join(map(decode_xstring, parts))


def find_attr(element: ET.Element, local: str) -> str | None:
    """An attribute by local name in any namespace (r:id is namespaced differently in strict)."""
    suffix = "}" + local
    for key, value in element.attrib.items():
        if key.endswith(suffix):
            return value
    return None
