"""Check a county's whole inbox in parallel: one bad file never stops the batch.

`run_batch(options)` gathers submissions, checks each in a worker process, writes each office's
outputs under OUTDIR/<office>/, and summarises everything in 汇总.xlsx and summary.json.
Without a form named, each submission is checked against the bundled form it was made in
(picked by content), and the summaries keep a 合计 and a 规则 per form.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from xlcheck import __version__
from xlcheck.explain import Given
from xlcheck.form.model import Form, Lang
from xlcheck.outputs import TEMP_PREFIX, TEMP_SUFFIX, OutputError, write_atomic

from .collect import FormIdent, Spool, collect, make_runner
from .finish import FAILED, PASSED, STATUSES, SUPERSEDED, UNREADABLE, Plan, run_finish
from .mailpool import MailPool
from .offices import read_roster, roster_keys
from .place import prune_store, remove_stale
from .records import Outcome
from .state import STORE_DIR, State, cached_result, load_state
from .worker import Settings

SUMMARY_XLSX = "汇总.xlsx"
SUMMARY_JSON = "summary.json"
FILE_TIMEOUT = 60.0  # seconds for one file, reading and outputs together

__all__ = [
    "FAILED",
    "PASSED",
    "STATUSES",
    "SUPERSEDED",
    "UNREADABLE",
    "BatchError",
    "BatchOptions",
    "BatchReport",
    "run_batch",
]


class BatchError(Exception):
    """The batch could not run at all (unwritable output folder, unreadable roster, bad form)."""


@dataclass(frozen=True)
class BatchOptions:
    inputs: list[Path]
    out_dir: Path
    jobs: int | None = None
    drafts: bool = False
    roster: Path | None = None
    lang: str = "zh"
    form_name: str | None = None  # None: each submission's form picked by content (bundled)
    docx: bool = True
    force_rerun: bool = False
    outputs: bool = True  # False: check only; no per-office files, no re-run state
    timeout: float = FILE_TIMEOUT
    # explanations of warnings given beside a file, by its SHA-256 (xlcheck serve's page)
    explanations: Mapping[str, Given] = field(default_factory=dict)
    # the archive of accepted reports across years: last year's serves as previous, and this
    # run's current valid reports are added to it (xlcheck.archive)
    archive: Path | None = None


@dataclass
class BatchReport:
    """What a batch found: counts per status and a slim row for each of the first 1,000
    submissions (every row is in summary.json)."""

    counts: dict[str, int]
    rows: list[dict[str, Any]] = field(default_factory=list)
    reused: int = 0  # inputs unchanged since the last run, taken from the state without checking
    ignored: int = 0  # files that are no submission (listed on 汇总.xlsx's 已忽略的文件 sheet)
    duplicates: int = 0  # later copies of a submission (listed there too), counted once
    summary_xlsx: Path | None = None
    summary_json: Path | None = None
    archived: Any = None  # archive.intake.Intake: what this run added to the archive

    @property
    def exit_code(self) -> int:
        """0 when every current submission is valid, else 1."""
        return 1 if self.counts.get(FAILED, 0) or self.counts.get(UNREADABLE, 0) else 0

    def summary_text(self, lang: str = "zh") -> str:
        if lang == "en":
            names = {
                PASSED: "valid",
                FAILED: "with errors",
                UNREADABLE: "unreadable",
                SUPERSEDED: "superseded",
            }
            text = ", ".join(f"{names[s]}: {self.counts.get(s, 0)}" for s in STATUSES)
            more = (
                f"; {self.ignored} other files ignored (see 已忽略的文件)" if self.ignored else ""
            )
            if self.duplicates:
                more += (
                    f"; {self.duplicates} duplicate files (same content, counted once),"
                    " see 已忽略的文件"
                )
            return text + more
        text = "，".join(f"{s} {self.counts.get(s, 0)} 份" for s in STATUSES)
        more = (
            f"；另有 {self.ignored} 个文件不是报送文件，见「已忽略的文件」" if self.ignored else ""
        )
        if self.duplicates:
            more += (
                f"；另有 {self.duplicates} 个重复的文件（内容相同，只计一次），见「已忽略的文件」"
            )
        return text + more


def run_batch(
    options: BatchOptions, progress: Callable[[int, int], None] | None = None
) -> BatchReport:
    """Check every input; raise BatchError only when the batch cannot run at all."""
    out_dir = _prepare(options.out_dir)
    archive = _open_archive(options, out_dir)
    remove_crash_leftovers(out_dir)
    names, forms = _load_forms(options.form_name)
    roster = _read_roster(options.roster)
    store = out_dir / STORE_DIR if options.outputs else None
    state = _open_state(out_dir, _config(forms, options)) if options.outputs else None
    lookup = _lookup(state, store, options.force_rerun)
    if archive is not None and store is not None:
        from xlcheck.archive.rerun import same_last_year

        lookup = same_last_year(lookup, archive.root, store)
    settings = Settings(
        store,
        cast(Lang, options.lang),
        options.docx,
        options.timeout,
        options.explanations,
        archive.root if archive is not None else None,
    )
    workers = options.jobs or os.cpu_count() or 1
    runner = make_runner(workers, names, settings)
    mail = MailPool(max(1, workers // 2), options.timeout)  # parsing costs a third of a check
    plan = Plan(forms, out_dir, store, options.drafts, options.lang, roster, state=state)
    plan.roster_keys = roster_keys(roster) if roster is not None else set()
    remember = state.remember if state is not None else None  # only a re-run state needs them
    try:
        with tempfile.TemporaryFile(dir=out_dir, prefix=".xlcheck-spool-") as scratch:
            spool = Spool(scratch, forms)
            try:
                reused = collect(
                    options.inputs,
                    spool,
                    remember,
                    lookup,
                    runner,
                    progress,
                    out_dir,
                    options.lang,
                    mail,
                )
                _write_summaries(plan, spool)
                ignored = spool.ignored_count()
                duplicates = spool.ignored_count(duplicates=True)
            finally:
                spool.close()
        if state is not None and store is not None:
            _save(out_dir, store, state)
    except (OutputError, OSError, sqlite3.Error) as exc:
        raise BatchError(f"无法写入输出文件夹「{out_dir}」：{exc}") from exc
    finally:
        mail.close()
        if state is not None:
            state.close()
    report = BatchReport(
        dict(plan.counts), plan.rows, reused=reused, ignored=ignored, duplicates=duplicates
    )
    report.summary_xlsx, report.summary_json = out_dir / SUMMARY_XLSX, out_dir / SUMMARY_JSON
    if archive is not None:
        report.archived = _add_to_archive(archive, out_dir, report.summary_json, options.lang)
    return report


def _prepare(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise BatchError(f"无法写入输出文件夹「{out_dir}」：{exc.strerror or exc}") from exc
    return out_dir.resolve()


def remove_crash_leftovers(out_dir: Path) -> None:
    """Remove the temporary files of a run that was killed (kill -9, power cut) while writing.

    Only our own names (outputs.write_atomic's ".xlcheck-<random>.tmp"), only regular files, and
    only where the batch writes: OUT, OUT/<office>/superseded and the store's OUT/.xlcheck-store/
    xx/<sha>, so at most three folders deep and never through a link. A concurrent batch writing
    to the same folder is not supported (it shares the re-run state too).
    """
    folders = [(out_dir, 0)]
    while folders:
        folder, depth = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and depth < _OUTPUT_DEPTH:
                folders.append((Path(entry.path), depth + 1))
            elif _CRASH_LEFTOVER.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


_OUTPUT_DEPTH = 3
_CRASH_LEFTOVER = re.compile(re.escape(TEMP_PREFIX) + r"[A-Za-z0-9_]+" + re.escape(TEMP_SUFFIX))


def _load_forms(name: str | None) -> tuple[tuple[str, ...], dict[FormIdent, Form]]:
    """The names the workers load and the forms by (id, version), newest first: the one named,
    or every bundled form (each submission's form is then picked by its content)."""
    from xlcheck.form import available_forms, load_form

    names = (name,) if name is not None else tuple(available_forms())
    forms: dict[FormIdent, Form] = {}
    for each in names:
        try:
            form = load_form(each)
        except Exception as exc:
            raise BatchError(f"无法载入报表定义「{each}」：{exc}") from exc
        if (form.id, form.form_version) in forms:  # picking could not tell the two apart
            raise BatchError(
                f"报表定义「{each}」与另一个的表单和版本相同：{form.id} {form.form_version}"
            )
        forms[(form.id, form.form_version)] = form
    ordered = sorted(forms.items(), key=lambda item: item[1].form_version, reverse=True)
    return names, dict(ordered)


def _read_roster(path: Path | None) -> list[tuple[str, str | None]] | None:
    if path is None:
        return None
    try:
        return read_roster(path)
    except Exception as exc:
        raise BatchError(f"无法读取机关名单「{path}」：{exc}") from exc


def _config(forms: dict[FormIdent, Form], options: BatchOptions) -> dict[str, Any]:
    """What the stored outputs depend on besides the input bytes: the forms a submission could
    be checked against (another set may pick another form), the version and the settings."""
    return {
        "forms": [[f.id, f.form_version, f.template_version] for f in forms.values()],
        "xlcheck": __version__,
        "lang": options.lang,
        "docx": options.docx,
        **({"explanations": _digest(options.explanations)} if options.explanations else {}),
        **({"archive": True} if options.archive is not None else {}),
    }


def _digest(explanations: Mapping[str, Given]) -> str:
    """Explanations given beside files change their outcomes: a new set re-checks the batch."""
    text = json.dumps(sorted((k, list(v)) for k, v in explanations.items()), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _open_state(out_dir: Path, config: dict[str, Any]) -> State:
    try:
        return load_state(out_dir, config)
    except sqlite3.Error as exc:  # e.g. locked by another batch writing the same folder
        raise BatchError(f"无法打开输出文件夹「{out_dir}」中的续跑记录：{exc}") from exc


def _lookup(
    state: State | None, store: Path | None, force: bool
) -> Callable[[str], tuple[Outcome, dict[str, Any]] | None]:
    if state is None or store is None or force:
        return lambda sha: None
    return lambda sha: cached_result(state, store, sha)


# ---- the archive across years (xlcheck.archive) -----------------------------------------------------


def _open_archive(options: BatchOptions, out_dir: Path) -> Any:
    """The archive, opened (or made) before anything is checked: a folder that cannot serve
    stops the batch with one line."""
    if options.archive is None:
        return None
    from xlcheck.archive import ArchiveError, open_archive
    from xlcheck.archive.store import refuse_inside

    try:
        refuse_inside(options.archive, [*options.inputs, out_dir])
        return open_archive(options.archive)
    except ArchiveError as exc:
        raise BatchError(exc.text.en if options.lang == "en" else exc.text.zh) from exc


def _add_to_archive(archive: Any, out_dir: Path, summary_json: Path, lang: str) -> Any:
    from xlcheck.archive import ArchiveError
    from xlcheck.archive.intake import archive_batch

    try:
        return archive_batch(archive, out_dir, summary_json)
    except ArchiveError as exc:
        raise BatchError(exc.text.en if lang == "en" else exc.text.zh) from exc
    except (OSError, sqlite3.Error) as exc:
        raise BatchError(
            f"无法归档本次通过的报告 / cannot archive this run's reports: {exc}"
        ) from exc
    finally:
        archive.close()


def _write_summaries(plan: Plan, spool: Spool) -> None:
    def with_json(json_fh: Any) -> None:
        write_atomic(
            plan.out_dir / SUMMARY_XLSX, lambda xlsx_fh: run_finish(plan, spool, json_fh, xlsx_fh)
        )

    write_atomic(plan.out_dir / SUMMARY_JSON, with_json)


def _save(out_dir: Path, store: Path, state: State) -> None:
    """Remove what earlier runs placed and this one did not, prune the store, commit the state."""
    remove_stale(out_dir, state.stale_paths(), set())
    prune_store(store, state.kept)
    state.save()
