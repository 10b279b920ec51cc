"""Signals from partners: a report lands in the team's inbox, is triaged once
(linked to a household, a household registered from it, or dismissed with a
reason), and the eropaf is measured from the signal to the first contact.
In memory; the inbox's pure fold is replayed over the stored events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.signal import Signal
from domain.team import team_id
from domain.values import local_date
from projections import signals as inbox
from projections.timeline import is_household_event, summary
from tests.domain.support import ACTOR, day, events, events_of, kinds, only, register, the_open_check_in

PETRA = "petra"  # a partner's account: the housing corporation
NOORD = "Wijkteam Noord"


def report(app, **fields) -> UUID:
    fields = {"source": "housing_corporation", "about_name": "Fam. De Vries", "description": "Huurachterstand",
              "team": NOORD, "occurred_at": day(195), **fields}
    return app.report_signal(actor=fields.pop("actor", PETRA), **fields).signal_id


def stored(app) -> list:
    """Every event in the store, in store order."""
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=10_000)]


def row(app, signal_id: UUID) -> inbox.SignalRow:
    """The signal's inbox row, as the projection folds the store from scratch."""
    return inbox.replay(stored(app))[signal_id]


def today() -> datetime:
    return datetime.now(UTC)


# ---- the report -------------------------------------------------------------------


def test_a_partners_report_lands_in_the_inbox_with_who_whom_what_and_how_urgent(app):
    outcome = app.report_signal(
        actor=PETRA, source="housing_corporation", reporter_name="Woonstad Noord", reporter_contact="010 1234567",
        about_name="Fam. De Vries", about_address="Dorpsstraat 12", team=NOORD,
        life_domains=["housing", "finances", "housing"], description="Huurachterstand van drie maanden.",
        urgency="high", occurred_at=day(195))

    (reported,) = events(app, outcome.signal_id)
    assert type(reported).__name__ == "SignalReported"
    assert (reported.actor, reported.occurred_at, reported.source) == (PETRA, day(195), "housing_corporation")
    assert (reported.about_name, reported.about_address, reported.team) == ("Fam. De Vries", "Dorpsstraat 12", NOORD)
    assert (reported.reporter_name, reported.reporter_contact) == ("Woonstad Noord", "010 1234567")
    assert reported.life_domains == ["finances", "housing"]
    assert (reported.description, reported.urgency) == ("Huurachterstand van drie maanden.", "high")
    assert (outcome.version, outcome.household_id) == (1, None)

    found = row(app, outcome.signal_id)
    assert (found.status, found.reported_by, found.household_id, found.first_contact_at) == ("new", PETRA, None, None)
    assert found.reported_at == reported.timestamp


def test_a_report_needs_no_more_than_who_reports_about_whom_and_what_was_seen(app):
    by_address = report(app, about_name="", about_address="Dorpsstraat 12", team=None, occurred_at=None)
    signal = app.get_signal(by_address)
    assert (signal.about_name, signal.about_address, signal.team, signal.urgency) == ("", "Dorpsstraat 12", None,
                                                                                     "normal")
    assert signal.seen_at <= today()


@pytest.mark.parametrize(("fields", "field"), [
    ({"description": "  "}, "description"),
    ({"about_name": "", "about_address": " "}, "about_name"),
    ({"source": "woningcorporatie"}, "source"),
    ({"urgency": "hoog"}, "urgency"),
    ({"life_domains": ["geld"]}, "life_domains"),
    ({"team": " "}, "team"),
])
def test_a_report_without_what_was_seen_or_about_whom_or_in_unknown_words_is_invalid(app, fields, field):
    with pytest.raises(InvalidInput) as refused:
        report(app, **fields)
    assert refused.value.field == field
    assert stored(app) == []


def test_a_signal_seen_in_the_future_or_without_time_zone_is_refused(app):
    with pytest.raises(RuleViolation) as refused:
        report(app, occurred_at=today() + timedelta(hours=2))
    assert refused.value.rule == "nothing is recorded as having happened in the future"
    with pytest.raises(RuleViolation):
        report(app, occurred_at=datetime(2026, 1, 5, 10, 30))
    assert stored(app) == []


def test_signal_events_do_not_share_a_name_with_household_events():
    # The projections tell events apart by their class name.
    signal_events = {name for name, value in vars(Signal).items() if isinstance(value, type)
                     and issubclass(value, Signal.Event) and name not in ("Event", "Created")}
    assert signal_events == {"SignalReported", "SignalLinked", "SignalDismissed", "SignalForgotten"}
    from domain.household import Household

    assert not signal_events & set(vars(Household))


