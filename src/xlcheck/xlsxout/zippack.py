"""A small zip writer for packages whose parts are mostly the same every time: a part kept as
`Packed` (deflated once, with its CRC) is copied as bytes, only new parts are compressed.

The layout is what zipfile writes (local headers, data, central directory, end record), with
xlsxwriter's fixed 1980-01-01 timestamp so that equal parts give equal bytes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DEFLATED = 8
_LEVEL = 6  # zipfile's and xlsxwriter's default


@dataclass(frozen=True)
class Packed:
    """One part, deflated, with what the zip headers need."""

    name: str
    data: bytes
    crc: int
    size: int


def pack(name: str, data: bytes, level: int = _LEVEL) -> Packed:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    deflated = compressor.compress(data) + compressor.flush()
    return Packed(name, deflated, zlib.crc32(data), len(data))


def write_zip(parts: list[Packed], out: BinaryIO) -> None:
    """Write the parts as one zip (names in UTF-8, as OPC part names allow)."""
    central: list[bytes] = []
    offset = 0
    for part in parts:
        name = part.name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        header = _LOCAL.pack(
            b"PK\x03\x04", 20, flags, _DEFLATED, 0, _DOS_DATE,
            part.crc, len(part.data), part.size, len(name), 0,
        )  # fmt: skip
        out.write(header + name)
        out.write(part.data)
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                20,
                20,
                flags,
                _DEFLATED,
                0,
                _DOS_DATE,
                part.crc,
                len(part.data),
                part.size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + name
        )
        offset += len(header) + len(name) + len(part.data)
    directory = b"".join(central)
    out.write(directory)
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), offset, 0))
