"""The county's pages: login, the season at a glance, office links, deadline, downloads."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from xlcheck.explain import Given

from .county import county_totals, office_states
from .results import view_of
from .store import Store
from .uploads import closes_form, read_form
from .web import csrf_ok, lang_of, message_page, page

SESSION_HOURS = 8
OUT_DIR = "out"
SUMMARY_NAME = "汇总.xlsx"


def is_admin(request: Request) -> bool:
    since = request.session.get("admin")
    return isinstance(since, (int, float)) and time.time() - since < SESSION_HOURS * 3600


def _to_login() -> Response:
    return RedirectResponse("/admin/login", status_code=303)


async def login_page(request: Request) -> Response:
    store: Store = request.app.state.store
    if not await run_in_threadpool(store.has_password):
        return message_page(request, "no_password", 503)
    return page(request, "login.html", error=None)


async def login(request: Request) -> Response:
    store: Store = request.app.state.store
    form = await read_form(request)
    if not csrf_ok(request, form):
        return message_page(request, "bad_csrf", 403)
    client = request.client.host if request.client else "?"
    if not await run_in_threadpool(store.login_allowed, client):
        return page(request, "login.html", 429, error="login_limited")
    password = form.get("password")
    if isinstance(password, str) and await run_in_threadpool(store.check_password, password):
        await run_in_threadpool(store.clear_login_failures, client)
        lang = request.session.get("lang")
        request.session.clear()  # a new session (and CSRF token) on login: no fixation
        request.session.update({"admin": time.time(), **({"lang": lang} if lang else {})})
        return RedirectResponse("/admin", status_code=303)
    await run_in_threadpool(store.record_login_failure, client)
    return page(request, "login.html", 401, error="login_failed")


async def logout(request: Request) -> Response:
    form = await read_form(request)
    if csrf_ok(request, form):
        request.session.clear()
    return _to_login()


async def dashboard(
    request: Request,
    new_link: str | None = None,
    notice: str | None = None,
    error: str | None = None,
) -> Response:
    if not is_admin(request):
        return _to_login()
    store: Store = request.app.state.store
    states = await run_in_threadpool(office_states, store)
    totals = await run_in_threadpool(county_totals, states)
    counts = {"none": 0, "invalid": 0, "valid": 0, "unreadable": 0}
    for state in states:
        counts[state.state] += 1
    return page(
        request,
        "admin.html",
        states=states,
        totals=totals,
        counts=counts,
        deadline=await run_in_threadpool(store.deadline),
        new_link=new_link,
        notice=notice,
        error=error,
    )


async def office_detail(request: Request) -> Response:
    if not is_admin(request):
        return _to_login()
    store: Store = request.app.state.store
    office = await run_in_threadpool(store.office, int(request.path_params["office_id"]))
    if office is None:
        return message_page(request, "not_found", 404)
    rows = await run_in_threadpool(store.submissions, office.id)
    latest = view_of(rows[-1].facts.report["files"][0]) if rows else None
    return page(
        request, "admin_office.html", office=office, rows=list(reversed(rows)), latest=latest
    )


async def _admin_post(request: Request) -> Response | None:
    """None when the request is an admin's with a valid CSRF token; else the answer to give."""
    if not is_admin(request):
        return _to_login()
    form = await read_form(request)
    if not csrf_ok(request, form):
        return message_page(request, "bad_csrf", 403)
    request.state.form = form
    return None


async def issue_link(request: Request) -> Response:
    refused = await _admin_post(request)
    if refused is not None:
        return refused
    store: Store = request.app.state.store
    office_id = int(request.path_params["office_id"])
    if await run_in_threadpool(store.office, office_id) is None:
        return message_page(request, "not_found", 404)
    token = await run_in_threadpool(store.issue_token, office_id)
    link = str(request.base_url).rstrip("/") + f"/o/{token}"
    return await dashboard(request, new_link=link)


async def revoke_link(request: Request) -> Response:
    refused = await _admin_post(request)
    if refused is not None:
        return refused
    store: Store = request.app.state.store
    await run_in_threadpool(store.revoke_token, int(request.path_params["office_id"]))
    return await dashboard(request, notice="link_revoked")


async def set_deadline(request: Request) -> Response:
    refused = await _admin_post(request)
    if refused is not None:
        return refused
    store: Store = request.app.state.store
    text = request.state.form.get("deadline")
    value = text.strip()[:100] if isinstance(text, str) and text.strip() else None
    await run_in_threadpool(store.set_deadline, value)
    return RedirectResponse("/admin", status_code=303)


def _run_batch(root: Path, lang: str, explanations: Mapping[str, Given]) -> Path:
    """The batch over the server's inbox, as `xlcheck batch DIR/inbox -o DIR/out` runs, with
    the explanations the offices typed on the page beside their files."""
    from xlcheck.batch import BatchOptions, run_batch

    out = root / OUT_DIR
    options = BatchOptions([root / "inbox"], out, lang=lang, explanations=explanations)
    run_batch(options)
    return out


def given_explanations(store: Store) -> dict[str, Given]:
    """Each submitted file's page explanations, by its SHA-256 (the latest wins for a file
    submitted twice)."""
    found: dict[str, Given] = {}
    for row in store.submissions():
        items = row.facts.explanations
        if items:
            found[row.sha256] = tuple((i["rule"], i.get("place") or None, i["text"]) for i in items)
    return found


async def _batch(request: Request) -> Path | Response:
    from xlcheck.batch import BatchError

    lock: asyncio.Lock = request.app.state.batch_lock
    async with lock:  # one batch at a time over the one output folder
        try:
            given = await run_in_threadpool(given_explanations, request.app.state.store)
            root = Path(request.app.state.root)
            return await run_in_threadpool(_run_batch, root, lang_of(request), given)
        except BatchError as exc:
            return await dashboard(request, error=str(exc))


async def summary(request: Request) -> Response:
    if not is_admin(request):
        return _to_login()
    out = await _batch(request)
    if isinstance(out, Response):
        return out
    return FileResponse(out / SUMMARY_NAME, filename=SUMMARY_NAME)


def _zip_outputs(out: Path) -> Path:
    """Every file the batch wrote for people (not its hidden store and state) in one zip."""
    fd, name = tempfile.mkstemp(prefix=".xlcheck-zip-", suffix=".zip", dir=out.parent)
    with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(out.rglob("*")):
            relative = path.relative_to(out)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                archive.write(path, relative.as_posix())
    return Path(name)


async def all_outputs(request: Request) -> Response:
    if not is_admin(request):
        return _to_login()
    out = await _batch(request)
    if isinstance(out, Response):
        return out
    archive = await run_in_threadpool(_zip_outputs, out)
    return FileResponse(
        archive,
        filename="xlcheck-outputs.zip",
        media_type="application/zip",
        background=BackgroundTask(archive.unlink, missing_ok=True),
    )


routes = [
    Route("/admin/login", login_page),
    Route("/admin/login", closes_form(login), methods=["POST"]),
    Route("/admin/logout", closes_form(logout), methods=["POST"]),
    Route("/admin", dashboard),
    Route("/admin/offices/{office_id:int}", office_detail),
    Route("/admin/offices/{office_id:int}/link", closes_form(issue_link), methods=["POST"]),
    Route("/admin/offices/{office_id:int}/revoke", closes_form(revoke_link), methods=["POST"]),
    Route("/admin/deadline", closes_form(set_deadline), methods=["POST"]),
    Route("/admin/summary.xlsx", summary),
    Route("/admin/outputs.zip", all_outputs),
]
