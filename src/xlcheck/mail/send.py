"""Send the messages of an outbox over SMTP (smtplib only here): TLS verified by default, a login
from a password the caller got from the environment or a prompt, a rate limit, each accepted
message written to the sent log before the next one goes, one refused message never stopping
the rest. The core never prints: it calls `report` for each message.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from xlcheck.mail.outbox import Outgoing
from xlcheck.mail.sentlog import SentLog
from xlcheck.sendertext import clean_text

PASSWORD_ENV = "XLCHECK_SMTP_PASSWORD"
DEFAULT_RATE = 30  # messages per minute: below what Coremail and Exchange throttle at
TIMEOUT = 60.0  # seconds for one SMTP exchange

# Every text the command shows: key -> (zh, en); `{detail}` and others filled by the caller.
TEXTS = {
    "not_batch": (
        "{detail} 不是 xlcheck batch 的输出文件夹，也不是 xlcheck templates --mail 的模板文件夹"
        "（没有可读的 summary.json 或 mailing.json）",
        "{detail} is not an xlcheck batch output folder nor a templates --mail folder"
        " (no readable summary.json or mailing.json)",
    ),
    "no_drafts": (
        "{detail} 中没有回复草稿（由 xlcheck batch --drafts 生成；通过的报送可用 --acceptance 发回执）",
        "{detail} holds no reply drafts (xlcheck batch --drafts writes them; --acceptance "
        "sends receipts for valid ones)",
    ),
    "draft_missing": (
        "回复草稿缺失或无法读取：{detail}（请重新运行 xlcheck batch --drafts）",
        "reply draft missing or unreadable: {detail} (run xlcheck batch --drafts again)",
    ),
    "no_recipient": (
        "邮件没有可用的收件人地址：{detail}",
        "a message has no usable recipient address: {detail}",
    ),
    "no_smtp": ("需要用 --smtp 指定发信服务器", "--smtp HOST is needed to send"),
    "no_from": (
        "需要用 --from 指定发件人地址（或以邮箱地址作 --user）",
        "--from ADDRESS is needed (or an e-mail address as --user)",
    ),
    "bad_from": ("发件人地址无效：{detail}", "not a sender address: {detail}"),
    "unreachable": (
        "无法连接发信服务器 {detail}",
        "cannot connect to the SMTP server {detail}",
    ),
    "certificate": (
        "发信服务器的证书无法验证（{detail}）：用 --cafile 指定其 CA 证书，或明确给出 --insecure 跳过验证",
        "the SMTP server's certificate does not verify ({detail}): give its CA with --cafile, "
        "or --insecure to skip verification",
    ),
    "tls": ("与发信服务器的 TLS 连接失败：{detail}", "TLS with the SMTP server failed: {detail}"),
    "no_starttls": (
        "发信服务器 {detail} 不支持 STARTTLS；请用 --ssl（通常是端口 465）",
        "the SMTP server {detail} does not offer STARTTLS; use --ssl (usually port 465)",
    ),
    "auth": (
        "SMTP 登录失败（用户名或密码错误）：{detail}",
        "SMTP login failed (wrong user or password): {detail}",
    ),
    "no_auth": (
        "发信服务器不支持登录（AUTH）：{detail}",
        "the SMTP server offers no login (AUTH): {detail}",
    ),
    "lost": (
        "与发信服务器的连接中断（{detail}）；已发出的已记录，重新运行只发送其余的",
        "the connection to the SMTP server was lost ({detail}); what went is logged, "
        "a re-run sends only the rest",
    ),
    "declined": ("已取消，未发送任何邮件", "cancelled, nothing sent"),
    "pending": ("待发送 {n} 封：", "{n} to send:"),
    "already": ("已发送过 {n} 封，不再发送", "{n} sent before, not sent again"),
    "line": (
        "  {kind}  {office} → {to}  主题：{subject}",
        "  {kind}  {office} → {to}  subject: {subject}",
    ),
    "reply": ("回复", "reply"),
    "acceptance": ("回执", "receipt"),
    "template": ("模板", "template"),
    "dry_run": ("预演：未发送任何邮件", "dry run: nothing sent"),
    "nothing": ("没有待发送的邮件", "nothing to send"),
    "confirm": ("发送以上 {n} 封邮件？", "Send these {n} messages?"),
    "password": ("SMTP 密码", "SMTP password"),
    "sent": ("已发送：{office} → {to}", "sent: {office} → {to}"),
    "failed": ("发送失败：{office} → {to}：{detail}", "not sent: {office} → {to}: {detail}"),
    "partly": (
        "已发送，但部分收件人被拒：{office} → {to}：{detail}",
        "sent, but some recipients refused: {office} → {to}: {detail}",
    ),
    "done": ("已发送 {sent} 封，失败 {failed} 封", "{sent} sent, {failed} failed"),
    "retry": (
        "失败的原因见上；改正后重新运行，只发送未发出的",
        "see above why; once fixed, a re-run sends only what did not go",
    ),
}


def text(key: str, lang: str, **values: object) -> str:
    zh, en = TEXTS[key]
    return (en if lang == "en" else zh).format(**values)


class SendError(Exception):
    """The tool could not send (exit 2): `key` names the text, `detail` fills it."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key, detail)
        self.key, self.detail = key, detail


