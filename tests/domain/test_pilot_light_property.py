"""Property: whatever valid commands a household receives, in whatever order,
an open household has exactly one open check-in (due when the cadence says) and
a closed one has none; and the stored events replay to the same household."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.application import Households
from domain.values import CADENCE_BOUNDS
from tests.domain.support import (
    DAYS_BETWEEN_CHECK_INS,
    POPO,
    dutch_date,
    open_check_ins,
    reader_of,
    replay,
    state,
)

LEVELS = ["waakvlam", "licht", "intensief", "crisis"]
KINDS = ["keukentafelgesprek", "huisbezoek", "telefonisch", "eropaf", "overleg", "digitaal"]
CLOSURE_REASONS = ["goals_achieved", "handed_over", "moved", "declined", "no_contact"]

cadences = st.dictionaries(
    st.sampled_from(LEVELS),
    st.integers(1, 200),
).map(lambda c: {k: v for k, v in c.items() if CADENCE_BOUNDS[k][0] <= v <= CADENCE_BOUNDS[k][1]})
hours_later = st.integers(0, 24 * 20)


class PilotLight(RuleBasedStateMachine):
    """A model of the household kept next to the real one: status, intensity,
    cadence and the due date of the next check-in, written from the brief."""

    def __init__(self) -> None:
        super().__init__()
        self.app = Households(env=POPO)
        self.seen: dict[int, dict] = {}

    # ---- the model's clock: moments in the past, moving forward ------------

    def tick(self, hours: int) -> datetime:
        self.clock = min(self.clock + timedelta(hours=hours), datetime.now(UTC) - timedelta(minutes=1))
        return self.clock

    def cadence_of(self, level: str) -> int:
        return self.cadence.get(level, DAYS_BETWEEN_CHECK_INS[level])

    def by_cadence(self, moment: datetime, level: str) -> date:
        return dutch_date(moment) + timedelta(days=self.cadence_of(level))

    def open_check_in(self) -> str:
        (check_in,) = open_check_ins(self.app, self.household)
        return check_in

    # ---- commands ----------------------------------------------------------

    @initialize(intensity=st.sampled_from(LEVELS), cadence=cadences, days_ago=st.integers(30, 400))
    def register(self, intensity, cadence, days_ago):
        self.clock = datetime.now(UTC) - timedelta(days=days_ago)
        self.household = self.app.register(actor="ann", label="Fam. Hypothese", team="Zuid",
                                           intensity=intensity, cadence=cadence,
                                           occurred_at=self.clock).household_id
        self.status, self.intensity, self.cadence = "open", intensity, cadence
        self.due: date | None = self.by_cadence(self.clock, intensity)

    @precondition(lambda self: self.status == "open")
    @rule(kind=st.sampled_from(KINDS), hours=hours_later)
    def record_a_contact(self, kind, hours):
        self.app.record_contact(self.household, actor="ann", kind=kind, occurred_at=self.tick(hours))

    @precondition(lambda self: self.status == "open")
    @rule(kind=st.sampled_from(KINDS), hours=hours_later)
    def complete_the_check_in(self, kind, hours):
        when = self.tick(hours)
        self.app.complete_check_in(self.household, self.open_check_in(), actor="ann", kind=kind, occurred_at=when)
        self.due = self.by_cadence(when, self.intensity)

    @precondition(lambda self: self.status == "open" and self.intensity != "crisis")
    @rule(data=st.data(), hours=hours_later)
    def escalate(self, data, hours):
        when = self.tick(hours)
        to_level = data.draw(st.sampled_from(LEVELS[LEVELS.index(self.intensity) + 1:]))
        self.app.escalate(self.household, actor="mark", to_level=to_level, reason="slechter", occurred_at=when)
        self.intensity = to_level
        self.due = min(self.due, self.by_cadence(when, to_level))

    @precondition(lambda self: self.status == "open" and self.intensity != "waakvlam")
    @rule(data=st.data(), hours=hours_later)
    def de_escalate(self, data, hours):
        to_level = data.draw(st.sampled_from(LEVELS[:LEVELS.index(self.intensity)]))
        self.app.de_escalate(self.household, actor="mark", to_level=to_level, reason="beter",
                             occurred_at=self.tick(hours))
        self.intensity = to_level

    @precondition(lambda self: self.status == "open")
    @rule(days=st.integers(0, 120), hours=hours_later)
    def reschedule_the_check_in(self, days, hours):
        when = self.tick(hours)
        due = dutch_date(when) + timedelta(days=days)
        self.app.reschedule_check_in(self.household, self.open_check_in(), actor="ann", due=due, occurred_at=when)
        self.due = due

    @precondition(lambda self: self.status == "open")
    @rule(days=st.none() | st.integers(0, 120), hours=hours_later)
    def cancel_the_check_in(self, days, hours):
        when = self.tick(hours)
        next_due_on = None if days is None else dutch_date(when) + timedelta(days=days)
        self.app.cancel_check_in(self.household, self.open_check_in(), actor="ann", reason="afgezegd",
                                 next_due_on=next_due_on, occurred_at=when)
        self.due = next_due_on or self.by_cadence(when, self.intensity)

    @precondition(lambda self: self.status == "open")
    @rule(cadence=cadences, hours=hours_later)
    def set_the_cadence(self, cadence, hours):
        when = self.tick(hours)
        self.app.set_cadence(self.household, actor="mark", cadence=cadence, occurred_at=when)
        self.cadence = cadence
        # A shorter cadence brings the open check-in forward; a longer one leaves it.
        self.due = min(self.due, self.by_cadence(when, self.intensity))

    @precondition(lambda self: self.status == "open")
    @rule(reason=st.sampled_from(CLOSURE_REASONS), hours=hours_later)
    def close(self, reason, hours):
        self.app.close_household(self.household, actor="mark", reason_code=reason, occurred_at=self.tick(hours))
        self.status, self.due = "closed", None

    @precondition(lambda self: self.status == "closed")
    @rule(intensity=st.none() | st.sampled_from(LEVELS), hours=hours_later)
    def reopen(self, intensity, hours):
        when = self.tick(hours)
        self.app.reopen_household(self.household, actor="mark", reason="nieuw signaal", intensity=intensity,
                                  occurred_at=when)
        self.status = "open"
        self.intensity = intensity or self.intensity
        self.due = self.by_cadence(when, self.intensity)

    # ---- what must hold after every command --------------------------------

    @invariant()
    def the_pilot_light_burns_exactly_when_the_household_is_open(self):
        stored = open_check_ins(self.app, self.household)
        household = self.app.get(self.household)
        assert household.status == self.status
        assert household.intensity == self.intensity
        if self.status == "open":
            assert list(stored.values()) == [self.due]
            ((check_in, due),) = stored.items()
            assert household.next_check_in == {"id": check_in, "due": due}
        else:
            assert stored == {}
            assert household.next_check_in is None

    @invariant()
    def the_stored_events_replay_to_the_same_household(self):
        household = self.app.get(self.household)
        assert state(replay(self.app, self.household)) == state(household)
        self.seen[household.version] = state(household)

    def teardown(self) -> None:
        if not self.seen:
            return
        reader = reader_of(self.app)
        assert state(reader.get(self.household)) == self.seen[max(self.seen)]
        for version, then in self.seen.items():
            assert state(self.app.repository.get(self.household, version=version)) == then


PilotLight.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_the_pilot_light_never_goes_out = PilotLight.TestCase
