"""De huishoudens: the caseload list with the API's filters, search by label (across every page) and paging
forward and back (the cursors of the pages before travel in the link, `vorige`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.authz import list_scope, record_listed
from domain.values import Intensity
from web.common import error_page, render
from web.plan_read import parse_date
from web.sessions import current_principal

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
MAX_BACK = 30  # pages remembered for "Vorige pagina"; further back, "Eerste pagina"


@router.get("/huishoudens")
async def caseload(request: Request) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(_caseload, request, principal)


def _caseload(request: Request, principal: Principal) -> HTMLResponse:
    query = request.query_params
    chosen = {name: (query.get(name) or "").strip()[:100] for name in
              ("team", "coordinator", "intensity", "status", "due_before", "q", "cursor", "vorige")}
    chosen["vorige"] = (query.get("vorige") or "").strip()[:MAX_BACK * 80]
    errors: dict[str, str] = {}
    intensity = chosen["intensity"] or None
    if intensity is not None and intensity not in {i.value for i in Intensity}:
        errors["intensity"] = "Kies een intensiteit uit de lijst."
    status = chosen["status"] or None
    if status not in (None, "open", "closed"):
        errors["status"] = "Kies lopend of afgesloten."
    due_before = parse_date(chosen["due_before"]) if chosen["due_before"] else None
    if chosen["due_before"] and due_before is None:
        errors["due_before"] = "Vul een datum in, zoals 31-12-2026."
    context: dict[str, Any] = {"title": "Huishoudens", "chosen": chosen, "errors": errors, "rows": [],
                               "intensities": [i.value for i in Intensity], "next_cursor": None,
                               "page_number": 1, "next_query": None, "previous_query": None, "first_query": None}
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
            due_before=due_before, cursor=chosen["cursor"] or None, limit=PAGE_SIZE,
            label_contains=chosen["q"] or None)
    except ValueError:
        context["errors"] = {"cursor": "Deze pagina bestaat niet (meer). Begin opnieuw bij de eerste pagina."}
        return render(request, "caseload/list.html", context, 400, principal)
    record_listed(request, principal, (row.household_id for row in rows))  # NEN 7513: what the page shows
    context.update(rows=rows, next_cursor=next_cursor, **_paging(chosen, next_cursor))
    return render(request, "caseload/list.html", context, principal=principal)


def _paging(chosen: dict[str, str], next_cursor: str | None) -> dict[str, Any]:
    """The links to the next and the previous page: each carries the filters, and the cursors before it."""
    filters = {k: v for k, v in chosen.items() if v and k not in ("cursor", "vorige")}
    before = [c for c in chosen["vorige"].split(",") if c][-MAX_BACK:]
    here = chosen["cursor"]
    links: dict[str, Any] = {"next_query": None, "previous_query": None, "first_query": None,
                             "page_number": len(before) + 1}
    if next_cursor:  # "-" stands for the first page, which has no cursor
        links["next_query"] = urlencode({**filters, "cursor": next_cursor, "vorige": ",".join([*before, here or "-"])})
    if here:
        previous = before[-1] if before and before[-1] != "-" else ""
        links["previous_query"] = urlencode({**filters, **({"cursor": previous} if previous else {}),
                                             **({"vorige": ",".join(before[:-1])} if before[:-1] else {})})
        links["first_query"] = urlencode(filters)
    return links
