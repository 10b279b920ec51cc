"""Retention (bewaartermijn), per the VNG selectielijst: a household's file is kept 15 years after support
ended, or 5 years when no provision followed. Support ended when the household was closed (its last
`Closed`; a reopened household is open again). "No provision followed" means the household never had an
intervention (`InterventionStarted`, at any support level): it was looked into, and nothing was provided.

`due()` reports the closed households past their term; `erase_due()` forgets them (crypto-shredding,
domain/erasure.py), one by one, each with the reason why. Nothing is erased without being asked to:
`waakvlam retention` reports, `waakvlam retention --confirm` erases.

The households are found from the event store itself (only the topics that matter, read in pages), not
from a read model that might lag behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.application import Households, Outcome
from domain.household import Household
from domain.values import local_date

YEARS_AFTER_PROVISION = 15
YEARS_WITHOUT_PROVISION = 5
ACTOR = "retention"
PAGE = 10_000
TOPICS = [get_topic(getattr(Household, kind)) for kind in ("Registered", "InterventionStarted", "Closed",
                                                            "Reopened", "Forgotten")]


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


def _states(households: Households) -> Iterator[tuple[UUID, _State]]:
    states: dict[UUID, _State] = {}
    position = 0
    while True:
        page = households.recorder.select_notifications(start=position, limit=PAGE, topics=TOPICS,
                                                        inclusive_of_start=False)
        if not page:
            break
        for notification in page:
            event = households.mapper.to_domain_event(notification)
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
        position = page[-1].id
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


def run(households: Households, *, confirm: bool, today: date | None = None) -> int:
    """The CLI's job: print what is due (and, confirmed, erase it); the number of households."""
    expired = due(households, today)
    print(f"{len(expired)} huishouden(s) voorbij de bewaartermijn"
          + (": nu gewist" if confirm and expired else "" if confirm else " (wissen: --confirm)"), flush=True)
    for item in expired:
        if confirm:
            households.forget(item.household_id, actor=ACTOR, reason=item.reason())
        print(f"  {item}", flush=True)
    return len(expired)
