"""De huishoudens: the caseload list with the API's filters, search by label and paging."""

from __future__ import annotations

from datetime import date
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.authz import list_scope, record_listed
from domain.values import Intensity
from web.common import error_page, render
from web.sessions import current_principal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25


@router.get("/huishoudens")
async def caseload(request: Request) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(_caseload, request, principal)


def _caseload(request: Request, principal: Principal) -> HTMLResponse:
    query = request.query_params
    chosen = {name: (query.get(name) or "").strip()[:100] for name in
              ("team", "coordinator", "intensity", "status", "due_before", "q", "cursor")}
    errors: dict[str, str] = {}
    intensity = chosen["intensity"] or None
    if intensity is not None and intensity not in {i.value for i in Intensity}:
        errors["intensity"] = "Kies een intensiteit uit de lijst."
    status = chosen["status"] or None
    if status not in (None, "open", "closed"):
        errors["status"] = "Kies lopend of afgesloten."
    due_before = None
    if chosen["due_before"]:
        try:
            due_before = date.fromisoformat(chosen["due_before"])
        except ValueError:
            errors["due_before"] = "Vul een datum in, bijvoorbeeld 2026-12-31."
    context: dict[str, Any] = {"title": "Huishoudens", "chosen": chosen, "errors": errors, "rows": [],
                               "intensities": [i.value for i in Intensity], "next_cursor": None}
    if errors:
        return render(request, "caseload/list.html", context, 400, principal)
    try:
        team = list_scope(request, principal, chosen["team"] or None, chosen["coordinator"] or None)
    except HTTPException as refused:
        return error_page(request, principal, refused.status_code, "Geen toegang",
                          "U mag deze huishoudens niet zien.")
    try:
        rows, next_cursor = request.app.state.caseload.page(
            team=team, coordinator=chosen["coordinator"] or None, intensity=intensity, status=status,
            due_before=due_before, cursor=chosen["cursor"] or None, limit=PAGE_SIZE)
    except ValueError:
        context["errors"] = {"cursor": "Deze pagina bestaat niet (meer). Begin opnieuw bij de eerste pagina."}
        return render(request, "caseload/list.html", context, 400, principal)
    if chosen["q"]:
        rows = [row for row in rows if chosen["q"].casefold() in (row.label or "").casefold()]
    record_listed(request, principal, (row.household_id for row in rows))  # NEN 7513: what the page shows
    context.update(rows=rows, next_cursor=next_cursor)
    return render(request, "caseload/list.html", context, principal=principal)
