"""Privacy, the privacy officer's screen (issue 11 §2.10): the emergency accesses to review (marked reviewed
one by one: the notification read, as `POST /api/notifications/{id}/read`), the integrity of the hash chains
(as `GET /api/integrity`) with a signed checkpoint made on demand (as `POST /api/integrity/checkpoints`), the
retention report (as `waakvlam retention`) and the latest daily one, to confirm (as
`POST /api/retention/reports/{id}/confirmation`), with a link to each household's access log and erasure. Only
for the privacy officer; what it names is logged as a list (NEN 7513)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.routers.retention import confirm
from domain.errors import NotFound, RuleViolation
from domain.staff import PRIVACY_OFFICER
from projections.versions import connect
from waakvlam.checkpoints import CheckpointKeyMissing
from web import privacy_status
from web.common import error_page, parse_household_id, render
from web.sessions import current_principal, posted
from workers.checkpoint_job import make_and_tell

router = APIRouter(include_in_schema=False)


def _refused(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 403, "Geen toegang",
                      "Dit scherm is voor de privacyfunctionaris: noodtoegang beoordelen, de integriteit van de "
                      "gegevens en de bewaartermijnen.")


@router.get("/privacy")
async def privacy_page(request: Request) -> Response:
    principal = await current_principal(request)
    if principal.role != PRIVACY_OFFICER:
        return _refused(request, principal)
    return await anyio.to_thread.run_sync(_privacy, request, principal)


def _privacy(request: Request, principal: Principal) -> HTMLResponse:
    fresh = request.query_params.get("opnieuw") == "1"
    return render(request, "privacy/overview.html", {
        "title": "Privacy", **privacy_status.overview(request, principal, fresh),
        "reviewed": request.query_params.get("beoordeeld") == "1",
        "erased": request.query_params.get("gewist") == "1",
        "checkpoint_made": request.query_params.get("controlepunt")}, principal=principal)


@router.post("/privacy/bewaartermijn/{report_id}/bevestigen")
async def confirm_retention(request: Request, report_id: str) -> Response:
    """Confirm the daily retention report, as `POST /api/retention/reports/{id}/confirmation`: what it names and
    is still due is erased."""
    principal, _form = await posted(request)
    if principal.role != PRIVACY_OFFICER:
        return _refused(request, principal)
    found: UUID | None = parse_household_id(report_id)
    if found is None:
        return _no_report(request, principal)
    try:
        await anyio.to_thread.run_sync(confirm, request, request.app.state.households, principal.user_id, found)
    except NotFound:
        return _no_report(request, principal)
    except RuleViolation:
        return error_page(request, principal, 409, "Al bevestigd",
                          "Dit bewaartermijnrapport is al bevestigd; wat het noemde is toen gewist.")
    privacy_status.retention_erased(request.app.state.households)
    return RedirectResponse("/privacy?gewist=1#bewaarrapport", status_code=303)


@router.post("/privacy/controlepunt")
async def make_checkpoint(request: Request) -> Response:
    """Make a signed checkpoint now, as `POST /api/integrity/checkpoints`, and show the result."""
    principal, _form = await posted(request)
    if principal.role != PRIVACY_OFFICER:
        return _refused(request, principal)
    state = request.app.state

    def make() -> Any:
        with connect(state.env) as conn:
            return make_and_tell(state.env, state.settings, state.households, conn, full=False)

    try:
        made = await anyio.to_thread.run_sync(make)
    except CheckpointKeyMissing:
        return error_page(request, principal, 503, "Geen sleutel",
                          "Er is geen sleutel ingesteld om controlepunten mee te ondertekenen "
                          "(WAAKVLAM_CHECKPOINT_KEY). Vraag het de beheerder.")
    privacy_status.forget_integrity(state.households)
    outcome = "gemaakt" if made.checkpoint is not None else ("leeg" if made.ok else "verbroken")
    return RedirectResponse(f"/privacy?controlepunt={outcome}#integriteit", status_code=303)


def _no_report(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 404, "Rapport niet gevonden", "Dit bewaartermijnrapport bestaat niet.")


@router.post("/privacy/noodtoegang/{notification_id}/beoordeeld")
async def mark_reviewed(request: Request, notification_id: str) -> Response:
    principal, _form = await posted(request)
    if principal.role != PRIVACY_OFFICER:
        return _refused(request, principal)
    found: UUID | None = parse_household_id(notification_id)
    marked = None
    if found is not None:
        marked = await anyio.to_thread.run_sync(request.app.state.notifications.mark_read, principal.user_id, found)
    if marked is None:
        return error_page(request, principal, 404, "Melding niet gevonden",
                          "Deze melding van noodtoegang bestaat niet (meer), of is niet aan u gericht.")
    return RedirectResponse("/privacy?beoordeeld=1#noodtoegang", status_code=303)
