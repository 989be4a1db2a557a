"""`xlcheck serve` as a program: bad starts are one clear line and exit 2; a running server answers
on loopback; secrets stay off the command line and the output; kill -9 loses no receipt."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import stat
import subprocess
import threading
from pathlib import Path

import httpx2 as httpx

from cli_run import HANG_GUARD, xlcheck
from serve_helpers import ADMIN_PASSWORD, valid_workbook
from serve_server import running_server, serve_command
from xlcheck.serve.store import Store


def one_clear_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        line = one_clear_line(xlcheck("serve", str(tmp_path / "d"), "--port", str(port)))
    assert str(port) in line and "--port" in line


def test_the_listening_socket_says_it_is_tcp_so_answers_are_not_delayed() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol is IPPROTO_TCP; with
    0 every answer on a kept-alive connection waited 40 ms for the client's delayed ACK."""
    from xlcheck.cli_serve import _listen

    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_an_unwritable_dir_is_one_line_and_exit_2(tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert str(afile) in one_clear_line(xlcheck("serve", str(afile)))
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        one_clear_line(xlcheck("serve", str(locked / "season")))


def test_an_unreadable_roster_is_one_line_and_exit_2(tmp_path: Path) -> None:
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(b"not a workbook")
    line = one_clear_line(
        xlcheck("serve", str(tmp_path / "d"), "--roster", str(roster), "--port", "0")
    )
    assert "名单" in line
    missing = one_clear_line(
        xlcheck("serve", str(tmp_path / "d"), "--roster", str(tmp_path / "无.csv"), "--port", "0")
    )
    assert "无.csv" in missing


def test_the_password_comes_from_the_prompt_or_environment_and_is_stored_hashed(
    tmp_path: Path,
) -> None:
    root = tmp_path / "d"
    short = subprocess.run(
        serve_command(root, "--set-password"),
        input="short\nshort\n",
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert short.returncode == 2
    prompted = subprocess.run(
        serve_command(root, "--set-password"),
        input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n",
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert prompted.returncode == 0, prompted.stderr
    assert ADMIN_PASSWORD not in prompted.stdout + prompted.stderr
    for path in root.rglob("*"):
        if path.is_file():
            assert ADMIN_PASSWORD.encode() not in path.read_bytes()
    store = Store.open(root)
    assert store.check_password(ADMIN_PASSWORD) and not store.check_password("wrong-password")
    store.close()


def test_a_running_server_answers_and_the_links_are_secret(tmp_path: Path) -> None:
    with running_server(tmp_path / "season", ["东风镇人民政府"]) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert httpx.get(server.url + "/", timeout=30).status_code == 200
        link = server.links["东风镇人民政府"]
        assert httpx.get(link, timeout=30).status_code == 200
        (links_file,) = server.root.glob("报送链接-*.csv")
        assert stat.S_IMODE(links_file.stat().st_mode) == 0o600
    assert server.output and link.rsplit("/", 1)[1] not in server.output  # never printed


def test_kill_9_loses_no_receipted_submission(tmp_path: Path) -> None:
    """Eight offices submit at once; the server is killed while they do; every receipt it gave
    is in the index with the exact bytes, and no half file is visible in the inbox."""
    offices = [f"第{i}镇人民政府" for i in range(8)]
    receipts: list[tuple[str, str]] = []
    lock = threading.Lock()
    with running_server(tmp_path / "season", offices) as server:

        def office(name: str) -> None:
            token = server.links[name].rsplit("/", 1)[1]
            data = valid_workbook(name)
            with httpx.Client(timeout=60) as client:
                for _ in range(6):
                    try:
                        answer = client.post(
                            server.url + "/api/submit",
                            files={"file": ("a.xlsx", data)},
                            headers={"Authorization": f"Bearer {token}"},
                        )
                    except httpx.HTTPError:
                        return  # the server is gone
                    if answer.status_code == 201:
                        with lock:
                            receipts.append((answer.json()["receipt"], answer.json()["sha256"]))
                            if len(receipts) == 12:
                                os.kill(server.process.pid, signal.SIGKILL)

        threads = [threading.Thread(target=office, args=(name,)) for name in offices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(HANG_GUARD)
    assert len(receipts) >= 12
    store = Store.open(server.root)
    try:
        for receipt, sha256 in receipts:
            row = store.submission(receipt)
            assert row is not None, receipt
            assert (
                hashlib.sha256((server.root / row.stored_path).read_bytes()).hexdigest() == sha256
            )
        stored = {row.stored_path for row in store.submissions()}
        on_disk = {
            p.relative_to(server.root).as_posix()
            for p in (server.root / "inbox").rglob("*")
            if p.is_file()
        }
        assert on_disk <= stored  # no file in the inbox without its row: nothing half-written shows
    finally:
        store.close()
