"""The timeline row of every kind of event: a short summary in Dutch, who, both
times, and the life domains it touches (pure; in memory)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.household import Household
from projections.timeline import KINDS, MAX_SUMMARY, MONTHS_NL, summary, to_row
from tests.domain.support import ACTOR, day, events, local_day, register

ENGLISH = ("recorded", "added", "removed", "assigned", "scheduled", "cancelled", "closed", "finances", "housing",
           "goal", "household")


def _event_kinds() -> set[str]:
    return {name for name, value in vars(Household).items()
            if isinstance(value, type) and issubclass(value, Household.Event) and name not in ("Event", "Created")}


def _everything(app) -> list:
    """A household's life with at least one event of every kind."""
    h = register(app)
    a = {"actor": ACTOR}
    member = app.add_member(h, **a, name="Sanne", role="moeder", occurred_at=day(1)).item_id
    app.remove_member(h, member, **a, reason="verhuisd", occurred_at=day(1))
    person = app.add_network_person(h, **a, name="Henk", relation="buurman", occurred_at=day(1)).item_id
    app.remove_network_person(h, person, **a, reason="verhuisd", occurred_at=day(1))
    app.assign_coordinator(h, **a, coordinator="bram", occurred_at=day(2))
    app.record_signal(h, **a, source="woningcorporatie", description="Huurachterstand", life_domains=["housing"],
                      urgency="high", occurred_at=day(2))
    app.record_contact(h, **a, kind="huisbezoek", summary="Post doorgenomen", life_domains=["finances"],
                       occurred_at=day(3))
    app.record_assessment(h, **a, scores={"finances": 2, "housing": 3}, occurred_at=day(3))
    goal = app.set_goal(h, **a, life_domain="finances", description="Schulden in beeld", occurred_at=day(3)).item_id
    app.revise_goal(h, goal, **a, description="Schuldregeling", occurred_at=day(4))
    app.achieve_goal(h, goal, **a, note="Loopt", occurred_at=day(5))
    dropped = app.set_goal(h, **a, life_domain="housing", description="Andere woning", occurred_at=day(5)).item_id
    app.drop_goal(h, dropped, **a, reason="Niet meer nodig", occurred_at=day(5))
    done = app.make_agreement(h, **a, who="Sanne", what="Belt de corporatie", due=local_day(9),
                              occurred_at=day(5)).item_id
    app.complete_agreement(h, done, **a, note="Gebeld", occurred_at=day(6))
    gone = app.make_agreement(h, **a, who="Henk", what="Helpt met post", occurred_at=day(6)).item_id
    app.cancel_agreement(h, gone, **a, reason="Dubbel", occurred_at=day(6))
    app.record_consent(h, **a, given_by="Sanne", party="Schuldhulpmaatje", purpose="Hulp met de administratie",
                       occurred_at=day(6))
    help_ = app.start_intervention(h, **a, support_level="vrijwillig", provider="Schuldhulpmaatje",
                                   description="Administratie", occurred_at=day(6)).item_id
    app.end_intervention(h, help_, **a, outcome="Op orde", occurred_at=day(7))
    app.escalate(h, **a, to_level="intensief", reason="Dreigende huisuitzetting", occurred_at=day(7))
    app.de_escalate(h, **a, to_level="licht", reason="Het gaat beter", occurred_at=day(8))
    app.set_cadence(h, **a, cadence={"licht": 10}, occurred_at=day(8))
    check_in = app.get(h).next_check_in["id"]
    app.reschedule_check_in(h, check_in, **a, due=local_day(12), reason="Vakantie", occurred_at=day(8))
    app.complete_check_in(h, check_in, **a, kind="telefonisch", occurred_at=day(9))
    app.cancel_check_in(h, app.get(h).next_check_in["id"], **a, reason="Dubbel gepland", occurred_at=day(9))
    app.agree_signaleringsplan(h, **a, phases={"oranje": {"signs": ["Post blijft liggen"], "actions": ["Bellen"]}},
                               occurred_at=day(10))
    app.correct(h, **a, target_version=1, changes={"label": "Fam. De Vries-Jansen"}, reason="Tikfout",
                occurred_at=day(10))
    app.close_household(h, **a, reason_code="goals_achieved", note="Redt het zelf", occurred_at=day(11))
    app.reopen_household(h, **a, reason="Nieuw signaal van de huisarts", occurred_at=day(12))
    consent = app.record_consent(h, **a, given_by="Sanne", party="GGZ Noord", purpose="Warme overdracht",
                                 occurred_at=day(12)).item_id
    app.withdraw_consent(h, consent, **a, reason="Wil het zelf regelen", occurred_at=day(12))
    forgotten = register(app)  # and one forgotten (erasure), whose last event is its Forgotten
    app.forget(forgotten, **a, reason="Verzoek van betrokkene", occurred_at=day(13))
    return events(app, h) + events(app, forgotten)[-1:]


