"""The records that inbox gathering yields, its limits, and the context passed down containers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class InboxLimits:
    """Caps that keep one hostile or broken input from exhausting memory or time."""

    max_file_bytes: int = 50 * MIB  # a loose file or an e-mail attachment
    max_member_bytes: int = 50 * MIB  # one zip member, declared uncompressed size
    max_archive_bytes: int = 500 * MIB  # all members of one archive, declared
    max_ratio: float = 200.0  # uncompressed / compressed, checked for members > ratio_floor
    ratio_floor: int = 1 * MIB
    max_members: int = 10_000  # entries in one archive
    max_zip_depth: int = 2  # a zip inside a zip is depth 2
    max_message_bytes: int = 200 * MIB  # one .eml file or one mbox message
    max_message_depth: int = 3  # forwarded inside forwarded inside an e-mail
    max_folder_depth: int = 32  # folders below an input folder; deeper ones are reported


@dataclass(frozen=True)
class Envelope:
    """What the outermost e-mail says about who sent a file, and when."""

    sender: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    date: datetime | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Submission:
    """One candidate workbook (decided by extension), with where and from whom it came."""

    origin: str
    filename: str
    data: bytes
    sha256: str
    sender: str | None
    sender_name: str | None
    subject: str | None
    date: datetime | None
    file_mtime: datetime | None
    message_id: str | None
    path: Path | None = None  # the outermost file on disk that held it


@dataclass(frozen=True)
class Skipped:
    """One file or container that was not gathered, with a stable reason code."""

    origin: str
    filename: str
    reason: str
    detail: str
    sender: str | None = None
    sender_name: str | None = None
    subject: str | None = None
    message_id: str | None = None
    path: Path | None = None
    date: datetime | None = None  # the e-mail's Date, when it came in one


Item = Submission | Skipped


@dataclass(frozen=True)
class Deferred:
    """An e-mail (an .eml file or one mbox message) whose parse is left to a worker process:
    `expand_deferred` turns it into the items `gather` would have yielded in its place."""

    filename: str
    data: bytes
    trail: Trail  # its origin is the message's


@dataclass(frozen=True)
class Trail:
    """Where we are while descending into containers: origin prefix, depth and envelope."""

    path: Path
    origin: str
    limits: InboxLimits
    envelope: Envelope | None = None
    zip_depth: int = 0
    message_depth: int = 0
    defer_mail: bool = False  # yield e-mails as Deferred instead of parsing them here

    def at(self, origin: str) -> Trail:
        """Return the trail moved to a new origin."""
        return replace(self, origin=origin)

    def submission(self, filename: str, data: bytes, mtime: datetime | None) -> Submission:
        """Build a Submission at this trail's origin."""
        env = self.envelope or Envelope()
        return Submission(
            origin=self.origin,
            filename=filename,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            sender=env.sender,
            sender_name=env.sender_name,
            subject=env.subject,
            date=env.date,
            file_mtime=mtime,
            message_id=env.message_id,
            path=self.path,
        )

    def skipped(self, filename: str, reason: str, detail: str) -> Skipped:
        """Build a Skipped at this trail's origin."""
        env = self.envelope or Envelope()
        return Skipped(
            origin=self.origin,
            filename=filename,
            reason=reason,
            detail=detail,
            sender=env.sender,
            sender_name=env.sender_name,
            subject=env.subject,
            message_id=env.message_id,
            path=self.path,
            date=env.date,
        )


# Expands one file's bytes (by its name) into items; passed down so containers can recurse.
Expand = Callable[[str, bytes, "datetime | None", Trail], Iterator[Item]]
