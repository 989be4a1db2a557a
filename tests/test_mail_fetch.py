"""`xlcheck mail fetch` against a real Dovecot (tests/dovecot_server.py), run as a user would."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, compat32
from pathlib import Path
from urllib.parse import quote

import pytest

from cli_run import HANG_GUARD
from dovecot_server import DOVECOT, CuttingProxy, Dovecot, free_port, running_dovecot

pytestmark = pytest.mark.skipif(
    not os.access(DOVECOT, os.X_OK) or shutil.which("openssl") is None,
    reason="needs Debian's dovecot-imapd and openssl (.ci/run installs them)",
)

EXAMPLES = Path(__file__).parent.parent / "examples"
STATE = ".xlcheck-imap.sqlite"


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    with running_dovecot(tmp_path) as server:
        yield server


def fetch(
    server: Dovecot, out: Path, *args: str, port: int | None = None, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`xlcheck mail fetch` in a subprocess; the password comes from the environment."""
    env = dict(os.environ, XLCHECK_IMAP_PASSWORD=password or server.password)
    command = ["--imap", server.host, "--port", str(port or server.imaps_port)]
    command += ["--user", server.user, "-o", str(out)]
    if "--insecure" not in args and "--no-cafile" not in args:
        command += ["--cafile", str(server.cafile)]
    args = tuple(a for a in args if a != "--no-cafile")
    return subprocess.run(
        [sys.executable, "-m", "xlcheck", "mail", "fetch", *command, *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def message(n: int, body: str = "", size: int = 0) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"office{n}@town.example"
    mail["To"] = "clerk@county.example"
    mail["Subject"] = f"报送 2024 年度报告 {n}"
    mail["Message-ID"] = f"<m{n}@town.example>"
    mail.set_content(body or f"第 {n} 封")
    if size:
        mail.add_attachment(os.urandom(size), maintype="application", subtype="octet-stream")
    return mail.as_bytes(policy=SMTP)


def stored(out: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(out.glob("*.eml"))]


def flags(server: Dovecot, folder: str = "INBOX") -> list[bytes]:
    conn = server.connect()
    try:
        conn.select(folder, readonly=True)
        typ, data = conn.fetch("1:*", "(FLAGS)")
        return [d for d in data if isinstance(d, bytes)]
    finally:
        conn.logout()


def count(server: Dovecot, folder: str) -> int:
    conn = server.connect()
    try:
        typ, data = conn.select(_quoted(folder), readonly=True)
        assert typ == "OK", data
        return int(data[0] or 0)
    finally:
        conn.logout()


def _quoted(folder: str) -> str:
    from xlcheck.mail.imapconn import encode_mailbox

    return encode_mailbox(folder)


def test_fetch_stores_each_message_exactly_as_received_and_leaves_it_unread(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    sent = [message(n) for n in range(3)]
    for data in sent:
        dovecot.append(data)
    out = tmp_path / "inbox"
    run = fetch(dovecot, out)
    assert run.returncode == 0, run.stderr
    assert "已收取 3 封新邮件" in run.stdout and str(out) in run.stdout
    assert Counter(stored(out)) == Counter(sent)
    assert all(b"\\Seen" not in f for f in flags(dovecot))  # BODY.PEEK: still unread
    assert count(dovecot, "INBOX") == 3  # nothing moved or deleted


def test_a_rerun_fetches_only_new_mail(dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.append(message(1))
    out = tmp_path / "inbox"
    assert fetch(dovecot, out).returncode == 0
    again = fetch(dovecot, out)
    assert again.returncode == 0 and "已收取 0 封新邮件" in again.stdout
    dovecot.append(message(2))
    third = fetch(dovecot, out)
    assert third.returncode == 0 and "已收取 1 封新邮件" in third.stdout
    assert Counter(stored(out)) == Counter([message(1), message(2)])


def test_a_lost_state_file_stores_nothing_twice(dovecot: Dovecot, tmp_path: Path) -> None:
    # also what a crash between writing a message and recording its UID leaves behind
    dovecot.append(message(1))
    out = tmp_path / "inbox"
    assert fetch(dovecot, out).returncode == 0
    (out / STATE).unlink()
    dovecot.append(message(2))
    again = fetch(dovecot, out)
    assert again.returncode == 0, again.stderr
    assert Counter(stored(out)) == Counter([message(1), message(2)])


def test_a_new_uidvalidity_fetches_again_but_stores_nothing_twice(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    folder = "报送 2024"  # a Chinese name with a space: modified UTF-7, quoted
    conn = dovecot.connect()
    assert conn.create(_quoted(folder))[0] == "OK"
    conn.logout()
    for n in (1, 2):
        dovecot.append(message(n), _quoted(folder))
    out = tmp_path / "inbox"
    first = fetch(dovecot, out, "--folder", folder)
    assert first.returncode == 0, first.stderr
    old = _uidvalidity(dovecot, folder)
    conn = dovecot.connect()
    assert conn.delete(_quoted(folder))[0] == "OK"
    assert conn.create(_quoted(folder))[0] == "OK"
    conn.logout()
    for n in (1, 2, 3):
        dovecot.append(message(n), _quoted(folder))
    assert _uidvalidity(dovecot, folder) != old
    second = fetch(dovecot, out, "--folder", folder)
    assert second.returncode == 0, second.stderr
    assert "已收取 1 封新邮件" in second.stdout
    assert Counter(stored(out)) == Counter(message(n) for n in (1, 2, 3))


def _uidvalidity(server: Dovecot, folder: str) -> bytes:
    conn = server.connect()
    try:
        conn.select(_quoted(folder), readonly=True)
        return conn.response("UIDVALIDITY")[1][0]
    finally:
        conn.logout()


def test_a_connection_dropped_mid_fetch_loses_and_duplicates_nothing(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    sent = [message(n, size=200_000) for n in range(5)]
    for data in sent:
        dovecot.append(data)
    proxy = CuttingProxy(dovecot.imaps_port, limit=2 * len(sent[0]) + 150_000)
    out = tmp_path / "inbox"
    try:
        cut = fetch(dovecot, out, port=proxy.port)
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert cut.returncode == 2
    assert len(cut.stderr.strip().splitlines()) == 1 and "连接" in cut.stderr
    assert "Traceback" not in cut.stderr
    assert len(stored(out)) == 2  # the two that were whole before the cut
    assert set(stored(out)) <= set(sent)
    rest = fetch(dovecot, out)
    assert rest.returncode == 0, rest.stderr
    assert "已收取 3 封新邮件" in rest.stdout
    assert Counter(stored(out)) == Counter(sent)


def test_a_20_mb_message_arrives_whole(dovecot: Dovecot, tmp_path: Path) -> None:
    big = message(1, size=15 * 1024 * 1024)  # base64: about 20 MB on the wire
    assert len(big) > 20_000_000
    dovecot.append(big)
    out = tmp_path / "inbox"
    run = fetch(dovecot, out)
    assert run.returncode == 0, run.stderr
    assert stored(out) == [big]


def _gbk_submission(style: str) -> tuple[bytes, str]:
    """A submission whose attachment's name is GBK-encoded, as Foxmail and older Outlook write
    it: RFC 2231 (filename*=gbk''%C4%B3...) or RFC 2047 (filename="=?gbk?B?...?=")."""
    name = "某县市场监督管理局-2024.xlsx"
    raw = name.encode("gbk")
    if style == "rfc2231":
        disposition = f"attachment; filename*=gbk''{quote(raw)}"
    else:
        disposition = f'attachment; filename="=?gbk?B?{base64.b64encode(raw).decode()}?="'
    mail = MIMEMultipart()
    mail["From"] = "office@town.example"
    mail["To"] = "clerk@county.example"
    mail["Subject"] = Header("报送年报", "gbk").encode()
    mail.attach(MIMEText("附件为年报。", "plain", "gbk"))
    part = MIMEApplication((EXAMPLES / name).read_bytes(), "octet-stream")
    part["Content-Disposition"] = disposition
    mail.attach(part)
    data = mail.as_bytes(policy=compat32.clone(max_line_length=0, linesep="\r\n"))
    assert disposition.encode() in data
    return data, name


@pytest.mark.parametrize("style", ["rfc2231", "rfc2047"])
def test_a_gbk_named_attachment_arrives_intact_and_batch_reads_it(
    dovecot: Dovecot, tmp_path: Path, style: str
) -> None:
    data, name = _gbk_submission(style)
    dovecot.append(data)
    out = tmp_path / "inbox"
    assert fetch(dovecot, out).returncode == 0
    assert stored(out) == [data]
    assert (out / STATE).is_file()
    result = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "xlcheck", "batch", str(out), "-o", str(result), "--no-docx"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert run.returncode in (0, 1), run.stderr
    rows = json.loads((result / "summary.json").read_text("utf-8"))["rows"]
    origins = [str(r.get("origin", "")) for r in rows]
    assert any(name in o for o in origins), origins
    assert not any(STATE in json.dumps(r, ensure_ascii=False) for r in rows)  # state ignored
    assert len(rows) == 1 and rows[0]["status"] == "通过"  # the workbook itself was read


def test_move_to_moves_each_message_once_it_is_on_disk(dovecot: Dovecot, tmp_path: Path) -> None:
    sent = [message(n) for n in range(3)]
    for data in sent:
        dovecot.append(data)
    out = tmp_path / "inbox"
    run = fetch(dovecot, out, "--move-to", "已处理")
    assert run.returncode == 0, run.stderr
    assert Counter(stored(out)) == Counter(sent)
    assert count(dovecot, "INBOX") == 0
    assert count(dovecot, "已处理") == 3


def test_move_to_without_the_move_extension_copies_then_expunges(tmp_path: Path) -> None:
    capability = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS"
    with running_dovecot(tmp_path, capability=capability) as server:
        sent = [message(n) for n in range(2)]
        for data in sent:
            server.append(data)
        out = tmp_path / "inbox"
        run = fetch(server, out, "--move-to", "Done")
        assert run.returncode == 0, run.stderr
        assert Counter(stored(out)) == Counter(sent)
        assert count(server, "Done") == 2
        assert count(server, "INBOX") == 0


def test_starttls_on_the_plain_port(dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.append(message(1))
    out = tmp_path / "inbox"
    run = fetch(dovecot, out, "--starttls", port=dovecot.imap_port)
    assert run.returncode == 0, run.stderr
    assert stored(out) == [message(1)]


def _one_clear_line(run: subprocess.CompletedProcess[str], out: Path, *words: str) -> None:
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert not out.exists() or not any(out.iterdir())  # nothing written


def test_a_wrong_password_is_one_line_and_never_shown(dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.append(message(1))
    out = tmp_path / "inbox"
    run = fetch(dovecot, out, password="wrong-Secret-42")
    _one_clear_line(run, out, "登录失败")
    assert "wrong-Secret-42" not in run.stdout + run.stderr
    en = fetch(dovecot, out, "--lang", "en", password="wrong-Secret-42")
    _one_clear_line(en, out, "login failed")


def test_an_unreachable_host_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    env = dict(os.environ, XLCHECK_IMAP_PASSWORD="x")
    port = str(free_port())
    args = ["mail", "fetch", "--imap", "127.0.0.1", "--port", port, "--user", "u", "-o", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "xlcheck", *args],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=env,
    )
    _one_clear_line(run, out, "无法连接", f"127.0.0.1:{port}")


def test_a_certificate_that_does_not_verify_is_refused_unless_insecure(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    dovecot.append(message(1))
    out = tmp_path / "inbox"
    refused = fetch(dovecot, out, "--no-cafile")
    _one_clear_line(refused, out, "证书", "--insecure")
    allowed = fetch(dovecot, out, "--insecure")
    assert allowed.returncode == 0, allowed.stderr
    assert stored(out) == [message(1)]


def test_the_password_is_never_a_command_line_option(dovecot: Dovecot, tmp_path: Path) -> None:
    run = fetch(dovecot, tmp_path / "inbox", "--password", "s3cret")
    assert run.returncode == 2
    assert "Traceback" not in run.stderr


def test_the_password_can_be_typed_at_the_prompt_and_is_not_echoed(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    dovecot.append(message(1))
    out = tmp_path / "inbox"
    env = {k: v for k, v in os.environ.items() if k != "XLCHECK_IMAP_PASSWORD"}
    args = ["--imap", dovecot.host, "--port", str(dovecot.imaps_port), "--user", dovecot.user]
    run = subprocess.run(
        [sys.executable, "-m", "xlcheck", "mail", "fetch", *args]
        + ["--cafile", str(dovecot.cafile), "-o", str(out)],
        input=dovecot.password + "\n",
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "密码" in run.stderr  # the prompt
    assert dovecot.password not in run.stdout + run.stderr
    assert stored(out) == [message(1)]


def test_a_non_ascii_password_logs_in(tmp_path: Path) -> None:
    # LOGIN is ASCII only: such a password goes by AUTHENTICATE PLAIN (UTF-8)
    with running_dovecot(tmp_path, password="密码-Åbc-42") as server:
        server.append(message(1))
        out = tmp_path / "inbox"
        run = fetch(server, out)
        assert run.returncode == 0, run.stderr
        assert stored(out) == [message(1)]


def test_moving_into_the_folder_fetched_from_is_refused(dovecot: Dovecot, tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    run = fetch(dovecot, out, "--move-to", "INBOX")
    _one_clear_line(run, out, "--move-to")


def test_a_missing_folder_is_one_line(dovecot: Dovecot, tmp_path: Path) -> None:
    out = tmp_path / "inbox"
    run = fetch(dovecot, out, "--folder", "没有这个")
    _one_clear_line(run, out, "没有这个")