def test_the_summaries_cover_every_kind_of_event_the_household_has():
    assert _event_kinds() == KINDS


def test_every_kind_of_event_gets_a_short_dutch_summary(app):
    found = _everything(app)
    assert {type(e).__name__ for e in found} == KINDS
    for n, event in enumerate(found, start=100):
        row = to_row(event, n)
        assert row.kind == type(event).__name__
        assert 0 < len(row.summary) <= MAX_SUMMARY, row
        assert not any(word in row.summary.lower().split() for word in ENGLISH), row.summary
        assert (row.household_id, row.version, row.position) == (event.originator_id, event.originator_version, n)
        assert (row.actor, row.occurred_at, row.recorded_at) == (ACTOR, event.occurred_at, event.timestamp)


def _first(found: list, kind: str):
    return next(to_row(e, 1) for e in found if type(e).__name__ == kind)


def test_what_the_summaries_say(app):
    found = _everything(app)
    assert _first(found, "ContactRecorded").summary == "Huisbezoek vastgelegd (financiën): Post doorgenomen"
    assert _first(found, "Escalated").summary == "Opgeschaald van licht naar intensief: Dreigende huisuitzetting"
    assert _first(found, "DeEscalated").summary == "Afgeschaald van intensief naar licht: Het gaat beter"
    assert _first(found, "CoordinatorAssigned").summary == "Regisseur bram toegewezen"
    assert _first(found, "GoalSet").summary == "Doel gesteld (financiën): Schulden in beeld"
    scheduled = _first(found, "CheckInScheduled").summary
    day = local_day(14)
    assert scheduled == f"Waakvlamcontact gepland op {day.day} {MONTHS_NL[day.month - 1]} {day.year} (na registratie)"
    assert _first(found, "Corrected").summary == "Correctie op versie 1: Tikfout (registratie: label)"
    assert _first(found, "SignalRecorded").summary == "Signaal van woningcorporatie (hoog): Huurachterstand"
    assert _first(found, "AssessmentRecorded").summary == "ZRM-meting: financiën 2, huisvesting 3"
    assert _first(found, "Closed").summary == "Huishouden afgesloten (doelen bereikt): Redt het zelf"
    assert _first(found, "CheckInCancelled").summary == "Waakvlamcontact geannuleerd: Dubbel gepland"


def test_the_life_domains_come_from_the_event_where_it_has_them(app):
    found = _everything(app)
    assert _first(found, "SignalRecorded").life_domains == ["housing"]
    assert _first(found, "ContactRecorded").life_domains == ["finances"]
    assert _first(found, "AssessmentRecorded").life_domains == ["finances", "housing"]
    assert _first(found, "GoalSet").life_domains == ["finances"]
    assert _first(found, "Escalated").life_domains == []
    assert _first(found, "Registered").life_domains == []


@pytest.mark.parametrize("length", [1, 500, 5000])
def test_a_long_text_is_clipped_to_a_short_summary(app, length):
    h = register(app)
    app.record_contact(h, actor=ACTOR, kind="keukentafelgesprek", summary="lang " * length,
                       life_domains=["finances", "housing", "justice", "mental_health", "basic_adl"],
                       occurred_at=day(1))
    app.correct(h, actor=ACTOR, target_version=1, changes={"label": "x" * 200}, reason="r" * length,
                occurred_at=day(1) + timedelta(hours=1))
    for event in events(app, h):
        assert len(summary(event)) <= MAX_SUMMARY
