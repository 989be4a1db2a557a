"""The web application: routes, middleware and the shared state (store, checker, held uploads)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import admin, api, office, public
from .checker import UploadChecker
from .pending import Pending
from .store import Store
from .uploads import BodyLimit, RefusePage, upload_limit
from .web import SECURITY_HEADERS, STATIC, message_page
from .words import word

log = logging.getLogger("xlcheck.serve")


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response (pages, downloads, errors, static files)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, wrong method, a malformed or over-full form) as a page."""
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return message_page(request, "not_found" if status in (404, 405) else "bad_request", status)


async def _failed(request: Request, exc: Exception) -> Response:
    log.exception("request failed: %s %s", request.method, _redacted(request.url.path))
    return message_page(request, "server_error", 500)


def _redacted(path: str) -> str:
    """An office's token never reaches a log."""
    if not path.startswith("/o/"):
        return path
    rest = path[3:].partition("/")[2]
    return "/o/…/" + rest if rest else "/o/…"


def create_app(
    root: Path,
    store: Store,
    *,
    checker: UploadChecker | None = None,
    workers: int = 2,
    max_upload: int | None = None,
) -> Starlette:
    """The app over DIR; the checker (worker pool) starts with the app unless one is given."""
    limit = max_upload or upload_limit()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own = checker is None
        app.state.checker = checker or UploadChecker(workers=workers)
        try:
            yield
        finally:
            if own:
                app.state.checker.close()

    mb = {"limit": limit // 2**20}
    too_large = word("zh", "too_large", mb) + " / " + word("en", "too_large", mb)
    refuse = RefusePage(
        f"<!doctype html><meta charset=utf-8><p>{too_large}</p>".encode(), too_large
    )
    app = Starlette(
        routes=[
            *public.routes,
            *office.routes,
            *admin.routes,
            *api.routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(BodyLimit, limit=limit, refuse=refuse),
            Middleware(
                SessionMiddleware,
                secret_key=store.session_secret().hex(),
                session_cookie="xlcheck_session",
                max_age=admin.SESSION_HOURS * 3600,
                same_site="strict",
            ),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _failed},
        lifespan=lifespan,
    )
    app.state.root = Path(root)
    app.state.store = store
    app.state.pending = Pending()
    app.state.batch_lock = asyncio.Lock()
    if checker is not None:
        app.state.checker = checker
    return app
