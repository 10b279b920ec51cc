"""Consent and subject access over the API. A coordinator records the household's consent before
support by an organisation outside the team: a volunteer organisation, first-line or specialist care
(without it, or a legal basis, the intervention breaks a rule); the household may see everything held
on it, as JSON and as a readable Dutch page."""

from __future__ import annotations

from uuid import UUID

from tests.api.support import (
    DIRK,
    UNKNOWN_HOUSEHOLD,
    assert_invalid,
    assert_problem,
    assert_refused,
    days_from_today,
    last_event,
    post,
    register,
    summary,
    write,
)

SHARING = "sharing with a provider outside the team needs consent or a legal basis"
REFERRAL = {"support_level": "specialistisch", "provider": "GGZ Noord", "handover_note": "Samen kennisgemaakt"}
CONSENT = {"given_by": "Sanne Jansen (moeder)", "party": "GGZ Noord", "purpose": "Warme overdracht"}


def test_a_referral_to_specialist_care_needs_the_households_consent(client, households):
    household_id = register(client)
    body = assert_refused(post(client, household_id, "interventions", REFERRAL), SHARING)
    assert "GGZ Noord" in body["detail"]
    consent = write(client, household_id, "consents", {**CONSENT, "until": days_from_today(365)})
    assert last_event(households, household_id, "ConsentRecorded").consent_id == consent["item_id"]
    result = write(client, household_id, "interventions", REFERRAL)
    assert summary(client, household_id)["interventions"] == {result["item_id"]: "open"}


def test_volunteer_help_by_an_organisation_needs_consent_too_and_the_refusal_says_what_is_missing(client):
    household_id = register(client)
    volunteer = {"support_level": "vrijwillig", "provider": "Humanitas", "description": "Thuisadministratie"}
    body = assert_refused(post(client, household_id, "interventions", volunteer), SHARING)
    assert "no valid consent for Humanitas" in body["detail"]
    assert "record the household's consent for Humanitas" in body["detail"] and "legal_basis" in body["detail"]
    write(client, household_id, "consents", {**CONSENT, "party": "Humanitas", "purpose": "Koppeling maatje"})
    write(client, household_id, "interventions", volunteer)


def test_a_facility_open_to_all_shares_nothing_and_needs_no_consent(client):
    household_id = register(client)
    write(client, household_id, "interventions", {"support_level": "collectief", "provider": "Buurthuis De Kroon"})


def test_a_withdrawn_consent_covers_no_new_referral(client):
    household_id = register(client)
    consent = write(client, household_id, "consents", CONSENT)["item_id"]
    write(client, household_id, f"consents/{consent}/withdraw", {"reason": "Wil het zelf regelen"})
    assert_refused(post(client, household_id, "interventions", REFERRAL), SHARING)
    assert_refused(post(client, household_id, f"consents/{consent}/withdraw", {}),
                   "a finished consent cannot be acted on")


def test_a_legal_basis_instead_of_consent_is_recorded_with_the_referral(client, households):
    household_id = register(client)
    write(client, household_id, "interventions", {**REFERRAL, "legal_basis": "Jeugdwet art. 7.4.0"})
    assert last_event(households, household_id, "InterventionStarted").legal_basis == "Jeugdwet art. 7.4.0"


def test_a_consent_without_party_or_with_an_end_in_the_past_is_refused(client):
    household_id = register(client)
    assert_invalid(post(client, household_id, "consents", {**CONSENT, "party": ""}), "body.party")
    assert_refused(post(client, household_id, "consents", {**CONSENT, "until": days_from_today(-1)}),
                   "a consent is valid when it is recorded")


