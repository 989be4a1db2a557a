"""Builders of real and hostile workbook files for tests/test_xlsx_package.py, all generated
at test time: xlsxwriter/openpyxl workbooks, OLE compound files, zip bombs, huge sheets."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

import xlsxwriter
from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection

INFO = "基本信息"
ID_NUMBER = "110101199003071234"
EXTERNAL_URL = "file:///C:/报表/other.xlsx"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_xlsxwriter_workbook(path: Path) -> Path:
    """The template-like workbook: Chinese sheet names, names with dots, protection, merges."""
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    info = workbook.add_worksheet(INFO)
    info.write_string("A1", "申请人")
    info.write_string("B2", "张三")
    info.write_string("C2", "张三")  # the same shared string twice
    info.write_string("B3", "１２")
    info.write_string("B4", "3.0")
    info.write_number("B5", 274.65999999999997)
    info.write_string("B6", ID_NUMBER)
    info.write_number("B7", 12)
    info.write_formula("B8", "=B5+B7", None, 286.66)
    info.write_boolean("B9", True)
    info.write_string("B10", " 3 ")
    info.write_formula("B11", '=IF(B7>1,"多","少")', None, "多")
    info.merge_range("D2:E3", "合并", workbook.add_format({"bold": True}))
    info.protect()
    extra = workbook.add_worksheet("附表")
    extra.write_number("A1", 1)
    extra.hide()
    secret = workbook.add_worksheet("lists")
    secret.write_string("A1", "选项")
    secret.very_hidden()
    workbook.define_name("applications.new.natural_person", f"='{INFO}'!$B$2")
    workbook.define_name("applications.total", f"='{INFO}'!$B$8")
    workbook.define_name("applications.block", f"='{INFO}'!$B$2:$B$4")
    workbook.define_name(f"'{INFO}'!local_name", f"='{INFO}'!$B$3")
    workbook.set_custom_property("form_id", "disclosure-2021")
    workbook.set_custom_property("version", 3)
    workbook.set_custom_property("final", True)
    workbook.set_properties({"title": "年报", "author": "测试"})
    workbook.close()
    return path


def build_openpyxl_workbook(path: Path) -> Path:
    """A workbook as openpyxl writes it: shared strings, no cached formula values."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = INFO
    sheet["A1"] = "名称"
    sheet["B2"] = "李四"
    sheet["B3"] = "１２"
    sheet["B4"] = 3.5
    sheet["B5"] = 7
    sheet["B6"] = "=SUM(B4:B5)"
    sheet["B7"] = ID_NUMBER
    sheet.protection.sheet = True
    workbook.defined_names["org.name"] = DefinedName("org.name", attr_text=f"'{INFO}'!$B$2")
    workbook.defined_names["broken"] = DefinedName("broken", attr_text="#REF!")
    workbook.security = WorkbookProtection(lockStructure=True)
    workbook.save(path)
    return path


def rewrite_zip(
    source: Path,
    target: Path,
    replace: dict[str, bytes | Iterable[bytes]],
    drop: Iterable[str] = (),
) -> Path:
    """Copy a zip, replacing or adding members; iterables are streamed into the member."""
    dropped = set(drop)
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace and info.filename not in dropped:
                dst.writestr(info.filename, src.read(info.filename))
        for name, content in replace.items():
            if isinstance(content, bytes):
                dst.writestr(name, content)
                continue
            with dst.open(name, "w", force_zip64=True) as out:
                for chunk in content:
                    out.write(chunk)
    return target


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def sheet_with_junk_rows(original: bytes, first_row: int, count: int) -> Iterable[bytes]:
    """The sheet XML with `count` one-cell rows inserted at the end of sheetData, streamed."""
    head, _, tail = original.partition(b"</sheetData>")
    yield head
    batch: list[str] = []
    for row in range(first_row, first_row + count):
        batch.append(f'<row r="{row}"><c r="A{row}"><v>1</v></c></row>')
        if len(batch) == 20_000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()
    yield b"</sheetData>" + tail


