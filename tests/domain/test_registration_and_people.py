"""Registering a household, and the people around it: members, the informal
network, and the one coordinator."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import NotFound, RuleViolation
from tests.domain.support import (
    ACTOR,
    START,
    day,
    events_of,
    kinds,
    local_day,
    nothing_stored,
    only,
    open_check_ins,
    register,
)


def test_registering_a_household_lights_the_pilot_light(app):
    outcome = app.register(actor=ACTOR, label="  Fam. Jansen ", team=" Wijkteam Zuid ", occurred_at=START)

    assert kinds(app, outcome.household_id) == ["Registered", "CheckInScheduled"]
    assert outcome.version == 2
    assert outcome.position == 2
    household = app.get(outcome.household_id)
    assert household.label == "Fam. Jansen"
    assert household.team == "Wijkteam Zuid"
    assert household.status == "open"
    assert household.intensity == "licht"
    assert household.coordinator is None
    assert household.registered_at == START
    scheduled = only(app, outcome.household_id, "CheckInScheduled")
    assert scheduled.reason == "registered"
    assert scheduled.due == local_day(14)
    assert open_check_ins(app, outcome.household_id) == {scheduled.check_in_id: local_day(14)}
    assert household.next_check_in == {"id": scheduled.check_in_id, "due": local_day(14)}


def test_a_household_can_start_at_waakvlam_with_its_own_cadence(app):
    household_id = register(app, intensity="waakvlam", cadence={"waakvlam": 90})

    household = app.get(household_id)
    assert household.intensity == "waakvlam"
    assert household.cadence == {"waakvlam": 90}
    assert household.next_check_in["due"] == local_day(90)


@pytest.mark.parametrize("label, team", [("", "Noord"), ("   ", "Noord"), ("Fam. Bakker", " ")])
def test_a_household_needs_a_label_and_a_team(app, label, team):
    with pytest.raises(RuleViolation) as refused:
        app.register(actor=ACTOR, label=label, team=team)
    assert refused.value.rule == "a household has a label and a team"
    assert nothing_stored(app)


@pytest.mark.parametrize("cadence", [{"crisis": 30}, {"waakvlam": 7}, {"licht": 0}, {"extreem": 10},
                                     {"intensief": "7"}])
def test_a_cadence_outside_the_sane_bounds_is_refused_at_registration(app, cadence):
    with pytest.raises(RuleViolation):
        app.register(actor=ACTOR, label="Fam. Bakker", team="Noord", cadence=cadence)
    assert nothing_stored(app)


def test_an_unknown_household_is_not_found(app, household):
    with pytest.raises(NotFound):
        app.get(uuid4())
    with pytest.raises(NotFound):
        app.record_contact(uuid4(), actor=ACTOR, kind="telefonisch")
    assert app.get(household).version == 2


def test_the_people_who_live_together_are_added_and_removed_as_members(app, household):
    mother = app.add_member(household, actor=ACTOR, name=" Sandra ", role="moeder", birth_year=1984,
                            occurred_at=day(1)).item_id
    son = app.add_member(household, actor=ACTOR, name="Kevin", role="zoon", birth_year=2010,
                         occurred_at=day(1)).item_id
    assert mother != son
    assert app.get(household).members == {
        mother: {"name": "Sandra", "role": "moeder", "birth_year": 1984},
        son: {"name": "Kevin", "role": "zoon", "birth_year": 2010},
    }

    app.remove_member(household, son, actor=ACTOR, reason="woont nu bij vader", occurred_at=day(30))

    assert list(app.get(household).members) == [mother]
    removed = only(app, household, "MemberRemoved")
    assert (removed.member_id, removed.reason) == (son, "woont nu bij vader")
    with pytest.raises(NotFound):
        app.remove_member(household, son, actor=ACTOR)


def test_a_member_has_a_name(app, household):
    with pytest.raises(RuleViolation):
        app.add_member(household, actor=ACTOR, name="  ")
    assert app.get(household).members == {}


def test_the_neighbour_who_notices_decline_is_part_of_the_network(app, household):
    neighbour = app.add_network_person(household, actor=ACTOR, name="Mevr. Smit", relation="buurvrouw",
                                       notices_decline=True).item_id
    sister = app.add_network_person(household, actor=ACTOR, name="Ineke", relation="zus").item_id

    network = app.get(household).network
    assert network[neighbour] == {"name": "Mevr. Smit", "relation": "buurvrouw", "notices_decline": True}
    assert network[sister]["notices_decline"] is False

    app.remove_network_person(household, sister, actor=ACTOR, reason="verhuisd")
    assert list(app.get(household).network) == [neighbour]
    with pytest.raises(NotFound):
        app.remove_network_person(household, sister, actor=ACTOR)
    with pytest.raises(RuleViolation):
        app.add_network_person(household, actor=ACTOR, name="")


def test_one_household_has_one_coordinator_at_a_time_and_a_handover_names_the_previous_one(app, household):
    app.assign_coordinator(household, actor="teamlead", coordinator="mark")
    app.assign_coordinator(household, actor="teamlead", coordinator="fatima",
                           handover_note="Mark gaat met verlof; Fatima kent de familie van school.")

    assert app.get(household).coordinator == "fatima"
    first, second = events_of(app, household, "CoordinatorAssigned")
    assert (first.previous, first.coordinator) == (None, "mark")
    assert (second.previous, second.coordinator) == ("mark", "fatima")
    assert second.handover_note.startswith("Mark gaat met verlof")
    assert second.actor == "teamlead"


def test_the_current_coordinator_cannot_be_assigned_again_and_a_coordinator_is_named(app, household):
    app.assign_coordinator(household, actor="teamlead", coordinator="mark")
    version = app.get(household).version

    with pytest.raises(RuleViolation) as refused:
        app.assign_coordinator(household, actor="teamlead", coordinator="mark")
    assert refused.value.rule == "one coordinator at a time"
    with pytest.raises(RuleViolation):
        app.assign_coordinator(household, actor="teamlead", coordinator=" ")
    assert app.get(household).version == version


def test_a_household_registered_yesterday_keeps_its_registration_time(app):
    yesterday = START + timedelta(days=1, hours=7)
    household_id = register(app, occurred_at=yesterday)
    registered = only(app, household_id, "Registered")
    assert registered.occurred_at == yesterday
    assert registered.timestamp > yesterday
