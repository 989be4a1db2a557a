"""What every page shares: the language, the CSRF token, the templates and the safe headers."""

from __future__ import annotations

import hmac
import secrets
import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import jinja2
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from xlcheck.form.model import Lang

from .words import word

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

# No inline script or style anywhere: a value that slipped past escaping still could not run.
# no-referrer: an office's link carries its token, which must not leak to another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every value echoed on a page is escaped, file names and office names first
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def local_time(stamp: str) -> str:
    """An ISO 8601 UTC time as the county reads it: the server's local time, to the second,
    with its UTC offset (2026-12-02 16:07:58 +08:00)."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return stamp
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


_env.filters["local_time"] = local_time


def lang_of(request: Request) -> Lang:
    """?lang=en|zh switches and is remembered in the session; Chinese by default."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        request.session["lang"] = asked
        return cast(Lang, asked)
    return "en" if request.session.get("lang") == "en" else "zh"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: FormData) -> bool:
    expected = request.session.get("csrf")
    given = form.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and hmac.compare_digest(expected.encode(), given.encode())
    )


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    html = _env.get_template(template).render(
        t=lambda key, **params: word(lang, key, params),
        lang=lang,
        csrf=csrf_token(request),
        here=_get_page(request.url.path),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def _get_page(path: str) -> str:
    """The page the language switch reloads: a POST target's own GET page."""
    for suffix in ("/check", "/submit", "/login", "/link", "/revoke", "/deadline"):
        if path.endswith(suffix) and not path.startswith("/admin/login"):
            return path.removesuffix(suffix) or "/"
    return path


def message_page(request: Request, key: str, status: int, **params: Any) -> HTMLResponse:
    return page(request, "message.html", status, message_key=key, params=params)


def download(data: bytes, name: str, media_type: str) -> Response:
    """An attachment whose name survives any characters (RFC 6266 filename*, ASCII fallback)."""
    fallback = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    quoted = urllib.parse.quote(name, safe="")
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".json": "application/json",
    ".zip": "application/zip",
}


def media_type(name: str) -> str:
    return MEDIA.get(Path(name).suffix.lower(), "application/octet-stream")
