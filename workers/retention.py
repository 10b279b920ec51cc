"""Retention (bewaartermijn), per the VNG selectielijst: a household's file is kept 15 years after support
ended, or 5 years when no provision followed. Support ended when the household was closed (its last
`Closed`; a reopened household is open again). "No provision followed" means the household never had an
intervention (`InterventionStarted`, at any support level): it was looked into, and nothing was provided.

`due()` reports the closed households past their term; `erase_due()` forgets them (crypto-shredding,
domain/erasure.py), one by one, each with the reason why. Nothing is erased without being asked to:
`waakvlam retention` reports, `waakvlam retention --confirm` erases.

A partner's signal that led to nothing is not kept for years (issue 12): a dismissed signal, or one never
triaged, is shredded `signal_retention_months` after it was dismissed (or, never triaged, after it was
received), per its team's policy (default 6 months; a signal for no team: the default). `signals_due()`
reports them, `erase_signals_due()` forgets them (domain/signal_erasure.py); the same run does both. A signal
linked to a household is part of that household's file and goes with it.

The households are found from the event store itself (only the topics that matter, read in pages), not
from a read model that might lag behind.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.application import Households, Outcome, SignalOutcome
from domain.household import Household
from domain.signal import DISMISSED, FORGOTTEN, LINKED, NEW, Signal
from domain.signal_erasure import forget_signal
from domain.values import local_date

YEARS_AFTER_PROVISION = 15
YEARS_WITHOUT_PROVISION = 5
ACTOR = "retention"
PAGE = 10_000
TOPICS = [get_topic(getattr(Household, kind)) for kind in ("Registered", "InterventionStarted", "Closed",
                                                            "Reopened", "Forgotten")]
SIGNAL_TOPICS = [get_topic(getattr(Signal, kind)) for kind in ("SignalReported", "SignalLinked",
                                                               "SignalDismissed", "SignalForgotten")]


@dataclass(frozen=True)
class Expired:
    household_id: UUID
    team: str
    closed_at: datetime
    provision: bool  # an intervention followed
    erase_from: date  # the first day the household may be erased

    @property
    def years(self) -> int:
        return YEARS_AFTER_PROVISION if self.provision else YEARS_WITHOUT_PROVISION

    def reason(self) -> str:
        return (f"Bewaartermijn verstreken: {self.years} jaar na afsluiting op {self.closed_at.date().isoformat()}"
                + ("" if self.provision else " (geen voorziening gevolgd)") + " (VNG selectielijst)")

    def __str__(self) -> str:
        return (f"{self.household_id}  {self.team:<20}  gesloten {self.closed_at.date().isoformat()}  "
                f"{'met' if self.provision else 'zonder'} voorziening  te wissen vanaf {self.erase_from.isoformat()}")


def years_after(moment: datetime, years: int) -> date:
    day = local_date(moment)  # the Dutch date the household was closed on
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@dataclass
class _State:
    team: str
    status: str = "open"
    closed_at: datetime | None = None
    provision: bool = False


def _events(households: Households, topics: list[str]) -> Iterator[Any]:
    """The store's events of these topics, in order, a page at a time."""
    position = 0
    while page := households.recorder.select_notifications(start=position, limit=PAGE, topics=topics,
                                                            inclusive_of_start=False):
        for notification in page:
            yield households.mapper.to_domain_event(notification)
        position = page[-1].id


def _states(households: Households) -> Iterator[tuple[UUID, _State]]:
    states: dict[UUID, _State] = {}
    for event in _events(households, TOPICS):
        kind = type(event).__name__
        if kind == "Registered":
            states[event.originator_id] = _State(team=event.team)
            continue
        state = states.get(event.originator_id)
        if state is None:
            continue
        if kind == "InterventionStarted":
            state.provision = True
        elif kind == "Closed":
            state.status, state.closed_at = "closed", event.occurred_at
        elif kind == "Reopened":
            state.status, state.closed_at = "open", None
        elif kind == "Forgotten":
            state.status = "forgotten"
    yield from states.items()


def due(households: Households, today: date | None = None) -> list[Expired]:
    """The closed households past their retention term on `today`, the longest-closed first."""
    today = today or local_date(datetime.now(UTC))
    found = []
    for household_id, state in _states(households):
        if state.status != "closed" or state.closed_at is None:
            continue
        years = YEARS_AFTER_PROVISION if state.provision else YEARS_WITHOUT_PROVISION
        erase_from = years_after(state.closed_at, years)
        if erase_from <= today:
            found.append(Expired(household_id, state.team, state.closed_at, state.provision, erase_from))
    return sorted(found, key=lambda e: (e.closed_at, str(e.household_id)))