def _followed(client) -> str:
    household_id = register(client, label="Fam. <b>Jansen</b>")
    write(client, household_id, "members", {"name": "Sanne & Piet Jansen", "role": "ouders"})
    write(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Post doorgenomen <script>x</script>"})
    write(client, household_id, "goals", {"life_domain": "finances", "description": "Schulden in beeld"})
    signal = client.post("/api/signals", json={"source": "housing_corporation", "about_name": "Fam. Jansen",
                                               "about_address": "Kerkstraat 12", "description": "Huurachterstand"})
    response = client.post(f"/api/signals/{signal.json()['signal_id']}/triage",
                           json={"action": "link", "household_id": household_id})
    assert response.status_code == 200, response.text
    return household_id


def test_the_export_holds_every_event_the_plan_the_timeline_and_the_linked_signals(client, households):
    household_id = _followed(client)
    response = client.get(f"/api/households/{household_id}/export")
    assert response.status_code == 200, response.text
    found = response.json()
    assert [e["kind"] for e in found["events"]] == [type(e).__name__ for e in households.events.get(UUID(household_id))]
    assert found["plan"]["label"] == "Fam. <b>Jansen</b>"
    assert any(e["fields"].get("name") == "Sanne & Piet Jansen" for e in found["events"])
    assert len(found["timeline"]) == len(found["events"])
    assert [(s["about_address"], s["description"]) for s in found["signals"]] == [("Kerkstraat 12", "Huurachterstand")]


def test_the_readable_export_is_dutch_and_escapes_what_was_typed(client):
    household_id = _followed(client)
    response = client.get(f"/api/households/{household_id}/export.html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "Inzage in het dossier van Fam. &lt;b&gt;Jansen&lt;/b&gt;" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "Sanne &amp; Piet Jansen" in page and "Kerkstraat 12" in page
    assert "Tijdlijn" in page


def test_the_export_of_a_forgotten_household_holds_nothing_about_its_people(client):
    household_id = _followed(client)
    write(client, household_id, "erasure", {"reason": "Verzoek van betrokkene"}, headers=DIRK)
    found = client.get(f"/api/households/{household_id}/export").json()
    assert (found["status"], found["plan"], found["signals"][0]["about_address"]) == ("forgotten", None, "[gewist]")
    text = str(found)
    assert "Sanne" not in text and "Kerkstraat" not in text and "Post doorgenomen" not in text
    assert "persoonsgegevens van dit huishouden zijn gewist" in client.get(
        f"/api/households/{household_id}/export.html").text


def test_the_export_of_an_unknown_household_is_not_found(client):
    for path in ("export", "export.html"):
        assert_problem(client.get(f"/api/households/{UNKNOWN_HOUSEHOLD}/{path}"), 404)


def test_the_export_says_who_accessed_the_file_when_and_whether_by_emergency_access(client):
    household_id = _followed(client)
    reason = "Crisis: Sanne is onvindbaar"
    client.get(f"/api/households/{household_id}", headers={"Authorization": "Bearer dev-kees",
                                                            "X-Emergency-Access": reason})
    client.get(f"/api/households/{household_id}", headers={"Authorization": "Bearer dev-kees"})  # refused
    found = client.get(f"/api/households/{household_id}/export").json()

    own = client.get(f"/api/households/{household_id}/access-log", params={"view": "household"}).json()["items"]
    assert found["access_log"] == own[:-1]  # the household's own view, up to and including this export
    accesses = [(a["wie"], a["functie"], a["wat"], a["noodtoegang"]) for a in found["access_log"]]
    assert accesses[0] == ("anna", "generalist van het wijkteam", "aangemaakt", False)
    assert ("kees", "generalist van het wijkteam", "ingezien", True) in accesses  # the refused attempt is not
    assert accesses.count(("kees", "generalist van het wijkteam", "ingezien", True)) == 1
    assert accesses[-1] == ("anna", "generalist van het wijkteam", "uitgevoerd", False)  # this export
    assert all(set(a) == {"wanneer", "wie", "functie", "wat", "noodtoegang"} for a in found["access_log"])
    assert reason not in str(found)  # the household's view: whether, not why

    page = client.get(f"/api/households/{household_id}/export.html").text
    assert "Wie heeft het dossier ingezien" in page
    assert "kees (generalist van het wijkteam): ingezien. Noodtoegang: ja." in page
    assert "anna (generalist van het wijkteam): aangemaakt. Noodtoegang: nee." in page
    assert reason not in page


def test_the_export_of_a_forgotten_household_still_says_who_accessed_its_file(client):
    household_id = _followed(client)
    write(client, household_id, "erasure", {"reason": "Verzoek van betrokkene"}, headers=DIRK)
    found = client.get(f"/api/households/{household_id}/export", headers=DIRK).json()
    erased = [(a["wie"], a["functie"], a["wat"]) for a in found["access_log"] if a["wat"] == "verwijderd"]
    assert erased == [("dirk", "functionaris gegevensbescherming", "verwijderd")]
    assert "dirk (functionaris gegevensbescherming): verwijderd." in client.get(
        f"/api/households/{household_id}/export.html", headers=DIRK).text
