"""A real `xlcheck serve` in a subprocess on a loopback port, with a roster and an admin password."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from serve_helpers import ADMIN_PASSWORD

START_GUARD = 60  # seconds to wait for the first line; a guard against a hang, not a timing

_URL = re.compile(r"http://127\.0\.0\.1:(\d+)/")


@dataclass
class Server:
    root: Path
    url: str
    links: dict[str, str]  # office name -> its link
    process: subprocess.Popen[str]
    output: str = ""  # what it printed (stdout and stderr), once it has stopped


def serve_command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "xlcheck", "serve", str(root), *args]


@contextmanager
def running_server(root: Path, offices: list[str], workers: int = 2) -> Iterator[Server]:
    roster = root.parent / f"{root.name}-名单.csv"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["机关名称", "统一社会信用代码"])
        writer.writerows([name, ""] for name in offices)
    env = {**os.environ, "XLCHECK_ADMIN_PASSWORD": ADMIN_PASSWORD}
    subprocess.run(
        serve_command(root, "--set-password"),
        env=env,
        check=True,
        timeout=START_GUARD,
        capture_output=True,
    )
    process = subprocess.Popen(
        serve_command(root, "--port", "0", "--roster", str(roster), "--workers", str(workers)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "XLCHECK_ADMIN_PASSWORD"},
    )
    server = None
    try:
        url = _wait_for_url(process)
        server = Server(root, url, _links(root, url), process)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=START_GUARD)
        except subprocess.TimeoutExpired:  # its workers outlived it, holding its output open
            process.kill()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            process.wait()
            raise AssertionError("xlcheck serve's processes outlived it") from None
        if server is not None:
            server.output = out + err


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for _ in range(10):  # a few lines at most come before the address
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"serve exited: {process.stderr.read() if process.stderr else ''}")
        found = _URL.search(line)
        if found:
            return found.group(0).rstrip("/")
    raise AssertionError("serve printed no address")


def _links(root: Path, url: str) -> dict[str, str]:
    (links_file,) = root.glob("报送链接-*.csv")
    with links_file.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    port = url.rsplit(":", 1)[1]
    return {row["机关名称"]: re.sub(r":\d+/", f":{port}/", row["报送链接"]) for row in rows}
