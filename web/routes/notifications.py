"""Meldingen (issue 11 §2.9): the user's own notifications as `GET /api/notifications` reads them (reminders of
check-ins, new signals, emergency accesses), unread first, each marked read by a form, or all at once, as
`POST /api/notifications/{id}/read` and `POST /api/notifications/read`; then back to the page one was on."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import PARTNER, Principal
from api.authz import record_listed
from web.common import error_page, render
from web.planning_nl import behind
from web.sessions import current_principal, posted, safe_next

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
UNREAD_SHOWN = 100
KIND_NL = {"due_soon": "Waakvlamcontact binnenkort", "overdue": "Waakvlamcontact te laat", "signal": "Nieuw signaal",
           "emergency_access": "Noodtoegang", "integrity": "Integriteit", "retention": "Bewaartermijn"}
DONE_NL = {"een": "De melding is gelezen.", "alles": "Al uw meldingen zijn gelezen."}


def _refused(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 403, "Geen toegang",
                      "Als ketenpartner krijgt u geen meldingen in Waakvlam. Op Mijn meldingen ziet u of het "
                      "wijkteam uw signalen heeft opgepakt.")


def _missing(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 404, "Melding niet gevonden",
                      "U heeft geen melding op dit adres. Misschien is de link onvolledig.")


@router.get("/meldingen")
async def notifications(request: Request) -> Response:
    principal = await current_principal(request)
    if principal.role == PARTNER:  # as the API: a partner reports signals and follows its own reports
        return _refused(request, principal)
    return await anyio.to_thread.run_sync(_notifications, request, principal)


def _notifications(request: Request, principal: Principal) -> HTMLResponse:
    view = request.app.state.notifications
    cursor = request.query_params.get("cursor") or None
    context: dict[str, Any] = {"title": "Meldingen", "unread": [], "read": [], "next_cursor": None, "count": 0,
                               "kinds": KIND_NL, "done": DONE_NL.get(request.query_params.get("klaar", ""), ""),
                               "officer": principal.role == "privacy_officer", "error": ""}
    context["behind"] = behind(request, view)  # the signal alerts are a projection: `?na=` reads one's own write
    try:
        if cursor is not None and len(cursor) > 200:
            raise ValueError(cursor)
        page, next_cursor = view.page(principal.user_id, cursor=cursor, limit=PAGE_SIZE)
    except ValueError:
        context["error"] = "Deze pagina met meldingen bestaat niet (meer). Begin opnieuw bij de nieuwste meldingen."
        return render(request, "notifications/list.html", context, 400, principal)
    unread = [] if cursor else view.page(principal.user_id, unread=True, limit=UNREAD_SHOWN)[0]
    read = [n for n in page if n.read_at is not None]  # the unread ones are above, newest first
    record_listed(request, principal, (n.household_id for n in (*unread, *read)))  # NEN 7513: the households named
    context.update(unread=unread, read=read, next_cursor=next_cursor, count=view.unread_count(principal.user_id),
                   older=cursor is not None)
    return render(request, "notifications/list.html", context, principal=principal)


def _back(form: Any) -> str:
    """Where the form came from (a path of ours), `/meldingen` when it says none."""
    return safe_next(form.get("terug") or "/meldingen")


@router.post("/meldingen/gelezen")
async def mark_all_read(request: Request) -> Response:
    principal, form = await posted(request)
    if principal.role == PARTNER:
        return _refused(request, principal)
    await anyio.to_thread.run_sync(request.app.state.notifications.mark_all_read, principal.user_id)
    back = _back(form)
    return RedirectResponse("/meldingen?klaar=alles" if back == "/meldingen" else back, status_code=303)


@router.post("/meldingen/{notification_id}/gelezen")
async def mark_read(request: Request, notification_id: str) -> Response:
    principal, form = await posted(request)
    if principal.role == PARTNER:
        return _refused(request, principal)
    try:
        found_id = UUID(notification_id)
    except ValueError:
        return _missing(request, principal)
    found = await anyio.to_thread.run_sync(request.app.state.notifications.mark_read, principal.user_id, found_id)
    if found is None:  # someone else's is not found either, as the API
        return _missing(request, principal)
    back = _back(form)
    return RedirectResponse("/meldingen?klaar=een" if back == "/meldingen" else back, status_code=303)
