"""The JSON API beside the pages (documented in the README).

POST /api/check   multipart `file` [?lang=en] -> what `xlcheck check --format json` prints for that
                  file, plus "error_workbook": a link to download it (or null)
POST /api/submit  the same, with `Authorization: Bearer <office token>` -> 201 and the receipt
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xlcheck.form.model import Lang

from .office import WrongOffice, submit_upload
from .store import Store
from .uploads import closes_form, read_form, upload_from
from .words import word


def _lang(request: Request) -> Lang:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def _error(request: Request, key: str, status: int, **params: Any) -> Response:
    return JSONResponse({"error": word(_lang(request), key, params)}, status_code=status)


async def api_check(request: Request) -> Response:
    upload = await upload_from(await read_form(request))
    if upload is None:
        return _error(request, "no_file", 400)
    checked = await request.app.state.checker.check(upload.data, upload.name, _lang(request))
    key = request.app.state.pending.put(None, upload.name, upload.data, checked)
    link = f"/download/{key}/errors" if "errors" in checked.outputs else None
    return JSONResponse({**checked.report, "error_workbook": link})


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def api_submit(request: Request) -> Response:
    token = _bearer(request)
    if token is None:
        return _error(request, "api_token_missing", 401)
    store: Store = request.app.state.store
    office = await run_in_threadpool(store.office_for_token, token)
    if office is None:
        return _error(request, "bad_link", 403)
    upload = await upload_from(await read_form(request))
    if upload is None:
        return _error(request, "no_file", 400)
    try:
        row = await submit_upload(request, office, upload.name, upload.data, _lang(request))
    except WrongOffice as exc:
        return _error(request, "wrong_office", 409, found=exc.found, office=office.name)
    body = {
        "receipt": row.receipt,
        "office": office.name,
        "received_at": row.received_at,
        "sha256": row.sha256,
        "status": row.facts.status,
        "errors": row.facts.errors,
        "warnings": row.facts.warnings,
        "report": row.facts.report,
    }
    return JSONResponse(body, status_code=201)


routes = [
    Route("/api/check", closes_form(api_check), methods=["POST"]),
    Route("/api/submit", closes_form(api_submit), methods=["POST"]),
]
