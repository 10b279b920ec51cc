"""Signals: intake from partners, the team's inbox, and triage.

Partners (role `partner`) report signals and follow their own reports here, and
nowhere else. The inbox lists the most urgent signals first, then the most
recently seen; one signal shows how it was triaged and its eropaf (the time
from the signal to the first contact with the household).

A signal holds personal data from its first minute (a name, an address, a worry about a family), so it is
treated as a file of its own (issue 12): sealed with its own key (domain/signal.py), and every read of it is
in the NEN 7513 access log like a household read (api/signal_access.py), refusals too. The privacy officer
erases a signal on request (`POST /api/signals/{id}/erasure`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.auth import PARTNER, Principal
from api.authz import check, record_listed, role_and_team, signal_scope
from api.deps import (
    AfterQuery,
    CommandDep,
    HouseholdsDep,
    ReportCommandDep,
    ReporterDep,
    SettingsDep,
    SignalsDep,
    wait_for,
)
from api.routers.common import problems
from api.schemas.commands import ErasureIn
from api.schemas.signals import (
    ReportStatus,
    ReportStatusPage,
    SignalCommandResult,
    SignalItem,
    SignalPage,
    SignalReport,
    Triage,
    TriageAction,
)
from api.signal_access import record_signal, record_signals_listed
from domain.errors import InvalidInput, NotFound
from domain.signal import PartnerKind
from domain.signal_erasure import forget_signal
from domain.staff import PRIVACY_OFFICER
from domain.values import Intensity, Urgency
from projections.signals import NEW, SignalRow, replay

router = APIRouter(prefix="/api/signals", tags=["signals"])

NO_NUL = r"^[^\x00]*$"
StatusQuery = Annotated[str | None, Query(pattern="^(new|linked|dismissed)$", description=(
    "new, linked or dismissed. A partner may ask for `new` only: it sees whether a report was triaged, not how."))]


INBOX = problems(401, 422, 503, described={
    403: "Not for this account: a partner asking how its reports were triaged (`status` other than `new`), or "
         "someone outside the wijkteams, or another team's inbox"})
READ = problems(401, 422, 503, described={
    403: "Another team's signal, or an account outside the wijkteams",
    404: "Unknown signal (for a partner: also someone else's report)"})
INTAKE = problems(401, 413, 422, 503, described={
    409: "The report breaks a rule, e.g. it was seen in the future; `rule` says which"})
TRIAGE = problems(400, 401, 413, 422, 503, described={
    403: "A partner account (triage is the team's), or a household you may not act on",
    404: "Unknown signal, or (link) unknown household",
    409: "The signal was already triaged, or the household refuses it (e.g. it is closed)",
    412: "If-Match does not match the signal's current version"})
ERASURE = problems(400, 401, 413, 422, 503, described={
    403: "Not the privacy officer: erasing a signal is theirs alone",
    404: "Unknown signal",
    409: "The signal was already erased",
    412: "If-Match does not match the signal's current version"})


def _is_partner(principal: Principal) -> bool:
    return principal.role == PARTNER


def _item(row: SignalRow) -> SignalItem:
    return SignalItem.model_validate({**vars(row), "eropaf_hours": row.eropaf_hours})


def _status(row: SignalRow) -> ReportStatus:
    triaged = row.status != NEW
    return ReportStatus(signal_id=row.signal_id, version=row.version, status="triaged" if triaged else "received",
                        triaged=triaged, received_at=row.reported_at, triaged_at=row.triaged_at,
                        occurred_at=row.occurred_at, source=row.source, about_name=row.about_name,
                        about_address=row.about_address, urgency=row.urgency)


@router.post("", status_code=201, response_model=SignalCommandResult, responses=INTAKE,
             summary="Report a signal (partners too): who reports, about whom, what was seen, how urgent")
def report_signal(body: SignalReport, command: ReportCommandDep) -> JSONResponse:
    """Reports a signal to the wijkteam: who reports (a partner, or the team itself), about whom and where, what was
    seen, on which life domains, how urgent, and for which team. It lands in the team's inbox for triage; a partner
    follows it with `GET /api/signals/{signal_id}`. Partners too; answers the new `signal_id` with its address in
    `Location`. Send `Idempotency-Key` to make a retry safe."""
    fields = body.fields()
    if _is_partner(command.principal):
        if body.source == PartnerKind.TEAM:
            raise InvalidInput("source", "a partner reports as the partner it is, not as the team")
        if not fields.get("team") and command.principal.team:  # a partner of one neighbourhood reports to its team
            fields["team"] = command.principal.team

    def run(**context: Any):
        return command.households.report_signal(**fields, **context)

    response = command.run(run, created=True, versioned=False)
    if response.status_code == 201:
        response.headers["Location"] = f"/api/signals/{json.loads(response.body)['signal_id']}"
    return response


@router.get("", response_model=SignalPage | ReportStatusPage, responses=INBOX,
            summary="The signal inbox, most urgent first, then the most recently seen (a partner: its own reports)")
def signal_inbox(
    request: Request,
    principal: ReporterDep,
    view: SignalsDep,
    settings: SettingsDep,
    status: StatusQuery = None,
    team: Annotated[str | None, Query(max_length=100, pattern=NO_NUL, description="The team's inbox.")] = None,
    urgency: Urgency | None = None,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: AfterQuery = None,
) -> SignalPage | ReportStatusPage:
    """The wijkteams' people: the signals of your team (and those for no team yet), filtered by status, team and
    urgency, most urgent first, then the most recently seen, a page at a time. A partner: the status of its own
    reports only (received or triaged, not how). A projection: `after` reads your own write."""
    partner = _is_partner(principal)
    if partner and status not in (None, NEW):
        raise HTTPException(403, "a partner sees whether its reports were triaged, not how")
    visible_to = None if partner else signal_scope(request, principal, team)  # api/authz.py
    wait_for(view, after, settings.catch_up_timeout)
    try:
        rows, next_cursor = view.page(status=status, team=team, urgency=urgency, cursor=cursor, limit=limit,
                                      reported_by=principal.user_id if partner else None, visible_to=visible_to)
    except ValueError as error:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error),
                                       "input": None}]) from None
    # NEN 7513: one entry naming every signal on the page, and the households the linked ones belong to.
    record_signals_listed(request, principal, rows)
    if partner:
        return ReportStatusPage(items=[_status(row) for row in rows], next_cursor=next_cursor)
    return SignalPage(items=[_item(row) for row in rows], next_cursor=next_cursor)


@router.get("/{signal_id}", response_model=SignalItem | ReportStatus, responses=READ,
            summary="One signal: its report, its triage and its eropaf (a partner: the status of its own report)")
def signal(signal_id: UUID, request: Request, principal: ReporterDep, households: HouseholdsDep, view: SignalsDep,
           settings: SettingsDep, response: Response, after: AfterQuery = None) -> SignalItem | ReportStatus:
    """One signal as it stands: its report, how it was triaged (linked to a household, registered as one, or dismissed)
    and its eropaf, the hours from the signal to the first contact with the household. A partner sees only the
    status of its own reports; another team's signal is refused (403). The `ETag` is the signal's version."""
    # The signal's own events say how it stands now; the view adds the first contact with its household.
    rows = replay(households.signal_events(signal_id)).values()
    if not rows:  # forgotten: nothing of it is left to show
        raise NotFound(f"signal {signal_id} was erased")
    (row,) = rows
    if _is_partner(principal) and row.reported_by != principal.user_id:
        record_signal(request, principal, signal_id, authorised=False)
        raise NotFound(f"signal {signal_id} does not exist")  # someone else's report is none of theirs
    response.headers["ETag"] = f'"{row.version}"'
    if _is_partner(principal):
        record_signal(request, principal, signal_id, authorised=True)  # NEN 7513: its own report, read
        return _status(row)
    own_team = signal_scope(request, principal)
    if row.team is not None and row.team != own_team:
        record_signal(request, principal, signal_id, authorised=False)
        raise HTTPException(403, "this signal is for another team")
    record_signal(request, principal, signal_id, authorised=True)  # NEN 7513: the signal, read
    wait_for(view, after, settings.catch_up_timeout)
    seen = view.get(signal_id)
    if seen is not None and row.household_id is not None and seen.household_id == row.household_id:
        row = replace(row, first_contact_at=seen.first_contact_at)
    record_listed(request, principal, [row.household_id])  # NEN 7513: a linked household's signal
    return _item(row)


@router.post("/{signal_id}/triage", response_model=SignalCommandResult, responses=TRIAGE,
             summary="Triage a signal, once: link it to a household, register a household from it, or dismiss it")
def triage_signal(signal_id: UUID, body: Triage, command: CommandDep, request: Request) -> JSONResponse:
    """Decides a new signal, once: `link` it to a household you may act on (it becomes a signal on that household),
    `register` a new household from it, or `dismiss` it with a reason. For the wijkteams' people; send the signal's
    `ETag` as `If-Match` to triage only what you saw."""
    households = command.households
    signal_scope(request, command.principal)  # the wijkteams' people triage
    record_signal(request, command.principal, signal_id, authorised=True, action="update")  # NEN 7513
    if body.action == TriageAction.LINK:
        assert body.household_id is not None
        check(request, command.principal, body.household_id, action="update")  # may they act on that household?
        run = partial(households.link_signal, signal_id, body.household_id)
    elif body.action == TriageAction.REGISTER:
        assert body.label is not None
        run = partial(households.register_from_signal, signal_id, label=body.label, team=body.team,
                      intensity=body.intensity or Intensity.LICHT)
    else:
        assert body.reason is not None
        run = partial(households.dismiss_signal, signal_id, reason=body.reason)
    return command.run(run)


@router.post("/{signal_id}/erasure", response_model=SignalCommandResult, responses=ERASURE,
             summary="Forget a signal: destroy its key, so its personal data can never be read again")
def erase_signal(signal_id: UUID, body: ErasureIn, command: CommandDep, request: Request) -> JSONResponse:
    """Forgets a signal (AVG art. 17) by crypto-shredding: its own key is destroyed, so who reported it, about whom,
    where and what was seen can never be read again, and it leaves the inbox; the events themselves, without their
    personal data, stay for the audit. A signal linked to a household leaves that household's own record of it in
    the household's file. The privacy officer's decision alone, with the reason; a signal is erased once (409)."""
    principal = command.principal
    if role_and_team(request, principal)[0] != PRIVACY_OFFICER:
        record_signal(request, principal, signal_id, authorised=False, action="delete")
        raise HTTPException(403, "erasing a signal is the privacy officer's decision")
    record_signal(request, principal, signal_id, authorised=True, action="delete")
    return command.run(partial(forget_signal, command.households, signal_id, **body.fields()))
