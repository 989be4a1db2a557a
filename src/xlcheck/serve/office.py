"""An office's own pages, reached by its link (/o/<token>): check, submit, receipts, its files."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from xlcheck.batch.offices import normalise_name, valid_credit_code
from xlcheck.explain import Given
from xlcheck.form.model import Lang

from .checker import Checked
from .public import held_file
from .results import check_and_hold, explanations_posted, view_of
from .store import Facts, OfficeRow, Store, SubmissionRow
from .uploads import closes_form, read_form, upload_from
from .web import csrf_ok, download, lang_of, media_type, message_page, page


async def _office(request: Request) -> OfficeRow | None:
    store: Store = request.app.state.store
    return await run_in_threadpool(store.office_for_token, request.path_params["token"])


def _base(request: Request) -> str:
    return f"/o/{request.path_params['token']}"


async def _office_page(
    request: Request, office: OfficeRow, status: int = 200, **context: object
) -> Response:
    store: Store = request.app.state.store
    rows = await run_in_threadpool(store.submissions, office.id)
    deadline = await run_in_threadpool(store.deadline)
    context.setdefault("result", None)
    return page(
        request,
        "office.html",
        status,
        office=office,
        base=_base(request),
        action=f"{_base(request)}/check",
        submissions=list(reversed(rows)),
        deadline=deadline,
        **context,
    )


async def office_home(request: Request) -> Response:
    office = await _office(request)
    if office is None:
        return message_page(request, "bad_link", 404)
    return await _office_page(request, office)


async def office_check(request: Request) -> Response:
    office = await _office(request)
    if office is None:
        return message_page(request, "bad_link", 404)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return message_page(request, "bad_csrf", 403)
    upload = await upload_from(form)
    if upload is None:
        return await _office_page(request, office, 400, error="no_file")
    result = await check_and_hold(request, upload, office.id, _base(request))
    return await _office_page(request, office, result=result)


async def office_download(request: Request) -> Response:
    office = await _office(request)
    if office is None:
        return message_page(request, "bad_link", 404)
    held = request.app.state.pending.get(request.path_params["key"], office.id)
    return held_file(request, held)


async def office_submit(request: Request) -> Response:
    office = await _office(request)
    if office is None:
        return message_page(request, "bad_link", 404)
    form = await read_form(request)
    if not csrf_ok(request, form):
        return message_page(request, "bad_csrf", 403)
    key = form.get("pending")
    held = request.app.state.pending.get(key, office.id) if isinstance(key, str) else None
    if held is None:
        return await _office_page(request, office, 410, error="pending_gone")
    try:
        row = await submit_upload(
            request, office, held.name, held.data, lang_of(request), explanations_posted(form)
        )
    except WrongOffice as exc:
        return await _office_page(
            request,
            office,
            409,
            error="wrong_office",
            error_params={"found": exc.found, "office": office.name},
        )
    request.app.state.pending.drop(key)
    return RedirectResponse(f"{_base(request)}/receipt/{row.receipt}", status_code=303)


class WrongOffice(Exception):
    """The file names another office: an office submits only as itself."""

    def __init__(self, found: str) -> None:
        super().__init__(found)
        self.found = found


def same_office(office: OfficeRow, checked: Checked) -> bool:
    """A file that names an office must name this one: by credit code when both have a valid
    one, else by name (normalised as the batch does). A file naming none is the office's own
    (its missing name is one of its findings)."""
    if not checked.readable or not checked.office:
        return True
    if valid_credit_code(office.credit_code) and valid_credit_code(checked.credit_code):
        return office.credit_code == checked.credit_code
    return normalise_name(office.name) == normalise_name(checked.office)


async def submit_upload(
    request: Request,
    office: OfficeRow,
    name: str,
    data: bytes,
    lang: Lang,
    explanations: Given = (),
) -> SubmissionRow:
    """Check with the documents a valid report gets and the explanations typed on the page,
    then store it durably: the receipt exists only once the file is on disk and in the index."""
    checked = await request.app.state.checker.check(
        data, name, lang, documents=True, explanations=explanations
    )
    if not same_office(office, checked):
        raise WrongOffice(checked.office or "")
    facts = Facts(
        status="unreadable" if not checked.readable else "valid" if checked.valid else "invalid",
        errors=checked.errors,
        warnings=checked.warnings,
        open_warnings=checked.open_warnings,
        form_id=checked.form_id,
        year=checked.year,
        report=checked.report,
        values=checked.values,
        explanations=[{"rule": r, "place": p or "", "text": t} for r, p, t in explanations],
    )
    store: Store = request.app.state.store
    return await run_in_threadpool(
        store.submit, office.id, data, name, checked.sha256, checked.suffix, facts, checked.outputs
    )


async def _own_submission(request: Request) -> tuple[OfficeRow, SubmissionRow] | Response:
    office = await _office(request)
    if office is None:
        return message_page(request, "bad_link", 404)
    store: Store = request.app.state.store
    row = await run_in_threadpool(store.submission, request.path_params["receipt"])
    if row is None or row.office_id != office.id:  # another office's receipt is not found either
        return message_page(request, "not_found", 404)
    return office, row


async def receipt(request: Request) -> Response:
    found = await _own_submission(request)
    if isinstance(found, Response):
        return found
    office, row = found
    files = {kind: f"{_base(request)}/files/{row.receipt}/{kind}" for kind in row.outputs}
    return page(
        request,
        "receipt.html",
        office=office,
        row=row,
        base=_base(request),
        result=view_of(row.facts.report["files"][0], files),
    )


async def stored_file(request: Request) -> Response:
    found = await _own_submission(request)
    if isinstance(found, Response):
        return found
    _, row = found
    kind = request.path_params["kind"]
    if kind not in row.outputs:
        return message_page(request, "not_found", 404)
    path = Path(request.app.state.root) / row.outputs[kind]
    data = await run_in_threadpool(path.read_bytes)
    return download(data, path.name, media_type(path.name))


routes = [
    Route("/o/{token}", office_home),
    Route("/o/{token}/check", closes_form(office_check), methods=["POST"]),
    Route("/o/{token}/submit", closes_form(office_submit), methods=["POST"]),
    Route("/o/{token}/download/{key}/{kind}", office_download),
    Route("/o/{token}/receipt/{receipt}", receipt),
    Route("/o/{token}/files/{receipt}/{kind}", stored_file),
]
