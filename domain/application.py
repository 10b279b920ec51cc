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
from eventsourcing.persistence import JSONTranscoder, Mapper, PersistenceError, RecordConflictError, Transcoding
from eventsourcing.utils import get_topic

from domain import household as household_module
from domain import signal as signal_module
from domain.erasure import KeyRing, MemoryKeys, ShreddingMapper, kek_of, personal_topics
from domain.errors import NotFound, RuleViolation, StaleVersion
from domain.history import HistoryCache
from domain.household import Household, now
from domain.retry import retry
from domain.signal import Signal
from domain.staff import PRIVACY_OFFICER, StaffMember, staff_id
from domain.team import Team, TeamPolicy, checked_policy, team_id
from domain.values import Intensity

MAX_ATTEMPTS = 30
POLICY_TTL = 5.0  # seconds a team's policy is reused before it is read again (other processes may change it)
HOUSEHOLD_TOPIC = get_topic(Household.Registered)  # the first stored event of every household
PERSONAL = personal_topics((Household, household_module.PERSONAL_FIELDS), (Signal, signal_module.PERSONAL_FIELDS))
STAFF_TOPIC = get_topic(StaffMember.StaffRegistered)  # the first stored event of every staff member
STAFF_TTL = 5.0  # seconds a staff member's roles are reused before they are read again
SIGNAL_RECORDED_TOPIC = get_topic(Household.SignalRecorded)
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
        self._staff: dict[str, tuple[float, StaffMember | None]] = {}
        # user -> (role, team): who a user is when the registry does not know them (demo mode only, see
        # waakvlam/demo.py STAFF); the registry's own record always wins.
        self.demo_staff: dict[str, tuple[str, str | None]] = {}
        self.keyring: KeyRing | None = None
        if isinstance(self.mapper, ShreddingMapper):
            keys = self.recorder if hasattr(self.recorder, "insert_key") else MemoryKeys.of(self.recorder)
            self.keyring = KeyRing(kek_of(self.env), keys)
            self.mapper.keyring, self.mapper.personal = self.keyring, PERSONAL
            if hasattr(self.recorder, "insert_key"):  # it stores a new aggregate's key with its events
                self.recorder.keyring, self.keyring.deferred = self.keyring, True

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, sealing personal fields with a key per household (domain/erasure.py)."""
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=ShreddingMapper)

    def history(self, household_id: UUID) -> tuple[Any, ...]:
        """Every event of a household in version order, for "as of" questions (cached, never stale).
        A household forgotten meanwhile (here or by another process) is read afresh, redacted, and not cached."""
        found = self._histories.get(household_id)
        if found and type(found[-1]).__name__ == "Forgotten":
            self._histories.forget(household_id)
            if self.keyring is not None:
                self.keyring.forget_cached(household_id)
            return tuple(self.events.get(household_id))
        return found

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

    # ---- people and roles (domain/staff.py) -------------------------------------

    def staff_member(self, user_id: str) -> StaffMember | None:
        """The user's staff record (roles, team); briefly cached. In demo mode a demo user the
        registry does not know yet is answered from the demo table, never saved."""
        cached = self._staff.get(user_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            member: StaffMember | None = self.repository.get(staff_id(user_id))
        except AggregateNotFoundError:
            member = None
        if not isinstance(member, StaffMember):
            member = None
            if user_id in self.demo_staff:
                role, team = self.demo_staff[user_id]
                member = StaffMember.register(user_id, actor="demo", occurred_at=now(), team=team, roles=(role,))
        self._staff[user_id] = (time.monotonic() + STAFF_TTL, member)
        return member

    def staff(self) -> list[StaffMember]:
        """Every registered staff member, by user id."""
        ids = [n.originator_id for n in self.recorder.select_notifications(1, 1_000_000, topics=[STAFF_TOPIC])]
        members = [self.repository.get(member_id) for member_id in ids]
        return sorted((m for m in members if isinstance(m, StaffMember)), key=lambda m: m.user_id)

    def privacy_officers(self) -> list[str]:
        """The registry's privacy officers; in demo mode also the demo's, as long as the registry lacks them."""
        found = {m.user_id for m in self.staff() if PRIVACY_OFFICER in m.roles}
        for user in self.demo_staff:  # the registry's record wins over the demo table (staff_member)
            member = self.staff_member(user)
            if member is not None and PRIVACY_OFFICER in member.roles:
                found.add(user)
        return sorted(found)

    def registered_staff(self, user_id: str) -> StaffMember:
        try:
            member = self.repository.get(staff_id(user_id))
        except AggregateNotFoundError:
            member = None
        if not isinstance(member, StaffMember):
            raise NotFound(f"staff member {user_id} does not exist")
        return member

    def register_staff(self, user_id: str, *, actor: str, idempotency: Idempotency | None = None,
                       name: str = "", team: str | None = None, roles: Sequence[str] = (),
                       reason: str = "registered") -> Outcome:
        """Register a user, in a team (or none), with their first roles."""
        if self.recorder.select_events(staff_id(user_id), limit=1):
            raise RuleViolation("a user is registered once", f"{user_id} is already registered")
        member = StaffMember.register(user_id, actor=actor, occurred_at=now(), name=name, team=team,
                                      roles=tuple(roles), reason=reason)
        try:
            return self._saved_staff(member, idempotency)
        except RecordConflictError:
            raise RuleViolation("a user is registered once", f"{user_id} is already registered") from None

    def grant_role(self, user_id: str, role: str, *, actor: str, reason: str, idempotency: Idempotency | None = None,
                   expected_version: int | None = None) -> Outcome:
        return self._change_staff(user_id, expected_version, idempotency,
                                  lambda m: m.grant(role, actor=actor, occurred_at=now(), reason=reason))

    def revoke_role(self, user_id: str, role: str, *, actor: str, reason: str, idempotency: Idempotency | None = None,
                    expected_version: int | None = None) -> Outcome:
        return self._change_staff(user_id, expected_version, idempotency,
                                  lambda m: m.revoke(role, actor=actor, occurred_at=now(), reason=reason))

    def change_staff_team(self, user_id: str, team: str | None, *, actor: str, reason: str,
                          idempotency: Idempotency | None = None, expected_version: int | None = None) -> Outcome:
        return self._change_staff(user_id, expected_version, idempotency,
                                  lambda m: m.change_team(team, actor=actor, occurred_at=now(), reason=reason))

    def _change_staff(self, user_id: str, expected_version: int | None, idempotency: Idempotency | None,
                      change: Callable[[StaffMember], None]) -> Outcome:
        def attempt() -> Outcome:
            member = self.registered_staff(user_id)
            if expected_version is not None and member.version != expected_version:
                raise StaleVersion(expected_version, member.version)
            change(member)
            return self._saved_staff(member, idempotency)

        return self._retrying(f"staff member {user_id}", attempt)

    def _saved_staff(self, member: StaffMember, idempotency: Idempotency | None) -> Outcome:
        outcome = self._save(member, None, idempotency)
        self._staff.pop(member.user_id, None)
        return outcome

    # ---- commands ------------------------------------------------------------

    def register(self, *, actor: str, idempotency: Idempotency | None = None, **fields: Any) -> Outcome:
        team_cadence = self.team_policy(str(fields.get("team", "")).strip()).cadence
        household = Household.register(actor=actor, team_cadence=team_cadence, **fields)
        return self._save(household, None, idempotency)

    def set_team_policy(self, team: str, *, actor: str, idempotency: Idempotency | None = None,
                        expected_version: int | None = None, **fields: Any) -> Outcome:
        """Replace a team's policy (cadence, reminders, signal response, lead, addresses)."""
        policy = checked_policy(**fields)

        def attempt() -> Outcome:
            try:
                found: Team = self.repository.get(team_id(team))
            except AggregateNotFoundError:
                found = Team.found(team, actor=actor, occurred_at=now())
            if expected_version is not None and found.version != expected_version:
                raise StaleVersion(expected_version, found.version)
            found.set_policy(policy, actor=actor, occurred_at=now())
            outcome = self._save(found, None, idempotency)
            self._policies.pop(found.name, None)
            return outcome

        return self._retrying(f"team {team}", attempt)

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
        # The staff registry says the coordinator's team (none for someone it does not know).
        member = self.staff_member(str(kw.get("coordinator", "")))
        team = member.team if member is not None else None
        return self._update(household_id, kw,
                            lambda h, f: h.assign_coordinator(actor=actor, coordinator_team=team, **f))

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

    def record_consent(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.record_consent(actor=actor, **f))

    def withdraw_consent(self, household_id: UUID, consent_id: str, *, actor: str, **kw: Any) -> Outcome:
        return self._update(household_id, kw, lambda h, f: h.withdraw_consent(consent_id, actor=actor, **f))

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
        """Correct what the event at `target_version` said; the original stays. The household decides,
        given the event, the household as it was just before it and what earlier corrections of it
        changed: the corrected event is checked as if it had been recorded in its place."""

        def command(household: Household, fields: dict[str, Any]) -> None:
            if not 1 <= target_version <= household.version:
                raise NotFound(f"this household has no event at version {target_version}")
            target, *later = self.events.get(household_id, gt=target_version - 1, lte=household.version)
            earlier = [e.changes for e in later
                       if type(e).__name__ == "Corrected" and e.target_version == target_version]
            before = self.repository.get(household_id, version=target_version - 1) if target_version > 1 else None
            household.correct(actor=actor, target=target, before=before, earlier=earlier, **fields)

        return self._update(household_id, kw, command)

    # ---- erasure ----------------------------------------------------------------

    def forget(self, household_id: UUID, *, actor: str, **kw: Any) -> Outcome:
        """Erase a household by crypto-shredding: record `Forgotten`, then destroy the keys of the
        household and of the signals linked to it; its snapshots are deleted (derived data).
        The stored events do not change: without the key their personal fields read as placeholders,
        and the projections drop the household's rows on `Forgotten`. Asked again for a household
        already forgotten (an erasure interrupted after its event), it finishes the shredding."""
        household = self.get(household_id)
        if household.status == household_module.FORGOTTEN:
            expected = kw.get("expected_version")
            if expected is not None and expected != household.version:
                raise StaleVersion(expected, household.version)
            outcome = Outcome(household_id, household.version, None)
        else:
            outcome = self._update(household_id, kw, lambda h, f: h.forget(actor=actor, **f))
        self._shred(household_id)
        return outcome

    def _shred(self, household_id: UUID) -> None:
        signals = set()
        for stored in self.recorder.select_events(household_id):
            if stored.topic == SIGNAL_RECORDED_TOPIC:
                with contextlib.suppress(ValueError):  # a signal the team saw itself has no report
                    signals.add(UUID(self.mapper.to_domain_event(stored).signal_id))
        if self._snapshotter is not None:
            self._snapshotter.submit(lambda: None).result()  # a snapshot being taken now is saved first
        self._delete_snapshots(household_id)
        if self.keyring is not None:
            self.keyring.destroy([household_id, *signals])
        self._histories.forget(household_id)
        cache = getattr(self.repository, "cache", None)
        for aggregate_id in (household_id, *signals) if cache is not None else ():
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def _delete_snapshots(self, household_id: UUID) -> None:
        """Snapshots hold the household's state: deleted on erasure (they are derived, never evidence)."""
        if self.snapshots is None:
            return
        recorder: Any = self.snapshots.recorder
        if hasattr(recorder, "datastore"):  # PostgreSQL
            statement = f'DELETE FROM "{recorder.datastore.schema}"."{recorder.events_table_name}"'
            with recorder.datastore.transaction(commit=True) as curs:
                curs.execute(statement + " WHERE originator_id = %s", (household_id,))
            return
        with recorder._database_lock:  # the in-memory store of the unit tests
            kept = [e for e in recorder._stored_events if e.originator_id != household_id]
            recorder._stored_events[:] = kept
            recorder._stored_events_index.clear()
            for index, stored in enumerate(kept):
                recorder._stored_events_index[str(stored.originator_id)][stored.originator_version] = index

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
        """`attempt()` again, decided on the new state, while another writer saved first (domain/retry.py: jitter,
        and `Contention` after MAX_ATTEMPTS)."""
        return retry(attempt, on=RecordConflictError, what=what, attempts=MAX_ATTEMPTS)

    # ---- the unit of work ----------------------------------------------------

    def _update(self, household_id: UUID, kw: dict[str, Any],
                command: Callable[[Household, dict[str, Any]], str | None]) -> Outcome:
        expected_version: int | None = kw.pop("expected_version", None)
        idempotency: Idempotency | None = kw.pop("idempotency", None)
        with self._household_locks[hash(household_id) % len(self._household_locks)]:
            return self._decide_and_save(household_id, expected_version, idempotency, kw, command)

    def _decide_and_save(self, household_id: UUID, expected_version: int | None, idempotency: Idempotency | None,
                         kw: dict[str, Any], command: Callable[[Household, dict[str, Any]], str | None]) -> Outcome:
        def attempt() -> Outcome:
            household = self.get(household_id)
            if expected_version is not None and household.version != expected_version:
                raise StaleVersion(expected_version, household.version)
            item_id = command(household, dict(kw))
            try:
                return self._save(household, item_id, idempotency)
            except RecordConflictError:
                if expected_version is not None:  # the caller asked for that version: report the race
                    raise StaleVersion(expected_version, self.get(household_id).version) from None
                raise  # someone else saved first: decide again on the new state

        return self._retrying(f"household {household_id}", attempt)

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
