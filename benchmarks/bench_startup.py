"""Wall time of one `xlcheck check FILE` process against `python -c "import openpyxl"`.

Both commands run interleaved, many times, in this run; the medians and their ratio are printed
(issue 11's target: xlcheck ≤ 0.35× the openpyxl import). `--importtime` also prints the
cumulative import cost by top-level package of one check process (from `python -X importtime`).

Run: python benchmarks/bench_startup.py [--runs 40] [--importtime] [--other-src OLD/src]
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def filled_workbook(folder: Path) -> Path:
    from documents import valid_values
    from xlcheck.form import load_form
    from xlcheck.xlsxout import write_template

    form = load_form()
    buffer = io.BytesIO()
    write_template(form, buffer, values=valid_values(form, 1))
    path = folder / "filled.xlsx"
    path.write_bytes(buffer.getvalue())
    return path


# As a user's install: byte code cached (a shell with PYTHONDONTWRITEBYTECODE recompiles every
# module in every process, which would measure the compiler instead).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall_ms(command: list[str], env: dict[str, str] = ENV) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, env=env)
    return (time.perf_counter() - start) * 1000


def compare(path: Path, runs: int, other_src: str | None) -> None:
    check = [sys.executable, "-m", "xlcheck", "check", str(path)]
    commands = {
        "xlcheck check FILE": (check, ENV),
        "python -c 'import openpyxl'": ([sys.executable, "-c", "import openpyxl"], ENV),
        "python -c 'pass'": ([sys.executable, "-c", "pass"], ENV),
    }
    if other_src:  # another checkout's src/, e.g. before a change, measured in the same run
        commands["xlcheck check FILE (other src)"] = (check, {**ENV, "PYTHONPATH": other_src})
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command, env in commands.values():  # warm the page cache and the .pyc files
        wall_ms(command, env)
    for _ in range(runs):
        for name, (command, env) in commands.items():
            times[name].append(wall_ms(command, env))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:32s} {value:6.1f} ms (median of {runs}, interleaved)")
    for name in medians:
        if name.startswith("xlcheck"):
            ratio = medians[name] / medians["python -c 'import openpyxl'"]
            print(f"ratio {name} / import openpyxl: {ratio:.2f}x")


def import_profile(path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "xlcheck", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    by_package: collections.Counter[str] = collections.Counter()
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        parts = name.strip().split(".")
        by_package[".".join(parts[:2]) if parts[0] == "xlcheck" else parts[0]] += int(own)
    print(f"imports (self time under -X importtime): {sum(by_package.values()) / 1000:.1f} ms")
    for package, micros in by_package.most_common(20):
        print(f"  {micros / 1000:6.1f} ms {package}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--other-src", help="also time `check` with this src/ on PYTHONPATH")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = filled_workbook(Path(tmp))
        compare(path, args.runs, args.other_src)
        if args.importtime:
            import_profile(path)


if __name__ == "__main__":
    main()
