"""Dependencies, as `Annotated` aliases the routers declare."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated

from eventsourcing.postgres import PostgresTrackingRecorder
from fastapi import Depends, Header, HTTPException, Query, Request

from api.auth import PARTNER, Principal, authenticate
from api.authz import authorise
from api.commands import CommandRunner
from api.problems import CatchUpTimeout, PositionNotStored
from domain.application import Households
from projections.caseload import CaseloadView
from projections.plan import PlanView
from projections.schedule import ScheduleView
from projections.signals import SignalsView
from projections.versions import store_head
from waakvlam.settings import Settings


# Trivial dependencies are `async` so that they run on the event loop instead of
# costing a hop to the thread pool each.
async def _households(request: Request) -> Households:
    return request.app.state.households


async def _caseload(request: Request) -> CaseloadView:
    return request.app.state.caseload


async def _plans(request: Request) -> PlanView:
    return request.app.state.plans


async def _schedule(request: Request) -> ScheduleView:
    return request.app.state.schedule


async def _signals(request: Request) -> SignalsView:
    return request.app.state.signals


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


HouseholdsDep = Annotated[Households, Depends(_households)]
CaseloadDep = Annotated[CaseloadView, Depends(_caseload)]
SettingsDep = Annotated[Settings, Depends(_settings)]
PlanViewDep = Annotated[PlanView, Depends(_plans)]
ScheduleDep = Annotated[ScheduleView, Depends(_schedule)]
SignalsDep = Annotated[SignalsView, Depends(_signals)]


async def _staff(request: Request, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """The wijkteam's people; a partner account is refused here (403): it only reports signals
    and follows its own reports, on the routes that take `ReporterDep`. On a route of one household
    (a `household_id` in the path) the user must also be allowed that household: api/authz.py,
    which also writes the NEN 7513 access-log entry."""
    await authorise(request, principal)
    if principal.role == PARTNER:
        raise HTTPException(403, "a partner account may report signals and follow its own reports, nothing else")
    return principal


PrincipalDep = Annotated[Principal, Depends(_staff)]
ReporterDep = Annotated[Principal, Depends(authenticate)]  # the team's people and partners


def parse_if_match(value: str | None) -> int | None:
    """`"7"` (or W/"7", or 7) -> 7; `*` or nothing -> no precondition."""
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not (tag.isascii() and tag.isdigit()):  # str.isdigit() alone accepts "²", which int() refuses
        raise HTTPException(400, 'If-Match must be an ETag of this service, such as "7"')
    return int(tag)


IdempotencyKeyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="Makes a retry return the first answer and record nothing twice.")]
IfMatchHeader = Annotated[str | None, Header(
    alias="If-Match", description='Write only if the household (or signal) is still at this ETag, e.g. "7".')]


async def _command(
    request: Request,
    principal: PrincipalDep,
    households: HouseholdsDep,
    idempotency_key: IdempotencyKeyHeader = None,
    if_match: IfMatchHeader = None,
) -> CommandRunner:
    body = await request.body()
    fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body).hexdigest()
    return CommandRunner(households, principal, idempotency_key, fingerprint, parse_if_match(if_match))


async def _report(
    request: Request,
    principal: ReporterDep,
    households: HouseholdsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CommandRunner:
    """As `_command`, for a partner too: reporting a signal (a new one: no If-Match)."""
    return await _command(request, principal, households, idempotency_key, None)


CommandDep = Annotated[CommandRunner, Depends(_command)]
ReportCommandDep = Annotated[CommandRunner, Depends(_report)]


AfterQuery = Annotated[int | None, Query(
    ge=0, description="Store position of your last write: wait until this view has caught up with it.")]


def wait_for(view: PostgresTrackingRecorder, position: int | None, timeout: float) -> None:
    """Block until `view` has processed `position` (bounded by `timeout`)."""
    if position is None:
        return
    deadline = time.monotonic() + timeout
    pause = 0.005
    checked = False
    while not view.has_tracking_id(Households.name, position):
        if not checked:  # once: a position beyond the store's head would only ever time out
            checked = True
            head = store_head(view)
            if position > head:
                raise PositionNotStored(position, head)
        if time.monotonic() > deadline:
            raise CatchUpTimeout(f"this view has not yet caught up with position {position}", position)
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _caught_up(caseload: CaseloadDep, settings: SettingsDep, after: AfterQuery = None) -> None:
    wait_for(caseload, after, settings.catch_up_timeout)


CaughtUpDep = Annotated[None, Depends(_caught_up)]
