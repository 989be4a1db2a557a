"""Load benchmark of `xlcheck serve` on loopback: concurrent offices submitting through the API.

    PYTHONPATH=src:tests:benchmarks python benchmarks/bench_serve.py --n 1000 --clients 8

A real `xlcheck serve` process (uvicorn, its checker pool) gets N uploads from C client threads,
each upload an office's POST /api/submit with its own token: 88% valid workbooks, 10% with
errors, 2% hostile (random bytes, a zip bomb, a truncated package). Bounded in count (N) and in
time (every request has a timeout; the run stops at --max-seconds).

It reports: every request answered (status counts), latency p50/p95, the server's median time
for one valid workbook against the in-process check of the same file in the same run (ratio),
the server's memory (RSS of the server and its workers) sampled along the run, and that every
receipted submission is in the index with its bytes afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench_batch import base_workbooks, patched

from serve_server import running_server

REQUEST_TIMEOUT = 120.0


class Client:
    """One keep-alive HTTP connection with TCP_NODELAY, the body sent in one write.

    A client that writes headers and body separately without TCP_NODELAY waits out the peer's
    delayed ACK (40 ms on Linux) on every request: measured here, httpx took 52 ms a check where
    curl took 6 ms. The benchmark measures the server, not that stall."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn: http.client.HTTPConnection | None = None

    def post_file(
        self, path: str, name: str, data: bytes, token: str | None = None
    ) -> tuple[int, Any]:
        boundary = "xlcheck-bench-" + uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        body = head + data + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in (1, 2):  # a keep-alive connection the server closed is opened again once
            conn = self._connection()
            try:
                conn.request("POST", path, body=body, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                return answer.status, json.loads(payload) if payload[:1] == b"{" else None
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
            self.conn.connect()
            assert self.conn.sock is not None
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def hostile(rng: random.Random, i: int) -> bytes:
    kind = i % 3
    if kind == 0:
        return rng.randbytes(5000)
    if kind == 1:  # a zip bomb: one member of 256 MB of zeros in about 256 KB
        buffer = io.BytesIO()
        with (
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
            archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member,
        ):
            for _ in range(256):
                member.write(b"\0" * 2**20)
        return buffer.getvalue()
    return base_workbooks()["valid"][:3000]  # a truncated package


def uploads(n: int, seed: int = 0) -> list[tuple[int, str, bytes]]:
    """(office index, kind, bytes) in a shuffled order; office i is 某某县第i号机关."""
    rng = random.Random(seed)
    books = base_workbooks()
    bomb_and_junk = [hostile(rng, i) for i in range(3)]
    plan = []
    for i in range(n):
        roll = rng.random()
        name = f"某某县第{i:05d}号机关"
        if roll < 0.02:
            plan.append((i, "hostile", bomb_and_junk[i % 3]))
        elif roll < 0.12:
            plan.append((i, "invalid", patched(books["invalid"], name)))
        else:
            plan.append((i, "valid", patched(books["valid"], name)))
    return plan


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (the checker's workers), in KB."""
    total = 0
    for proc in [pid, *children(pid)]:
        try:
            with open(f"/proc/{proc}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
                        found.extend(children(int(entry)))
            except (OSError, ValueError, IndexError):
                pass
    return found


def in_process_median(data: bytes, repeat: int = 30) -> float:
    from xlcheck.check import check_bytes
    from xlcheck.form import load_form

    form = load_form()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        check_bytes(data, "a.xlsx", form)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def server_median(url: str, data: bytes, repeat: int = 30) -> float:
    """One client, nothing else running: the server's time for a check (POST /api/check),
    the first (connection, warm-up) left out."""
    client = Client(url)
    times = []
    try:
        for _ in range(repeat + 1):
            start = time.perf_counter()
            status, _ = client.post_file("/api/check", "a.xlsx", data)
            times.append(time.perf_counter() - start)
            assert status == 200
    finally:
        client.close()
    return statistics.median(times[1:])


def run(n: int, clients: int, max_seconds: float) -> dict[str, Any]:
    plan = uploads(n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "season"
        offices = [f"某某县第{i:05d}号机关" for i in range(n)]
        with running_server(root, offices) as server:
            valid_one = next(d for _, kind, d in plan if kind == "valid")
            ratio_server = server_median(server.url, valid_one)
            ratio_local = in_process_median(valid_one)
            statuses: dict[int, int] = {}
            latencies: list[float] = []
            receipts: list[tuple[str, str]] = []  # (receipt, sha256)
            memory: list[int] = [rss_kb(server.process.pid)]
            lock = threading.Lock()
            deadline = time.monotonic() + max_seconds
            done = 0

            def one(item: tuple[int, str, bytes], client: Client) -> None:
                nonlocal done
                index, _kind, data = item
                if time.monotonic() > deadline:
                    return
                token = server.links[offices[index]].rsplit("/", 1)[1]
                start = time.perf_counter()
                body = None
                try:
                    status, body = client.post_file("/api/submit", f"{index}.xlsx", data, token)
                except (OSError, http.client.HTTPException):
                    status = 0  # not answered
                elapsed = time.perf_counter() - start
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(elapsed)
                    if status == 201 and body is not None:
                        receipts.append((body["receipt"], body["sha256"]))
                    done += 1
                    if done % max(1, n // 10) == 0:
                        memory.append(rss_kb(server.process.pid))

            shares = [plan[i::clients] for i in range(clients)]

            def client_loop(share: list[tuple[int, str, bytes]]) -> None:
                client = Client(server.url)
                try:
                    for item in share:
                        one(item, client)
                finally:
                    client.close()

            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(client_loop, shares))
            wall = time.perf_counter() - started
            memory.append(rss_kb(server.process.pid))
        missing = verify(root, receipts)
    latencies.sort()
    return {
        "requests": n,
        "answered": sum(v for k, v in statuses.items() if k),
        "statuses": statuses,
        "wall_s": round(wall, 1),
        "p50_s": round(latencies[len(latencies) // 2], 3),
        "p95_s": round(latencies[int(len(latencies) * 0.95) - 1], 3),
        "server_check_median_s": round(ratio_server, 4),
        "in_process_check_median_s": round(ratio_local, 4),
        "server_over_in_process": round(ratio_server / ratio_local, 2),
        "rss_mb_samples": [round(kb / 1024) for kb in memory],
        "receipts": len(receipts),
        "receipted_but_missing": missing,
    }


def verify(root: Path, receipts: list[tuple[str, str]]) -> int:
    """Receipted submissions not found in the index with their exact bytes."""
    from xlcheck.serve.store import Store

    store = Store.open(root)
    try:
        missing = 0
        for receipt, sha256 in receipts:
            row = store.submission(receipt)
            if row is None:
                missing += 1
                continue
            data = (root / row.stored_path).read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                missing += 1
        return missing
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    result = run(args.n, args.clients, args.max_seconds)
    for key, value in result.items():
        print(f"{key}: {value}")
    sys.exit(0 if result["answered"] == args.n and not result["receipted_but_missing"] else 1)


if __name__ == "__main__":
    main()