def build_ole(path: Path, stream_names: list[str]) -> Path:
    """A minimal valid OLE compound file (v3, 512-byte sectors) with empty streams."""
    sector = 512
    header = bytearray(sector)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 44, 1, 1, 0)  # FAT sectors, first dir sector, txn
    struct.pack_into("<IIIII", header, 56, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    difat = [0] + [0xFFFFFFFF] * 108
    struct.pack_into("<109I", header, 76, *difat)
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [0xFFFFFFFF] * 126
    entries = [_ole_entry("Root Entry", 5, child=1)]
    for index, name in enumerate(stream_names, start=1):
        right = index + 1 if index < len(stream_names) else 0xFFFFFFFF
        entries.append(_ole_entry(name, 2, right=right))
    directory = b"".join(entries).ljust(sector, b"\0")
    if len(directory) > sector:
        raise ValueError("the fixture supports at most 3 streams")
    path.write_bytes(bytes(header) + struct.pack("<128I", *fat) + directory)
    return path


def _ole_entry(name: str, kind: int, child: int = 0xFFFFFFFF, right: int = 0xFFFFFFFF) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    entry = bytearray(128)
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, 0xFFFFFFFF, right, child)
    struct.pack_into("<IQ", entry, 116, 0xFFFFFFFE if kind == 5 else 0, 0)
    return bytes(entry)


def build_ods(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return path


def declare_huge_size(source: Path, target: Path, member: str, size: int) -> Path:
    """Copy a zip, patching `member`'s declared uncompressed size in the central directory."""
    data = bytearray(source.read_bytes())
    name = member.encode()
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        name_len = struct.unpack_from("<H", data, offset + 28)[0]
        if data[offset + 46 : offset + 46 + name_len] == name:
            struct.pack_into("<I", data, offset + 24, size)
        offset = data.find(b"PK\x01\x02", offset + 46)
    target.write_bytes(bytes(data))
    return target


def zeros(total: int, chunk: int = 2**20) -> Iterable[bytes]:
    block = bytes(chunk)
    for _ in range(total // chunk):
        yield block


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE sst [\n<!ENTITY a "lol">\n'
    + b"".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n'.encode() for i in range(9)
    )
    + f'\n]>\n<sst xmlns="{MAIN_NS}"><si><t>&j;</t></si></sst>'.encode()
)

XXE_SHEET = (
    b'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'.encode()
    + b"<is><t>&xxe;</t></is></c></row></sheetData></worksheet>"
)


def prefixed_sheet(ns: str) -> bytes:
    """A worksheet with the x: prefix, shared formulas, inline rich text and cells without r=."""
    rows = [
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c>'
        '<x:c r="B1"><x:f t="shared" ref="B1:B3" si="0">A1*2</x:f><x:v>2</x:v></x:c></x:row>',
        '<x:row r="2"><x:c r="A2"><x:v>274.65999999999997</x:v></x:c>'
        '<x:c r="B2"><x:f t="shared" si="0"/><x:v>5</x:v></x:c></x:row>',
        '<x:row r="3"><x:c t="inlineStr"><x:is><x:r><x:t xml:space="preserve"> 富 </x:t></x:r>'
        '<x:r><x:t>文本</x:t></x:r><x:rPh sb="0" eb="1"><x:t>ふ</x:t></x:rPh></x:is></x:c>'
        '<x:c><x:f t="shared" si="0"/><x:v>0</x:v></x:c>'
        '<x:c t="e"><x:v>#DIV/0!</x:v></x:c></x:row>',
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<x:worksheet xmlns:x="{ns}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<x:sheetData>{''.join(rows)}</x:sheetData>"
        '<x:sheetProtection sheet="true"/>'
        '<x:mergeCells count="1"><x:mergeCell ref="A5:B5"/></x:mergeCells></x:worksheet>'
    ).encode()
