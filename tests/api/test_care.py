"""What the team sees and does: signals, contacts (which may complete a
check-in) and ZRM assessments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.support import (
    UNKNOWN_HOUSEHOLD,
    assert_invalid,
    assert_problem,
    assert_refused,
    days_from_today,
    kinds,
    last_event,
    next_check_in,
    post,
    register,
    summary,
    version_of,
    write,
)


def _moment(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


# ---- signals -----------------------------------------------------------------------


def test_a_signal_from_a_partner_is_recorded_with_its_life_domains_and_urgency(client, households):
    household_id = register(client)
    response = post(client, household_id, "signals", {
        "source": "woningcorporatie", "description": "Huurachterstand van drie maanden",
        "life_domains": ["housing", "finances", "housing"], "urgency": "high"})

    assert response.status_code == 201
    result = response.json()
    # The household is at licht: a high-urgency signal also brings its check-in forward (team policy).
    assert result["item_id"] and result["version"] == 4
    assert last_event(households, household_id, "CheckInRescheduled").reason == "signal"
    event = last_event(households, household_id, "SignalRecorded")
    assert event.signal_id == result["item_id"]
    assert (event.source, event.urgency, event.actor) == ("woningcorporatie", "high", "anna")
    assert event.life_domains == ["finances", "housing"]


def test_a_signal_needs_nothing_but_its_source(client, households):
    household_id = register(client)
    write(client, household_id, "signals", {"source": "huisarts"})
    event = last_event(households, household_id, "SignalRecorded")
    assert (event.urgency, event.life_domains, event.description) == ("normal", [], "")


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.source"),
    ({"source": ""}, "body.source"),
    ({"source": "huisarts", "urgency": "extreme"}, "body.urgency"),
    ({"source": "huisarts", "urgency": 3}, "body.urgency"),
    ({"source": "huisarts", "life_domains": ["money"]}, "body.life_domains.0"),
    ({"source": "huisarts", "life_domains": "finances"}, "body.life_domains"),
    ({"source": "huisarts", "life_domains": ["finances"] * 14}, "body.life_domains"),
    ({"source": "huisarts", "description": "d" * 10_001}, "body.description"),
    ({"source": "huisarts", "reporter": "buurvrouw"}, "body.reporter"),
    ({"source": "huisarts", "occurred_at": "vorige week"}, "body.occurred_at"),
])
def test_a_signal_with_bad_input_is_refused_naming_the_field(client, households, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "signals", body), field)
    assert "SignalRecorded" not in kinds(households, household_id)


def test_a_signal_for_an_unknown_household_is_not_found(client):
    assert_problem(post(client, UNKNOWN_HOUSEHOLD, "signals", {"source": "huisarts"}), 404)


# ---- contacts ------------------------------------------------------------------------


def test_a_home_visit_typed_in_the_evening_keeps_the_moment_it_happened(client, households):
    household_id = register(client, occurred_at="2026-01-05T09:00:00+01:00")
    response = post(client, household_id, "contacts", {
        "kind": "huisbezoek", "summary": "Post doorgenomen", "life_domains": ["finances"],
        "participants": ["Sanne", "Henk"], "occurred_at": "2026-01-12T10:30:00+01:00"})

    assert response.status_code == 201
    assert datetime.fromisoformat(summary(client, household_id)["last_contact_at"]) == datetime(
        2026, 1, 12, 9, 30, tzinfo=UTC)
    event = last_event(households, household_id, "ContactRecorded")
    assert event.contact_id == response.json()["item_id"]
    assert (event.kind, event.summary, event.participants) == ("huisbezoek", "Post doorgenomen", ["Sanne", "Henk"])


def test_a_contact_recorded_later_about_an_earlier_moment_does_not_replace_the_last_contact(client):
    household_id = register(client, occurred_at="2026-01-05T09:00:00+01:00")
    write(client, household_id, "contacts", {"kind": "telefonisch", "occurred_at": "2026-02-01T10:00:00+01:00"})
    write(client, household_id, "contacts", {"kind": "huisbezoek", "occurred_at": "2026-01-20T10:00:00+01:00"})
    assert datetime.fromisoformat(summary(client, household_id)["last_contact_at"]) == datetime(
        2026, 2, 1, 9, 0, tzinfo=UTC)


def test_a_contact_is_by_default_now_and_leaves_the_check_in_alone(client):
    household_id = register(client)
    planned = next_check_in(client, household_id)
    before = datetime.now(UTC)
    write(client, household_id, "contacts", {"kind": "telefonisch"})
    household = summary(client, household_id)
    assert before <= datetime.fromisoformat(household["last_contact_at"]) <= datetime.now(UTC)
    assert household["next_check_in"] == planned


def test_a_contact_that_is_the_check_in_completes_it_and_plans_the_next(client, households):
    household_id = register(client, intensity="intensief")
    check_in = next_check_in(client, household_id)["id"]

    result = write(client, household_id, "contacts", {"kind": "huisbezoek", "check_in_id": check_in})

    following = next_check_in(client, household_id)
    assert following["id"] != check_in
    assert following["due"] == days_from_today(7)
    completed = last_event(households, household_id, "CheckInCompleted")
    assert (completed.check_in_id, completed.contact_id) == (check_in, result["item_id"])


def test_a_contact_cannot_complete_a_check_in_twice(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]
    write(client, household_id, "contacts", {"kind": "huisbezoek", "check_in_id": check_in})
    version = version_of(client, household_id)
    body = assert_refused(post(client, household_id, "contacts", {"kind": "huisbezoek", "check_in_id": check_in}),
                          "a finished check-in cannot be acted on")
    assert check_in in body["detail"]
    assert version_of(client, household_id) == version


def test_a_contact_naming_an_unknown_check_in_is_not_found_and_not_recorded(client, households):
    household_id = register(client)
    assert_problem(post(client, household_id, "contacts", {"kind": "huisbezoek", "check_in_id": "abc123"}), 404)
    assert "ContactRecorded" not in kinds(households, household_id)


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.kind"),
    ({"kind": "brief"}, "body.kind"),
    ({"kind": None}, "body.kind"),
    ({"kind": "HUISBEZOEK"}, "body.kind"),
    ({"kind": "huisbezoek", "summary": 12}, "body.summary"),
    ({"kind": "huisbezoek", "life_domains": ["finances", "geld"]}, "body.life_domains.1"),
    ({"kind": "huisbezoek", "participants": "Sanne"}, "body.participants"),
    ({"kind": "huisbezoek", "participants": [{"name": "Sanne"}]}, "body.participants.0"),
    ({"kind": "huisbezoek", "check_in_id": "not an id"}, "body.check_in_id"),
    ({"kind": "huisbezoek", "check_in_id": ""}, "body.check_in_id"),
    ({"kind": "huisbezoek", "occurred_at": "2026-01-12T10:30:00"}, "body.occurred_at"),
    ({"kind": "huisbezoek", "occurred_at": "2026-01-12"}, "body.occurred_at"),
    ({"kind": "huisbezoek", "occurred_at": "morgen"}, "body.occurred_at"),
    ({"kind": "huisbezoek", "duration_minutes": 45}, "body.duration_minutes"),
])
def test_a_contact_with_bad_input_is_refused_naming_the_field(client, households, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "contacts", body), field)
    assert "ContactRecorded" not in kinds(households, household_id)


def test_a_contact_in_the_future_breaks_a_rule(client):
    household_id = register(client)
    response = post(client, household_id, "contacts", {"kind": "huisbezoek", "occurred_at": _moment(hours=2)})
    body = assert_refused(response, "nothing is recorded as having happened in the future")
    assert "future" in body["detail"]
    assert summary(client, household_id)["last_contact_at"] is None


def test_a_field_device_a_little_ahead_of_the_server_is_tolerated(client):
    household_id = register(client)
    assert post(client, household_id, "contacts", {"kind": "telefonisch", "occurred_at": _moment(minutes=2)}
                ).status_code == 201


def test_a_contact_before_the_household_was_registered_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "contacts", {"kind": "huisbezoek", "occurred_at": _moment(days=-3)}),
                   "nothing happens to a household before it was registered")


def test_a_contact_for_an_unknown_household_is_not_found(client):
    assert_problem(post(client, UNKNOWN_HOUSEHOLD, "contacts", {"kind": "huisbezoek"}), 404)


# ---- assessments ------------------------------------------------------------------------


def test_an_assessment_scores_only_the_life_domains_actually_scored(client, households):
    household_id = register(client)
    response = post(client, household_id, "assessments", {"scores": {"finances": 2, "housing": 3}})
    assert response.status_code == 201
    assert summary(client, household_id)["scores"] == {"finances": 2, "housing": 3}
    event = last_event(households, household_id, "AssessmentRecorded")
    assert (event.assessment_id, event.instrument) == (response.json()["item_id"], "zrm-2017")


def test_a_later_assessment_updates_the_domains_it_scores_and_keeps_the_others(client):
    household_id = register(client)
    write(client, household_id, "assessments", {"scores": {"finances": 2, "housing": 3}})
    write(client, household_id, "assessments", {"scores": {"finances": 4, "mental_health": 3},
                                                "instrument": "zrm-2017"})
    assert summary(client, household_id)["scores"] == {"finances": 4, "housing": 3, "mental_health": 3}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.scores"),
    ({"scores": {}}, "body.scores"),
    ({"scores": [2, 3]}, "body.scores"),
    ({"scores": {"finances": 0}}, "body.scores.finances"),
    ({"scores": {"finances": 6}}, "body.scores.finances"),
    ({"scores": {"finances": "goed"}}, "body.scores.finances"),
    ({"scores": {"finances": 2.5}}, "body.scores.finances"),
    ({"scores": {"geld": 2}}, "body.scores.geld.[key]"),
    ({"scores": {"finances": 2}, "instrument": "zrm-2010"}, "body.instrument"),
    ({"scores": {"finances": 2}, "total": 2}, "body.total"),
])
def test_an_assessment_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "assessments", body), field)
    assert summary(client, household_id)["scores"] == {}


def test_an_assessment_for_an_unknown_household_is_not_found(client):
    assert_problem(post(client, UNKNOWN_HOUSEHOLD, "assessments", {"scores": {"finances": 2}}), 404)


def test_nothing_is_recorded_on_a_closed_household(client):
    household_id = register(client)
    write(client, household_id, "closure", {"reason_code": "declined"})
    for path, body in [("signals", {"source": "huisarts"}), ("contacts", {"kind": "eropaf"}),
                       ("assessments", {"scores": {"finances": 1}})]:
        assert_refused(post(client, household_id, path, body), "nothing but reopening on a closed household")
    household = summary(client, household_id)
    assert household["last_contact_at"] is None and household["scores"] == {}
