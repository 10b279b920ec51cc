"""A team sets its own policy: how often households are seen per intensity, and
how soon a partner's signal brings a quiet household's check-in forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.household import recording_at
from domain.team import TeamPolicy, team_id
from domain.values import local_date
from tests.domain.support import ACTOR, START, day, events_of, local_day, register, the_open_check_in

NOORD = "Wijkteam Noord"
LEAD = "carla.teamleider"


def test_a_team_that_never_set_a_policy_follows_the_defaults(app):
    assert app.team_policy(NOORD) == TeamPolicy()
    household = register(app, intensity="waakvlam")
    assert the_open_check_in(app, household)[1] == local_day(42)


def test_the_team_cadence_plans_the_check_ins_of_its_households_and_the_change_is_on_record(app):
    app.set_team_policy(NOORD, actor=LEAD, cadence={"waakvlam": 56})

    household = register(app, intensity="waakvlam")
    other_team = register(app, intensity="waakvlam", team="Wijkteam Zuid")

    assert the_open_check_in(app, household)[1] == local_day(56)
    assert the_open_check_in(app, other_team)[1] == local_day(42)
    (changed,) = [e for e in app.events.get(team_id(NOORD)) if type(e).__name__ == "TeamPolicySet"]
    assert (changed.actor, changed.cadence["waakvlam"], changed.cadence["licht"]) == (LEAD, 56, 14)


def test_a_household_s_own_cadence_wins_over_its_team_s(app):
    app.set_team_policy(NOORD, actor=LEAD, cadence={"waakvlam": 56})
    household = register(app, intensity="waakvlam", cadence={"waakvlam": 28})
    assert the_open_check_in(app, household)[1] == local_day(28)


def test_the_next_check_in_after_a_visit_follows_the_policy_of_that_moment(app):
    household = register(app, intensity="licht")
    first, _ = the_open_check_in(app, household)
    app.set_team_policy(NOORD, actor=LEAD, cadence={"licht": 21})

    app.complete_check_in(household, first, actor=ACTOR, kind="huisbezoek", occurred_at=day(10))

    assert the_open_check_in(app, household)[1] == local_day(31)


@pytest.mark.parametrize("fields", [
    {"cadence": {"waakvlam": 200}}, {"cadence": {"crisis": 0}}, {"cadence": {"hoog": 7}},
    {"remind_days_before": 31}, {"remind_days_before": -1}, {"overdue_days": 91},
    {"signal_check_in_days": {"acute": 43}},
])
def test_a_policy_outside_its_bounds_is_refused_and_nothing_is_recorded(app, fields):
    with pytest.raises(RuleViolation):
        app.set_team_policy(NOORD, actor=LEAD, **fields)
    assert app.team_version(NOORD) == 0


def test_an_unknown_urgency_or_a_bad_address_is_invalid_input(app):
    with pytest.raises(InvalidInput):
        app.set_team_policy(NOORD, actor=LEAD, signal_check_in_days={"soon": 2})
    with pytest.raises(InvalidInput):
        app.set_team_policy(NOORD, actor=LEAD, addresses={"bram": "not an address"})


def test_every_change_of_policy_is_a_new_version_of_the_team(app):
    app.set_team_policy(NOORD, actor=LEAD, remind_days_before=2)
    app.set_team_policy(NOORD, actor=LEAD, remind_days_before=5, team_lead="carla")

    assert app.team_version(NOORD) == 3  # founded, then two policies
    assert (app.team_policy(NOORD).remind_days_before, app.team_policy(NOORD).team_lead) == (5, "carla")


# ---- a signal on a quiet household brings its check-in forward ------------------------


def _recently_registered(app, intensity):
    """Registered yesterday, so that the policy's days count from today."""
    yesterday = datetime.now(UTC) - timedelta(days=1)
    return register(app, intensity=intensity, occurred_at=yesterday)


def _today():
    return local_date(datetime.now(UTC))