def erase_due(households: Households, today: date | None = None) -> list[tuple[Expired, Outcome]]:
    """Forget every household past its term; what was erased."""
    return [(expired, households.forget(expired.household_id, actor=ACTOR, reason=expired.reason()))
            for expired in due(households, today)]


# ---- signals that led to nothing ---------------------------------------------------


@dataclass(frozen=True)
class ExpiredSignal:
    signal_id: UUID
    team: str | None
    status: str  # new (never triaged) or dismissed
    since: datetime  # dismissed at, or (never triaged) received at
    months: int  # the team's term
    erase_from: date

    def reason(self) -> str:
        what = "afgewezen op" if self.status == DISMISSED else "nooit beoordeeld, ontvangen op"
        return (f"Bewaartermijn signaal verstreken: {self.months} maanden, {what} {local_date(self.since).isoformat()}"
                " (teambeleid)")

    def __str__(self) -> str:
        status = "afgewezen" if self.status == DISMISSED else "nieuw    "
        return (f"{self.signal_id}  {self.team or '(geen team)':<20}  {status} {local_date(self.since).isoformat()}"
                f"  te wissen vanaf {self.erase_from.isoformat()}")


def months_after(moment: datetime, months: int) -> date:
    """The Dutch date `months` after `moment` (the 31st of a shorter month: its last day)."""
    day = local_date(moment)
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass
class _SignalState:
    team: str | None
    since: datetime
    status: str = NEW


def _signal_states(households: Households) -> Iterator[tuple[UUID, _SignalState]]:
    states: dict[UUID, _SignalState] = {}
    for event in _events(households, SIGNAL_TOPICS):
        kind = type(event).__name__
        if kind == "SignalReported":  # received: its record time
            states[event.originator_id] = _SignalState(team=event.team, since=event.timestamp)
            continue
        state = states.get(event.originator_id)
        if state is None:
            continue
        if kind == "SignalLinked":
            state.status = LINKED
        elif kind == "SignalDismissed":
            state.status, state.since = DISMISSED, event.occurred_at
        elif kind == "SignalForgotten":
            state.status = FORGOTTEN
    yield from states.items()


def signals_due(households: Households, today: date | None = None) -> list[ExpiredSignal]:
    """The dismissed and never-triaged signals past their team's term on `today`, the oldest first."""
    today = today or local_date(datetime.now(UTC))
    found = []
    for signal_id, state in _signal_states(households):
        if state.status not in (NEW, DISMISSED):
            continue
        months = households.team_policy(state.team or "").signal_retention_months
        erase_from = months_after(state.since, months)
        if erase_from <= today:
            found.append(ExpiredSignal(signal_id, state.team, state.status, state.since, months, erase_from))
    return sorted(found, key=lambda e: (e.since, str(e.signal_id)))


def erase_signals_due(households: Households, today: date | None = None) -> list[tuple[ExpiredSignal,
                                                                                         SignalOutcome]]:
    """Forget every signal past its term; what was erased."""
    return [(expired, forget_signal(households, expired.signal_id, actor=ACTOR, reason=expired.reason()))
            for expired in signals_due(households, today)]


def run(households: Households, *, confirm: bool, today: date | None = None) -> int:
    """The CLI's job: print what is due, households and signals (and, confirmed, erase it); how many in all."""
    expired = due(households, today)
    print(f"{len(expired)} huishouden(s) voorbij de bewaartermijn"
          + (": nu gewist" if confirm and expired else "" if confirm else " (wissen: --confirm)"), flush=True)
    for item in expired:
        if confirm:
            households.forget(item.household_id, actor=ACTOR, reason=item.reason())
        print(f"  {item}", flush=True)
    signals = signals_due(households, today)
    print(f"{len(signals)} signaal/signalen voorbij de bewaartermijn"
          + (": nu gewist" if confirm and signals else "" if confirm else " (wissen: --confirm)"), flush=True)
    for signal in signals:
        if confirm:
            forget_signal(households, signal.signal_id, actor=ACTOR, reason=signal.reason())
        print(f"  {signal}", flush=True)
    return len(expired) + len(signals)