@dataclass(frozen=True)
class Server:
    """Where and how to connect; `password` only ever from the environment or a prompt."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a repr or a traceback
    cafile: Path | None = None
    insecure: bool = False
    timeout: float = TIMEOUT

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class RateLimiter:
    """At most `per_minute` messages a minute, spaced evenly (servers throttle bursts)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / per_minute
        self.clock, self.sleep = clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


@dataclass(frozen=True)
class Result:
    """What became of one message: "sent", "partly" (logged: some recipients took it) or
    "failed"; `detail` is the server's answer."""

    status: str
    detail: str = ""


def tls_context(cafile: Path | None, insecure: bool) -> ssl.SSLContext:
    """Verification on (system CAs, or the given PEM); off only when asked for explicitly."""
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(server: Server) -> smtplib.SMTP:
    """A connection over TLS, logged in when a user is given; SendError when it cannot be."""
    try:
        context = tls_context(server.cafile, server.insecure)
    except (OSError, ssl.SSLError) as exc:
        raise SendError("tls", f"--cafile {server.cafile}: {exc}") from None
    try:
        smtp = _open(server, context)
    except ssl.SSLCertVerificationError as exc:
        raise SendError("certificate", exc.verify_message or str(exc)) from None
    except ssl.SSLError as exc:
        raise SendError("tls", f"{server.where}: {exc.reason or exc}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError("auth", answer_of(exc)) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError("no_auth", f"{server.where}: {exc}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError("unreachable", f"{server.where}: {_reason(exc)}") from None
    return smtp


def _open(server: Server, context: ssl.SSLContext) -> smtplib.SMTP:
    smtp: smtplib.SMTP
    if server.implicit_tls:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        smtp.ehlo()
        if not server.implicit_tls:
            if not smtp.has_extn("starttls"):
                raise SendError("no_starttls", server.where)
            smtp.starttls(context=context)
            smtp.ehlo()
        if server.user:
            login(smtp, server.user, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login encodes as ASCII; a password with other characters goes as UTF-8 in
    AUTH PLAIN (RFC 4616), which Coremail and Exchange accept."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("AUTH")
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, answer = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return answer_of(exc)
    return clean_text(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


def answer_of(exc: smtplib.SMTPResponseException) -> str:
    """The server's answer as one line: code and text."""
    return _answer(exc.smtp_code, exc.smtp_error)


def _answer(code: int, message: bytes | str) -> str:
    raw = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return clean_text(f"{code} {raw}")


def stamp(data: bytes, from_addr: str, now: datetime) -> bytes:
    """The message with From and Date set now (a draft carries a placeholder From and the
    date it was written); the rest goes byte for byte as the batch wrote it."""
    head, sep, body = data.partition(b"\r\n\r\n")
    kept, dropping = [], False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the header before
            if not dropping:
                kept.append(line)
            continue
        dropping = line.split(b":", 1)[0].strip().lower() in (b"from", b"date", b"sender")
        if not dropping:
            kept.append(line)
    new = [f"From: {from_addr}".encode("ascii"), f"Date: {format_datetime(now)}".encode("ascii")]
    return b"\r\n".join(new + kept) + sep + body


def send_one(smtp: smtplib.SMTP, item: Outgoing, from_addr: str) -> Result:
    """One message; a refusal of it is a Result, a lost connection is raised."""
    data = stamp(item.data, from_addr, datetime.now(UTC))
    try:
        refused = smtp.sendmail(from_addr, list(item.recipients), data)
    except smtplib.SMTPRecipientsRefused as exc:
        return Result("failed", _refusals(exc.recipients, len(item.recipients)))
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        return Result("failed", answer_of(exc))
    if refused:
        return Result("partly", _refusals(refused, len(item.recipients)))
    return Result("sent")


def _refusals(refused: Mapping[str, tuple[int, bytes]], count: int) -> str:
    """The server's answer per refused address (the address is already on the line for one)."""
    if count == 1 and len(refused) == 1:
        return _answer(*next(iter(refused.values())))
    return "; ".join(f"{who}: {_answer(*why)}" for who, why in refused.items())


def send_all(
    items: Iterable[Outgoing],
    server: Server,
    from_addr: str,
    log: SentLog,
    limiter: RateLimiter,
    report: Callable[[Outgoing, Result], None],
) -> None:
    """Send each item over one connection, logging each accepted one before the next goes."""
    smtp = connect(server)
    try:
        for item in items:
            limiter.wait()
            try:
                result = send_one(smtp, item, from_addr)
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError("lost", _reason(exc)) from None
            if result.status != "failed":
                recipients = ", ".join(item.recipients)
                log.record(
                    item.key, item.message_id, item.kind, item.office, recipients,
                    item.subject, result.detail or "250",
                )  # fmt: skip
            report(item, result)
    finally:
        _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):  # already gone: nothing left to say to it
        smtp.close()
