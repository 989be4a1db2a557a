"""The one naming policy of outputs: kind -> file name, for a single-file run writing into a folder
(named after the input: 报表.json, 报表-2.json) and for the batch (named after the office and the
year: OUT/<office>/<office>-2024.json; a superseded one carries its content hash)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from xlcheck.filenames import SUFFIX_ROOM, RunNames, safe_name

from .kinds import KINDS

# Where a batch worker keeps a submission's outputs in the content-addressed store (fixed names:
# the re-run state records them).
STORE_FILES = {"json": "report.json", "docx": "report.docx", "errors": "errors.xlsx"}
# The reply draft that goes with an error workbook; not an output kind (built from the e-mail).
REPLY_SUFFIX = ".reply.eml"


class FolderNames:
    """A single-file run (check, convert, import) writing into one folder: each input's stem,
    distinct across the run, and never an input's own name (then <stem>.canonical)."""

    def __init__(self, folder: Path, inputs: Iterable[Path], kinds: Sequence[str]) -> None:
        self.folder = folder
        self.inputs = {Path(f).resolve() for f in inputs}
        self.run = RunNames(KINDS[k].suffix for k in kinds)  # every stem holds all of them

    def take(self, source: Path, kinds: Iterable[str]) -> dict[str, str]:
        """The file names of these outputs of `source` (a new stem on each call)."""
        stem = self._stem(Path(source))
        return {kind: stem + KINDS[kind].suffix for kind in kinds}

    def _stem(self, source: Path) -> str:
        def blocked(stem: str) -> bool:
            return any(
                (self.folder / (stem + s)).resolve() in self.inputs for s in self.run.suffixes
            )

        wanted = source.stem
        if blocked(safe_name(wanted, reserve=SUFFIX_ROOM)):
            wanted += ".canonical"
        return self.run.take(wanted, blocked)


def _plain_base(office: str) -> str:
    return safe_name(office, reserve=SUFFIX_ROOM)


@dataclass(frozen=True)
class BatchNames:
    """OUT/<office>/: `base` makes the office's name safe (the batch adds its own reserved names)."""

    base: Callable[[str], str] = _plain_base

    def take(self, office: str, year: int | None, sha256: str, current: bool) -> dict[str, str]:
        """Every kind's file name, and the reply draft's; superseded ones carry the content hash."""
        base = self.base(office)
        dated = f"{base}-{year}" if year else base
        tag = "" if current else f".{sha256[:8]}"
        names = {k.name: f"{dated if k.dated else base}{tag}{k.suffix}" for k in KINDS.values()}
        names["reply"] = f"{base}{tag}{REPLY_SUFFIX}"
        return names
