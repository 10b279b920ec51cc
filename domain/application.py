"""The application service: one method per household command, usable without HTTP.

Each command loads the household, lets the aggregate decide, and saves the new
events atomically. Commands are intents: when another user saved first (a
version race) the command is tried again against the new state, so two people
recording contacts at the same moment both succeed. With `expected_version`
the caller asked for exactly that version, and a race is reported instead.

Signals (domain/signal.py) are reported, then triaged once: linking one to a
household, or registering a household from it, saves the signal's event and
the household's events in one transaction.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, PersistenceError, RecordConflictError, Transcoding
from eventsourcing.utils import get_topic

from domain.corrections import item_field
from domain.errors import Contention, NotFound, StaleVersion
from domain.history import HistoryCache
from domain.household import Household, now
from domain.signal import Signal
from domain.team import Team, TeamPolicy, checked_policy, team_id
from domain.values import Intensity

MAX_ATTEMPTS = 30
POLICY_TTL = 5.0  # seconds a team's policy is reused before it is read again (other processes may change it)
HOUSEHOLD_TOPIC = get_topic(Household.Registered)  # the first stored event of every household
T = TypeVar("T")


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class Outcome:
    """What a command answers: the household's new version and store position."""

    household_id: UUID
    version: int
    position: int | None
    item_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"household_id": str(self.household_id), "version": self.version,
                "position": self.position, "item_id": self.item_id}


@dataclass(frozen=True)
class SignalOutcome:
    """What a signal command answers: the signal's new version and store position, and
    (after a link or a registration) the household it now belongs to, at its new version."""

    signal_id: UUID
    version: int
    position: int | None
    household_id: UUID | None = None
    household_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"signal_id": str(self.signal_id), "version": self.version, "position": self.position,
                "household_id": str(self.household_id) if self.household_id else None,
                "household_version": self.household_version}


@dataclass
class Idempotency:
    """A client's idempotency key; the recorder stores it with the events, in the
    same transaction, together with the outcome this service fills in."""

    key: str
    principal: str
    fingerprint: str
    outcome: dict[str, Any] = field(default_factory=dict)


