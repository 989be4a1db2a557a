"""A real, throwaway Dovecot IMAP server for the mail tests, and a proxy that cuts a connection.

`running_dovecot(folder)` writes a config of its own (loopback only, free ports, TLS required with
a self-signed certificate made by the `openssl` command, one test user in a passwd-file, maildir
storage), runs `dovecot -F -c CONF` in the foreground and stops it on exit. As root, Dovecot
refuses to run its login processes or keep mail as root, so the instance then lives in a folder
of its own under the temporary directory (pytest's tmp_path is closed to other users) and the
mail belongs to `nobody`; as any other user it runs rootless inside the given folder.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
USER = "clerk@county.example"
PASSWORD = "s3cret-Passw0rd"
START_ATTEMPTS = 400  # x 0.05 s: a guard against a server that never listens, not a timing


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Dovecot:
    """A running instance: where it listens, its certificate and its one user."""

    folder: Path
    imaps_port: int
    imap_port: int
    cafile: Path
    log: Path
    process: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD
    host: str = HOST

    def connect(self) -> imaplib.IMAP4_SSL:
        """A logged-in IMAP session, as a mail client would open it (the tests' own access)."""
        context = ssl.create_default_context(cafile=str(self.cafile))
        conn = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=context, timeout=60)
        if self.password.isascii():
            conn.login(self.user, self.password)
        else:
            secret = f"\0{self.user}\0{self.password}".encode()
            conn.authenticate("PLAIN", lambda _challenge: secret)
        return conn

    def append(self, data: bytes, folder: str = "INBOX") -> None:
        conn = self.connect()
        try:
            typ, answer = conn.append(folder, None, None, data)
            assert typ == "OK", answer
        finally:
            conn.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


@contextlib.contextmanager
def running_dovecot(
    folder: Path, capability: str | None = None, password: str = PASSWORD
) -> Iterator[Dovecot]:
    """Start a Dovecot in (or, as root, beside) `folder`; `capability` overrides the list the
    server announces after login (to play a server without MOVE)."""
    root = os.geteuid() == 0
    home = Path(tempfile.mkdtemp(prefix="xlcheck-dovecot-")) if root else folder / "dovecot"
    home.mkdir(exist_ok=True)
    try:
        if root:
            home.chmod(0o711)  # the login processes (dovenull) reach their sockets in here
        server = _start(home, root, capability, password)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _start(home: Path, root: bool, capability: str | None, password: str) -> Dovecot:
    cert, key = _make_certificate(home)
    mail = home / "mail"
    mail.mkdir()
    owner = pwd.getpwnam("nobody") if root else pwd.getpwuid(os.geteuid())
    if root:
        os.chown(mail, owner.pw_uid, owner.pw_gid)
    users = home / "users"
    users.write_text(
        f"{USER}:{{PLAIN}}{password}:{owner.pw_uid}:{owner.pw_gid}::{mail / 'clerk'}::\n",
        encoding="utf-8",
    )
    users.chmod(0o600)
    imaps, imap = free_port(), free_port()
    conf = home / "dovecot.conf"
    log = home / "dovecot.log"
    conf.write_text(_config(home, cert, key, users, log, imaps, imap, root, capability), "utf-8")
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Dovecot(home, imaps, imap, cert, log, process, password=password)
    _wait_listening(server)
    return server


def _make_certificate(home: Path) -> tuple[Path, Path]:
    cert, key = home / "cert.pem", home / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _config(
    home: Path,
    cert: Path,
    key: Path,
    users: Path,
    log: Path,
    imaps: int,
    imap: int,
    root: bool,
    capability: str | None,
) -> str:
    if root:
        who = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
        # the auth processes read the passwd-file, which only root may read
        who += "service auth {\n  user = root\n}\nservice auth-worker {\n  user = root\n}\n"
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        who = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
        who += f"default_internal_group = {group}\n"
    extra = f"imap_capability = {capability}\n" if capability else ""
    return f"""\
protocols = imap
listen = {HOST}
instance_name = xlcheck-test-{imaps}
base_dir = {home / "run"}
state_dir = {home / "state"}
log_path = {log}
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
first_valid_uid = 1
first_valid_gid = 0
auth_mechanisms = plain
{who}{extra}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {users}
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {imap}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


def _wait_listening(server: Dovecot) -> None:
    """Bounded: a few hundred tries to connect, stopping at once if the server died."""
    for _ in range(START_ATTEMPTS):
        if server.process.poll() is not None:
            err = server.process.stderr.read().decode() if server.process.stderr else ""
            raise RuntimeError(f"dovecot exited: {err} {_read(server.log)}")
        try:
            with socket.create_connection((HOST, server.imaps_port), timeout=5):
                return
        except ConnectionRefusedError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"dovecot never listened: {_read(server.log)}")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


class CuttingProxy:
    """A loopback TCP proxy to the server that closes each connection once `limit` bytes have
    come from the server: the network dropping in the middle of a fetch, at a known place."""

    def __init__(self, port: int, limit: int) -> None:
        self.target = (HOST, port)
        self.limit = limit
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self.cuts = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.target, timeout=60) as upstream:
            up = threading.Thread(target=_pump, args=(client, upstream), daemon=True)
            up.start()
            sent = 0
            while sent < self.limit:
                data = upstream.recv(min(65536, self.limit - sent))
                if not data:
                    return
                client.sendall(data)
                sent += len(data)
            self.cuts += 1
            client.shutdown(socket.SHUT_RDWR)
            upstream.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() waiting in _serve
        self.listener.close()


def _pump(source: socket.socket, dest: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            dest.sendall(data)
