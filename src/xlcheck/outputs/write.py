"""write_outputs: a checked result's outputs, chosen by kind, written into a destination (a folder,
atomically and never onto an input; or memory, for a web page or a mail), with a typed record of
each file written or failed."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from xlcheck.check import FileResult
from xlcheck.form.model import Form

from .atomic import file_identity, raise_onto_input, write_atomic
from .kinds import KINDS, OutputOptions, Writer

DEFAULT_OPTIONS = OutputOptions()


@dataclass(frozen=True)
class Written:
    """One output written: its kind, its file name, the input it came from (as the result names
    it), its path (None in memory), and whether it replaced a file made before this run."""

    kind: str
    name: str
    source: str
    path: Path | None
    replaced: bool


@dataclass(frozen=True)
class Failed:
    """One output not written, and why (OutputError: the folder or the input; else a writer bug)."""

    kind: str
    name: str
    error: Exception


@dataclass(frozen=True)
class Writes:
    written: tuple[Written, ...]
    failed: tuple[Failed, ...]


class Destination(Protocol):
    def put(self, name: str, write: Writer) -> tuple[Path | None, bool]:
        """Write the file `name`; return its path (None when it has none) and whether it replaced one."""


class FolderDestination:
    """Files in a folder, each written atomically; `protect` are inputs that must never be replaced."""

    def __init__(self, folder: Path, protect: Iterable[Path] = ()) -> None:
        self.folder = Path(folder)
        # each input stat'ed once: N inputs and N outputs cost 2N stats, not N squared
        self.protected = {file_identity(Path(p)) for p in protect} - {None}

    def put(self, name: str, write: Writer) -> tuple[Path | None, bool]:
        dest = self.folder / name
        identity = file_identity(dest)
        if identity is not None and identity in self.protected:
            raise_onto_input(dest)
        write_atomic(dest, write)
        return dest, identity is not None


class MemoryDestination:
    """Files kept as bytes by name: what a web page sends back or a mail attaches."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, name: str, write: Writer) -> tuple[Path | None, bool]:
        buffer = io.BytesIO()
        write(buffer)
        replaced = name in self.files
        self.files[name] = buffer.getvalue()
        return None, replaced


def write_outputs(
    form: Form,
    result: FileResult,
    kinds: Sequence[str],
    destination: Destination,
    names: Mapping[str, str],
    options: OutputOptions = DEFAULT_OPTIONS,
    *,
    keep_going: bool = False,
) -> Writes:
    """Write each kind under names[kind], in order. A failure is recorded; then the rest is written
    (keep_going: the batch loses one output, not the file) or not (a command stops there)."""
    chosen = [KINDS[k] for k in kinds]  # an unknown kind fails before anything is written
    written: list[Written] = []
    failed: list[Failed] = []
    for kind in chosen:
        name = names[kind.name]
        try:
            path, replaced = destination.put(name, kind.make(form, result, options))
        except Exception as exc:  # noqa: BLE001  (handed back to the caller, who decides)
            failed.append(Failed(kind.name, name, exc))
            if not keep_going:
                break
        else:
            written.append(Written(kind.name, name, result.path, path, replaced))
    return Writes(tuple(written), tuple(failed))


def output_bytes(
    form: Form, result: FileResult, kind: str, options: OutputOptions = DEFAULT_OPTIONS
) -> bytes:
    """One output as bytes; raises what its writer raised."""
    memory = MemoryDestination()
    done = write_outputs(form, result, [kind], memory, {kind: kind}, options)
    if done.failed:
        raise done.failed[0].error
    return memory.files[kind]
