"""Privacy per household (issue 11 §2.10): its NEN 7513 access log (`/households/{id}/toegangslog`) and the
subject-access export as a page a citizen can read (`/households/{id}/inzage`).

Each is decided and logged as the API call it corresponds to (api/authz.py, `as_api`): the access log as
`GET .../access-log` (the privacy officer's full view, with the four results; the household's own team the
household's view, allowed accesses only), the inzage as `GET .../export` (logged as an export, `execute`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.authz import HOUSEHOLD, role_and_team
from api.routers.privacy import _export
from domain.staff import PRIVACY_OFFICER
from domain.values import LOCAL_TZ
from web import dutch, inzage, plan_read
from web.common import authorised, existing_household, not_found, position, render
from web.privacy_nl import ACTION_NL, via, yes_no
from web.sessions import current_principal

router = APIRouter(include_in_schema=False)
PAGE = 50
ACCESS_LOG = ("GET", f"{HOUSEHOLD}/access-log")
EXPORT = ("GET", f"{HOUSEHOLD}/export")


async def as_api_call(request: Request, raw: str, as_api: tuple[str, str],
                      page: Callable[[Request, Principal, UUID], Response]) -> Response:
    """`page` in a thread, once the user may make the API call `as_api` on this household (decided and logged)."""
    principal = await current_principal(request)
    found = await authorised(request, principal, raw, as_api=as_api)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(page, request, principal, found)


@router.get("/households/{household_id}/toegangslog")
async def access_log_page(request: Request, household_id: str) -> Response:
    return await as_api_call(request, household_id, ACCESS_LOG, _access_log)


@router.get("/households/{household_id}/inzage")
async def inzage_page(request: Request, household_id: str) -> Response:
    return await as_api_call(request, household_id, EXPORT, _inzage)


def _period(request: Request) -> tuple[dict[str, str], dict[str, str], datetime | None, datetime | None]:
    values = {name: str(request.query_params.get(name) or "").strip()[:40] for name in ("van", "tot")}
    errors, since, until = plan_read.period(values)
    return values, errors, since, until


def _entry(row: dict[str, Any], full: bool) -> dict[str, Any]:
    what = ACTION_NL.get(row["action"], row["action"]) + (" in een overzicht" if row.get("listed") else "")
    entry = {"when": dutch.moment(row["at"]), "seconds": row["at"].astimezone(LOCAL_TZ).strftime("%H:%M:%S"),
             "who": row["user_id"], "role": dutch.ROLE_NL.get(row["role"] or "", "onbekende rol"), "what": what,
             "emergency": row["emergency"]}
    if full:
        entry.update(authorised=yes_no(row["authorised"]), care=yes_no(row["care_relationship"]),
                     consent=("niet van toepassing" if row["consent"] is None and not row["care_relationship"]
                              else yes_no(row["consent"])),
                     emergency_text=yes_no(row["emergency"]), reason=row.get("emergency_reason") or "",
                     on_behalf_of=dutch.ROLE_NL.get(row["on_behalf_of"] or "", row["on_behalf_of"] or ""),
                     via=via(row["route"]), refused=not row["authorised"])
    return entry


def _access_log(request: Request, principal: Principal, household_id: UUID) -> HTMLResponse:
    state = request.app.state
    if not state.households.is_household(household_id):
        return not_found(request, principal)
    full = role_and_team(request, principal)[0] == PRIVACY_OFFICER
    values, errors, since, until = _period(request)
    log = getattr(state, "access_log", None)
    rows = [] if errors or log is None else list(reversed(log.entries(household_id, since, until, limit=None)))
    if not full:
        rows = [row for row in rows if row["authorised"]]  # the household's own view (api/routers/access_log.py)
    page = max(1, position(request.query_params.get("pagina")) or 1)
    pages = max(1, -(-len(rows) // PAGE))
    page = min(page, pages)
    household = existing_household(request, household_id)
    return render(request, "privacy/access_log.html", {
        "title": "Toegangslog", "household_id": household_id, "label": household.label if household else "",
        "full": full, "entries": [_entry(row, full) for row in rows[(page - 1) * PAGE:page * PAGE]],
        "total": len(rows), "page": page, "pages": pages, "values": values, "errors": errors,
        "logging": log is not None, "query": {k: v for k, v in values.items() if v}},
        422 if errors else 200, principal)


def _inzage(request: Request, principal: Principal, household_id: UUID) -> HTMLResponse:
    households = request.app.state.households
    if not households.is_household(household_id):
        return not_found(request, principal)
    doc = inzage.document(_export(request, households, household_id))
    officer = role_and_team(request, principal)[0] == PRIVACY_OFFICER
    back, back_text = ((f"/households/{household_id}/toegangslog", "Toegangslog") if officer
                       else (f"/households/{household_id}", "Het huishouden"))
    return render(request, "privacy/inzage.html", {"title": f"Inzage: {doc['label']}", "doc": doc, "back": back,
                                                   "back_text": back_text}, principal=principal)
