"""The container layer: load bytes within limits, classify them by magic bytes, reject OLE/ODS
files, and vet a zip's central directory (zip bombs) before any member is inflated."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final

from xlcheck.xlsx.errors import PackageError, corrupt_on_error
from xlcheck.xlsx.limits import MIB, Limits
from xlcheck.xlsx.ole import OLE_MAGIC, read_ole_names

ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ODS_MIMETYPE: Final = b"application/vnd.oasis.opendocument.spreadsheet"
CHUNK_SIZE: Final = 64 * 1024


def classify_bytes(head: bytes) -> str:
    """'zip', 'ole' or 'unknown', judged by the first bytes only."""
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(ZIP_MAGICS):
        return "zip"
    return "unknown"


def load_source(source: Path | bytes, limits: Limits) -> bytes:
    """The whole file as bytes (never more than max_file_bytes are read), or PackageError."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        data = _read_file(Path(source), limits.max_file_bytes)
    if len(data) > limits.max_file_bytes:
        raise PackageError("too_large", f"file is larger than {limits.max_file_bytes} bytes")
    if not data:
        raise PackageError("empty", "file is empty")
    return data


def _read_file(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(max_bytes + 1)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise PackageError("not_found", f"{type(exc).__name__}: {path}") from exc
    except OSError as exc:
        raise PackageError("not_found", f"cannot read {path}: {exc.strerror}") from exc


def reject_ole(data: bytes) -> PackageError:
    """The error for an OLE compound file: 'encrypted' OOXML or a legacy .xls/.et workbook."""
    try:
        names = {name.casefold() for name in read_ole_names(data)}
    except (ValueError, struct.error, IndexError):
        names = set()
    if names & {"encryptedpackage", "encryptioninfo"}:
        return PackageError("encrypted", "OLE container holding an encrypted OOXML package")
    return PackageError("legacy_xls", "OLE compound file (legacy .xls/.et or other)")


def open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open a zip over `data` after vetting its central directory; nothing is inflated."""
    _precheck_member_count(data, limits)
    with corrupt_on_error("zip central directory"):
        archive = zipfile.ZipFile(io.BytesIO(data))
    check_members(archive.infolist(), limits)
    return archive


def _precheck_member_count(data: bytes, limits: Limits) -> None:
    """Refuse absurd member counts from the end record, before zipfile builds its index."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        raise PackageError("corrupt", "no zip end-of-central-directory record")
    count = struct.unpack_from("<H", data, end + 10)[0]
    if count != 0xFFFF and count > limits.max_members:
        raise PackageError("too_many_parts", f"{count} members")


def check_members(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Declared sizes, their sum and compression ratios, checked against the limits."""
    if len(infos) > limits.max_members:
        raise PackageError("too_many_parts", f"{len(infos)} members")
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in seen:
            raise PackageError("corrupt", f"duplicate member {info.filename!r}")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise PackageError("corrupt", f"zip-encrypted member {info.filename!r}")
        _check_member_size(info, limits)
        total += info.file_size
    if total > limits.max_total_uncompressed:
        raise PackageError("zip_bomb", f"members declare {total} bytes in total")


def _check_member_size(info: zipfile.ZipInfo, limits: Limits) -> None:
    size = info.file_size
    if size > limits.max_part_bytes:
        raise PackageError("zip_bomb", f"{info.filename!r} declares {size} bytes")
    if size > MIB and size > limits.max_ratio * max(info.compress_size, 1):
        ratio = size // max(info.compress_size, 1)
        raise PackageError("zip_bomb", f"{info.filename!r} compression ratio {ratio}")


def read_member(archive: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    """A member's bytes, with a read bounded by its declared size and max_part_bytes."""
    with corrupt_on_error(f"member {name!r}"):
        info = archive.getinfo(name)
        with archive.open(info) as fh:
            data = fh.read(min(info.file_size, limits.max_part_bytes) + 1)
    if len(data) > info.file_size:
        raise PackageError("zip_bomb", f"{name!r} inflates past its declared size")
    return data


def iter_chunks(fh: IO[bytes]) -> Iterator[bytes]:
    """Successive CHUNK_SIZE reads of an open member until it is exhausted."""
    while chunk := fh.read(CHUNK_SIZE):
        yield chunk
