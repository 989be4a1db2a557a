"""The re-run state of an output folder: which input contents were checked, with what result,
and which files the batch placed (so stale ones can be removed and nothing else is touched)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlcheck.outputs import write_bytes_atomic

from .worker import VALUES_FILE, store_dir

STATE_FILE = ".xlcheck-state.json"
STORE_DIR = ".xlcheck-store"
STATE_VERSION = 1


@dataclass
class State:
    """Outcomes by input sha256, the placed output files (relative), and the settings they need."""

    config: dict[str, Any]
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    placed: list[str] = field(default_factory=list)


def load_state(out_dir: Path, config: dict[str, Any]) -> State:
    """The saved state; its entries are dropped when the form, version or settings changed."""
    try:
        saved = json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return State(config)
    if not isinstance(saved, dict) or saved.get("version") != STATE_VERSION:
        return State(config)
    placed = [p for p in saved.get("placed", []) if isinstance(p, str)]
    entries = saved.get("entries", {}) if saved.get("config") == config else {}
    return State(config, dict(entries) if isinstance(entries, dict) else {}, placed)


def save_state(out_dir: Path, state: State) -> None:
    data = {
        "version": STATE_VERSION,
        "config": state.config,
        "entries": dict(sorted(state.entries.items())),
        "placed": sorted(set(state.placed)),
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    write_bytes_atomic(out_dir / STATE_FILE, text.encode("utf-8"))


def cached_result(
    state: State, store: Path, sha256: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(outcome, values) of an input checked before whose stored outputs are all still there."""
    outcome = state.entries.get(sha256)
    if outcome is None:
        return None
    folder = store_dir(store, sha256)
    names = [*outcome.get("files", {}).values(), VALUES_FILE] if outcome.get("readable") else []
    if not all((folder / name).is_file() for name in names):
        return None
    if not outcome.get("readable"):
        return dict(outcome), {}
    try:
        values = json.loads((folder / VALUES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return dict(outcome), values if isinstance(values, dict) else {}
