"""The one output layer: what a checked result becomes on disk or in memory. The CLI, the batch
and any later caller (a web page, a mail command) pick kinds from KINDS, names from one policy
(FolderNames, BatchNames) and call write_outputs; none writes an output of its own.

`atomic` (write_atomic), `documents` (canonical JSON, source map, readings), `kinds` (the
registry), `names` (the naming policy), `write` (destinations and write_outputs)."""

from .atomic import (
    TEMP_PREFIX,
    TEMP_SUFFIX,
    OutputError,
    process_umask,
    write_atomic,
    write_bytes_atomic,
)
from .documents import canonical_document, canonical_json, readings_json, source_map
from .kinds import KINDS, OutputKind, OutputOptions, Writer
from .names import REPLY_SUFFIX, STORE_FILES, BatchNames, FolderNames
from .write import (
    Destination,
    Failed,
    FolderDestination,
    MemoryDestination,
    Writes,
    Written,
    output_bytes,
    write_outputs,
)

__all__ = [
    "KINDS",
    "REPLY_SUFFIX",
    "STORE_FILES",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "BatchNames",
    "Destination",
    "Failed",
    "FolderDestination",
    "FolderNames",
    "MemoryDestination",
    "OutputError",
    "OutputKind",
    "OutputOptions",
    "Writer",
    "Writes",
    "Written",
    "canonical_document",
    "canonical_json",
    "output_bytes",
    "process_umask",
    "readings_json",
    "source_map",
    "write_atomic",
    "write_bytes_atomic",
    "write_outputs",
]