# ---- triage: link -------------------------------------------------------------------


def test_a_linked_signal_is_recorded_on_the_household_with_the_same_id_in_one_save(app):
    household = register(app, occurred_at=day(100))
    signal_id = report(app, life_domains=["housing"], urgency="high", occurred_at=day(195))
    before = len(stored(app))

    outcome = app.link_signal(signal_id, household, actor=ACTOR)

    recorded = only(app, household, "SignalRecorded")
    assert recorded.signal_id == str(signal_id)
    assert (recorded.actor, recorded.source, recorded.description) == (ACTOR, "housing_corporation",
                                                                       "Huurachterstand")
    assert (recorded.life_domains, recorded.urgency, recorded.occurred_at) == (["housing"], "high", day(195))
    linked = events(app, signal_id)[-1]
    assert (type(linked).__name__, linked.household_id, linked.new_household, linked.actor) == (
        "SignalLinked", household, False, ACTOR)
    # Both aggregates' events went into the store in one save, one after the other.
    written = stored(app)[before:]
    assert {e.originator_id for e in written} == {signal_id, household}
    assert (outcome.household_id, outcome.household_version) == (household, app.get(household).version)
    assert (outcome.version, outcome.position) == (2, app.recorder.max_notification_id())
    assert row(app, signal_id).status == "linked"
    assert row(app, signal_id).household_id == household


@pytest.mark.parametrize(("intensity", "urgency", "within"), [
    ("waakvlam", "normal", 7), ("waakvlam", "acute", 1), ("licht", "high", 3), ("licht", "normal", 7)])
def test_a_linked_signal_brings_a_quiet_households_check_in_forward_to_within_the_teams_days(
        app, intensity, urgency, within):
    household = register(app, intensity=intensity, occurred_at=day(195))
    _, planned = the_open_check_in(app, household)
    seen = today() - timedelta(hours=1)

    app.link_signal(report(app, urgency=urgency, occurred_at=seen), household, actor=ACTOR)

    _, due = the_open_check_in(app, household)
    assert due == local_date(seen) + timedelta(days=within)
    assert due < planned
    assert events_of(app, household, "CheckInRescheduled")[-1].reason == "signal"


def test_the_teams_own_signal_policy_decides_how_soon(app):
    app.set_team_policy(NOORD, actor="carla", signal_check_in_days={"normal": 2})
    household = register(app, intensity="waakvlam", occurred_at=day(195))
    seen = today() - timedelta(hours=1)

    app.link_signal(report(app, occurred_at=seen), household, actor=ACTOR)

    assert the_open_check_in(app, household)[1] == local_date(seen) + timedelta(days=2)


def test_a_signal_leaves_the_check_in_of_an_intensively_supported_household_as_it_was(app):
    household = register(app, intensity="intensief", occurred_at=day(195))
    planned = the_open_check_in(app, household)

    app.link_signal(report(app, urgency="acute", occurred_at=today() - timedelta(hours=1)), household, actor=ACTOR)

    assert the_open_check_in(app, household) == planned
    assert "CheckInRescheduled" not in kinds(app, household)


def test_a_signal_seen_before_the_household_was_registered_is_recorded_at_its_registration(app):
    signal_id = report(app, occurred_at=day(150))
    household = register(app, occurred_at=day(160))

    app.link_signal(signal_id, household, actor=ACTOR)

    assert only(app, household, "SignalRecorded").occurred_at == day(160)
    assert app.get_signal(signal_id).seen_at == day(150)  # the signal keeps when it was seen


def test_a_closed_household_refuses_the_signal_and_nothing_is_half_written(app):
    household = register(app)
    app.close_household(household, actor=ACTOR, reason_code="moved")
    signal_id = report(app)
    before = len(stored(app))

    with pytest.raises(RuleViolation) as refused:
        app.link_signal(signal_id, household, actor=ACTOR)

    assert refused.value.rule == "nothing but reopening on a closed household"
    assert len(stored(app)) == before
    assert app.get_signal(signal_id).status == "new"


# ---- triage: register ---------------------------------------------------------------


