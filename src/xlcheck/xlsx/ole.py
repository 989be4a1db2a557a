"""A tiny, bounded reader of OLE compound-file directory names: enough to tell an encrypted
OOXML workbook (`EncryptedPackage`) from a legacy .xls/.et (`Workbook`/`Book`)."""

from __future__ import annotations

import struct
from typing import Final

OLE_MAGIC: Final = bytes.fromhex("D0CF11E0A1B11AE1")
_MAX_REGULAR_SECTOR: Final = 0xFFFFFFFA
_ENTRY_SIZE: Final = 128


def read_ole_names(data: bytes) -> set[str]:
    """Names of all storages and streams in an OLE compound file; ValueError when malformed."""
    if len(data) < 512 or not data.startswith(OLE_MAGIC):
        raise ValueError("not an OLE compound file")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        raise ValueError(f"bad sector shift {shift}")
    size = 1 << shift
    fat = _read_fat(data, size)
    names: set[str] = set()
    for sector in _chain(fat, struct.unpack_from("<I", data, 48)[0]):
        block = _sector(data, size, sector)
        for offset in range(0, len(block) - _ENTRY_SIZE + 1, _ENTRY_SIZE):
            name = _entry_name(block, offset)
            if name:
                names.add(name)
    return names


def _sector(data: bytes, size: int, index: int) -> bytes:
    start = (index + 1) * size
    block = data[start : start + size]
    if len(block) != size:
        raise ValueError(f"sector {index} beyond end of file")
    return block


def _read_fat(data: bytes, size: int) -> list[int]:
    """The file allocation table, from the header DIFAT and the DIFAT sector chain."""
    fat_sectors = list(struct.unpack_from("<109I", data, 76))
    difat = struct.unpack_from("<I", data, 68)[0]
    per_sector = size // 4
    seen: set[int] = set()
    while difat <= _MAX_REGULAR_SECTOR and difat not in seen:
        seen.add(difat)
        entries = struct.unpack(f"<{per_sector}I", _sector(data, size, difat))
        fat_sectors.extend(entries[:-1])
        difat = entries[-1]
    fat: list[int] = []
    for sector in fat_sectors:
        if sector <= _MAX_REGULAR_SECTOR:
            fat.extend(struct.unpack(f"<{per_sector}I", _sector(data, size, sector)))
    return fat


def _chain(fat: list[int], start: int) -> list[int]:
    """Sector indexes of a chain, refusing cycles and out-of-range links."""
    chain: list[int] = []
    seen: set[int] = set()
    sector = start
    while sector <= _MAX_REGULAR_SECTOR:
        if sector in seen or sector >= len(fat):
            raise ValueError("broken sector chain")
        seen.add(sector)
        chain.append(sector)
        sector = fat[sector]
    return chain


def _entry_name(block: bytes, offset: int) -> str | None:
    """The UTF-16LE name of a storage (1), stream (2) or root (5) directory entry."""
    name_len = struct.unpack_from("<H", block, offset + 64)[0]
    kind = block[offset + 66]
    if kind not in (1, 2, 5) or not 2 <= name_len <= 64 or name_len % 2:
        return None
    return block[offset : offset + name_len - 2].decode("utf-16-le", errors="replace")
