"""Uploads: the body's size is capped before and while it is read, and one file is taken from a
multipart form. Nothing here touches the disk beyond the multipart parser's own spooling."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xlcheck.check import READ_LIMIT

FORM_OVERHEAD = 256 * 2**10  # multipart boundaries, headers and the small fields beside the file
MAX_FIELDS = 200  # a submit form carries a few fields per explained warning
MAX_PART = 64 * 2**10  # one text field (an explanation is a sentence)


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request whose body exceeds `limit` bytes gets 413 without being read.

    A declared Content-Length over the limit is refused before the first byte is read; a body that
    declares nothing (chunked) or lies is counted as it arrives and cut off at the limit.
    """

    def __init__(self, app: ASGIApp, limit: int, refuse: RefusePage) -> None:
        self.app = app
        self.limit = limit
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self.refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await self.refuse(scope, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RefusePage:
    """The 413 answer: JSON for the API, a short page otherwise (the words come from the caller)."""

    def __init__(self, html: bytes, text: str) -> None:
        self.html = html
        self.text = text

    async def __call__(self, scope: Scope, send: Send) -> None:
        is_api = str(scope.get("path", "")).startswith("/api/")
        body = (
            json.dumps({"error": self.text}, ensure_ascii=False).encode() if is_api else self.html
        )
        kind = b"application/json" if is_api else b"text/html; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def upload_limit() -> int:
    """The body cap: the largest file `check` reads, plus room for the form around it."""
    return READ_LIMIT + FORM_OVERHEAD


@dataclass(frozen=True)
class Upload:
    name: str  # as the browser sent it: data only, never a path
    data: bytes


async def read_form(request: Request) -> FormData:
    """The posted form (closed with the request: see closes_form)."""
    return await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_PART)


Endpoint = Callable[[Request], Awaitable[Response]]


def closes_form(endpoint: Endpoint) -> Endpoint:
    """The endpoint, with the form it read closed afterwards whatever it answered: the
    multipart parser spools a large upload to a temporary file, which must not outlive it."""

    @functools.wraps(endpoint)
    async def closing(request: Request) -> Response:
        try:
            return await endpoint(request)
        finally:
            await request.close()

    return closing


async def upload_from(form: FormData, field: str = "file") -> Upload | None:
    """The one file in `field`, or None when none was chosen (an empty file input sends no name)."""
    item = form.get(field)
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    data = await item.read()
    await item.close()
    return Upload(item.filename, data)