def test_a_household_is_registered_from_a_signal_in_one_save_and_seen_soon(app):
    signal_id = report(app, urgency="acute", team="Wijkteam Zuid", occurred_at=today() - timedelta(hours=3))

    outcome = app.register_from_signal(signal_id, actor=ACTOR, label="Fam. Bakker", intensity="waakvlam")

    household = app.get(outcome.household_id)
    assert (household.label, household.team, household.intensity) == ("Fam. Bakker", "Wijkteam Zuid", "waakvlam")
    # It came into view when the signal was seen: an eropaf visit before the triage can be recorded on it.
    assert household.registered_at == app.get_signal(signal_id).seen_at
    assert kinds(app, household.id) == ["Registered", "CheckInScheduled", "SignalRecorded", "CheckInRescheduled"]
    assert only(app, household.id, "SignalRecorded").signal_id == str(signal_id)
    # An acute signal: seen within a day, not after the waakvlam's six weeks.
    assert the_open_check_in(app, household.id)[1] <= local_date(today()) + timedelta(days=1)
    linked = events(app, signal_id)[-1]
    assert (linked.household_id, linked.new_household) == (household.id, True)
    assert {e.originator_id for e in stored(app)[-5:]} == {signal_id, household.id}


def test_a_household_registered_from_a_signal_may_go_to_another_team(app):
    outcome = app.register_from_signal(report(app), actor=ACTOR, label="Fam. Bakker", team="Wijkteam Oost")
    assert app.get(outcome.household_id).team == "Wijkteam Oost"


def test_a_household_needs_a_team_when_the_signal_names_none(app):
    signal_id = report(app, team=None)
    with pytest.raises(RuleViolation) as refused:
        app.register_from_signal(signal_id, actor=ACTOR, label="Fam. Bakker")
    assert refused.value.rule == "a household has a label and a team"
    assert [type(e).__name__ for e in stored(app)] == ["SignalReported"]


# ---- triage: dismiss, and only once -----------------------------------------------------


def test_a_dismissed_signal_gives_its_reason(app):
    signal_id = report(app)
    with pytest.raises(InvalidInput) as refused:
        app.dismiss_signal(signal_id, actor=ACTOR, reason="   ")
    assert refused.value.field == "reason"

    app.dismiss_signal(signal_id, actor=ACTOR, reason="Al bekend bij de schuldhulpverlening")

    dismissed = row(app, signal_id)
    assert (dismissed.status, dismissed.dismissal_reason, dismissed.triaged_by) == (
        "dismissed", "Al bekend bij de schuldhulpverlening", ACTOR)
    assert dismissed.household_id is None


@pytest.mark.parametrize("first", ["link", "register", "dismiss"])
@pytest.mark.parametrize("second", ["link", "register", "dismiss"])
def test_a_signal_is_triaged_once(app, first, second):
    household = register(app)
    signal_id = report(app)
    triage = {
        "link": lambda: app.link_signal(signal_id, household, actor=ACTOR),
        "register": lambda: app.register_from_signal(signal_id, actor=ACTOR, label="Fam. Bakker"),
        "dismiss": lambda: app.dismiss_signal(signal_id, actor=ACTOR, reason="Geen zorg"),
    }
    triage[first]()
    before = len(stored(app))

    with pytest.raises(RuleViolation) as refused:
        triage[second]()

    assert refused.value.rule == "a signal is triaged once"
    assert len(stored(app)) == before


# ---- unknown ids ------------------------------------------------------------------------


def test_unknown_signals_and_households_are_not_found_and_nothing_is_written(app):
    household = register(app)
    signal_id = report(app)
    before = len(stored(app))

    for triage in (lambda: app.link_signal(uuid4(), household, actor=ACTOR),
                   lambda: app.link_signal(signal_id, uuid4(), actor=ACTOR),
                   lambda: app.link_signal(signal_id, report(app, description="Ander signaal"), actor=ACTOR),
                   lambda: app.link_signal(signal_id, team_id(NOORD), actor=ACTOR),
                   lambda: app.dismiss_signal(household, actor=ACTOR, reason="x"),
                   lambda: app.register_from_signal(uuid4(), actor=ACTOR, label="Fam. Bakker")):
        with pytest.raises(NotFound):
            triage()

    assert [type(e).__name__ for e in stored(app)[before:]] == ["SignalReported"]  # the "Ander signaal"
    assert app.get_signal(signal_id).status == "new"


