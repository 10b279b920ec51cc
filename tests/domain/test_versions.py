"""Version races: commands are intents and are decided again on the new state;
a caller who asked for an exact version is told that it is stale."""

from __future__ import annotations

import pytest

from domain import application as application_module
from domain.errors import Contention, RuleViolation, StaleVersion
from tests.domain.support import ACTOR, events_of, kinds, register


def test_a_write_at_the_expected_version_is_accepted(app, household):
    outcome = app.record_contact(household, actor=ACTOR, kind="telefonisch", expected_version=2)
    assert outcome.version == 3
    assert app.get(household).version == 3


def test_a_write_at_a_stale_version_is_refused(app, household):
    app.record_contact(household, actor="mark", kind="telefonisch")

    with pytest.raises(StaleVersion) as refused:
        app.escalate(household, actor=ACTOR, to_level="crisis", reason="acuut", expected_version=2)

    assert (refused.value.expected, refused.value.actual) == (2, 3)
    assert app.get(household).intensity == "licht"
    assert kinds(app, household)[-1] == "ContactRecorded"


def test_every_write_answers_with_the_new_version_and_the_store_position(app, household):
    other = register(app)
    first = app.record_contact(household, actor=ACTOR, kind="telefonisch")
    second = app.record_contact(other, actor=ACTOR, kind="telefonisch")
    third = app.complete_check_in(household, app.get(household).next_check_in["id"], actor=ACTOR,
                                  kind="huisbezoek")

    assert (first.household_id, first.version, first.position) == (household, 3, 5)
    assert (second.household_id, second.version, second.position) == (other, 3, 6)
    # Three events (contact, completion, next check-in): the position is the last one's.
    assert (third.version, third.position) == (6, 9)
    assert third.as_dict() == {"household_id": str(household), "version": 6, "position": 9,
                               "item_id": third.item_id}


def sneak_in_before_the_save(monkeypatch, app, household, colleague_writes):
    """Let a colleague save right after our command has loaded the household."""
    real_get = app.get
    pending = [colleague_writes]

    def get(household_id):
        loaded = real_get(household_id)
        if pending:
            pending.pop()()
        return loaded

    monkeypatch.setattr(app, "get", get)


def test_two_generalists_recording_contacts_at_the_same_moment_both_succeed(app, household, monkeypatch):
    sneak_in_before_the_save(monkeypatch, app, household,
                             lambda: app.record_contact(household, actor="mark", kind="telefonisch"))

    outcome = app.record_contact(household, actor="fatima", kind="huisbezoek")

    assert outcome.version == 4
    assert [c.actor for c in events_of(app, household, "ContactRecorded")] == ["mark", "fatima"]


def test_an_intent_retried_on_the_new_state_still_obeys_the_rules(app, household, monkeypatch):
    # A colleague escalates to crisis first; our escalation to intensief is then no escalation.
    sneak_in_before_the_save(monkeypatch, app, household,
                             lambda: app.escalate(household, actor="mark", to_level="crisis", reason="acuut"))

    with pytest.raises(RuleViolation):
        app.escalate(household, actor="fatima", to_level="intensief", reason="zorgen")

    assert [e.actor for e in events_of(app, household, "Escalated")] == ["mark"]
    assert app.get(household).intensity == "crisis"


def test_a_race_at_an_exact_version_is_reported_not_retried(app, household, monkeypatch):
    sneak_in_before_the_save(monkeypatch, app, household,
                             lambda: app.record_contact(household, actor="mark", kind="telefonisch"))

    with pytest.raises(StaleVersion) as refused:
        app.record_contact(household, actor="fatima", kind="huisbezoek", expected_version=2)

    assert (refused.value.expected, refused.value.actual) == (2, 3)
    assert [c.actor for c in events_of(app, household, "ContactRecorded")] == ["mark"]


def test_a_household_that_stays_too_busy_answers_contention_and_records_nothing_of_ours(app, household,
                                                                                       monkeypatch):
    real_get = app.get
    colleague_busy = []

    def get(household_id):
        loaded = real_get(household_id)
        if not colleague_busy:  # a colleague is always one step ahead of us
            colleague_busy.append(True)
            app.record_contact(household, actor="mark", kind="overleg")
            colleague_busy.pop()
        return loaded

    monkeypatch.setattr(app, "get", get)
    monkeypatch.setattr(application_module.time, "sleep", lambda seconds: None)

    with pytest.raises(Contention):
        app.record_contact(household, actor="fatima", kind="huisbezoek")

    actors = [c.actor for c in events_of(app, household, "ContactRecorded")]
    assert actors == ["mark"] * application_module.MAX_ATTEMPTS
