"""Benchmark the batch: N realistic submissions, with outputs and check-only; time and peak memory.

    PYTHONPATH=src:tests python benchmarks/bench_batch.py --n 100 1000 --check-only 10000

Each measurement runs in a fresh process so that ru_maxrss is its own. One workbook is written
per variant and the rest are made by patching the office name in its shared strings.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

PLACEHOLDER = "某某县占位机关名称甲乙丙"


def base_workbooks() -> dict[str, bytes]:
    from documents import valid_values
    from xlcheck.form import load_form
    from xlcheck.xlsxout import write_template

    form = load_form()
    books = {}
    for variant in ("valid", "invalid"):
        values = valid_values(form, seed=1) | {
            "agency.name": PLACEHOLDER,
            "agency.credit_code": None,
        }
        if variant == "invalid":
            values["applications.carried_forward.natural_person"] += 1
        buffer = io.BytesIO()
        write_template(form, buffer, values=values)
        books[variant] = buffer.getvalue()
    return books


def patched(book: bytes, name: str) -> bytes:
    """The workbook with another office name: rewrite sharedStrings.xml, copy the rest."""
    source = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(PLACEHOLDER.encode(), name.encode())
            target.writestr(info, data)
    return out.getvalue()


def generate(root: Path, n: int, seed: int = 0) -> None:
    """~85% valid, 8% invalid, 2% broken; 10% of files inside zips, 10% inside .eml."""
    from xlcheck.mailout import build_reply

    rng = random.Random(seed)
    books = base_workbooks()
    zipped: list[tuple[str, bytes]] = []
    for i in range(n):
        roll = rng.random()
        name = f"某某县第{i:05d}号机关"
        if roll < 0.02:
            data = rng.randbytes(5000)
        else:
            data = patched(books["invalid" if roll < 0.10 else "valid"], name)
        place = rng.random()
        if place < 0.10:
            zipped.append((f"{name}.xlsx", data))
        elif place < 0.20:
            mail = build_reply(
                f"o{i}@example.gov.cn", name, "年报", "附件为年报。", "年报.xlsx", data
            )
            (root / f"{i:05d}.eml").write_bytes(mail)
        else:
            (root / f"{i:05d}.xlsx").write_bytes(data)
        if len(zipped) == 10 or (i == n - 1 and zipped):
            with zipfile.ZipFile(root / f"z{i:05d}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
                for member, payload in zipped:
                    archive.writestr(member, payload)
            zipped = []


def measure(n: int, outputs: bool, jobs: int | None) -> dict[str, float]:
    from xlcheck.batch import BatchOptions, run_batch

    with tempfile.TemporaryDirectory() as tmp:
        inbox, out = Path(tmp) / "in", Path(tmp) / "out"
        inbox.mkdir()
        started = time.perf_counter()
        generate(inbox, n)
        generated = time.perf_counter() - started
        options = BatchOptions(
            [inbox],
            out,
            jobs,
            False,
            None,
            "zh",
            "gov-info-disclosure-2021",
            docx=outputs,
            outputs=outputs,
        )
        started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        report = run_batch(options)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        parent_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "n": n,
        "outputs": outputs,
        "generate_s": round(generated, 1),
        "batch_s": round(seconds, 2),
        "files_per_s": round(n / seconds, 1),
        "parent_cpu_s": round(parent_cpu, 1),
        "parent_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "worker_maxrss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "counts": report.counts,  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, nargs="*", default=[100, 1000], help="with outputs")
    parser.add_argument("--check-only", type=int, nargs="*", default=[], help="without outputs")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--one", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(
            json.dumps(
                measure(int(args.one[0]), args.one[1] == "outputs", args.jobs), ensure_ascii=False
            )
        )
        return
    runs = [(n, "outputs") for n in args.n] + [(n, "check") for n in args.check_only]
    for n, mode in runs:
        command = [sys.executable, __file__, "--one", str(n), mode]
        if args.jobs:
            command += ["--jobs", str(args.jobs)]
        print(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())


if __name__ == "__main__":
    main()
