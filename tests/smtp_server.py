"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 (a free port), STARTTLS or implicit TLS with
a throwaway certificate made by the `openssl` CLI, AUTH over TLS, and a handler that records every
message it accepted (envelope + bytes). One address can be refused (550) and one message held, so
a test can kill the client while the server has not yet answered it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "clerk@example.gov.cn"
PASSWORD = "s3cret-口令"
REFUSED_ANSWER = "550 5.1.1 Recipient address rejected: User unknown in local recipient table"
HOLD_ANSWER = "451 4.3.0 Try again later"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


@dataclass
class Recorder:
    """The handler: refuses the addresses in `refused`, holds the message numbered `hold_at`
    (1-based) until `release` is set, then answers 451 for it (never recorded)."""

    refused: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    seen: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refused:
            return REFUSED_ANSWER
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.seen += 1
        if self.hold_at is not None and self.seen == self.hold_at:
            self.holding.set()
            while not self.release.is_set():  # the client is killed meanwhile
                await asyncio.sleep(0.01)
            return HOLD_ANSWER
        data = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(data)))
        return "250 2.0.0 Ok: queued"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=True would leave the client unanswered


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    return free_port()


@dataclass
class SmtpServer:
    """A running server: where it listens, how, and what it received."""

    port: int
    implicit_tls: bool
    recorder: Recorder
    cafile: Path
    controller: Controller

    def stop(self) -> None:
        self.recorder.release.set()
        self.controller.stop()


def start_server(cert: Path, key: Path, *, implicit_tls: bool) -> SmtpServer:
    """aiosmtpd with AUTH, allowed only over TLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    recorder = Recorder()
    port = free_port()
    tls: dict[str, Any] = (
        {"ssl_context": context}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        # aiosmtpd counts only STARTTLS as TLS for AUTH; an implicit-TLS connection is TLS anyway
        auth_require_tls=not implicit_tls,
        server_hostname="localhost",
        **tls,
    )
    controller.start()
    return SmtpServer(port, implicit_tls, recorder, cert, controller)
