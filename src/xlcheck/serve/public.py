"""The check-only page: anyone on the intranet checks a file; nothing is stored."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .pending import Held
from .results import check_and_hold
from .uploads import closes_form, read_form, upload_from
from .web import csrf_ok, download, media_type, message_page, page


async def check_page(request: Request) -> Response:
    return page(request, "check.html", action="/check", office=None, result=None)


async def check_upload(request: Request) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form):
        return message_page(request, "bad_csrf", 403)
    upload = await upload_from(form)
    if upload is None:
        return page(
            request, "check.html", 400, action="/check", office=None, result=None, error="no_file"
        )
    result = await check_and_hold(request, upload, None, "")
    return page(request, "check.html", action="/check", office=None, result=result)


async def held_download(request: Request) -> Response:
    held = request.app.state.pending.get(request.path_params["key"], None)
    return held_file(request, held)


def held_file(request: Request, held: Held | None) -> Response:
    kind = request.path_params["kind"]
    if held is None or kind not in held.checked.outputs:
        return message_page(request, "not_found", 404)
    name, data = held.checked.outputs[kind]
    return download(data, name, media_type(name))


routes = [
    Route("/", check_page),
    Route("/check", closes_form(check_upload), methods=["POST"]),
    Route("/download/{key}/{kind}", held_download),
]
