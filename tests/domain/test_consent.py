"""Consent (toestemming): the household agrees that its data is shared with a named party, for a
purpose, until a day or until it withdraws. A referral to specialist care shares the plan with a
provider outside the team: it is refused without a valid consent for that provider, or a legal
basis that the event then records. In memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NotFound, RuleViolation
from tests.domain.support import ACTOR, day, events, events_of, local_day, only

A = {"actor": ACTOR}
GGZ = "GGZ Noord"
SHARING = "sharing with a provider outside the team needs consent or a legal basis"


def consent(app, household, party: str = GGZ, **fields) -> str:
    fields = {"given_by": "Sanne de Vries (moeder)", "purpose": "Warme overdracht", "occurred_at": day(1), **fields}
    return app.record_consent(household, **A, party=party, **fields).item_id


def refer(app, household, provider: str = GGZ, **fields):
    fields = {"occurred_at": day(2), **fields}
    return app.start_intervention(household, **A, support_level="specialistisch", provider=provider,
                                  description="Traject", handover_note="Samen kennisgemaakt", **fields)


def test_a_consent_records_who_gave_it_to_whom_for_what_and_until_when(app, household):
    consent_id = consent(app, household, until=local_day(365))
    event = only(app, household, "ConsentRecorded")
    assert (event.consent_id, event.given_by, event.party, event.purpose, event.until) == (
        consent_id, "Sanne de Vries (moeder)", GGZ, "Warme overdracht", local_day(365))
    assert app.get(household).consents == {consent_id: {"party": GGZ, "until": local_day(365), "status": "open"}}


def test_a_referral_to_specialist_care_without_consent_or_legal_basis_is_refused(app, household):
    with pytest.raises(RuleViolation) as refused:
        refer(app, household)
    assert refused.value.rule == SHARING
    assert app.get(household).interventions == {}


def test_with_the_households_consent_for_that_provider_the_referral_starts(app, household):
    consent(app, household, party="ggz noord")  # the provider's name, whatever its case
    refer(app, household)
    assert list(app.get(household).interventions.values()) == ["open"]


def test_a_consent_for_another_party_does_not_cover_the_provider(app, household):
    consent(app, household, party="Jeugdzorg West")
    with pytest.raises(RuleViolation, match="consent"):
        refer(app, household)


def test_an_expired_consent_no_longer_covers_a_referral(app, household):
    consent(app, household, until=local_day(5))
    refer(app, household, occurred_at=day(5))  # valid through its last day
    with pytest.raises(RuleViolation, match="consent"):
        refer(app, household, occurred_at=day(6) + timedelta(hours=1))


def test_a_withdrawn_consent_no_longer_covers_a_referral_and_is_withdrawn_once(app, household):
    consent_id = consent(app, household)
    app.withdraw_consent(household, consent_id, **A, reason="Wil het zelf regelen", occurred_at=day(2))
    assert only(app, household, "ConsentWithdrawn").reason == "Wil het zelf regelen"
    assert app.get(household).consents[consent_id]["status"] == "withdrawn"
    with pytest.raises(RuleViolation, match="consent"):
        refer(app, household, occurred_at=day(3))
    with pytest.raises(RuleViolation, match="already withdrawn"):
        app.withdraw_consent(household, consent_id, **A)
    with pytest.raises(NotFound):
        app.withdraw_consent(household, "nosuchconsent", **A)


def test_a_legal_basis_is_recorded_with_the_referral_instead_of_consent(app, household):
    refer(app, household, legal_basis=" Jeugdwet art. 7.4.0 ")
    assert only(app, household, "InterventionStarted").legal_basis == "Jeugdwet art. 7.4.0"
    with pytest.raises(RuleViolation, match="consent"):
        refer(app, household, legal_basis="   ")


def test_other_support_needs_no_consent(app, household):
    app.start_intervention(household, **A, support_level="vrijwillig", provider="Schuldhulpmaatje",
                           description="Maatje", occurred_at=day(2))
    assert len(events_of(app, household, "InterventionStarted")) == 1


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
