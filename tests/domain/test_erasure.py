"""Erasure by crypto-shredding: what a household's events say about people is sealed with the
household's own key; forgetting the household destroys the key. The events stay, readable
without their personal fields, so the household still replays and every fold still runs;
the read models drop it. In memory; the folds are replayed over the stored events."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.erasure import REDACTED, SEALED
from domain.errors import RuleViolation
from domain.household import FORGOTTEN, PERSONAL_FIELDS, Household
from projections import caseload, plan, schedule
from projections import signals as inbox
from projections.timeline import summary
from tests.domain.support import ACTOR, day, events, kinds, only, reader_of, register, replay

A = {"actor": ACTOR}
PERSONAL_WORDS = ["Fam. De Vries", "Sanne de Vries", "Henk Bakker", "Schulden bij de Belastingdienst",
                  "Sanne belt de woningcorporatie", "Slaapt slecht", "Kerkstraat 12"]


def stored_states(app) -> list[bytes]:
    return [n.state for n in app.recorder.select_notifications(start=1, limit=10_000)]


def a_life(app) -> UUID:
    """A household whose events say a good deal about its people."""
    h = register(app, label="Fam. De Vries")
    app.add_member(h, **A, name="Sanne de Vries", role="moeder", birth_year=1987, occurred_at=day(1))
    app.add_network_person(h, **A, name="Henk Bakker", relation="buurman", occurred_at=day(1))
    app.record_contact(h, **A, kind="huisbezoek", summary="Schulden bij de Belastingdienst", occurred_at=day(2))
    goal = app.set_goal(h, **A, life_domain="finances", description="Schulden in beeld", occurred_at=day(2)).item_id
    app.make_agreement(h, **A, who="Sanne", what="Sanne belt de woningcorporatie", goal_id=goal, occurred_at=day(3))
    app.agree_signaleringsplan(h, **A, phases={"oranje": {"signs": ["Slaapt slecht"], "actions": ["Henk belt"]}},
                               occurred_at=day(3))
    return h


def stored_events(app) -> list:
    return [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(start=1, limit=10_000)]


# ---- sealed while the household is followed -----------------------------------------


def test_the_store_holds_no_personal_data_in_the_clear_yet_the_household_reads_in_full(app):
    h = a_life(app)
    everything = b"".join(stored_states(app))
    for words in PERSONAL_WORDS[:-1]:
        assert words.encode() not in everything, words
    household = app.get(h)
    assert household.label == "Fam. De Vries"
    assert [m["name"] for m in household.members.values()] == ["Sanne de Vries"]
    assert only(app, h, "ContactRecorded").summary == "Schulden bij de Belastingdienst"
    assert SEALED not in vars(only(app, h, "ContactRecorded"))


def test_what_is_not_personal_stays_in_the_clear(app):
    a_life(app)
    everything = b"".join(stored_states(app))
    for words in (b"Wijkteam Noord", b"huisbezoek", b"finances", b"moeder"):
        assert words in everything


def test_every_declared_personal_field_is_a_field_of_its_event():
    for kind, fields in PERSONAL_FIELDS.items():
        event_class = getattr(Household, kind)
        assert set(fields) <= set(event_class.__init__.__annotations__), kind


def test_a_second_process_reads_the_household_with_the_same_keys(app):
    h = a_life(app)
    assert reader_of(app).get(h).members == app.get(h).members


# ---- forgotten ----------------------------------------------------------------------


def test_a_forgotten_household_keeps_its_events_but_not_what_they_said_about_people(app):
    h = a_life(app)
    before = stored_states(app)
    app.forget(h, **A, reason="Verzoek van betrokkene (AVG art. 17)")
    assert stored_states(app)[:len(before)] == before  # the event store never changes
    assert kinds(app, h)[-1] == "Forgotten"
    assert only(app, h, "Forgotten").reason == "Verzoek van betrokkene (AVG art. 17)"
    assert only(app, h, "Registered").label == REDACTED
    assert only(app, h, "MemberAdded").name == REDACTED
    assert only(app, h, "MemberAdded").birth_year is None
    assert only(app, h, "MemberAdded").role == "moeder"
    assert only(app, h, "ContactRecorded").summary == REDACTED
    assert only(app, h, "AgreementMade").what == REDACTED
    assert only(app, h, "SignaleringsplanAgreed").phases == {}
    for event in events(app, h):
        assert summary(event)  # the timeline's summaries still read


def test_a_second_process_reads_the_forgotten_household_redacted(app):
    h = a_life(app)
    reader = reader_of(app)
    assert reader.get(h).label == "Fam. De Vries"  # its cache holds the key ...
    app.forget(h, **A, reason="Verzoek van betrokkene")
    fresh = reader_of(app)  # ... a process started later has none
    assert only(fresh, h, "Registered").label == REDACTED
    assert fresh.get(h).status == FORGOTTEN


def test_a_forgotten_household_replays_and_takes_no_more_commands(app):
    h = a_life(app)
    app.forget(h, **A, reason="Verzoek van betrokkene")
    household = replay(app, h)
    assert (household.status, household.label, household.members, household.network) == (FORGOTTEN, REDACTED, {}, {})
    with pytest.raises(RuleViolation, match="forgotten"):
        app.record_contact(h, **A, kind="telefonisch")
    with pytest.raises(RuleViolation, match="reopened"):
        app.reopen_household(h, **A, reason="Toch weer zorgen")


def test_a_closed_household_can_be_forgotten(app):
    h = a_life(app)
    app.close_household(h, **A, reason_code="goals_achieved", occurred_at=day(4))
    app.forget(h, **A, reason="Bewaartermijn verstreken")
    assert app.get(h).status == FORGOTTEN


def test_an_erasure_says_why(app):
    h = a_life(app)
    with pytest.raises(RuleViolation, match="says why"):
        app.forget(h, **A, reason="  ")
    assert kinds(app, h)[-1] != "Forgotten"


def test_forgetting_again_records_nothing_twice_and_the_rule_says_once(app):
    h = a_life(app)
    first = app.forget(h, **A, reason="Verzoek van betrokkene")
    again = app.forget(h, **A, reason="Verzoek van betrokkene")  # an interrupted erasure is finished
    assert again.version == first.version
    assert kinds(app, h).count("Forgotten") == 1
    with pytest.raises(RuleViolation, match="already forgotten"):
        app.get(h).forget(actor=ACTOR, reason="Nog eens")


def test_the_read_models_drop_a_forgotten_household_and_keep_the_others(app):
    h = a_life(app)
    other = register(app, label="Fam. Jansen")
    app.forget(h, **A, reason="Verzoek van betrokkene")
    found = stored_events(app)
    assert set(caseload.replay(found)) == {other}
    assert set(schedule.replay(found)) == {other}
    assert plan.replay(e for e in found if e.originator_id == h) is None
    assert plan.replay(e for e in found if e.originator_id == other)["label"] == "Fam. Jansen"


def test_snapshots_go_with_the_key_and_a_long_history_still_replays(app):
    h = register(app, label="Fam. De Vries")
    for n in range(60):
        app.record_contact(h, **A, kind="telefonisch", summary=f"Gesprek {n} met Sanne", occurred_at=day(1))
    assert list(app.snapshots.get(h))  # a snapshot was taken (every 50 events) ...
    assert b"Sanne" not in b"".join(s.state for s in app.snapshots.recorder.select_events(h))  # ... sealed too
    app.forget(h, **A, reason="Verzoek van betrokkene")
    assert list(app.snapshots.get(h)) == []
    household = reader_of(app).get(h)
    assert (household.status, household.label, household.version) == (FORGOTTEN, REDACTED, app.get(h).version)


def test_the_signals_linked_to_a_forgotten_household_are_forgotten_with_it(app):
    h = a_life(app)
    linked = app.report_signal(actor="petra", source="housing_corporation", about_name="Fam. De Vries",
                               about_address="Kerkstraat 12", description="Slaapt slecht", team="Wijkteam Noord",
                               occurred_at=day(4)).signal_id
    app.link_signal(linked, h, actor=ACTOR)
    elsewhere = app.report_signal(actor="petra", source="gp", about_name="Fam. Jansen", description="Eet weinig",
                                  team="Wijkteam Noord", occurred_at=day(4)).signal_id
    assert b"Kerkstraat 12" not in b"".join(stored_states(app))
    app.forget(h, **A, reason="Verzoek van betrokkene")
    reported = app.signal_events(linked)[0]
    assert (reported.about_name, reported.about_address, reported.description) == (REDACTED, REDACTED, REDACTED)
    assert app.signal_events(elsewhere)[0].about_name == "Fam. Jansen"
    assert set(inbox.replay(stored_events(app))) == {elsewhere}