class Households(Application[UUID]):
    name = "Waakvlam"
    snapshotting_intervals = {Household: 50}

    def __init__(self, env: dict[str, str] | None = None, *, background_snapshots: bool = False) -> None:
        """With `background_snapshots` a snapshot is saved after the command has
        answered (a server's choice: a snapshot is derived data, never needed to
        answer, and saving it in the request costs every 50th caller)."""
        super().__init__(env)
        # Commands on one household wait for each other in this process rather
        # than race and retry; races with other processes are still retried.
        self._household_locks = [threading.RLock() for _ in range(256)]
        self._snapshotter = ThreadPoolExecutor(1, "snapshots") if background_snapshots else None
        self._histories = HistoryCache(lambda household_id, after: self.events.get(household_id, gt=after))
        self._policies: dict[str, tuple[float, TeamPolicy]] = {}

    def history(self, household_id: UUID) -> tuple[Any, ...]:
        """Every event of a household in version order, for "as of" questions (cached, never stale)."""
        return self._histories.get(household_id)

    def close(self) -> None:
        snapshotter = getattr(self, "_snapshotter", None)  # close() also runs from __del__
        if snapshotter is not None:
            snapshotter.shutdown(wait=True)
        super().close()

    def _take_snapshots(self, processing_event: Any) -> None:
        if self._snapshotter is None:
            super()._take_snapshots(processing_event)
        else:
            self._snapshotter.submit(self._take_snapshots_quietly, processing_event)

    def _take_snapshots_quietly(self, processing_event: Any) -> None:
        # A snapshot that cannot be saved now is taken at the next interval.
        with contextlib.suppress(PersistenceError, RecordConflictError):
            super()._take_snapshots(processing_event)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # ---- reading -------------------------------------------------------------

    def get(self, household_id: UUID) -> Household:
        try:
            household = self.repository.get(household_id)
        except AggregateNotFoundError:
            household = None
        if not isinstance(household, Household):  # the store also holds teams (and signals)
            raise NotFound(f"household {household_id} does not exist")
        household.team_cadence = self.team_policy(household.team).cadence
        return household

    def is_household(self, aggregate_id: UUID) -> bool:
        """Whether the store holds a household with this id (and not a team or a signal)."""
        first = self.recorder.select_events(aggregate_id, limit=1)
        return bool(first) and first[0].topic == HOUSEHOLD_TOPIC

    def get_signal(self, signal_id: UUID) -> Signal:
        try:
            signal = self.repository.get(signal_id)
        except AggregateNotFoundError:
            signal = None
        if not isinstance(signal, Signal):  # a household's or a team's id is no signal's
            raise NotFound(f"signal {signal_id} does not exist")
        return signal

    def signal_events(self, signal_id: UUID) -> list[Any]:
        """Every event of a signal, in version order (NotFound for any other id)."""
        found = list(self.events.get(signal_id))
        if not found or not isinstance(found[0], Signal.Event):
            raise NotFound(f"signal {signal_id} does not exist")
        return found

    def team_policy(self, team: str) -> TeamPolicy:
        """The team's policy (the default for a team that never set one); briefly cached."""
        cached = self._policies.get(team)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            policy = self.repository.get(team_id(team)).policy
        except AggregateNotFoundError:
            policy = TeamPolicy()
        self._policies[team] = (time.monotonic() + POLICY_TTL, policy)
        return policy

    # ---- commands ------------------------------------------------------------

    def register(self, *, actor: str, idempotency: Idempotency | None = None, **fields: Any) -> Outcome:
        team_cadence = self.team_policy(str(fields.get("team", "")).strip()).cadence
        household = Household.register(actor=actor, team_cadence=team_cadence, **fields)
        return self._save(household, None, idempotency)

    def set_team_policy(self, team: str, *, actor: str, idempotency: Idempotency | None = None,
                        expected_version: int | None = None, **fields: Any) -> Outcome:
        """Replace a team's policy (cadence, reminders, signal response, lead, addresses)."""
        policy = checked_policy(**fields)
        for attempt in range(MAX_ATTEMPTS):
            try:
                found: Team = self.repository.get(team_id(team))
            except AggregateNotFoundError:
                found = Team.found(team, actor=actor, occurred_at=now())
            if expected_version is not None and found.version != expected_version:
                raise StaleVersion(expected_version, found.version)
            found.set_policy(policy, actor=actor, occurred_at=now())
            try:
                outcome = self._save(found, None, idempotency)
            except RecordConflictError:
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            self._policies.pop(found.name, None)
            return outcome
        raise Contention(f"team {team} stayed too busy to save after {MAX_ATTEMPTS} attempts")

    def team_version(self, team: str) -> int:
        try:
            return self.repository.get(team_id(team)).version
        except AggregateNotFoundError:
            return 0

    def add_member(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.add_member(actor=actor, **f))

    def remove_member(self, household_id: UUID, member_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.remove_member(member_id, actor=actor, **f))

    def add_network_person(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.add_network_person(actor=actor, **f))

    def remove_network_person(self, household_id: UUID, person_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.remove_network_person(person_id, actor=actor, **f))

    def assign_coordinator(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.assign_coordinator(actor=actor, **f))

    def record_signal(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        def command(household: Household, fields: dict[str, Any]) -> str:
            urgency = str(fields.get("urgency", "normal"))
            within = self.team_policy(household.team).signal_check_in_days.get(urgency)
            return household.record_signal(actor=actor, check_in_within=within, **fields)

        return self._update(household_id, kw, command)

    def record_contact(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.record_contact(actor=actor, **f))

    def record_assessment(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.record_assessment(actor=actor, **f))

    def set_goal(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.set_goal(actor=actor, **f))

    def revise_goal(self, household_id: UUID, goal_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.revise_goal(goal_id, actor=actor, **f))

    def achieve_goal(self, household_id: UUID, goal_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.achieve_goal(goal_id, actor=actor, **f))

    def drop_goal(self, household_id: UUID, goal_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.drop_goal(goal_id, actor=actor, **f))

    def make_agreement(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.make_agreement(actor=actor, **f))

    def complete_agreement(self, household_id: UUID, agreement_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.complete_agreement(agreement_id, actor=actor, **f))

    def cancel_agreement(self, household_id: UUID, agreement_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.cancel_agreement(agreement_id, actor=actor, **f))

    def start_intervention(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.start_intervention(actor=actor, **f))

    def end_intervention(self, household_id: UUID, intervention_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.end_intervention(intervention_id, actor=actor, **f))

    def escalate(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.escalate(actor=actor, **f))

    def de_escalate(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.de_escalate(actor=actor, **f))

    def set_cadence(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.set_cadence(actor=actor, **f))

    def complete_check_in(self, household_id: UUID, check_in_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.complete_check_in(check_in_id, actor=actor, **f))

    def reschedule_check_in(self, household_id: UUID, check_in_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.reschedule_check_in(check_in_id, actor=actor, **f))

    def cancel_check_in(self, household_id: UUID, check_in_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.cancel_check_in(check_in_id, actor=actor, **f))

    def agree_signaleringsplan(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.agree_signaleringsplan(actor=actor, **f))

    def close_household(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.close(actor=actor, **f))

    def reopen_household(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.reopen(actor=actor, **f))

    def correct(self, household_id: UUID, *, actor: str, target_version: int, **kw: Any) -> Outcome:
        """Correct what the event at `target_version` said; the original stays."""

        def command(household: Household, fields: dict[str, Any]) -> None:
            if not 1 <= target_version <= household.version:
                raise NotFound(f"this household has no event at version {target_version}")
            (target,) = self.events.get(household_id, gt=target_version - 1, lte=target_version)
            kind = type(target).__name__
            id_field = item_field(kind)
            changes = fields.get("changes", {})
            household.correct(
                actor=actor, target_version=target_version, target_kind=kind,
                item_id=getattr(target, id_field) if id_field else None,
                original={name: getattr(target, name, None) for name in changes},
                **fields,
            )

        return self._update(household_id, kw, command)

    # ---- signals: report, then triage once -------------------------------------

    def report_signal(self, *, actor: str, idempotency: Idempotency | None = None, **fields: Any) -> SignalOutcome:
        """A partner's (or the team's) report lands in the inbox as a new signal."""
        signal = Signal.report(actor=actor, **fields)
        return self._save_signal(signal, None, idempotency)

    def link_signal(self, signal_id: UUID, household_id: UUID, *, actor: str, idempotency: Idempotency | None = None,
                    expected_version: int | None = None) -> SignalOutcome:
        """Link a signal to a household the team follows: the household records it (and a household
        at waakvlam or licht has its next check-in brought forward by the team's policy)."""

        def attempt() -> SignalOutcome:
            signal = self._untriaged_signal(signal_id, expected_version)
            household = self.get(household_id)
            signal.link(household.id, actor=actor)
            self._record_on(household, signal, actor)
            return self._save_signal(signal, household, idempotency)

        with self._household_locks[hash(household_id) % len(self._household_locks)]:
            return self._retrying(f"signal {signal_id}", attempt)

    def register_from_signal(self, signal_id: UUID, *, actor: str, label: str, team: str | None = None,
                             intensity: str = Intensity.LICHT, idempotency: Idempotency | None = None,
                             expected_version: int | None = None) -> SignalOutcome:
        """Register a new household from a signal (in the signal's team unless `team` says
        otherwise); the household, its first check-in and the signal are saved together.

        The household came into view when the signal was seen: that is when it is registered
        as having happened (recorded now), so an eropaf visit made before the triage can be
        recorded on it."""

        def attempt() -> SignalOutcome:
            signal = self._untriaged_signal(signal_id, expected_version)
            name = (team if team is not None else signal.team or "").strip()
            household = Household.register(actor=actor, label=label, team=name, intensity=intensity,
                                           team_cadence=self.team_policy(name).cadence, occurred_at=signal.seen_at)
            signal.link(household.id, actor=actor, new_household=True)
            self._record_on(household, signal, actor)
            return self._save_signal(signal, household, idempotency)

        return self._retrying(f"signal {signal_id}", attempt)

    def dismiss_signal(self, signal_id: UUID, *, actor: str, reason: str, idempotency: Idempotency | None = None,
                       expected_version: int | None = None) -> SignalOutcome:
        """Close a signal without a household, with the reason why."""

        def attempt() -> SignalOutcome:
            signal = self._untriaged_signal(signal_id, expected_version)
            signal.dismiss(actor=actor, reason=reason)
            return self._save_signal(signal, None, idempotency)

        return self._retrying(f"signal {signal_id}", attempt)

    def _untriaged_signal(self, signal_id: UUID, expected_version: int | None) -> Signal:
        signal = self.get_signal(signal_id)
        if expected_version is not None and signal.version != expected_version:
            raise StaleVersion(expected_version, signal.version)
        signal.check_untriaged()
        return signal

    def _record_on(self, household: Household, signal: Signal, actor: str) -> str:
        """Record the signal on the household, as seen when the signal was (or, seen before the
        household was registered, at its registration: nothing happens to a household before that)."""
        policy = self.team_policy(household.team)
        return household.record_signal(actor=actor, occurred_at=max(signal.seen_at, household.registered_at),
                                       check_in_within=policy.signal_check_in_days.get(signal.urgency),
                                       **signal.as_household_signal())

    def _save_signal(self, signal: Signal, household: Household | None,
                     idempotency: Idempotency | None) -> SignalOutcome:
        outcome = SignalOutcome(signal.id, signal.version, None, household.id if household else None,
                                household.version if household else None)
        aggregates = [signal] if household is None else [signal, household]
        return replace(outcome, position=self._save_all(aggregates, outcome.as_dict(), idempotency))

    @staticmethod
    def _retrying(what: str, attempt: Callable[[], T]) -> T:
        """`attempt()` again, decided on the new state, while another writer saved first."""
        for n in range(MAX_ATTEMPTS):
            try:
                return attempt()
            except RecordConflictError:
                time.sleep(random.uniform(0, 0.002 * (n + 1)))
        raise Contention(f"{what} stayed too busy to save after {MAX_ATTEMPTS} attempts")

    # ---- the unit of work ----------------------------------------------------

    def _update(self, household_id: UUID, kw: dict[str, Any],
                command: Callable[[Household, dict[str, Any]], str | None]) -> Outcome:
        expected_version: int | None = kw.pop("expected_version", None)
        idempotency: Idempotency | None = kw.pop("idempotency", None)
        with self._household_locks[hash(household_id) % len(self._household_locks)]:
            return self._decide_and_save(household_id, expected_version, idempotency, kw, command)

    def _decide_and_save(self, household_id: UUID, expected_version: int | None, idempotency: Idempotency | None,
                         kw: dict[str, Any], command: Callable[[Household, dict[str, Any]], str | None]) -> Outcome:
        for attempt in range(MAX_ATTEMPTS):
            household = self.get(household_id)
            if expected_version is not None and household.version != expected_version:
                raise StaleVersion(expected_version, household.version)
            item_id = command(household, dict(kw))
            try:
                return self._save(household, item_id, idempotency)
            except RecordConflictError:
                if expected_version is not None:
                    raise StaleVersion(expected_version, self.get(household_id).version) from None
                # Someone else saved first: decide again on the new state.
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise Contention(f"household {household_id} stayed too busy to save after {MAX_ATTEMPTS} attempts")

    def _save(self, household: Aggregate, item_id: str | None, idempotency: Idempotency | None) -> Outcome:
        outcome = Outcome(household.id, household.version, None, item_id)
        return replace(outcome, position=self._save_all([household], outcome.as_dict(), idempotency))

    def _save_all(self, aggregates: Sequence[Aggregate], answer: dict[str, Any],
                  idempotency: Idempotency | None) -> int | None:
        """Save the new events of every aggregate in ONE transaction, with the idempotency key (if any)
        and the `answer` a retry will get; the store position of the last event."""
        kwargs: dict[str, Any] = {}
        if idempotency is not None:
            idempotency.outcome = answer
            kwargs["idempotency"] = idempotency
        recordings = self.save(*aggregates, **kwargs)
        return recordings[-1].notification.id if recordings else None