def test_a_signal_is_no_household_and_a_household_no_signal(app):
    household = register(app)
    signal_id = report(app)
    with pytest.raises(NotFound):
        app.get(signal_id)
    with pytest.raises(NotFound):
        app.record_contact(signal_id, actor=ACTOR, kind="eropaf")
    with pytest.raises(NotFound):
        app.get_signal(household)
    with pytest.raises(NotFound):
        app.signal_events(household)
    assert (app.is_household(household), app.is_household(signal_id), app.is_household(uuid4())) == (
        True, False, False)


# ---- eropaf -----------------------------------------------------------------------------


def test_eropaf_runs_from_the_signal_to_the_first_contact_after_it(app):
    household = register(app, occurred_at=day(100))
    app.record_contact(household, actor=ACTOR, kind="telefonisch", occurred_at=day(180))  # before the signal
    signal_id = report(app, occurred_at=day(190))
    app.link_signal(signal_id, household, actor=ACTOR)
    assert row(app, signal_id).first_contact_at is None

    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(193))
    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(191.5))  # typed later, happened first

    found = row(app, signal_id)
    assert found.first_contact_at == day(191.5)
    assert found.eropaf_hours == 36.0


def test_a_contact_made_before_the_triage_but_after_the_signal_counts(app):
    household = register(app, occurred_at=day(100))
    signal_id = report(app, occurred_at=day(190))
    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(190.25))  # the team went at once
    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(192))

    app.link_signal(signal_id, household, actor=ACTOR)  # triaged days later

    assert row(app, signal_id).first_contact_at == day(190.25)
    assert row(app, signal_id).eropaf_hours == 6.0


def test_a_contact_at_the_very_moment_of_the_signal_counts(app):
    household = register(app, occurred_at=day(100))
    signal_id = report(app, occurred_at=day(190))
    app.link_signal(signal_id, household, actor=ACTOR)
    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(190))
    assert row(app, signal_id).eropaf_hours == 0.0


def test_a_corrected_contact_moment_moves_the_eropaf(app):
    household = register(app, occurred_at=day(100))
    signal_id = report(app, occurred_at=day(190))
    app.link_signal(signal_id, household, actor=ACTOR)
    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(192))
    contact_version = app.get(household).version
    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(194))

    # The first visit was typed in with the wrong day: it took place before the signal.
    app.correct(household, actor=ACTOR, target_version=contact_version, changes={"occurred_at": day(189)},
                reason="Verkeerde dag ingevoerd")

    assert row(app, signal_id).first_contact_at == day(194)


def test_each_signal_has_its_own_eropaf_and_a_household_registered_from_one_too(app):
    household = register(app, occurred_at=day(100))
    early = report(app, occurred_at=day(185))
    late = report(app, occurred_at=day(192))
    app.link_signal(early, household, actor=ACTOR)
    app.link_signal(late, household, actor=ACTOR)
    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(187))
    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(193))
    new = app.register_from_signal(report(app, occurred_at=today() - timedelta(hours=5)), actor=ACTOR,
                                   label="Fam. Bakker")
    app.record_contact(new.household_id, actor=ACTOR, kind="eropaf", occurred_at=today() - timedelta(hours=1))

    rows = inbox.replay(stored(app))
    assert (rows[early].eropaf_hours, rows[late].eropaf_hours) == (48.0, 24.0)
    assert rows[new.signal_id].eropaf_hours == 4.0
    assert rows[new.signal_id].new_household


def test_a_dismissed_or_untriaged_signal_has_no_eropaf(app):
    household = register(app, occurred_at=day(100))
    untriaged = report(app, occurred_at=day(190))
    dismissed = report(app, occurred_at=day(190))
    app.dismiss_signal(dismissed, actor=ACTOR, reason="Geen zorg")
    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(191))
    rows = inbox.replay(stored(app))
    assert rows[untriaged].first_contact_at is rows[dismissed].first_contact_at is None


# ---- the timeline is the household's ------------------------------------------------------


def test_only_household_events_make_timeline_rows(app):
    household = register(app)
    app.set_team_policy(NOORD, actor="carla", cadence={"waakvlam": 56})
    signal_id = report(app)
    app.link_signal(signal_id, household, actor=ACTOR)

    on_the_timeline = {e.originator_id for e in stored(app) if is_household_event(e)}

    assert on_the_timeline == {household}
    assert all(is_household_event(e) for e in events(app, household))
    # On the household's timeline the partner's signal reads in Dutch.
    assert summary(only(app, household, "SignalRecorded")) == (
        "Signaal van de woningcorporatie (normaal): Huurachterstand")
