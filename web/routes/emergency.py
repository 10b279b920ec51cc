"""Noodtoegang: a care worker opens a household outside their team. Its 403 page (web/common.authorised) asks
for the reason first; the reason is posted here, kept for the household's pages (web/emergency.py), and every
page of the household is then decided and logged by api/authz.py as an emergency access (flagged, with the
reason), with the team lead and the privacy officers told (api/emergency.py), exactly as the API's
`X-Emergency-Access` header. The pages show a banner while it lasts; it can be ended at once."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from domain.staff import CARE_ROLES
from web import emergency
from web.common import emergency_offer, error_page, not_found, parse_household_id
from web.sessions import current_principal, posted, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/households/{household_id}/noodtoegang")
async def emergency_form(request: Request, household_id: str) -> Response:
    """The form lives on the household's 403 page: go there."""
    await current_principal(request)
    found = parse_household_id(household_id)
    return RedirectResponse(f"/households/{found}" if found else "/", status_code=303)


@router.post("/households/{household_id}/noodtoegang")
async def open_in_emergency(request: Request, household_id: str) -> Response:
    principal, form = await posted(request)
    found = parse_household_id(household_id)
    if found is None or not request.app.state.households.is_household(found):
        return not_found(request, principal)
    if principal.role not in CARE_ROLES:
        return error_page(request, principal, 403, "Geen noodtoegang",
                          "Noodtoegang is er voor de mensen van de wijkteams, in een noodsituatie. Met uw rol "
                          "opent u geen dossier van een huishouden; deze poging is niet doorgegaan.")
    reason = str(form.get("reden") or "").strip()
    error = ("Vul de reden in waarom u dit dossier nu nodig heeft." if not reason else
             f"Schrijf de reden in hooguit {emergency.REASON_LENGTH} tekens." if len(reason) > emergency.REASON_LENGTH
             else "")
    if error:
        return emergency_offer(request, principal, found, reason, error, 422)
    back = safe_next(form.get("volgende"))
    target = back if back.startswith(f"/households/{found}") else f"/households/{found}"
    response = RedirectResponse(target, status_code=303)
    emergency.grant(request, response, found, reason)
    return response


@router.post("/households/{household_id}/noodtoegang/beeindigen")
async def end_emergency(request: Request, household_id: str) -> Response:
    await posted(request)
    found = parse_household_id(household_id)
    response = RedirectResponse("/?noodtoegang=beeindigd", status_code=303)
    if found is not None:
        emergency.end(request, response, found)
    return response
