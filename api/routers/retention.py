"""Retention (issue 12 §4): the daily reports of what has passed its retention term (workers/retention_job.py,
made by the reminder worker), and the privacy officer's confirmation that erases what a report names and is
still due. For the privacy officer alone; what a list names is logged as one read (NEN 7513), a confirmation
as one delete naming the households it erases."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from api.authz import record_listed, role_and_team
from api.deps import HouseholdsDep, PrincipalDep
from api.routers.common import problems
from domain.application import Households
from domain.errors import RuleViolation
from domain.staff import PRIVACY_OFFICER
from projections.versions import connect
from workers import retention_job

router = APIRouter(prefix="/api/retention", tags=["privacy"])
FORBIDDEN = "retention reports and their confirmation are the privacy officer's"
LIST = problems(401, 503, described={403: "Not a privacy officer"})
CONFIRMATION = problems(401, 404, 409, 422, 503, described={
    403: "Not a privacy officer", 404: "Unknown report", 409: "The report was confirmed already"})

_ready: set[str] = set()
_lock = threading.Lock()


class ExpiredHousehold(BaseModel):
    household_id: UUID
    team: str
    closed_at: datetime
    provision: bool = Field(description="An intervention followed (15 years), or none (5 years).")
    years: int
    erase_from: date = Field(description="The first day it may be erased.")


class ExpiredSignal(BaseModel):
    signal_id: UUID
    team: str | None
    status: str = Field(description="new (never triaged) or dismissed.")
    since: datetime = Field(description="Dismissed at, or (never triaged) received at.")
    months: int
    erase_from: date


class RetentionReport(BaseModel):
    report_id: UUID
    day: date = Field(description="The Dutch date the report was made for.")
    created_at: datetime
    households: list[ExpiredHousehold]
    signals: list[ExpiredSignal]
    confirmed_by: str | None = Field(None, description="The privacy officer who confirmed the erasure.")
    confirmed_at: datetime | None = None
    erased_households: int | None = Field(None, description="Erased on confirmation: those still due then.")
    erased_signals: int | None = None
    erased_at: datetime | None = Field(None, description="When the erasure was done (null: not, or not yet).")


class RetentionReports(BaseModel):
    items: list[RetentionReport] = Field(description="The latest reports, newest first.")


def _view(report: retention_job.Report) -> RetentionReport:
    return RetentionReport(**vars(report))


def _officer(request: Request, principal: Any) -> None:
    if role_and_team(request, principal)[0] != PRIVACY_OFFICER:
        raise HTTPException(403, FORBIDDEN)


def _connection(request: Request) -> Any:
    """A connection of its own (autocommit), with the reports table made once per process."""
    env = request.app.state.access_log.env
    conn = connect(env)
    schema = env.get("POSTGRES_SCHEMA") or "public"
    with _lock:
        if schema not in _ready:
            retention_job.create_table(conn, schema)
            _ready.add(schema)
    return conn


def _schema(request: Request) -> str:
    return request.app.state.access_log.schema


def latest(request: Request) -> retention_job.Report | None:
    """The latest report (the privacy page's), or None."""
    with _connection(request) as conn:
        found = retention_job.reports(conn, _schema(request), limit=1)
    return found[0] if found else None


@router.get("/reports", response_model=RetentionReports, responses=LIST,
            summary="The daily retention reports: what has passed its term, and whether erasing it was confirmed")
def retention_reports(request: Request, principal: PrincipalDep) -> RetentionReports:
    """The latest daily retention reports, newest first: the households past their term (15 years after closing, or
    5 without a provision; VNG selectielijst) and the signals that led to nothing past their team's term, each with
    whether (and by whom) its erasure was confirmed. For the privacy officer."""
    _officer(request, principal)
    with _connection(request) as conn:
        found = retention_job.reports(conn, _schema(request))
    record_listed(request, principal, [h for r in found for h in r.household_ids])
    return RetentionReports(items=[_view(r) for r in found])


@router.post("/reports/{report_id}/confirmation", response_model=RetentionReport, responses=CONFIRMATION,
             summary="Confirm a retention report: erase what it names and is still past its term")
def confirm_retention_report(report_id: UUID, request: Request, principal: PrincipalDep,
                             households: HouseholdsDep) -> RetentionReport:
    """Erases, by crypto-shredding, the report's households and signals that are still past their term (one reopened
    since the report is left alone), with the privacy officer as actor and the term as reason; answers the report
    with its counts. A report is confirmed once (409). For the privacy officer."""
    _officer(request, principal)
    return _view(confirm(request, households, principal.user_id, report_id))


def confirm(request: Request, households: Households, officer: str, report_id: UUID) -> retention_job.Report:
    """Confirm as `officer` (the API's and the privacy page's): 409 when confirmed already, 403 for no officer."""
    client = request.client.host if request.client else None
    access = {"method": "POST", "route": retention_job.ROUTE, "client_address": client,
              "user_agent": (request.headers.get("user-agent") or "")[:300] or None}
    with _connection(request) as conn:
        try:
            return retention_job.confirm(conn, _schema(request), households, report_id, officer, access=access)
        except retention_job.AlreadyConfirmed as error:
            raise RuleViolation("a retention report is confirmed once", str(error)) from None
        except retention_job.NotAnOfficer as error:
            raise HTTPException(403, str(error)) from None