@pytest.mark.parametrize(("urgency", "days"), [("acute", 1), ("high", 3), ("normal", 7), ("low", 14)])
def test_a_signal_at_waakvlam_brings_the_check_in_within_the_team_s_days_for_its_urgency(app, urgency, days):
    household = _recently_registered(app, "waakvlam")  # due in 41 days
    check_in, _ = the_open_check_in(app, household)

    app.record_signal(household, actor=ACTOR, source="woningcorporatie", description="Huurachterstand",
                      life_domains=["housing"], urgency=urgency)

    assert the_open_check_in(app, household) == (check_in, _today() + timedelta(days=days))
    (moved,) = events_of(app, household, "CheckInRescheduled")
    assert moved.reason == "signal"


def test_a_signal_never_moves_a_check_in_later(app):
    household = _recently_registered(app, "licht")  # due in 13 days
    before = the_open_check_in(app, household)
    app.record_signal(household, actor=ACTOR, source="buurvrouw", description="Zorgen", life_domains=[],
                      urgency="low")  # within 14 days: later than planned
    assert the_open_check_in(app, household) == before


def test_a_signal_at_intensief_leaves_the_check_in_to_the_coordinator(app):
    household = _recently_registered(app, "intensief")
    before = the_open_check_in(app, household)
    app.record_signal(household, actor=ACTOR, source="huisarts", description="Opname", life_domains=[],
                      urgency="acute")
    assert the_open_check_in(app, household) == before


def test_a_team_may_decide_that_a_low_urgency_signal_moves_nothing(app):
    app.set_team_policy(NOORD, actor=LEAD, signal_check_in_days={"low": None, "normal": 5})
    household = _recently_registered(app, "waakvlam")
    before = the_open_check_in(app, household)

    app.record_signal(household, actor=ACTOR, source="school", description="Vaak afwezig", life_domains=[],
                      urgency="low")
    assert the_open_check_in(app, household) == before

    app.record_signal(household, actor=ACTOR, source="school", description="Weer afwezig", life_domains=[],
                      urgency="normal")
    assert the_open_check_in(app, household)[1] == _today() + timedelta(days=5)


def test_a_signal_seen_days_ago_makes_the_check_in_due_today_not_in_the_past(app):
    household = register(app, intensity="waakvlam", occurred_at=START)
    check_in, _ = the_open_check_in(app, household)
    app.complete_check_in(household, check_in, actor=ACTOR, kind="telefonisch", occurred_at=datetime.now(UTC)
                          - timedelta(days=20))

    app.record_signal(household, actor=ACTOR, source="politie", description="Melding burenruzie", life_domains=[],
                      urgency="acute", occurred_at=datetime.now(UTC) - timedelta(days=10))

    assert the_open_check_in(app, household)[1] == _today()


def test_a_history_written_after_the_fact_counts_from_when_the_signal_was_recorded_not_from_the_wall_clock(app):
    """The demo municipality (waakvlam/demo.py) records two years of history with `recording_at`: a signal
    recorded back then brings the check-in forward from that day, and its events carry that record time."""
    household = register(app, intensity="waakvlam", occurred_at=day(0))  # due on day 42
    check_in, _ = the_open_check_in(app, household)
    recorded = day(10) + timedelta(hours=3)
    with recording_at(recorded):
        app.record_signal(household, actor=ACTOR, source="politie", description="Melding burenruzie",
                          life_domains=[], urgency="high", occurred_at=day(8))  # seen two days before

    assert the_open_check_in(app, household) == (check_in, local_day(11))  # not the real today
    signal, moved = events_of(app, household, "SignalRecorded")[0], events_of(app, household, "CheckInRescheduled")[0]
    assert (signal.occurred_at, signal.timestamp) == (day(8), recorded)
    assert (moved.reason, moved.occurred_at, moved.timestamp) == ("signal", recorded, recorded)


def test_nothing_is_recorded_in_the_future_nor_happened_after_it_was_recorded(app):
    household = register(app, intensity="waakvlam", occurred_at=day(0))
    with pytest.raises(RuleViolation, match="future"):
        with recording_at(datetime.now(UTC) + timedelta(hours=1)):
            pass
    with recording_at(day(5)), pytest.raises(RuleViolation, match="future"):
        app.record_contact(household, actor=ACTOR, kind="telefonisch", occurred_at=day(6))
