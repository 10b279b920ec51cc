"""Every command as a form in context (issue 11 §2.5-2.6): each form's happy path and a refusal in Dutch next
to its field, the consent rule explained before submitting, a resend recording once, and a conflict with
someone who changed the household meanwhile shown with everything typed kept."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

import pytest

from tests.api.support import register, write
from tests.web.support import csrf_of, log_in, pages_client
from web.command_forms import FORMS

KEY = re.compile(r'name="sleutel" value="([^"]+)"')
VERSION = re.compile(r'name="versie" value="(\d+)"')


@pytest.fixture
def visitor(client):
    visitor = pages_client(client)
    log_in(visitor, "anna")
    return visitor


def _submit(visitor, household_id: str, path: str, data: dict, *, opened=None):
    """Open the form (or use the page given), fill it in and send it, as a browser without JavaScript does."""
    page = opened if opened is not None else visitor.get(f"/households/{household_id}/{path}")
    assert opened is not None or page.status_code == 200, page.text
    form = {"csrf": csrf_of(page.text), "sleutel": KEY.search(page.text).group(1),
            "versie": VERSION.search(page.text).group(1), **data}
    return visitor.post(f"/households/{household_id}/{path}", data=form)


def _events(client, household_id: str) -> list[dict]:
    found = client.get(f"/api/households/{household_id}/history")
    assert found.status_code == 200
    return [json.loads(line) for line in found.text.splitlines() if line.strip()]


def _household(client, household_id: str) -> Any:
    return client.app.state.households.get(UUID(household_id))


def _saved(answer, household_id: str, form: str) -> None:
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/households/{household_id}?vastgelegd={form}&na=")


def test_a_coordinator_builds_a_plan_with_the_forms(client, visitor, plan_worker, timeline_worker):
    household_id = register(client)
    _saved(_submit(visitor, household_id, "members", {"name": "Sanne Jansen", "role": "moeder",
                                                      "birth_year": "1987"}), household_id, "members")
    _saved(_submit(visitor, household_id, "network", {"name": "Henk", "relation": "buurman",
                                                      "notices_decline": "ja"}), household_id, "network")
    _saved(_submit(visitor, household_id, "assessments", {"scores.finances": "2", "scores.housing": "3"}),
           household_id, "assessments")
    _saved(_submit(visitor, household_id, "goals", {"life_domain": "finances",
                                                    "description": "Schulden zijn in beeld"}), household_id, "goals")
    household = _household(client, household_id)
    assert household.scores == {"finances": 2, "housing": 3}
    assert [m["name"] for m in household.members.values()] == ["Sanne Jansen"]
    assert next(iter(household.network.values()))["notices_decline"] is True
    goal_id = next(iter(household.goals))
    opened = visitor.get(f"/households/{household_id}/agreements", params={"goal_id": goal_id})
    assert f'<option value="{goal_id}" selected>' in opened.text  # the goal's link chooses the goal
    agreement = _submit(visitor, household_id, "agreements", {"who": "Sanne", "what": "Belt de woningcorporatie",
                                                               "due": "21-12-2099", "goal_id": goal_id}, opened=opened)
    _saved(agreement, household_id, "agreements")
    _saved(_submit(visitor, household_id, "signaleringsplan",
                   {"phases.oranje.signs": "Post blijft liggen\nGordijnen dicht",
                    "phases.oranje.actions": "Henk belt"}),
           household_id, "signaleringsplan")
    household = _household(client, household_id)
    assert household.signaleringsplan == {"oranje": {"signs": ["Post blijft liggen", "Gordijnen dicht"],
                                                     "actions": ["Henk belt"]}}
    # The household page says what was saved, and shows it at once.
    page = visitor.get(_submit(visitor, household_id, f"goals/{goal_id}/revise",
                               {"description": "Schuldregeling is aangevraagd", "reason": "eerste stap"}
                               ).headers["location"])
    assert page.status_code == 200
    assert "Het doel is bijgesteld." in page.text and "Schuldregeling is aangevraagd" in page.text
    assert "Belt de woningcorporatie" in page.text and "Post blijft liggen" in page.text


def test_the_household_page_links_to_the_forms_that_apply(client, visitor, plan_worker):
    household_id = register(client)
    goal = write(client, household_id, "goals", {"life_domain": "housing", "description": "Huur betaald"})
    page = visitor.get(f"/households/{household_id}", params={"na": goal["position"]})
    for path in ("members", "network", "assessments", "goals", "agreements", "interventions", "signaleringsplan",
                 "consents", "coordinator", "escalations", "cadence", "closure", f"goals/{goal['item_id']}/achieve"):
        assert f'href="/households/{household_id}/{path}"' in page.text, path
    for link in re.findall(rf'href="(/households/{household_id}/[^"#]+)"', page.text):
        assert visitor.get(link).status_code == 200, link


def test_every_form_opens_in_dutch_with_its_labels(client, visitor):
    household_id = register(client)
    write(client, household_id, "goals", {"life_domain": "housing", "description": "Huur betaald"})
    for spec in FORMS:
        if spec.item is not None or spec.path == "reopening":
            continue
        page = visitor.get(f"/households/{household_id}/{spec.path}")
        assert page.status_code == 200, spec.path
        assert f"<h1 class=\"utrecht-heading-1\">{spec.title}</h1>" in page.text
        for field in spec.fields:
            assert f'for="{field.name}' in page.text or f'id="{field.name}"' in page.text, (spec.path, field.name)


def test_a_missing_required_field_is_refused_in_dutch_next_to_it_and_nothing_is_recorded(client, visitor):
    household_id = register(client)
    before = len(_events(client, household_id))
    answer = _submit(visitor, household_id, "goals", {"life_domain": "", "description": "Iets"})
    assert answer.status_code == 422
    assert "Kies een leefgebied." in answer.text
    assert 'aria-invalid="true"' in answer.text and 'href="#life_domain"' in answer.text
    assert ">Iets</textarea>" in answer.text  # what was typed stays
    answer = _submit(visitor, household_id, "agreements", {"who": "Sanne", "what": "Bellen", "due": "31-02-2027"})
    assert answer.status_code == 422 and "Vul een datum in, zoals 21-10-2026." in answer.text
    assert len(_events(client, household_id)) == before


def test_a_domain_refusal_is_shown_in_dutch_next_to_its_field(client, visitor):
    household_id = register(client)  # licht
    answer = _submit(visitor, household_id, "interventions", {"support_level": "specialistisch",
                                                              "provider": "GGZ Noord"})
    assert answer.status_code == 409
    assert "warme overdracht" in answer.text and 'href="#handover_note"' in answer.text
    answer = _submit(visitor, household_id, "interventions", {"support_level": "specialistisch",
                                                              "provider": "GGZ Noord", "handover_note": "Zie plan"})
    assert answer.status_code == 409
    assert "geen geldige toestemming" in answer.text and 'href="#legal_basis"' in answer.text
    answer = _submit(visitor, household_id, "cadence", {"cadence.waakvlam": "200", "cadence.licht": "14",
                                                        "cadence.intensief": "7", "cadence.crisis": "2"})
    assert answer.status_code == 409 and "buiten de grenzen" in answer.text


def test_the_consent_rule_is_explained_before_submitting(client, visitor):
    household_id = register(client)
    write(client, household_id, "consents", {"given_by": "Sanne", "party": "GGZ Noord", "purpose": "Overdracht"})
    page = visitor.get(f"/households/{household_id}/interventions")
    assert "geldige toestemming van het huishouden voor precies die organisatie" in page.text
    assert "GGZ Noord: Overdracht" in page.text
    labels = re.findall(r'for="support_level-([a-z_]+)"', page.text)
    assert labels == ["eigen_kracht", "netwerk", "vrijwillig", "collectief", "eerstelijns", "specialistisch"]
    _saved(_submit(visitor, household_id, "interventions", {"support_level": "specialistisch",
                                                            "provider": "GGZ Noord", "handover_note": "Zie plan"}),
           household_id, "interventions")


def test_a_double_submit_records_once(client, visitor):
    household_id = register(client)
    page = visitor.get(f"/households/{household_id}/members")
    first = _submit(visitor, household_id, "members", {"name": "Sanne"}, opened=page)
    again = _submit(visitor, household_id, "members", {"name": "Sanne"}, opened=page)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    household = _household(client, household_id)
    assert len(household.members) == 1


def test_a_change_meanwhile_that_does_not_touch_the_form_is_decided_again(client, visitor):
    household_id = register(client)
    page = visitor.get(f"/households/{household_id}/members")
    write(client, household_id, "network", {"name": "Henk"})  # someone else, meanwhile
    _saved(_submit(visitor, household_id, "members", {"name": "Sanne"}, opened=page), household_id, "members")


def test_a_conflicting_change_meanwhile_is_shown_and_what_was_typed_is_kept(client, visitor):
    household_id = register(client)
    goal = write(client, household_id, "goals", {"life_domain": "housing", "description": "Huur betaald"})
    page = visitor.get(f"/households/{household_id}/goals/{goal['item_id']}/revise")
    opened_on = int(VERSION.search(page.text).group(1))
    write(client, household_id, f"goals/{goal['item_id']}/revise", {"description": "Huur wordt automatisch betaald"},
          headers={"Authorization": "Bearer dev-bram"})
    answer = _submit(visitor, household_id, f"goals/{goal['item_id']}/revise",
                     {"description": "Huur elke maand op tijd", "reason": "gesprek"}, opened=page)
    assert answer.status_code == 409
    assert "Iemand anders heeft dit huishouden intussen gewijzigd" in answer.text
    assert "door bram" in answer.text and "Huur wordt automatisch betaald" in answer.text
    assert ">Huur elke maand op tijd</textarea>" in answer.text
    assert int(VERSION.search(answer.text).group(1)) == opened_on + 1
    _saved(_submit(visitor, household_id, f"goals/{goal['item_id']}/revise",
                   {"description": "Huur elke maand op tijd", "reason": "gesprek"}, opened=answer),
           household_id, "goals-goal_id-revise")


def test_a_form_on_a_closed_household_says_to_reopen_first(client, visitor):
    household_id = register(client)
    _saved(_submit(visitor, household_id, "closure", {"reason_code": "goals_achieved"}), household_id, "closure")
    page = visitor.get(f"/households/{household_id}/goals")
    assert page.status_code == 409 and "Heropen het eerst" in page.text
    _saved(_submit(visitor, household_id, "reopening", {"reason": "Nieuw signaal", "intensity": "licht"}),
           household_id, "reopening")


def test_escalation_offers_only_higher_levels_and_de_escalation_only_lower(client, visitor):
    household_id = register(client)  # licht
    page = visitor.get(f"/households/{household_id}/escalations")
    assert re.findall(r'for="to_level-([a-z]+)"', page.text) == ["intensief", "crisis"]
    _saved(_submit(visitor, household_id, "escalations", {"to_level": "crisis", "reason": "Uitzetting"}),
           household_id, "escalations")
    assert visitor.get(f"/households/{household_id}/escalations").status_code == 409
    page = visitor.get(f"/households/{household_id}/de-escalations")
    assert re.findall(r'for="to_level-([a-z]+)"', page.text) == ["waakvlam", "licht", "intensief"]
    answer = _submit(visitor, household_id, "de-escalations", {"to_level": "waakvlam", "reason": ""})
    assert answer.status_code == 422 and "Vul reden in." in answer.text


def test_a_check_in_can_be_rescheduled_and_cancelled(client, visitor):
    household_id = register(client)
    household = _household(client, household_id)
    check_in = household.next_check_in["id"]
    answer = _submit(visitor, household_id, f"check-ins/{check_in}/reschedule", {"due": "01-01-2020"})
    assert answer.status_code == 409 and "in het verleden" in answer.text
    _saved(_submit(visitor, household_id, f"check-ins/{check_in}/reschedule", {"due": "01-01-2099",
                                                                              "reason": "vakantie"}),
           household_id, "check-ins-check_in_id-reschedule")
    answer = _submit(visitor, household_id, f"check-ins/{check_in}/cancel", {"reason": "Dubbel gepland"})
    _saved(answer, household_id, "check-ins-check_in_id-cancel")
    household = _household(client, household_id)
    assert household.next_check_in["id"] != check_in  # a new one replaces it: the household stays in view
    assert visitor.get(f"/households/{household_id}/check-ins/{check_in}/cancel").status_code == 404


def test_the_forms_are_refused_to_other_teams_partners_and_without_csrf(client):
    household_id = register(client)
    for user, status in (("dirk", 403), ("petra", 403), ("admin", 403)):
        visitor = pages_client(client)
        log_in(visitor, user)
        assert visitor.get(f"/households/{household_id}/goals").status_code == status, user
    visitor = pages_client(client)
    log_in(visitor, "anna")
    page = visitor.get(f"/households/{household_id}/goals")
    answer = visitor.post(f"/households/{household_id}/goals", data={"life_domain": "housing", "description": "x",
                                                                     "versie": VERSION.search(page.text).group(1)})
    assert answer.status_code == 403
    household = _household(client, household_id)
    assert household.goals == {}


def test_a_correction_shows_the_original_beside_the_new_and_sends_only_what_changed(client, visitor,
                                                                                   timeline_worker):
    household_id = register(client)
    contact = write(client, household_id, "contacts", {"kind": "telefonisch", "summary": "Gebeld over de huur",
                                                       "life_domains": ["housing"]})
    page = visitor.get(f"/households/{household_id}", params={"na": contact["position"]})
    version = contact["version"]
    assert f'href="/households/{household_id}/corrections?versie={version}"' in page.text
    form = visitor.get(f"/households/{household_id}/corrections", params={"versie": version})
    assert form.status_code == 200
    assert "Soort contact: nu vastgelegd" in form.text and "Telefonisch contact" in form.text
    assert ">Gebeld over de huur</textarea>" in form.text
    data = {"csrf": csrf_of(form.text), "sleutel": KEY.search(form.text).group(1), "kind": "huisbezoek",
            "summary": "Gebeld over de huur", "life_domains": ["housing"], "occurred_at": re.search(
                r'id="occurred_at" name="occurred_at" value="([^"]+)"', form.text).group(1)}
    refused = visitor.post(f"/households/{household_id}/corrections?versie={version}", data=data)
    assert refused.status_code == 422 and "Vul de reden van de correctie in." in refused.text
    saved = visitor.post(f"/households/{household_id}/corrections?versie={version}",
                         data={**data, "reason": "Het was een huisbezoek"})
    assert saved.status_code == 303 and "vastgelegd=corrections" in saved.headers["location"]
    corrected = [e for e in client.app.state.households.events.get(UUID(household_id))
                 if type(e).__name__ == "Corrected"]
    assert len(corrected) == 1 and corrected[0].changes == {"kind": "huisbezoek"}
    assert "De correctie is vastgelegd." in visitor.get(saved.headers["location"]).text
    again = visitor.get(f"/households/{household_id}/corrections", params={"versie": version})
    assert "Huisbezoek" in again.text.split("nu vastgelegd", 2)[1]  # the form now shows the corrected value


def test_a_decision_cannot_be_corrected_and_an_unknown_version_is_not_found(client, visitor):
    household_id = register(client)
    escalated = write(client, household_id, "escalations", {"to_level": "crisis", "reason": "Uitzetting"})
    page = visitor.get(f"/households/{household_id}/corrections", params={"versie": escalated["version"]})
    assert page.status_code == 409 and "nieuw besluit" in page.text
    assert visitor.get(f"/households/{household_id}/corrections", params={"versie": 999}).status_code == 404


# Every form: what a user fills in for it to be saved, and what it refuses (in Dutch, next to the field).
HAPPY_AND_REFUSED: dict[str, tuple[dict, dict, str]] = {
    "members": ({"name": "Sanne"}, {"name": ""}, "Vul naam in."),
    "members/{member_id}/remove": ({"reason": "verhuisd"}, {"reason": "x" * 2001}, "Schrijf hooguit 2000 tekens."),
    "network": ({"name": "Henk", "notices_decline": "ja"}, {"name": ""}, "Vul naam in."),
    "network/{person_id}/remove": ({"reason": ""}, {"reason": "x" * 2001}, "Schrijf hooguit 2000 tekens."),
    "coordinator": ({"coordinator": "bram", "handover_note": "Kent het gezin"}, {"coordinator": ""},
                    "Kies wie de regisseur wordt."),
    "assessments": ({"scores.finances": "3"}, {}, "Vul bij minstens één leefgebied een score in."),
    "goals": ({"life_domain": "housing", "description": "Huur betaald"}, {"life_domain": "housing"}, "Vul doel in."),
    "goals/{goal_id}/revise": ({"description": "Huur op tijd"}, {"description": ""}, "Vul doel in."),
    "goals/{goal_id}/achieve": ({"note": "gelukt"}, {"note": "x" * 2001}, "Schrijf hooguit 2000 tekens."),
    "goals/{goal_id}/drop": ({"reason": "niet meer nodig"}, {"reason": ""}, "Vul reden in."),
    "agreements": ({"who": "Sanne", "what": "Belt", "due": "1-1-2099"}, {"who": "Sanne", "what": "Belt",
                                                                          "due": "morgen"}, "Vul een datum in"),
    "agreements/{agreement_id}/complete": ({"note": ""}, {"note": "x" * 2001}, "Schrijf hooguit 2000 tekens."),
    "agreements/{agreement_id}/cancel": ({"reason": "vervallen"}, {"reason": ""}, "Vul reden in."),
    "interventions": ({"support_level": "netwerk", "description": "Henk helpt"},
                      {"support_level": "eerstelijns"}, "noemen de zorgaanbieder"),
    "interventions/{intervention_id}/end": ({"outcome": "klaar"}, {"outcome": "x" * 2001},
                                            "Schrijf hooguit 2000 tekens."),
    "escalations": ({"to_level": "intensief", "reason": "zorgen"}, {"to_level": "intensief"}, "Vul reden in."),
    "de-escalations": ({"to_level": "waakvlam", "reason": "gaat goed"}, {"to_level": "waakvlam"}, "Vul reden in."),
    "cadence": ({"cadence.waakvlam": "28"}, {"cadence.waakvlam": "veel"}, "een aantal dagen in"),
    "check-ins/{check_in_id}/reschedule": ({"due": "1-1-2099"}, {"due": ""}, "Vul de nieuwe datum in"),
    "check-ins/{check_in_id}/cancel": ({"reason": "dubbel"}, {"reason": ""}, "Vul reden in."),
    "signaleringsplan": ({"phases.groen.signs": "Opent de post"}, {}, "Vul voor minstens één fase"),
    "consents": ({"given_by": "Sanne", "party": "GGZ", "purpose": "Overdracht"},
                 {"given_by": "Sanne", "party": "GGZ", "purpose": "Overdracht", "until": "1-1-2020"},
                 "De einddatum ligt in het verleden"),
    "consents/{consent_id}/withdraw": ({"reason": "wil het niet meer"}, {"reason": "x" * 2001},
                                       "Schrijf hooguit 2000 tekens."),
    "closure": ({"reason_code": "moved"}, {}, "Kies waarom het huishouden wordt afgesloten."),
    "reopening": ({"reason": "nieuw signaal"}, {"reason": ""}, "Vul reden in."),
}


def test_the_table_names_every_form():
    assert set(HAPPY_AND_REFUSED) == {spec.path for spec in FORMS}


@pytest.mark.parametrize("path", list(HAPPY_AND_REFUSED))
def test_each_form_saves_what_is_filled_in_and_refuses_in_dutch_what_is_not(client, visitor, path):
    household_id = register(client, intensity="licht")
    ids = {"goal_id": write(client, household_id, "goals", {"life_domain": "finances", "description": "Schulden"}),
           "member_id": write(client, household_id, "members", {"name": "Daan"}),
           "person_id": write(client, household_id, "network", {"name": "Joke"}),
           "agreement_id": write(client, household_id, "agreements", {"who": "Daan", "what": "Bellen"}),
           "intervention_id": write(client, household_id, "interventions", {"support_level": "eigen_kracht"}),
           "consent_id": write(client, household_id, "consents", {"given_by": "Daan", "party": "GGZ",
                                                                  "purpose": "Overdracht"})}
    filled = path
    for name, made in ids.items():
        filled = filled.replace("{" + name + "}", made["item_id"])
    filled = filled.replace("{check_in_id}", _household(client, household_id).next_check_in["id"])
    if path == "reopening":
        write(client, household_id, "closure", {"reason_code": "moved"})
    happy, wrong, message = HAPPY_AND_REFUSED[path]
    before = _household(client, household_id).version
    refused = _submit(visitor, household_id, filled, wrong)
    assert refused.status_code in (409, 422), (path, refused.status_code)
    assert message in refused.text, path
    assert _household(client, household_id).version == before  # nothing written
    _saved(_submit(visitor, household_id, filled, happy), household_id, next(s for s in FORMS if s.path == path).name)
    assert _household(client, household_id).version > before
