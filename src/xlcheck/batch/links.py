"""The 汇总 list's hyperlinks, kept on disk and added to the finished workbook in a streamed pass.

xlsxwriter writes rows to disk as they come (constant-memory mode), but keeps every hyperlink in
memory until the workbook is closed (≈ 0.9 KB each, two per valid office): the one part of the
summary that grew with the number of submissions. So the list's cells are written as plain
text in link style, each link goes to a scratch file, and `add_hyperlinks` copies the closed
package member by member, streaming the `<hyperlinks>` element into the sheet and the
relationships into the sheet's .rels part. The XML is what xlsxwriter writes for an
`external:` link to a relative path (tests/test_batch_links.py holds the two byte-identical),
but for a '%' in a name, which is always escaped (see relationship_target)."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO
from xml.sax.saxutils import escape

from xlcheck.cells import column_letters

HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
RELS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
)
# The worksheet elements that follow <hyperlinks> in the schema's order; the first one found after
# </sheetData> is where the links go (xlsxwriter always writes <pageMargins>).
_AFTER_LINKS = re.compile(
    rb"<(?:printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|drawing"
    rb"|legacyDrawing|tableParts|extLst)\b|</worksheet>"
)
_CHUNK = 1 << 16
_CARRY = 32  # longer than any marker above, so none is missed across two chunks
_ATTR = {'"': "&quot;"}
# What a URI path may not hold (RFC 3986) and a file name may: escaped in one pass, so '%' in a
# name stays '%'. Non-ASCII stays as it is (an IRI), as xlsxwriter writes it; Excel, WPS and
# LibreOffice resolve it. '#' and '?' never reach a link (filenames.safe_name replaces them).
_URL_ESCAPES = str.maketrans({c: f"%{ord(c):02x}" for c in '%" <>[]^`{|}'})


class LinkSpool:
    """Links of one worksheet, one line each on a scratch file: ref, target, tooltip."""

    def __init__(self) -> None:
        self.fh = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.count = 0

    def add(self, row: int, col: int, target: str, tip: str) -> None:
        """A link at (row, col), 0-based, to a relative path ('/' separated)."""
        line = "\t".join((f"{column_letters(col + 1)}{row + 1}", target, tip))
        if "\n" in line or line.count("\t") != 2:
            raise ValueError(f"unusable link text: {line!r}")
        self.fh.write(line.encode("utf-8") + b"\n")
        self.count += 1

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        self.fh.seek(0)
        for raw in self.fh:
            ref, target, tip = raw.decode("utf-8").rstrip("\n").split("\t")
            yield ref, target, tip

    def close(self) -> None:
        self.fh.close()


def relationship_target(path: str) -> str:
    """The Target of a relative file link: backslashes and URL escapes, as xlsxwriter writes it,
    except that '%' is always escaped (xlsxwriter leaves a path that looks escaped alone, so a
    folder called 某某%41局 was opened as 某某A局)."""
    link = path.replace("/", "\\")
    if link.startswith(".\\"):
        link = link[2:]
    return link.translate(_URL_ESCAPES)


def add_hyperlinks(package: IO[bytes], dest: IO[bytes], sheet_part: str, links: LinkSpool) -> None:
    """Copy the xlsx `package` to `dest` with the spooled links added to `sheet_part`."""
    if not links.count:
        package.seek(0)
        shutil.copyfileobj(package, dest)
        return
    rels_part = _rels_part(sheet_part)
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(dest, "w") as target:
        names = source.namelist()
        first_id = _next_relationship_id(source, rels_part) if rels_part in names else 1
        for info in source.infolist():
            with source.open(info) as member, target.open(_like(info), "w") as out:
                if info.filename == sheet_part:
                    _copy_sheet(member, out, links, first_id)
                elif info.filename == rels_part:
                    _copy_rels(member, out, links, first_id)
                else:
                    shutil.copyfileobj(member, out, _CHUNK)
        if rels_part not in names:
            with target.open(_like(source.getinfo(sheet_part), rels_part), "w") as out:
                out.write(RELS_HEAD)
                _write_relationships(out, links, first_id)
                out.write(b"</Relationships>")


def _rels_part(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def _like(info: zipfile.ZipInfo, name: str | None = None) -> zipfile.ZipInfo:
    """A new entry with the same name (or `name`), time and compression as `info`."""
    entry = zipfile.ZipInfo(name or info.filename, info.date_time)
    entry.compress_type = info.compress_type
    entry.external_attr = info.external_attr
    return entry


def _copy_sheet(member: IO[bytes], out: IO[bytes], links: LinkSpool, first_id: int) -> None:
    """Copy the sheet XML, inserting <hyperlinks> before the first element that must follow it."""
    buffer, past_data = b"", False
    while chunk := member.read(_CHUNK):
        buffer += chunk
        if not past_data:
            end = buffer.find(b"</sheetData>")
            if end < 0:
                out.write(buffer[:-_CARRY])
                buffer = buffer[-_CARRY:]
                continue
            out.write(buffer[:end])
            buffer, past_data = buffer[end:], True
        found = _AFTER_LINKS.search(buffer)
        if found is not None:
            out.write(buffer[: found.start()])
            _write_hyperlinks(out, links, first_id)
            out.write(buffer[found.start() :])
            shutil.copyfileobj(member, out, _CHUNK)
            return
        out.write(buffer[:-_CARRY])
        buffer = buffer[-_CARRY:]
    raise ValueError("worksheet part has no place for hyperlinks")


def _write_hyperlinks(out: IO[bytes], links: LinkSpool, first_id: int) -> None:
    out.write(b"<hyperlinks>")
    for number, (ref, _target, tip) in enumerate(links, start=first_id):
        tooltip = f' tooltip="{escape(tip, _ATTR)}"' if tip else ""
        out.write(f'<hyperlink ref="{ref}" r:id="rId{number}"{tooltip}/>'.encode())
    out.write(b"</hyperlinks>")


def _copy_rels(member: IO[bytes], out: IO[bytes], links: LinkSpool, first_id: int) -> None:
    """An existing .rels part (small): the links' relationships go before its end tag."""
    data = member.read()
    end = data.rindex(b"</Relationships>")
    out.write(data[:end])
    _write_relationships(out, links, first_id)
    out.write(data[end:])


def _write_relationships(out: IO[bytes], links: LinkSpool, first_id: int) -> None:
    for number, (_ref, target, _tip) in enumerate(links, start=first_id):
        out.write(
            f'<Relationship Id="rId{number}" Type="{HYPERLINK_TYPE}" '
            f'Target="{escape(relationship_target(target), _ATTR)}" TargetMode="External"/>'.encode()
        )


def _next_relationship_id(source: zipfile.ZipFile, rels_part: str) -> int:
    numbers = [int(n) for n in re.findall(rb'Id="rId(\d+)"', source.read(rels_part))]
    return max(numbers, default=0) + 1
