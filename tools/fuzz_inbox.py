"""Throw randomly damaged inboxes at `xlcheck batch` for N minutes and keep every one that breaks it.

Each round builds a small inbox from a seed corpus (the worst inbox of tests/worst_inbox.py:
workbooks, JSON, e-mails, zips, Word and text reports), damages some files (bytes flipped,
truncated, an XML part inside the zip mangled, e-mail headers rewritten, hostile names), sometimes
packs them into a zip or an e-mail, and runs the real CLI on it. A round fails when the batch

- exits with anything but 0 or 1, prints a traceback or "Exception ignored", or hangs;
- leaves no 汇总.xlsx / summary.json, or a `.xlcheck-*.tmp` file behind;
- changes anything in the inbox.

Failing inboxes are copied to --keep (with the command's output) so each one can be replayed:
`xlcheck batch KEEP/round-N/inbox -o /tmp/x`.

Run: PYTHONPATH=src:tests python tools/fuzz_inbox.py --minutes 10 --keep /tmp/fuzz-crashes
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

HOSTILE_NAMES = [
    "汇总.xlsx",
    "summary.json",
    "..",
    "../x.xlsx",
    "\u202e xslx.exe",
    "\u200b",
    "%2e%2e%2fx.xlsx",
    "a\r\nb.xlsx",
    "𠀀" * 80 + ".xlsx",
    "CON.xlsx",
    ".xlsx",
    "x" * 300 + ".xlsx",
]
ROUND_TIMEOUT = 180


def load_corpus(base: Path) -> list[tuple[str, bytes]]:
    """The regular files of the worst inbox, minus the 10 MB whitespace one (slow to copy)."""
    from worst_inbox import build_worst_inbox, remove_tree
    from xlcheck.form import load_form

    inbox = build_worst_inbox(load_form(), base)
    remove_tree(inbox.root / "d")  # 990 folders deep: the temporary folder's cleanup would recurse
    corpus = []
    for folder, _dirs, names in os.walk(inbox.root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink() and path.stat().st_size < 2**20:
                corpus.append((name, path.read_bytes()))
    return corpus


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        if not buf:
            break
        at = rng.randrange(len(buf))
        buf[at : at + rng.randint(1, 8)] = rng.randbytes(rng.randint(0, 8))
    return bytes(buf)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)] if data else data


def mangle_xml(text: bytes, rng: random.Random) -> bytes:
    """Damage that keeps the file a zip: attributes, numbers and tags inside one part."""
    choices = [
        lambda t: t.replace(
            b'r="', b'r="' + rng.choice([b"ZZZ", b"A0", b"", b"-1", b"XFD1048577"]), 1
        ),
        lambda t: t.replace(b"<v>", b"<v>" + rng.choice([b"9" * 5000, b"1e999", b"nan", b"-"]), 1),
        lambda t: t.replace(
            b't="s"', b't="' + rng.choice([b"e", b"b", b"str", b"inlineStr", b"zz"]) + b'"', 1
        ),
        lambda t: t[: rng.randrange(len(t) + 1)],
        lambda t: t.replace(b"<", b"<!DOCTYPE x [<!ENTITY a 'b'>]><", 1),
        lambda t: t.replace(b"</", b"_x0000_</", rng.randint(1, 4)),
        lambda t: t * 2,
        lambda t: flip_bytes(t, rng),
    ]
    return rng.choice(choices)(text)


def mangle_zip(data: bytes, rng: random.Random) -> bytes:
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        members = source.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return flip_bytes(data, rng)
    victims = {m.filename for m in rng.sample(members, k=min(len(members), rng.randint(1, 3)))}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in members:
            body = source.read(info.filename)
            if info.filename in victims:
                body = mangle_xml(body, rng) if rng.random() < 0.8 else b""
            if rng.random() < 0.03:
                continue  # a member missing
            target.writestr(info.filename, body)
    return out.getvalue()


def mangle_mail(data: bytes, rng: random.Random) -> bytes:
    head, _, body = data.partition(b"\r\n\r\n")
    extra = rng.choice(
        [
            b"Subject: =?utf-8?b?" + b"5bm0DQpCY2M6IGV2aWxAZXhhbXBsZS5jb20=" + b"?=",
            b"From: =?gbk?q?" + rng.randbytes(20).hex().encode() + b"?= <x@y>",
            b"Content-Type: multipart/mixed; boundary=" + rng.randbytes(4).hex().encode(),
            b"Date: " + rng.choice([b"tomorrow", b"Mon, 99 Jan 99999 99:99:99", b""]),
            b"Message-ID: <" + b"a" * rng.randint(1, 5000) + b">",
        ]
    )
    if rng.random() < 0.5:
        body = flip_bytes(body, rng)
    return head + b"\r\n" + extra + b"\r\n\r\n" + body


def damage(name: str, data: bytes, rng: random.Random) -> tuple[str, bytes]:
    roll = rng.random()
    if data[:2] == b"PK" and roll < 0.6:
        data = mangle_zip(data, rng)
    elif name.endswith(".eml") and roll < 0.6:
        data = mangle_mail(data, rng)
    elif roll < 0.85:
        data = flip_bytes(data, rng)
    else:
        data = truncate(data, rng)
    if rng.random() < 0.15:
        name = rng.choice(HOSTILE_NAMES)
    return name, data


def pack(files: list[tuple[str, bytes]], rng: random.Random) -> list[tuple[str, bytes]]:
    """Sometimes put a few files into a zip (GBK-less, UTF-8 names) or attach them to a mail."""
    if len(files) < 2 or rng.random() < 0.6:
        return files
    cut = rng.randint(1, len(files))
    inner, rest = files[:cut], files[cut:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(inner):
            archive.writestr(f"{index}/{name}"[:200], data)
    return [*rest, ("打包.zip", buffer.getvalue())]


def write_inbox(folder: Path, files: list[tuple[str, bytes]]) -> None:
    folder.mkdir(parents=True)
    for index, (name, data) in enumerate(files):
        safe = name.replace("/", "_").replace("\x00", "_")
        if safe in ("", ".", ".."):
            safe = "_"
        name = f"{index:02d}-{safe}".encode("utf-8", "surrogateescape")[:240]
        target = folder / name.decode("utf-8", "ignore")
        target.write_bytes(data)


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode("utf-8", "surrogateescape"))
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def run_round(work: Path, files: list[tuple[str, bytes]]) -> str | None:
    """Run the batch on one inbox; return why it failed, or None."""
    inbox, out = work / "inbox", work / "out"
    write_inbox(inbox, files)
    before = digest(inbox)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "xlcheck", "batch", str(inbox), "-o", str(out), "--drafts"],
            capture_output=True,
            text=True,
            timeout=ROUND_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return "hang"
    noise = done.stdout + done.stderr
    (work / "output.txt").write_text(f"exit {done.returncode}\n{noise}", encoding="utf-8")
    if done.returncode not in (0, 1):
        return f"exit {done.returncode}"
    if "Traceback" in noise or "Exception ignored" in noise:
        return "traceback"
    if not (out / "汇总.xlsx").is_file() or not (out / "summary.json").is_file():
        return "no summary"
    if any(p.name.startswith(".xlcheck-") and p.suffix == ".tmp" for p in out.rglob("*")):
        return "temp file left"
    if digest(inbox) != before:
        return "inbox changed"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=Path("fuzz-crashes"))
    parser.add_argument("--files", type=int, default=6, help="files per inbox, at most")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.minutes * 60
    rounds = files_total = 0
    failures: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="xlcheck-fuzz-") as scratch:
        corpus = load_corpus(Path(scratch) / "corpus")
        while time.monotonic() < deadline:
            rounds += 1
            chosen = [rng.choice(corpus) for _ in range(rng.randint(1, args.files))]
            files = pack([damage(n, d, rng) for n, d in chosen], rng)
            files_total += len(chosen)
            work = Path(scratch) / f"round-{rounds}"
            why = run_round(work, files)
            if why is not None:
                failures[why] = failures.get(why, 0) + 1
                kept = args.keep / f"round-{rounds}"
                shutil.copytree(work, kept, symlinks=True, dirs_exist_ok=True)
                print(f"round {rounds}: {why} (kept in {kept})", flush=True)
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"{rounds} inboxes, {files_total} damaged files, "
        f"{sum(failures.values())} failures {failures or ''}".rstrip()
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
