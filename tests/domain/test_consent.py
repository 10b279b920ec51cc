"""Consent (toestemming): the household agrees that its data is shared with a named party, for a
purpose, until a day or until it withdraws. Support by an organisation outside the team (a volunteer
organisation, first-line or specialist care) shares the household's data with that provider: it is
refused without a consent for that provider, valid on the day the support starts, or a legal basis
that the event then records. The household's own strength, its network and facilities open to all
share nothing. In memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotFound, RuleViolation
from domain.values import SupportLevel, shares_outside_the_team
from tests.domain.support import ACTOR, day, events, events_of, local_day, only, register

A = {"actor": ACTOR}
GGZ = "GGZ Noord"
SHARING = "sharing with a provider outside the team needs consent or a legal basis"
# Support by an organisation outside the team, with a provider of each kind.
OUTSIDE = {"vrijwillig": "Humanitas", "eerstelijns": "Huisartsenpraktijk De Linde", "specialistisch": GGZ}


def consent(app, household, party: str = GGZ, **fields) -> str:
    fields = {"given_by": "Sanne de Vries (moeder)", "purpose": "Warme overdracht", "occurred_at": day(1), **fields}
    return app.record_consent(household, **A, party=party, **fields).item_id


def start(app, household, level: str = "specialistisch", provider: str = GGZ, **fields):
    fields = {"occurred_at": day(2), "handover_note": "Samen kennisgemaakt" if level == "specialistisch" else "",
              **fields}
    return app.start_intervention(household, **A, support_level=level, provider=provider, description="Traject",
                                  **fields)


def refused(app, household, level: str, provider: str, **fields) -> RuleViolation:
    with pytest.raises(RuleViolation) as refusal:
        start(app, household, level, provider, **fields)
    assert refusal.value.rule == SHARING
    return refusal.value


def test_a_consent_records_who_gave_it_to_whom_for_what_and_until_when(app, household):
    consent_id = consent(app, household, until=local_day(365))
    event = only(app, household, "ConsentRecorded")
    assert (event.consent_id, event.given_by, event.party, event.purpose, event.until) == (
        consent_id, "Sanne de Vries (moeder)", GGZ, "Warme overdracht", local_day(365))
    assert app.get(household).consents == {consent_id: {"party": GGZ, "until": local_day(365), "status": "open",
                                                        "given": local_day(1)}}


def test_volunteer_first_line_and_specialist_support_by_a_provider_share_outside_the_team():
    assert {level for level in SupportLevel if shares_outside_the_team(level, "Een organisatie")} == {
        SupportLevel.VRIJWILLIG, SupportLevel.EERSTELIJNS, SupportLevel.SPECIALISTISCH}
    assert not shares_outside_the_team(SupportLevel.VRIJWILLIG, "  ")  # no organisation, nobody to share with


@pytest.mark.parametrize("level", OUTSIDE)
def test_support_by_an_organisation_outside_the_team_is_refused_without_consent_saying_how_to_fix_it(
        app, household, level):
    provider = OUTSIDE[level]
    refusal = refused(app, household, level, provider)
    assert provider in refusal.detail and local_day(2).isoformat() in refusal.detail
    assert f"record the household's consent for {provider}" in refusal.detail and "legal_basis" in refusal.detail
    assert app.get(household).interventions == {}


@pytest.mark.parametrize("level", OUTSIDE)
def test_with_the_households_consent_for_that_provider_the_support_starts(app, household, level):
    consent(app, household, party=OUTSIDE[level].upper())  # the provider's name, whatever its case
    start(app, household, level, OUTSIDE[level])
    assert list(app.get(household).interventions.values()) == ["open"]


@pytest.mark.parametrize(("level", "provider"), [
    ("eigen_kracht", ""), ("netwerk", ""), ("collectief", "Buurthuis De Kroon"), ("vrijwillig", "")])
def test_support_that_passes_nothing_to_an_organisation_needs_no_consent(app, household, level, provider):
    start(app, household, level, provider)  # own strength, the network, a facility open to all, a volunteer
    assert [e.support_level for e in events_of(app, household, "InterventionStarted")] == [level]


@pytest.mark.parametrize("level", OUTSIDE)
def test_a_consent_for_another_provider_does_not_cover_this_one(app, household, level):
    consent(app, household, party="Jeugdzorg West")
    assert "Jeugdzorg West" not in refused(app, household, level, OUTSIDE[level]).detail


@pytest.mark.parametrize("level", OUTSIDE)
def test_a_consent_given_today_does_not_cover_support_that_started_before_it(app, household, level):
    consent(app, household, party=OUTSIDE[level], occurred_at=day(4))
    refused(app, household, level, OUTSIDE[level], occurred_at=day(2))  # recorded later, started earlier
    start(app, household, level, OUTSIDE[level], occurred_at=day(4) + timedelta(hours=1))  # the day it was given


@pytest.mark.parametrize("level", OUTSIDE)
def test_an_expired_consent_no_longer_covers_the_support(app, household, level):
    consent(app, household, party=OUTSIDE[level], until=local_day(5))
    start(app, household, level, OUTSIDE[level], occurred_at=day(5))  # valid through its last day
    refused(app, household, level, OUTSIDE[level], occurred_at=day(6) + timedelta(hours=1))


@pytest.mark.parametrize("level", OUTSIDE)
def test_a_withdrawn_consent_no_longer_covers_the_support_and_is_withdrawn_once(app, household, level):
    consent_id = consent(app, household, party=OUTSIDE[level])
    app.withdraw_consent(household, consent_id, **A, reason="Wil het zelf regelen", occurred_at=day(2))
    assert only(app, household, "ConsentWithdrawn").reason == "Wil het zelf regelen"
    assert app.get(household).consents[consent_id]["status"] == "withdrawn"
    refused(app, household, level, OUTSIDE[level], occurred_at=day(3))
    with pytest.raises(RuleViolation, match="already withdrawn"):
        app.withdraw_consent(household, consent_id, **A)
    with pytest.raises(NotFound):
        app.withdraw_consent(household, "nosuchconsent", **A)


@pytest.mark.parametrize("level", OUTSIDE)
def test_a_legal_basis_is_recorded_with_the_support_instead_of_consent(app, household, level):
    start(app, household, level, OUTSIDE[level], legal_basis=" Jeugdwet art. 7.4.0 ")
    assert only(app, household, "InterventionStarted").legal_basis == "Jeugdwet art. 7.4.0"
    refused(app, household, level, OUTSIDE[level], legal_basis="   ")


@pytest.mark.parametrize("fields", [{"given_by": " "}, {"party": ""}, {"purpose": "  "}])
def test_a_consent_says_who_gave_it_to_whom_and_for_what(app, household, fields):
    with pytest.raises(RuleViolation) as refused:
        consent(app, household, **fields)
    assert refused.value.rule == "a consent says who gave it, to whom and for what"


def test_a_consent_that_has_already_expired_is_not_recorded(app, household):
    with pytest.raises(RuleViolation) as refused:
        consent(app, household, until=local_day(0), occurred_at=day(1))
    assert refused.value.rule == "a consent is valid when it is recorded"


def test_who_gave_consent_and_why_it_was_withdrawn_are_personal_data(app, household):
    consent_id = consent(app, household)
    app.withdraw_consent(household, consent_id, **A, reason="Sanne wil het zelf regelen", occurred_at=day(2))
    stored = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=1000))
    assert b"Sanne" not in stored and GGZ.encode() in stored


def test_the_consents_read_model_answers_for_any_moment_what_the_household_had_consented_to(app, household):
    from projections.consents import consented, fold

    given = consent(app, household, party="Wijkteam Zuid", occurred_at=day(1))
    consent(app, household, party="Huisarts Jansen", occurred_at=day(2), until=local_day(3))
    app.withdraw_consent(household, given, **A, occurred_at=day(6))
    folded: dict = {}
    for event in events(app, household):
        folded = fold(folded, event)
    rows = list(folded.values())

    assert not consented(rows, "wijkteam zuid", day(0.5))  # not yet given
    assert consented(rows, "wijkteam zuid", day(3)) and consented(rows, "WIJKTEAM ZUID ", day(5.9))
    assert not consented(rows, "wijkteam zuid", day(6.1))  # withdrawn
    assert consented(rows, "Huisarts Jansen", day(3)) and not consented(rows, "Huisarts Jansen", day(4.5))
    assert not consented(rows, "Wijkteam Noord", day(3))
    app.forget(household, **A, reason="Verzoek van betrokkene")
    assert fold(folded, events(app, household)[-1]) == {}


# ---- a coordinator of another team sees the whole file: that is sharing outside the team too ----------


def _staff(app, user_id: str, team: str | None) -> None:
    app.register_staff(user_id, actor="admin", team=team, roles=("coordinator",))


def test_a_coordinator_of_the_households_own_team_needs_no_consent(app, household):
    _staff(app, "bram", "Wijkteam Noord")
    app.assign_coordinator(household, **A, coordinator="bram", occurred_at=day(2))
    assert app.get(household).coordinator == "bram"
    assert only(app, household, "CoordinatorAssigned").coordinator_team is None


def test_a_coordinator_of_another_team_is_refused_without_consent_for_that_team_saying_how_to_fix_it(
        app, household):
    _staff(app, "ruben", "Wijkteam Zuid")
    with pytest.raises(RuleViolation) as refusal:
        app.assign_coordinator(household, **A, coordinator="ruben", occurred_at=day(2))
    assert refusal.value.rule == SHARING
    assert "ruben is of Wijkteam Zuid" in refusal.value.detail
    assert "record the household's consent for Wijkteam Zuid" in refusal.value.detail
    assert app.get(household).coordinator is None


def test_with_consent_for_that_team_or_a_legal_basis_a_coordinator_of_another_team_takes_over(app):
    _staff(app, "ruben", "Wijkteam Zuid")
    consented, by_law = register(app), register(app, label="Fam. Bakker")
    consent(app, consented, party="wijkteam zuid")
    app.assign_coordinator(consented, **A, coordinator="ruben", occurred_at=day(2))
    app.assign_coordinator(by_law, **A, coordinator="ruben", legal_basis="Wmo 2015 art. 5.2.4", occurred_at=day(2))

    assert app.get(consented).coordinator == app.get(by_law).coordinator == "ruben"
    event = only(app, by_law, "CoordinatorAssigned")
    assert (event.coordinator_team, event.legal_basis) == ("Wijkteam Zuid", "Wmo 2015 art. 5.2.4")


def test_someone_the_staff_registry_does_not_know_is_not_taken_for_another_team(app, household):
    app.assign_coordinator(household, **A, coordinator="fatima", occurred_at=day(2))
    assert app.get(household).coordinator == "fatima"
