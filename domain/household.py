"""The Household aggregate: one household, one plan, one coordinator.

Each public method is a command: it checks the rules against the current state
and then triggers one or more events. The `@event` methods below them are the
events themselves; their bodies only change state, so replaying them never
re-checks a rule against today's clock. The rules of the recorded facts (a member,
a contact, an intervention...) live in domain/rules.py: a correction of such a fact
is checked by the same rules, as if the corrected event had been recorded in its place.

The aggregate keeps only what its rules need (open items and their status, not
every note), so a household with a long history stays cheap to load.

This file is longer than most on purpose: it is one consistency boundary with
some thirty command/event pairs, and its rules read best side by side.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate, event

from domain import rules
from domain.corrections import item_field, validate_changes
from domain.erasure import REDACTED
from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.rules import OPEN, SHARING_NEEDS_CONSENT
from domain.values import (
    ASSESSMENT_INSTRUMENT,
    FUTURE_TOLERANCE,
    ClosureReason,
    Intensity,
    Phase,
    Urgency,
    choice,
    local_date,
    next_due,
    validate_cadence,
)

CLOSED, FORGOTTEN = "closed", "forgotten"

# The personal fields of each event: sealed with the household's own key (domain/erasure.py),
# read as placeholders ("[gewist]", [], {}, None) once the household is forgotten.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "Registered": ("label",),
    "MemberAdded": ("name", "birth_year"),
    "MemberRemoved": ("reason",),
    "NetworkPersonAdded": ("name",),
    "NetworkPersonRemoved": ("reason",),
    "CoordinatorAssigned": ("handover_note",),
    "SignalRecorded": ("description",),
    "ContactRecorded": ("summary", "participants"),
    "GoalSet": ("description",),
    "GoalRevised": ("description", "reason"),
    "GoalAchieved": ("note",),
    "GoalDropped": ("reason",),
    "AgreementMade": ("who", "what"),
    "AgreementCompleted": ("note",),
    "AgreementCancelled": ("reason",),
    "InterventionStarted": ("description", "handover_note"),
    "InterventionEnded": ("outcome",),
    "Escalated": ("reason",),
    "DeEscalated": ("reason",),
    "CheckInRescheduled": ("reason",),
    "CheckInCancelled": ("reason",),
    "SignaleringsplanAgreed": ("phases",),
    "Closed": ("note",),
    "Reopened": ("reason",),
    "Corrected": ("original", "changes", "reason"),
    "ConsentRecorded": ("given_by", "purpose"),
    "ConsentWithdrawn": ("reason",),
}


def new_id() -> str:
    return uuid4().hex[:12]


_RECORDING_AT: ContextVar[datetime | None] = ContextVar("recording_at", default=None)


def now() -> datetime:
    """The moment of recording: the wall clock, or the moment `recording_at` holds."""
    return _RECORDING_AT.get() or datetime.now(UTC)


@contextmanager
def recording_at(moment: datetime) -> Iterator[datetime]:
    """Record as at `moment` (a moment past), for a history written after the fact: the demo municipality,
    an import. The events made meanwhile (in this thread) carry `moment` as their record time, the event
    timestamp, and every rule that counts from "now" counts from it: nothing recorded happened later, and
    a signal brings a check-in forward to no earlier than the day it is recorded. Never in the future."""
    if moment.tzinfo is None:
        raise RuleViolation("a moment has a time zone", "recording_at needs a UTC offset")
    if moment > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise RuleViolation("nothing is recorded in the future", f"{moment.isoformat()} lies in the future")
    token = _RECORDING_AT.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _RECORDING_AT.reset(token)


class Household(Aggregate):
    class Event(Aggregate.Event):
        create_timestamp = staticmethod(now)  # the record time: now, or the moment `recording_at` holds

    # ---- registration -------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        actor: str,
        label: str,
        team: str,
        intensity: str = Intensity.LICHT,
        cadence: dict[str, int] | None = None,
        team_cadence: dict[str, int] | None = None,
        occurred_at: datetime | None = None,
    ) -> Household:
        when = _when(occurred_at)
        household = cls(actor=actor, occurred_at=when,
                        **rules.registered(None, when, label=label, team=team, intensity=intensity, cadence=cadence))
        household.team_cadence = team_cadence
        # The pilot light is lit at registration and never goes out.
        household._schedule_next(actor=actor, after=when, reason="registered")
        return household

    @event("Registered")
    def __init__(
        self, *, actor: str, occurred_at: datetime, label: str, team: str,
        intensity: str, cadence: dict[str, int],
    ) -> None:
        self.label = label
        self.team = team
        self.intensity = intensity
        self.cadence = cadence
        self.registered_at = occurred_at
        self.status = OPEN
        self.coordinator: str | None = None
        self.members: dict[str, dict[str, Any]] = {}
        self.network: dict[str, dict[str, Any]] = {}
        self.goals: dict[str, str] = {}
        self.agreements: dict[str, str] = {}
        self.interventions: dict[str, str] = {}
        self.check_ins: dict[str, str] = {}
        self.next_check_in: dict[str, Any] | None = None
        self.scores: dict[str, int] = {}
        self.last_contact_at: datetime | None = None
        self.closure_reason: str | None = None
        self.closed_at: datetime | None = None
        self.signaleringsplan: dict[str, dict[str, list[str]]] = {}

    # The team's cadence is policy, not history: the application sets it on every
    # load (domain/team.py); it decides the due date of check-ins scheduled next.
    team_cadence: dict[str, int] | None = None

    # ---- people ------------------------------------------------------------

    def add_member(self, *, actor: str, name: str, role: str = "", birth_year: int | None = None,
                   occurred_at: datetime | None = None) -> str:
        when = self._check_open(occurred_at)
        fields = rules.member_added(self, when, name=name, role=role, birth_year=birth_year)
        member_id = new_id()
        self._member_added(actor=actor, occurred_at=when, member_id=member_id, **fields)
        return member_id

    @event("MemberAdded")
    def _member_added(self, *, actor: str, occurred_at: datetime, member_id: str, name: str,
                      role: str, birth_year: int | None) -> None:
        self.members[member_id] = {"name": name, "role": role, "birth_year": birth_year}

    def remove_member(self, member_id: str, *, actor: str, reason: str = "",
                      occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        if member_id not in self.members:
            raise NotFound(f"member {member_id} is not a member of this household")
        self._member_removed(actor=actor, occurred_at=when, member_id=member_id, reason=reason)

    @event("MemberRemoved")
    def _member_removed(self, *, actor: str, occurred_at: datetime, member_id: str, reason: str) -> None:
        del self.members[member_id]

    def add_network_person(self, *, actor: str, name: str, relation: str = "",
                           notices_decline: bool = False, occurred_at: datetime | None = None) -> str:
        when = self._check_open(occurred_at)
        fields = rules.network_person_added(self, when, name=name, relation=relation, notices_decline=notices_decline)
        person_id = new_id()
        self._network_person_added(actor=actor, occurred_at=when, person_id=person_id, **fields)
        return person_id

    @event("NetworkPersonAdded")
    def _network_person_added(self, *, actor: str, occurred_at: datetime, person_id: str, name: str,
                              relation: str, notices_decline: bool) -> None:
        self.network[person_id] = {"name": name, "relation": relation, "notices_decline": notices_decline}

    def remove_network_person(self, person_id: str, *, actor: str, reason: str = "",
                              occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        if person_id not in self.network:
            raise NotFound(f"person {person_id} is not in this household's network")
        self._network_person_removed(actor=actor, occurred_at=when, person_id=person_id, reason=reason)

    @event("NetworkPersonRemoved")
    def _network_person_removed(self, *, actor: str, occurred_at: datetime, person_id: str, reason: str) -> None:
        del self.network[person_id]

    def assign_coordinator(self, *, actor: str, coordinator: str, handover_note: str = "",
                           coordinator_team: str | None = None, legal_basis: str = "",
                           occurred_at: datetime | None = None) -> None:
        """Hand the household to `coordinator`. One of another team (`coordinator_team`, as the staff registry
        says) sees the whole file: that is sharing outside the team, so it needs the household's consent for
        that team on the day, or a recorded legal basis, as an intervention by an outside provider does."""
        when = self._check_open(occurred_at)
        if not coordinator.strip():
            raise RuleViolation("a coordinator is named")
        if coordinator == self.coordinator:
            raise RuleViolation("one coordinator at a time", f"{coordinator} already coordinates this household")
        outside = coordinator_team is not None and coordinator_team.strip().casefold() != self.team.casefold()
        on = local_date(when)
        if outside and not legal_basis.strip() and not self.has_consent(str(coordinator_team), on):
            raise RuleViolation(SHARING_NEEDS_CONSENT,
                                f"{coordinator} is of {coordinator_team}, not of {self.team}: coordinating shares the "
                                f"household's file outside the team, and on {on.isoformat()} the household has no "
                                f"valid consent for {coordinator_team} and no legal basis was given: record the "
                                f"household's consent for {coordinator_team}, or give the legal_basis for sharing")
        self._coordinator_assigned(actor=actor, occurred_at=when, coordinator=coordinator,
                                   previous=self.coordinator, handover_note=handover_note,
                                   coordinator_team=coordinator_team.strip() if outside else None,
                                   legal_basis=legal_basis.strip() if outside else "")

    @event("CoordinatorAssigned")
    def _coordinator_assigned(self, *, actor: str, occurred_at: datetime, coordinator: str,
                              previous: str | None, handover_note: str, coordinator_team: str | None = None,
                              legal_basis: str = "") -> None:
        # coordinator_team and legal_basis are recorded only for a coordinator of another team.
        self.coordinator = coordinator

    # ---- what the team sees and does ---------------------------------------

    def record_signal(self, *, actor: str, source: str, description: str, life_domains: list[str],
                      urgency: str = Urgency.NORMAL, occurred_at: datetime | None = None,
                      signal_id: str | None = None, check_in_within: int | None = None) -> str:
        """Record a signal (from the team itself, or a partner's report linked by triage:
        then `signal_id` is the report's id). With `check_in_within` (the team's policy for
        this urgency), a household at waakvlam or licht is seen within that many days."""
        when = self._check_open(occurred_at)
        fields = rules.signal_recorded(self, when, source=source, description=description, life_domains=life_domains,
                                       urgency=urgency)
        signal_id = signal_id or new_id()
        self._signal_recorded(actor=actor, occurred_at=when, signal_id=signal_id, **fields)
        if check_in_within is not None and self.intensity in (Intensity.WAAKVLAM, Intensity.LICHT):
            # Brought forward when the signal is recorded, and not before that day: a signal seen days
            # ago makes the check-in due on the day it is recorded, not in the past.
            recorded = now()
            due = max(local_date(when) + timedelta(days=check_in_within), local_date(recorded))
            self._bring_check_in_forward(actor=actor, when=max(when, recorded), reason="signal", due=due)
        return signal_id

    @event("SignalRecorded")
    def _signal_recorded(self, *, actor: str, occurred_at: datetime, signal_id: str, source: str,
                         description: str, life_domains: list[str], urgency: str) -> None:
        pass

    def record_contact(self, *, actor: str, kind: str, summary: str = "", life_domains: list[str] = (),
                       participants: list[str] = (), check_in_id: str | None = None,
                       occurred_at: datetime | None = None) -> str:
        """Record a contact; when it is the household's check-in, complete that
        check-in and schedule the next one, so the pilot light keeps burning."""
        when = self._check_open(occurred_at)
        if check_in_id is not None:
            self._check_open_item(self.check_ins, check_in_id, "check-in")
        fields = rules.contact_recorded(self, when, kind=kind, summary=summary, life_domains=life_domains,
                                        participants=participants)
        contact_id = new_id()
        self._contact_recorded(actor=actor, occurred_at=when, contact_id=contact_id, **fields)
        if check_in_id is not None:
            self._check_in_completed(actor=actor, occurred_at=when, check_in_id=check_in_id,
                                     contact_id=contact_id)
            self._schedule_next(actor=actor, after=when, reason="completed")
        return contact_id

    @event("ContactRecorded")
    def _contact_recorded(self, *, actor: str, occurred_at: datetime, contact_id: str, kind: str,
                          summary: str, life_domains: list[str], participants: list[str]) -> None:
        if self.last_contact_at is None or occurred_at > self.last_contact_at:
            self.last_contact_at = occurred_at

    def record_assessment(self, *, actor: str, scores: dict[str, int], instrument: str = ASSESSMENT_INSTRUMENT,
                          occurred_at: datetime | None = None) -> str:
        when = self._check_open(occurred_at)
        fields = rules.assessment_recorded(self, when, instrument=instrument, scores=scores)
        assessment_id = new_id()
        self._assessment_recorded(actor=actor, occurred_at=when, assessment_id=assessment_id, **fields)
        return assessment_id

    @event("AssessmentRecorded")
    def _assessment_recorded(self, *, actor: str, occurred_at: datetime, assessment_id: str,
                             instrument: str, scores: dict[str, int]) -> None:
        self.scores.update(scores)

    # ---- the plan: goals, agreements, interventions ------------------------

    def set_goal(self, *, actor: str, life_domain: str, description: str,
                 occurred_at: datetime | None = None) -> str:
        when = self._check_open(occurred_at)
        fields = rules.goal_set(self, when, life_domain=life_domain, description=description)
        goal_id = new_id()
        self._goal_set(actor=actor, occurred_at=when, goal_id=goal_id, **fields)
        return goal_id

    @event("GoalSet")
    def _goal_set(self, *, actor: str, occurred_at: datetime, goal_id: str, life_domain: str,
                  description: str) -> None:
        self.goals[goal_id] = OPEN

    def revise_goal(self, goal_id: str, *, actor: str, description: str, reason: str = "",
                    occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.goals, goal_id, "goal")
        self._goal_revised(actor=actor, occurred_at=when, goal_id=goal_id, description=description, reason=reason)

    @event("GoalRevised")
    def _goal_revised(self, *, actor: str, occurred_at: datetime, goal_id: str, description: str,
                      reason: str) -> None:
        pass

    def achieve_goal(self, goal_id: str, *, actor: str, note: str = "", occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.goals, goal_id, "goal")
        self._goal_achieved(actor=actor, occurred_at=when, goal_id=goal_id, note=note)

    @event("GoalAchieved")
    def _goal_achieved(self, *, actor: str, occurred_at: datetime, goal_id: str, note: str) -> None:
        self.goals[goal_id] = "achieved"

    def drop_goal(self, goal_id: str, *, actor: str, reason: str, occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.goals, goal_id, "goal")
        self._goal_dropped(actor=actor, occurred_at=when, goal_id=goal_id, reason=reason)

    @event("GoalDropped")
    def _goal_dropped(self, *, actor: str, occurred_at: datetime, goal_id: str, reason: str) -> None:
        self.goals[goal_id] = "dropped"

    def make_agreement(self, *, actor: str, who: str, what: str, due: date | None = None,
                       goal_id: str | None = None, occurred_at: datetime | None = None) -> str:
        when = self._check_open(occurred_at)
        fields = rules.agreement_made(self, when, goal_id=goal_id, who=who, what=what, due=due)
        agreement_id = new_id()
        self._agreement_made(actor=actor, occurred_at=when, agreement_id=agreement_id, **fields)
        return agreement_id

    @event("AgreementMade")
    def _agreement_made(self, *, actor: str, occurred_at: datetime, agreement_id: str, goal_id: str | None,
                        who: str, what: str, due: date | None) -> None:
        self.agreements[agreement_id] = OPEN

    def complete_agreement(self, agreement_id: str, *, actor: str, note: str = "",
                           occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.agreements, agreement_id, "agreement")
        self._agreement_completed(actor=actor, occurred_at=when, agreement_id=agreement_id, note=note)

    @event("AgreementCompleted")
    def _agreement_completed(self, *, actor: str, occurred_at: datetime, agreement_id: str, note: str) -> None:
        self.agreements[agreement_id] = "completed"

    def cancel_agreement(self, agreement_id: str, *, actor: str, reason: str,
                         occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.agreements, agreement_id, "agreement")
        self._agreement_cancelled(actor=actor, occurred_at=when, agreement_id=agreement_id, reason=reason)

    @event("AgreementCancelled")
    def _agreement_cancelled(self, *, actor: str, occurred_at: datetime, agreement_id: str, reason: str) -> None:
        self.agreements[agreement_id] = "cancelled"

    def start_intervention(self, *, actor: str, support_level: str, description: str, provider: str = "",
                           goal_id: str | None = None, handover_note: str = "", legal_basis: str = "",
                           occurred_at: datetime | None = None) -> str:
        """Start an intervention. Support by a provider outside the team (vrijwillig, eerstelijns,
        specialistisch; see `shares_outside_the_team`) shares the household's data with that provider:
        it needs the household's consent for that provider, valid on the day it starts, or a recorded
        legal basis (`legal_basis`, e.g. "Jeugdwet art. 7.4.0"), which the event keeps (domain/rules.py)."""
        when = self._check_open(occurred_at)
        fields = rules.intervention_started(self, when, goal_id=goal_id, support_level=support_level,
                                            provider=provider, description=description, handover_note=handover_note,
                                            legal_basis=legal_basis)
        intervention_id = new_id()
        self._intervention_started(actor=actor, occurred_at=when, intervention_id=intervention_id, **fields)
        return intervention_id

    @event("InterventionStarted")
    def _intervention_started(self, *, actor: str, occurred_at: datetime, intervention_id: str,
                              goal_id: str | None, support_level: str, provider: str, description: str,
                              handover_note: str, legal_basis: str = "") -> None:
        self.interventions[intervention_id] = OPEN

    def end_intervention(self, intervention_id: str, *, actor: str, outcome: str = "",
                         occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.interventions, intervention_id, "intervention")
        self._intervention_ended(actor=actor, occurred_at=when, intervention_id=intervention_id, outcome=outcome)

    @event("InterventionEnded")
    def _intervention_ended(self, *, actor: str, occurred_at: datetime, intervention_id: str, outcome: str) -> None:
        self.interventions[intervention_id] = "ended"

    # ---- consent -------------------------------------------------------------

    def record_consent(self, *, actor: str, given_by: str, party: str, purpose: str, until: date | None = None,
                       occurred_at: datetime | None = None) -> str:
        """Record the household's consent to share its data with `party` for `purpose`, until a day
        (inclusive) or until withdrawn."""
        when = self._check_open(occurred_at)
        if not (given_by.strip() and party.strip() and purpose.strip()):
            raise RuleViolation("a consent says who gave it, to whom and for what")
        if until is not None and until < local_date(when):
            raise RuleViolation("a consent is valid when it is recorded",
                                f"until {until.isoformat()} lies before {local_date(when).isoformat()}")
        consent_id = new_id()
        self._consent_recorded(actor=actor, occurred_at=when, consent_id=consent_id, given_by=given_by.strip(),
                               party=party.strip(), purpose=purpose.strip(), until=until)
        return consent_id

    @event("ConsentRecorded")
    def _consent_recorded(self, *, actor: str, occurred_at: datetime, consent_id: str, given_by: str, party: str,
                          purpose: str, until: date | None) -> None:
        self._consents()[consent_id] = {"party": party, "until": until, "status": OPEN,
                                        "given": local_date(occurred_at)}

    def withdraw_consent(self, consent_id: str, *, actor: str, reason: str = "",
                         occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item({k: c["status"] for k, c in self._consents().items()}, consent_id, "consent")
        self._consent_withdrawn(actor=actor, occurred_at=when, consent_id=consent_id, reason=reason)

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, *, actor: str, occurred_at: datetime, consent_id: str, reason: str) -> None:
        consents = self._consents()
        consents[consent_id] = {**consents[consent_id], "status": "withdrawn"}

    def has_consent(self, party: str, day: date) -> bool:
        """Whether a consent for `party` (by name, ignoring case) is valid on `day`: given by then (a consent given
        today does not cover support that started last week), not run out, not withdrawn."""
        name = party.strip().casefold()
        return any(c["status"] == OPEN and c["party"].casefold() == name and (c["until"] is None or c["until"] >= day)
                   and (c.get("given") is None or c["given"] <= day)  # households snapshotted before "given"
                   for c in self._consents().values())

    @property
    def consents(self) -> dict[str, dict[str, Any]]:
        """Consent id -> {party, until, status (open, withdrawn), given (the Dutch day it was given)}."""
        return self._consents()

    def _consents(self) -> dict[str, dict[str, Any]]:
        # Households saved (and snapshotted) before consents existed have none yet.
        return self.__dict__.setdefault("_consent_state", {})

    # ---- intensity ---------------------------------------------------------

    def escalate(self, *, actor: str, to_level: str, reason: str, occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        target = choice(Intensity, to_level, "to_level")
        if target.rank <= Intensity(self.intensity).rank:
            raise RuleViolation("escalate only upward", f"cannot escalate from {self.intensity} to {target}")
        if not reason.strip():
            raise RuleViolation("an escalation gives its reason")
        self._escalated(actor=actor, occurred_at=when, from_level=self.intensity, to_level=str(target), reason=reason)
        # A higher intensity means seeing the household sooner.
        self._bring_check_in_forward(actor=actor, when=when, reason="escalated")

    @event("Escalated")
    def _escalated(self, *, actor: str, occurred_at: datetime, from_level: str, to_level: str, reason: str) -> None:
        self.intensity = to_level

    def de_escalate(self, *, actor: str, to_level: str, reason: str, occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        target = choice(Intensity, to_level, "to_level")
        if target.rank >= Intensity(self.intensity).rank:
            raise RuleViolation("de-escalate only downward", f"cannot de-escalate from {self.intensity} to {target}")
        if not reason.strip():
            raise RuleViolation("a de-escalation gives its reason")
        self._de_escalated(actor=actor, occurred_at=when, from_level=self.intensity, to_level=str(target),
                           reason=reason)

    @event("DeEscalated")
    def _de_escalated(self, *, actor: str, occurred_at: datetime, from_level: str, to_level: str,
                      reason: str) -> None:
        self.intensity = to_level

    def set_cadence(self, *, actor: str, cadence: dict[str, int], occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._cadence_set(actor=actor, occurred_at=when, cadence=validate_cadence(cadence))
        self._bring_check_in_forward(actor=actor, when=when, reason="cadence changed")

    @event("CadenceSet")
    def _cadence_set(self, *, actor: str, occurred_at: datetime, cadence: dict[str, int]) -> None:
        self.cadence = cadence

    # ---- check-ins: the pilot light ----------------------------------------

    def complete_check_in(self, check_in_id: str, *, actor: str, kind: str, summary: str = "",
                          life_domains: list[str] = (), participants: list[str] = (),
                          occurred_at: datetime | None = None) -> str:
        """A check-in is completed by a contact; returns the contact's id."""
        return self.record_contact(actor=actor, kind=kind, summary=summary, life_domains=life_domains,
                                   participants=participants, check_in_id=check_in_id, occurred_at=occurred_at)

    @event("CheckInCompleted")
    def _check_in_completed(self, *, actor: str, occurred_at: datetime, check_in_id: str, contact_id: str) -> None:
        self.check_ins[check_in_id] = "completed"
        self.next_check_in = None

    def reschedule_check_in(self, check_in_id: str, *, actor: str, due: date, reason: str = "",
                            occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        self._check_open_item(self.check_ins, check_in_id, "check-in")
        if due < local_date(when):
            raise RuleViolation("a check-in is not planned in the past", f"{due} is before {local_date(when)}")
        self._check_in_rescheduled(actor=actor, occurred_at=when, check_in_id=check_in_id, due=due, reason=reason)

    @event("CheckInRescheduled")
    def _check_in_rescheduled(self, *, actor: str, occurred_at: datetime, check_in_id: str, due: date,
                              reason: str) -> None:
        self.next_check_in = {"id": check_in_id, "due": due}

    def cancel_check_in(self, check_in_id: str, *, actor: str, reason: str, next_due_on: date | None = None,
                        occurred_at: datetime | None = None) -> str:
        """Cancel a check-in; the pilot light never goes out, so a replacement is
        scheduled at once (on the given date, or by the cadence). Returns its id."""
        when = self._check_open(occurred_at)
        self._check_open_item(self.check_ins, check_in_id, "check-in")
        if not reason.strip():
            raise RuleViolation("a cancelled check-in gives its reason")
        if next_due_on is not None and next_due_on < local_date(when):
            raise RuleViolation("a check-in is not planned in the past")
        self._check_in_cancelled(actor=actor, occurred_at=when, check_in_id=check_in_id, reason=reason)
        return self._schedule_next(actor=actor, after=when, reason="replaces cancelled", due=next_due_on)

    @event("CheckInCancelled")
    def _check_in_cancelled(self, *, actor: str, occurred_at: datetime, check_in_id: str, reason: str) -> None:
        self.check_ins[check_in_id] = "cancelled"
        if self.next_check_in and self.next_check_in["id"] == check_in_id:
            self.next_check_in = None

    def _bring_check_in_forward(self, *, actor: str, when: datetime, reason: str, due: date | None = None) -> None:
        """Move the open check-in earlier when the current cadence (or `due`) asks for it."""
        assert self.next_check_in is not None
        due = due or next_due(when, self.intensity, self.cadence, self.team_cadence)
        if due < self.next_check_in["due"]:
            self._check_in_rescheduled(actor=actor, occurred_at=when, check_in_id=self.next_check_in["id"],
                                       due=due, reason=reason)

    def _schedule_next(self, *, actor: str, after: datetime, reason: str, due: date | None = None) -> str:
        check_in_id = new_id()
        self._check_in_scheduled(actor=actor, occurred_at=after, check_in_id=check_in_id,
                                 due=due or next_due(after, self.intensity, self.cadence, self.team_cadence),
                                 reason=reason)
        return check_in_id

    @event("CheckInScheduled")
    def _check_in_scheduled(self, *, actor: str, occurred_at: datetime, check_in_id: str, due: date,
                            reason: str) -> None:
        self.check_ins[check_in_id] = OPEN
        self.next_check_in = {"id": check_in_id, "due": due}

    # ---- signaleringsplan, closure, corrections ------------------------------

    def agree_signaleringsplan(self, *, actor: str, phases: dict[str, dict[str, list[str]]],
                               occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        checked = {}
        for phase, content in phases.items():
            checked[str(choice(Phase, phase, "phases"))] = {"signs": list(content.get("signs", [])),
                                          "actions": list(content.get("actions", []))}
        if not any(c["signs"] or c["actions"] for c in checked.values()):
            raise RuleViolation("a signaleringsplan names signs or actions for at least one phase")
        self._signaleringsplan_agreed(actor=actor, occurred_at=when, phases=checked)

    @event("SignaleringsplanAgreed")
    def _signaleringsplan_agreed(self, *, actor: str, occurred_at: datetime,
                                 phases: dict[str, dict[str, list[str]]]) -> None:
        self.signaleringsplan = phases

    def close(self, *, actor: str, reason_code: str, note: str = "", occurred_at: datetime | None = None) -> None:
        when = self._check_open(occurred_at)
        code = choice(ClosureReason, reason_code, "reason_code")
        assert self.next_check_in is not None
        self._check_in_cancelled(actor=actor, occurred_at=when, check_in_id=self.next_check_in["id"],
                                 reason="household closed")
        self._closed(actor=actor, occurred_at=when, reason_code=str(code), note=note)

    @event("Closed")
    def _closed(self, *, actor: str, occurred_at: datetime, reason_code: str, note: str) -> None:
        self.status = CLOSED
        self.closure_reason = reason_code
        self.closed_at = occurred_at

    def reopen(self, *, actor: str, reason: str, intensity: str | None = None,
               occurred_at: datetime | None = None) -> None:
        when = _when(occurred_at)
        if self.status != CLOSED:
            raise RuleViolation("only a closed household can be reopened")
        if not reason.strip():
            raise RuleViolation("a reopening gives its reason")
        self._check_not_before_registration(when)
        if self.closed_at is not None and when < self.closed_at:
            raise RuleViolation("a household is reopened after it was closed",
                                f"{when.isoformat()} is before the closure at {self.closed_at.isoformat()}")
        self._reopened(actor=actor, occurred_at=when, reason=reason,
                       intensity=str(choice(Intensity, intensity or self.intensity, "intensity")))
        self._schedule_next(actor=actor, after=when, reason="reopened")

    @event("Reopened")
    def _reopened(self, *, actor: str, occurred_at: datetime, reason: str, intensity: str) -> None:
        self.status = OPEN
        self.closure_reason = None
        self.intensity = intensity

    def correct(self, *, actor: str, target: Household.Event, before: Household | None, changes: dict[str, Any],
                reason: str, earlier: Sequence[dict[str, Any]] = (), occurred_at: datetime | None = None) -> None:
        """Correct what an earlier event of this household (`target`) said. The original event stays;
        this event holds the original values, the corrected ones and why.

        A correction cannot record what the command may not: the corrected event is checked as if it had
        been recorded in its place, by every rule of its command (domain/rules.py), against `before` (this
        household as it was just before `target`; None for the registration), on its values as corrected
        (what the `earlier` corrections of it changed, oldest first, then `changes`)."""
        when = self._check_open(occurred_at)
        if not reason.strip():
            raise RuleViolation("a correction says why")
        kind = type(target).__name__
        changes = _checked_in_place(target, before, earlier, validate_changes(kind, changes))
        id_field = item_field(kind)
        self._corrected(actor=actor, occurred_at=when, target_version=target.originator_version, target_kind=kind,
                        item_id=getattr(target, id_field) if id_field else None,
                        original={name: getattr(target, name, None) for name in changes}, changes=changes,
                        reason=reason)

    @event("Corrected")
    def _corrected(self, *, actor: str, occurred_at: datetime, target_version: int, target_kind: str,
                   item_id: str | None, original: dict[str, Any], changes: dict[str, Any], reason: str) -> None:
        if target_kind == "Registered" and "label" in changes:
            self.label = changes["label"]
        elif target_kind == "MemberAdded" and item_id in self.members:
            self.members[item_id].update(changes)
        elif target_kind == "NetworkPersonAdded" and item_id in self.network:
            self.network[item_id].update(changes)
        elif target_kind == "AssessmentRecorded" and "scores" in changes:
            self.scores.update(changes["scores"])

    # ---- erasure --------------------------------------------------------------

    def forget(self, *, actor: str, reason: str, occurred_at: datetime | None = None) -> None:
        """Forget the household, open or closed (the application then destroys its key). The event
        itself holds nothing personal and stays readable: who had the household erased, when and why."""
        if self.status == FORGOTTEN:
            raise RuleViolation("a household is forgotten once", "this household was already forgotten")
        when = _when(occurred_at)
        self._check_not_before_registration(when)
        if not reason.strip():
            raise RuleViolation("an erasure says why")
        self._forgotten(actor=actor, occurred_at=when, reason=reason.strip())

    @event("Forgotten")
    def _forgotten(self, *, actor: str, occurred_at: datetime, reason: str) -> None:
        self.status = FORGOTTEN
        self.label = REDACTED
        self.members, self.network, self.signaleringsplan = {}, {}, {}
        self.next_check_in = None

    # ---- rule helpers ------------------------------------------------------

    def _check_open(self, occurred_at: datetime | None) -> datetime:
        if self.status == FORGOTTEN:
            raise RuleViolation("nothing happens to a forgotten household", "this household was forgotten")
        if self.status != OPEN:
            raise RuleViolation("nothing but reopening on a closed household", "this household is closed")
        when = _when(occurred_at)
        self._check_not_before_registration(when)
        return when

    def _check_not_before_registration(self, when: datetime) -> None:
        if when < self.registered_at:
            raise RuleViolation("nothing happens to a household before it was registered",
                                f"{when.isoformat()} is before registration at {self.registered_at.isoformat()}")

    _check_open_item = staticmethod(rules.check_open_item)


def _checked_in_place(target: Household.Event, before: Household | None, earlier: Sequence[dict[str, Any]],
                      changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` to `target`, checked as if the corrected event had been recorded in its place: by the rules
    of its command, against the household `before` it, at the moment it was recorded (it happened neither
    before the registration nor after it was recorded); answered as the event would have recorded them."""
    kind = type(target).__name__
    rule = rules.RULES[kind]
    values = {name: getattr(target, name, default) for name, default in rules.fields_of(rule).items()}
    values["occurred_at"] = target.occurred_at
    for corrected in (*earlier, changes):
        values.update(corrected)
    when = values.pop("occurred_at")
    if before is not None:
        before._check_not_before_registration(when)
    recorded = target.timestamp
    if when > recorded + FUTURE_TOLERANCE:
        later = "in the future" if when > now() + FUTURE_TOLERANCE else f"after it was recorded, {recorded.isoformat()}"
        raise RuleViolation("nothing is recorded as having happened in the future",
                            f"occurred_at {when.isoformat()} lies {later}")
    try:
        checked = rule(before, when, **values)
    except InvalidInput as error:
        raise InvalidInput(f"changes.{error.field}" if error.field in changes else error.field, error.detail) from None
    return {name: checked.get(name, value) for name, value in changes.items()}


def _when(occurred_at: datetime | None) -> datetime:
    """When something happened: now by default; may lie in the past, never in the future."""
    if occurred_at is None:
        return now()
    if occurred_at.tzinfo is None:
        raise RuleViolation("a moment has a time zone", "occurred_at needs a UTC offset")
    try:
        occurred_at.astimezone(UTC)
    except OverflowError:
        raise InvalidInput("occurred_at", "lies outside the supported calendar") from None
    if occurred_at > now() + FUTURE_TOLERANCE:
        raise RuleViolation("nothing is recorded as having happened in the future",
                            f"occurred_at {occurred_at.isoformat()} lies in the future")
    return occurred_at.astimezone(UTC)


_domains = rules.domains  # life domains as an event records them (domain/signal.py too)
