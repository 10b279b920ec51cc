"""The household on one screen, at /households/{id} (where mails and calendar events link), and the plan as it
stood on a date, at /households/{id}/plan-op-datum (the API's `plan?as_of=&known_at=`, with what differs from
today marked)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import wait_for
from api.problems import CatchUpTimeout
from domain.corrections import CORRECTABLE
from domain.values import LOCAL_TZ, LifeDomain, local_date
from projections.plan import plan_as_of, present
from projections.timeline import decode_cursor
from web import dutch, plan_read
from web.command_forms import FORMS
from web.common import existing_household, not_found, on_household, position, render, today

router = APIRouter(include_in_schema=False)
TIMELINE_LENGTH = 25


@router.get("/households/{household_id}")
async def household_page(request: Request, household_id: str) -> Response:
    return await on_household(request, household_id, _household)


@router.get("/households/{household_id}/plan-op-datum")
async def plan_on_a_date(request: Request, household_id: str) -> Response:
    return await on_household(request, household_id, _plan_on_a_date)


def _end_of(day: Any) -> datetime:
    """The last moment of a Dutch day, in UTC."""
    return (datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ) - timedelta(microseconds=1)
            ).astimezone(UTC)


def _sections(request: Request, household_id: UUID, doc: dict[str, Any], at: datetime) -> dict[str, Any]:
    """What the plan sections show: the plan as presented, the ZRM history per domain with its chart points,
    the time at each intensity, the consents."""
    plan = present(doc, at)
    plan["life_domains"] = plan_read.ordered_domains(plan["life_domains"])
    if plan_read.from_document(doc):  # the plan document holds them: no events read
        history, consents = plan_read.zrm_history_of(doc), plan_read.consents_of(doc)
    else:
        events = tuple(e for e in request.app.state.households.history(household_id) if e.timestamp <= at)
        history, consents = plan_read.zrm_history(events), plan_read.consents(events)
    charts = {domain: plan_read.chart_points(points) for domain, points in history.items() if len(points) > 1}
    return {
        "plan": plan, "zrm": history, "zrm_charts": charts,
        "intensity_totals": plan_read.intensity_totals(plan["intensity_history"]),
        "intensity_chart": plan_read.intensity_points(plan["intensity_history"], at),
        "consents": [c for c in consents if c["given"] <= at],
        "loose_interventions": [i for i in plan["interventions"] if not i.get("goal_id")],
        "loose_agreements": [a for a in plan["open_agreements"] if not a.get("goal_id")],
        "ladder_total": sum(step["count"] for step in plan["support_ladder"]),
    }


def _timeline(request: Request, household_id: UUID) -> tuple[dict[str, Any], dict[str, str]]:
    """The timeline's page as its filters ask (the API's filters: life domain, kind, by whom, period)."""
    query, errors = request.query_params, {}
    values = {name: str(query.get(name) or "").strip()[:100] for name in ("leefgebied", "soort", "door", "van", "tot",
                                                                           "verder")}
    domain = values["leefgebied"] if values["leefgebied"] in {d.value for d in LifeDomain} else None
    kind = values["soort"] if values["soort"] in plan_read.KIND_NL else None
    found, since, end = plan_read.period(values)
    errors.update(found)
    until = end - timedelta(microseconds=1) if end else None  # the timeline's `until` is the last moment in it
    cursor = values["verder"] or None
    if cursor is not None:
        try:
            decode_cursor(cursor)
        except ValueError:
            cursor = None
    rows, next_cursor = [], None
    if not errors:
        try:
            rows, next_cursor = request.app.state.timeline.page(
                household_id, domain=domain, kind=kind, actor=values["door"] or None, since=since, until=until,
                cursor=cursor, limit=TIMELINE_LENGTH)
        except ValueError:
            rows, next_cursor = request.app.state.timeline.page(household_id, limit=TIMELINE_LENGTH)
    filters = {k: v for k, v in values.items() if k != "verder" and v}
    return {"timeline": rows, "next_cursor": next_cursor, "filters": values, "filtered": bool(filters),
            "more_query": filters, "paged": cursor is not None, "kinds": plan_read.KIND_NL,
            "correctable": frozenset(CORRECTABLE),
            "partial": request.headers.get("HX-Request") == "true",  # htmx filtering: the filters stay open
            "domains": [(d.value, dutch.domain(d.value)) for d in LifeDomain]}, errors


def _staff_name(request: Request, user_id: str | None) -> str | None:
    """A coordinator as the team knows them (the staff registry's name), else their user name."""
    member = request.app.state.households.staff_member(user_id) if user_id else None
    return member.name if member is not None and member.name else user_id


def _saved(name: str | None) -> str:
    """The confirmation of what was just saved (`?vastgelegd=<form>`, web/command_forms.py)."""
    if name == "1":
        return "Het contact is vastgelegd."
    if name == "corrections":
        return "De correctie is vastgelegd. Wat eerst was vastgelegd, blijft in de geschiedenis."
    spec = next((spec for spec in FORMS if spec.name == name), None)
    return spec.done if spec is not None else ""


def _household(request: Request, principal: Principal, household_id: UUID) -> HTMLResponse:
    state = request.app.state
    after, behind = position(request.query_params.get("na")), False
    for view in (state.plans, state.timeline):  # read your own write: wait for the views to have it
        try:
            wait_for(view, after, min(state.settings.catch_up_timeout, 5))
        except CatchUpTimeout:
            behind = True
    now = datetime.now(UTC)
    doc = state.plans.get(household_id)
    # The facts at the top come from the plan the page shows; only a household the view has not caught up
    # with yet (or none at all) is read from its events.
    household: Any = plan_read.facts(doc) if doc is not None else existing_household(request, household_id)
    if household is None:
        return not_found(request, principal)
    sections = _sections(request, household_id, doc, now) if doc is not None else {"plan": None}
    plan = sections["plan"]
    timeline, errors = _timeline(request, household_id)
    since = plan["intensity_history"][-1]["from"] if plan and plan["intensity_history"] else None
    check_in = household.next_check_in
    return render(request, "household.html", {
        "title": household.label, "household": household, "household_id": household_id, **sections,
        **timeline, "errors": errors, "intensity_since": since, "check_in": check_in, "behind": behind,
        "late": dutch.days_late(check_in["due"], today()) if check_in else 0,
        "coordinator_name": _staff_name(request, household.coordinator),
        "saved": _saved(request.query_params.get("vastgelegd")), "diff": None,
        "on_date": {"datum": "", "bekend": ""},
    }, status=422 if errors else 200, principal=principal)


def _plan_on_a_date(request: Request, principal: Principal, household_id: UUID) -> HTMLResponse:
    state = request.app.state
    household = existing_household(request, household_id)
    if household is None:
        return not_found(request, principal)
    values = {name: str(request.query_params.get(name) or "").strip()[:40] for name in ("datum", "bekend")}
    registered, current = local_date(household.registered_at), today()
    errors: dict[str, str] = {}
    days = {}
    for field, required in (("datum", True), ("bekend", False)):
        if not values[field]:
            if required:
                errors[field] = "Vul de datum in waarop u het plan wilt zien, zoals 21-10-2026."
            continue
        day = plan_read.parse_date(values[field])
        if day is None:
            errors[field] = "Vul een datum in zoals 21-10-2026, of 21 oktober 2026."
        elif day < registered:
            errors[field] = (f"Die datum ligt vóór de aanmelding van het huishouden op {dutch.day(registered)}. "
                             "Kies een latere datum.")
        elif day > current:
            errors[field] = "Die datum ligt in de toekomst. Kies vandaag of een dag in het verleden."
        else:
            days[field] = day
    now = datetime.now(UTC)
    context: dict[str, Any] = {"title": f"Plan op een datum: {household.label}", "household": household,
                               "household_id": household_id, "on_date": values, "errors": errors, "plan": None}
    if errors:
        return render(request, "household/plan_on_date.html", context, 422, principal)
    as_of = min(_end_of(days["datum"]), now)
    known_at = min(_end_of(days["bekend"]), now) if "bekend" in days else None
    then = plan_as_of(state.households.history(household_id), as_of=as_of, known_at=known_at)
    today_doc = state.plans.get(household_id) or plan_as_of(state.households.history(household_id))
    if then is None or today_doc is None:
        return not_found(request, principal)
    at = min(m for m in (as_of, known_at, now) if m is not None)
    sections = _sections(request, household_id, then, at)
    if known_at is not None:  # what was known then: consents recorded later were not
        sections["consents"] = [c for c in sections["consents"] if c["given"] <= known_at]
    return render(request, "household/plan_on_date.html", {
        **context, **sections, "diff": plan_read.differences(then, today_doc), "as_of": days["datum"],
        "known_at": days.get("bekend"), "then": then}, 200, principal)
