"""What the planning screens share (issue 11 §2.8, §2.1 for a team lead): how late or how soon a check-in is in
Dutch, why it was planned, a schedule row as the page shows it (the API's `ScheduleItem`, in words), and waiting
for a view to have one's own write (`?na=`, as the API's `after`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from fastapi import Request

from api.deps import wait_for
from api.problems import CatchUpTimeout
from domain.team import SIGNAL_LEVELS
from projections.schedule import ScheduleRow
from projections.timeline import CHECK_IN_REASON_NL
from waakvlam.mail import when_due
from web.common import position
from web.signals_nl import URGENCY_NL

URGENCY_WORD = {key: text.split(":")[0].lower() for key, text in URGENCY_NL.items()}  # acuut, hoog, normaal, laag


def when(due: date, today: date) -> str:
    """`3 dagen over tijd`, `vandaag`, `morgen`, `over 5 dagen`: as the reminder mails and the household page
    say it (waakvlam/mail.py)."""
    return when_due(due, today)


def signal_text(summary: str | None) -> str:
    """The schedule's `high: Huurachterstand ...` as `urgentie hoog: Huurachterstand ...`."""
    if not summary:
        return ""
    urgency, _, text = summary.partition(": ")
    if urgency in URGENCY_WORD:
        return f"urgentie {URGENCY_WORD[urgency]}: {text}"
    return summary


@dataclass(frozen=True)
class Planned:
    """One open check-in as the planning page shows it."""

    household_id: UUID
    label: str
    team: str
    coordinator: str | None
    intensity: str
    due: date
    days_overdue: int
    when: str
    reason: str
    signal_at: datetime | None
    signal: str
    escalation_hint: bool


def planned(row: ScheduleRow, today: date) -> Planned:
    assert row.due is not None
    return Planned(
        household_id=row.household_id, label=row.label, team=row.team, coordinator=row.coordinator,
        intensity=row.intensity, due=row.due, days_overdue=max(0, (today - row.due).days), when=when(row.due, today),
        reason=CHECK_IN_REASON_NL.get(row.reason or "", row.reason or ""), signal_at=row.signal_at,
        signal=signal_text(row.signal_summary),
        escalation_hint=row.signal_at is not None and row.intensity in SIGNAL_LEVELS)


def behind(request: Request, view: Any) -> bool:
    """Read your own write, as the API's `after`: wait (a few seconds at most) for `view` to have the position in
    `?na=`; True when it is still behind."""
    try:
        wait_for(view, position(request.query_params.get("na")), min(request.app.state.settings.catch_up_timeout, 5))
    except CatchUpTimeout:
        return True
    return False
