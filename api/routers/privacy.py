"""Privacy (AVG): subject access (art. 15), an export of everything held on a household (its events, plan,
timeline, linked signals, and who accessed its file: the household's own view of the access log), as JSON and
as a readable Dutch page; consent (toestemming) to share a household's data with a party outside the team, recorded
and withdrawn (a referral to specialist care needs a valid consent for its provider, or a legal basis:
domain/household.py); and erasure (art. 17) by crypto-shredding: the household's key is destroyed, so the
personal data in its events can never be read again, and the read models drop its rows (domain/erasure.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import CommandDep, HouseholdsDep, PrincipalDep
from api.routers.access_log import household_view
from api.routers.common import COMMAND_RESPONSES, READ_RESPONSES
from api.schemas.commands import ConsentIn, ConsentWithdrawal, ErasureIn, ItemId
from api.schemas.views import CommandResult
from domain.application import Households
from domain.errors import NotFound
from projections.export import linked_signals, subject_access
from projections.history import household_history

router = APIRouter(prefix="/api/households/{household_id}", tags=["privacy"])


def _export(request: Request, households: Households, household_id: UUID) -> dict[str, Any]:
    if not households.is_household(household_id):  # the store also holds teams and signals
        raise NotFound(f"household {household_id} does not exist")
    # Who accessed the file (NEN 7513), as the household's own view of its access log shows it; this
    # export included (it was logged before this reads the log).
    access_log = getattr(request.app.state, "access_log", None)
    accesses = [item.model_dump(mode="json")
                for item in household_view(access_log.entries(household_id, limit=None))] if access_log else []
    events = households.history(household_id)
    # Two reads of the store: a change recorded between them is left for the next export (both are oldest first).
    entries = household_history(households, household_id)[:len(events)]
    signals = []
    for signal_id in linked_signals(events):
        try:
            signals.append(households.signal_events(signal_id))
        except NotFound:
            continue
    return subject_access(entries, events, signals, datetime.now(UTC), accesses)


@router.get("/export", responses=READ_RESPONSES,
            summary="Subject access (AVG art. 15): everything held on the household, as JSON")
def export_household(household_id: UUID, request: Request, _principal: PrincipalDep,
                     households: HouseholdsDep) -> dict[str, Any]:
    """Everything held on the household, for a subject-access request (AVG art. 15): every event with its metadata, the
    plan, the timeline, the signals linked to it and who accessed its file (the household's own view of the access
    log). For the household's team and the privacy officer; logged as an export."""
    return _export(request, households, household_id)


@router.get("/export.html", response_class=HTMLResponse, responses=READ_RESPONSES,
            summary="Subject access (AVG art. 15): everything held on the household, as a readable page (Dutch)")
def export_household_html(household_id: UUID, request: Request, _principal: PrincipalDep,
                          households: HouseholdsDep) -> HTMLResponse:
    """The subject-access export as a readable page in Dutch, to print or hand to the household. Its errors are
    problem+json, like every other route's."""
    from web.inzage import as_page  # the werkplek's inzage page, standalone (web/templates/privacy/)

    return HTMLResponse(as_page(_export(request, households, household_id)))


@router.post("/consents", status_code=201, responses=COMMAND_RESPONSES, response_model=CommandResult,
             summary="Record the household's consent to share its data with a party, for a purpose, until a day")
def record_consent(household_id: UUID, body: ConsentIn, command: CommandDep) -> JSONResponse:
    """Records the household's consent to share its data with a party outside the team, for a purpose, until a day (or
    until withdrawn); answers its `item_id`. A referral to a provider outside the team needs a valid consent for
    that provider, or a legal basis."""
    return command.run(partial(command.households.record_consent, household_id, **body.fields()), created=True)


@router.post("/consents/{consent_id}/withdraw", responses=COMMAND_RESPONSES, response_model=CommandResult,
             summary="Withdraw a consent: from now on nothing is shared on it")
def withdraw_consent(household_id: UUID, consent_id: ItemId, body: ConsentWithdrawal,
                     command: CommandDep) -> JSONResponse:
    """Withdraws a consent, with the reason: from now on nothing is shared on it."""
    return command.run(partial(command.households.withdraw_consent, household_id, consent_id, **body.fields()))


@router.post("/erasure", responses=COMMAND_RESPONSES, response_model=CommandResult,
             summary="Forget the household: destroy its key, so its personal data can never be read again")
def erase_household(household_id: UUID, body: ErasureIn, command: CommandDep) -> JSONResponse:
    """Forgets the household (AVG art. 17) by crypto-shredding: its key is destroyed, so the personal data in its
    events can never be read again, and the read models drop its rows; the events themselves, without their personal
    data, stay for the audit. The privacy officer's decision alone, with the reason."""
    return command.run(partial(command.households.forget, household_id, **body.fields()))
