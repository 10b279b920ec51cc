"""The Signal aggregate: a worry reported by a partner (or seen by the team),
waiting in the team's inbox until it is triaged.

A partner (home care, the housing corporation, the GP, a school, the police, a
wijkambassadeur, a neighbour) reports what they saw about someone: a name, an
address or both. The team triages each signal once: it links it to a household
it already follows, registers a new household from it, or dismisses it with a
reason. Linking and registering also record the signal on the household
(`Household.record_signal`); the application saves both in one transaction.

Event names start with `Signal`: the projections tell events apart by their
class name, and the household has events called `Registered` and `Closed`.

A signal's personal data has an owner from the first minute (issue 12): its personal fields are
sealed with a data key of its own (`PERSONAL_FIELDS`, domain/erasure.py) from the report on. Linked
to a household, it keeps that key (see `link`); never linked (new, or dismissed), it is shredded
after the team's retention period (workers/retention.py) or on the privacy officer's request
(`forget`, domain/signal_erasure.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.erasure import REDACTED
from domain.errors import InvalidInput, RuleViolation
from domain.household import _domains, _when, now
from domain.values import Urgency, choice

NEW, LINKED, DISMISSED, FORGOTTEN = "new", "linked", "dismissed", "forgotten"

# The personal fields of each signal event, sealed with the signal's own key (domain/erasure.py), the key
# per aggregate id that households have too; forgetting a household destroys the keys of the signals linked
# to it as well. `SignalForgotten` holds nothing personal: who had the signal erased, when and why stays.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "SignalReported": ("reporter_name", "reporter_contact", "about_name", "about_address", "description"),
    "SignalDismissed": ("reason",),
}


class PartnerKind(StrEnum):
    """Who reports a signal (the partners of the signalenkaart, and the team itself)."""

    HOME_CARE = "home_care"  # thuiszorg
    HOUSING_CORPORATION = "housing_corporation"  # woningcorporatie
    GP = "gp"  # huisarts
    SCHOOL = "school"
    POLICE = "police"  # politie, wijkagent
    WIJKAMBASSADEUR = "wijkambassadeur"
    NEIGHBOUR = "neighbour"  # buren
    TEAM = "team"  # seen by the wijkteam itself


class Signal(Aggregate):
    class Event(Aggregate.Event):
        create_timestamp = staticmethod(now)  # the record time, as a household's (domain/household.py)

    # ---- the report -----------------------------------------------------------

    @classmethod
    def report(
        cls,
        *,
        actor: str,
        source: str,
        description: str,
        about_name: str = "",
        about_address: str = "",
        reporter_name: str = "",
        reporter_contact: str = "",
        team: str | None = None,
        life_domains: list[str] = (),
        urgency: str = Urgency.NORMAL,
        occurred_at: datetime | None = None,
    ) -> Signal:
        """A new signal; `occurred_at` is when it was seen (now, or in the past; never in the future)."""
        when = _when(occurred_at)
        if not description.strip():
            raise InvalidInput("description", "says what was seen")
        if not about_name.strip() and not about_address.strip():
            raise InvalidInput("about_name", "a signal is about someone: give a name, an address, or both")
        if team is not None and not team.strip():
            raise InvalidInput("team", "names a team, or is left out")
        return cls(
            actor=actor, occurred_at=when, source=str(choice(PartnerKind, source, "source")),
            reporter_name=reporter_name.strip(), reporter_contact=reporter_contact.strip(),
            about_name=about_name.strip(), about_address=about_address.strip(),
            team=team.strip() if team is not None else None, life_domains=_domains(life_domains),
            description=description.strip(), urgency=str(choice(Urgency, urgency, "urgency")),
        )

    @event("SignalReported")
    def __init__(
        self, *, actor: str, occurred_at: datetime, source: str, reporter_name: str, reporter_contact: str,
        about_name: str, about_address: str, team: str | None, life_domains: list[str], description: str,
        urgency: str,
    ) -> None:
        self.reported_by = actor
        self.seen_at = occurred_at
        self.source = source
        self.team = team
        self.about_name = about_name
        self.about_address = about_address
        self.life_domains = life_domains
        self.description = description
        self.urgency = urgency
        self.status = NEW
        self.household_id: UUID | None = None

    # ---- triage: once -----------------------------------------------------------

    def link(self, household_id: UUID, *, actor: str, new_household: bool = False,
             occurred_at: datetime | None = None) -> None:
        """Link the signal to a household (`new_household`: one registered from this signal).

        The signal keeps its own key: the key is carried over to the household's lifecycle, not re-sealed.
        Re-sealing under the household's key would mean rewriting the stored `SignalReported` (the event store
        is append-only, and the hash chain covers the stored bytes), or copying the personal fields into a new
        event, a second copy of the same data under a second key, which an erasure then has to find twice.
        Instead the household records the signal (`SignalRecorded`, with its `signal_id`, sealed with the
        household's key), and forgetting the household follows that id and destroys this signal's key with
        its own (`Households._shred`); a linked signal is kept as long as its household is, so the signals'
        retention passes it by."""
        when = self._check_untriaged(occurred_at)
        self._linked(actor=actor, occurred_at=when, household_id=household_id, new_household=new_household)

    @event("SignalLinked")
    def _linked(self, *, actor: str, occurred_at: datetime, household_id: UUID, new_household: bool) -> None:
        self.status = LINKED
        self.household_id = household_id

    def dismiss(self, *, actor: str, reason: str, occurred_at: datetime | None = None) -> None:
        """Close the signal without a household: no worry for the team, or one for another organisation."""
        when = self._check_untriaged(occurred_at)
        if not reason.strip():
            raise InvalidInput("reason", "a dismissed signal gives its reason")
        self._dismissed(actor=actor, occurred_at=when, reason=reason.strip())

    @event("SignalDismissed")
    def _dismissed(self, *, actor: str, occurred_at: datetime, reason: str) -> None:
        self.status = DISMISSED

    # ---- erasure ------------------------------------------------------------------

    def forget(self, *, actor: str, reason: str, occurred_at: datetime | None = None) -> None:
        """Forget the signal (the application then destroys its key): on the privacy officer's request, or
        past its retention period. A linked one too: its report (who reported, about whom) goes, while the
        household's own record of it (`SignalRecorded`, under the household's key) stays in that file."""
        if self.status == FORGOTTEN:
            raise RuleViolation("a signal is forgotten once", f"signal {self.id} was already forgotten")
        if not reason.strip():
            raise RuleViolation("an erasure says why")
        when = _when(occurred_at)
        if occurred_at is not None and when < self.seen_at:
            raise RuleViolation("a signal is erased after it was seen",
                                f"{when.isoformat()} is before the signal was seen at {self.seen_at.isoformat()}")
        self._forgotten(actor=actor, occurred_at=when, reason=reason.strip())

    @event("SignalForgotten")
    def _forgotten(self, *, actor: str, occurred_at: datetime, reason: str) -> None:
        self.status = FORGOTTEN
        self.about_name = self.about_address = self.description = REDACTED

    def check_untriaged(self) -> None:
        """Refuse (409) when the signal was already triaged (or forgotten)."""
        if self.status != NEW:
            raise RuleViolation("a signal is triaged once", f"signal {self.id} was already {self.status}")

    def _check_untriaged(self, occurred_at: datetime | None) -> datetime:
        self.check_untriaged()
        when = _when(occurred_at)
        if occurred_at is not None and when < self.seen_at:
            raise RuleViolation("a signal is triaged after it was seen",
                                f"{when.isoformat()} is before the signal was seen at {self.seen_at.isoformat()}")
        return when

    def as_household_signal(self) -> dict[str, Any]:
        """What `Household.record_signal` records of this signal."""
        return {"source": self.source, "description": self.description, "life_domains": list(self.life_domains),
                "urgency": self.urgency, "signal_id": str(self.id)}
