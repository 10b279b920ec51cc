"""The household on one screen (issue 11, §2.3): every section shows what the plan holds, in Dutch; the
timeline's filters and paging; and the plan on a date (`as_of`, `known_at`) with what differs from today
marked, its dates typed in Dutch, and logged in the access log as the API's plan read is."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from domain.household import recording_at
from tests.api.support import noon_days_ago, register, today, write
from tests.web.support import log_in, pages_client
from web import plan_read
from web.plan_read import parse_date

DIRK = {"Authorization": "Bearer dev-dirk"}


@pytest.fixture
def visitor(client):
    return pages_client(client)


def _household_with_a_plan(client) -> tuple[str, dict]:
    household_id = register(client, occurred_at=noon_days_ago(20))
    write(client, household_id, "assessments", {"scores": {"finances": 2, "housing": 3},
                                                "occurred_at": noon_days_ago(19)})
    goal = write(client, household_id, "goals", {"life_domain": "finances", "description": "Schulden in beeld",
                                                 "occurred_at": noon_days_ago(19)})
    write(client, household_id, "members", {"name": "Sanne Jansen", "role": "moeder", "occurred_at": noon_days_ago(19)})
    write(client, household_id, "network", {"name": "Henk de Buurman", "relation": "buurman", "notices_decline": True,
                                            "occurred_at": noon_days_ago(19)})
    write(client, household_id, "consents", {"given_by": "Sanne Jansen", "party": "Schuldhulpmaatje",
                                             "purpose": "Hulp met de administratie", "occurred_at": noon_days_ago(18)})
    write(client, household_id, "interventions", {"support_level": "vrijwillig", "provider": "Schuldhulpmaatje",
                                                  "goal_id": goal["item_id"], "occurred_at": noon_days_ago(18)})
    write(client, household_id, "interventions", {"support_level": "eigen_kracht", "description": "Post openen",
                                                  "occurred_at": noon_days_ago(18)})
    write(client, household_id, "signaleringsplan", {"phases": {"oranje": {"signs": ["Post blijft liggen"],
                                                                           "actions": ["Henk belt de regisseur"]}},
                                                     "occurred_at": noon_days_ago(18)})
    # Ten days ago, things changed: a better score, the goal reworded, escalated, a new agreement.
    write(client, household_id, "assessments", {"scores": {"finances": 4}, "occurred_at": noon_days_ago(10)})
    write(client, household_id, "goals/" + goal["item_id"] + "/revise",
          {"description": "Schuldregeling loopt", "occurred_at": noon_days_ago(10)})
    write(client, household_id, "escalations", {"to_level": "intensief", "reason": "Dreigende uitzetting",
                                                "occurred_at": noon_days_ago(10)})
    last = write(client, household_id, "agreements", {"who": "Sanne", "what": "Belt de woningcorporatie",
                                                      "occurred_at": noon_days_ago(10)})
    return household_id, {"goal": goal["item_id"], "last": last}


def test_every_section_of_the_household_page_shows_what_the_plan_holds(client, visitor, plan_worker,
                                                                        timeline_worker):
    household_id, made = _household_with_a_plan(client)
    log_in(visitor, "anna")
    page = visitor.get(f"/households/{household_id}", params={"na": made["last"]["position"]})
    assert page.status_code == 200
    html = page.text
    assert "Contact vastleggen" in html and "intensief, sinds" in html
    # The plan per life domain, with the ZRM history as a chart and as a list of its numbers.
    assert "ZRM-score <strong>4</strong>: voldoende zelfredzaam (was 2: vooruit)" in html
    assert 'data-chart="zrm"' in html and "<strong>2</strong> (niet zelfredzaam)" in html
    assert "Schuldregeling loopt" in html and "Belt de woningcorporatie" in html
    # The support ladder: two interventions, one on eigen kracht, one volunteer.
    ladder = html[html.index('id="ladder"'):html.index('id="intensiteit"')]
    assert "Eigen kracht" in ladder and "1 van 2 (50%)" in ladder and "Vrijwillige inzet" in ladder
    # Time at each intensity, as a chart and in words.
    intensity = html[html.index('id="intensiteit"'):html.index('id="mensen"')]
    assert 'data-chart="intensity"' in intensity and "Licht</strong> van" in intensity and "tot nu" in intensity
    assert "licht 10 dagen" in intensity
    people = re.sub(r"<[^>]+>", "", html[html.index('id="mensen"'):html.index('id="signaleringsplan"')])
    assert "Sanne Jansen (moeder)" in people and "Henk de Buurman (buurman)" in people
    assert "merkt het als het slechter gaat" in people
    assert "Post blijft liggen" in html and "Henk belt de regisseur" in html and "Fase oranje" in html
    consents = html[html.index('id="toestemmingen"'):html.index('id="plan-op-datum"')]
    assert "Schuldhulpmaatje" in consents and "Hulp met de administratie" in consents and "Geldig." in consents
    for internal in ("True", "False", "None", "eigen_kracht", "finances"):
        assert f">{internal}<" not in html and f" {internal} " not in html


def test_the_page_reads_the_zrm_history_and_consents_from_the_plan_it_shows_not_from_the_events(
        client, visitor, plan_worker, timeline_worker, monkeypatch):
    household_id, _ = _household_with_a_plan(client)
    first = next(e for e in client.app.state.households.history(household_id)
                 if type(e).__name__ == "AssessmentRecorded")
    write(client, household_id, "corrections", {"target_version": first.originator_version,
                                                "changes": {"scores": {"finances": 1, "housing": 3}},
                                                "reason": "Verkeerd overgenomen"})
    consent = next(e for e in client.app.state.households.history(household_id)
                   if type(e).__name__ == "ConsentRecorded")
    last = write(client, household_id, f"consents/{consent.consent_id}/withdraw", {"reason": "Wil het zelf doen"})
    log_in(visitor, "anna")
    visitor.get(f"/households/{household_id}", params={"na": last["position"]})
    # The plan document folds the same history as the events give: the corrected score, the withdrawal.
    doc = client.app.state.plans.get(household_id)
    events = client.app.state.households.history(household_id)
    assert plan_read.from_document(doc)
    assert plan_read.zrm_history_of(doc) == plan_read.zrm_history(events)
    assert [point["score"] for point in plan_read.zrm_history_of(doc)["finances"]] == [1, 4]
    assert plan_read.consents_of(doc) == plan_read.consents(events)
    assert plan_read.consents_of(doc)[0]["status"] == "withdrawn"
    # The API's plan is what it was: the page's extra keys stay out of it.
    api_plan = client.get(f"/api/households/{household_id}/plan").json()
    assert not {"assessments", "consents", "fold"} & api_plan.keys()

    def no_events(*args, **kwargs):
        raise AssertionError("the household page read the household's events")

    with monkeypatch.context() as patched:
        patched.setattr(client.app.state.households, "history", no_events)
        html = visitor.get(f"/households/{household_id}").text
    assert "<strong>1</strong> (acute problematiek)" in html and "Wil het zelf doen" in html
    # A plan document folded before it kept them (an older release, not yet rebuilt) is read with the events.
    plain = {k: v for k, v in doc.items() if k not in ("assessments", "consents", "fold")}
    monkeypatch.setattr(client.app.state.plans, "get", lambda _: plain)
    html = visitor.get(f"/households/{household_id}").text
    assert "<strong>1</strong> (acute problematiek)" in html and "Wil het zelf doen" in html


def test_the_timeline_filters_and_pages_without_javascript(client, visitor, plan_worker, timeline_worker):
    household_id, made = _household_with_a_plan(client)
    log_in(visitor, "anna")
    url = f"/households/{household_id}"
    visitor.get(url, params={"na": made["last"]["position"]})
    only = visitor.get(url, params={"soort": "AssessmentRecorded"}).text
    timeline = only[only.index('<ol class="wv-timeline"'):]
    assert timeline.count("<li>") == 2 and "ZRM-meting" in timeline and "Afspraak met" not in timeline
    domain = visitor.get(url, params={"leefgebied": "housing"}).text
    assert domain[domain.index('<ol class="wv-timeline"'):].count("<li>") == 1
    since = (today() - timedelta(days=11)).strftime("%d-%m-%Y")
    recent = visitor.get(url, params={"van": since}).text
    assert "Registratie" not in recent[recent.index('<ol class="wv-timeline"'):]
    assert "aangemeld bij" not in recent[recent.index('<ol class="wv-timeline"'):]
    bad = visitor.get(url, params={"van": "gisteren"})
    assert bad.status_code == 422 and "Vul bij &#39;vanaf&#39; een datum in, zoals 21-10-2026." in bad.text
    assert 'value="gisteren"' in bad.text  # nothing typed lost
    # Paging: 25 a page, "Oudere gebeurtenissen" leads on, with the filter kept.
    for n in range(26):
        last = write(client, household_id, "contacts", {"kind": "telefonisch", "summary": f"Belletje {n}"})
    first = visitor.get(url, params={"na": last["position"], "soort": "ContactRecorded"}).text
    assert "Oudere gebeurtenissen" in first and "Belletje 25" in first and "Belletje 0<" not in first
    older = first[first.index("Oudere gebeurtenissen") - 400:first.index("Oudere gebeurtenissen")]
    href = older[older.rindex('href="') + 6:older.rindex('#tijdlijn"')].replace("&amp;", "&")
    second = visitor.get(href).text
    assert "Belletje 0</p>" in second and "Belletje 25" not in second and "Nieuwste gebeurtenissen" in second


def test_the_plan_on_a_date_shows_the_earlier_plan_and_marks_what_differs_today(client, visitor, plan_worker,
                                                                                 timeline_worker):
    household_id, made = _household_with_a_plan(client)
    log_in(visitor, "anna")
    visitor.get(f"/households/{household_id}", params={"na": made["last"]["position"]})
    day = today() - timedelta(days=15)
    page = visitor.get(f"/households/{household_id}/plan-op-datum", params={"datum": day.strftime("%d-%m-%Y")})
    assert page.status_code == 200, page.text
    html = page.text
    assert "Zo stond het plan" in html
    # Then: score 2, the goal in its first words, licht; each difference with today marked in words.
    assert "ZRM-score <strong>2</strong>" in html and "Schulden in beeld" in html
    assert "Vandaag 4: voldoende zelfredzaam." in html
    assert "Vandaag anders: omschrijving is nu Schuldregeling loopt." in html
    assert "Vandaag: intensief." in html and ">Gewijzigd<" in html
    added = html[html.index('id="sindsdien"'):]
    assert ">Nieuw<" in added and "Sanne: Belt de woningcorporatie" in added
    assert "verschillen met vandaag" in html


def test_the_plan_as_known_on_a_date_leaves_out_a_later_correction(client, visitor, plan_worker, timeline_worker):
    households = client.app.state.households
    with recording_at(datetime.fromisoformat(noon_days_ago(20))):  # recorded back then, as it happened
        household = households.register(actor="anna", label="Fam. Jansen", team="Wijkteam Noord")
        goal = households.set_goal(household.household_id, actor="anna", life_domain="finances",
                                   description="Schulden in beeld")
    household_id = str(household.household_id)
    last = write(client, household_id, "corrections", {"target_version": goal.version,
                                                       "changes": {"description": "Schulden helemaal in beeld"},
                                                       "reason": "Tikfout"})  # corrected today
    log_in(visitor, "anna")
    visitor.get(f"/households/{household_id}", params={"na": last["position"]})
    day = (today() - timedelta(days=15)).strftime("%d-%m-%Y")
    as_known = visitor.get(f"/households/{household_id}/plan-op-datum",
                           params={"datum": day, "bekend": day}).text
    assert "zoals het team het op" in as_known and "Schulden in beeld" in as_known
    assert "Vandaag anders: omschrijving is nu Schulden helemaal in beeld." in as_known
    as_corrected = visitor.get(f"/households/{household_id}/plan-op-datum", params={"datum": day}).text
    assert "Schulden helemaal in beeld" in as_corrected and ">Gewijzigd<" not in as_corrected


@pytest.mark.parametrize(("datum", "bekend", "field", "message"), [
    ("", "", "datum", "Vul de datum in waarop u het plan wilt zien"),
    ("31-02-2026", "", "datum", "Vul een datum in zoals 21-10-2026"),
    ("01-01-2001", "", "datum", "Die datum ligt vóór de aanmelding van het huishouden op"),
    ("future", "", "datum", "Die datum ligt in de toekomst."),
    ("today", "01-01-2001", "bekend", "Die datum ligt vóór de aanmelding"),
])
def test_a_date_before_registration_or_in_the_future_is_refused_in_dutch_next_to_the_field(
        client, visitor, datum, bekend, field, message):
    household_id = register(client)
    log_in(visitor, "anna")
    datum = {"future": (today() + timedelta(days=2)).strftime("%d-%m-%Y"),
             "today": today().strftime("%d-%m-%Y")}.get(datum, datum)
    page = visitor.get(f"/households/{household_id}/plan-op-datum", params={"datum": datum, "bekend": bekend})
    assert page.status_code == 422
    assert message in page.text and f'id="{field}-fout"' in page.text
    assert f'href="#{field}"' in page.text  # summarised at the top, linking to the field
    assert f'value="{datum}"' in page.text


def test_dates_are_read_as_dutch_people_type_them():
    assert parse_date("21-10-2026") == parse_date("21/10/2026") == parse_date("21 oktober 2026") \
        == parse_date("woensdag 21 oktober 2026") == parse_date("2026-10-21") == parse_date("21 okt 2026")
    assert parse_date("21-10-2026").month == 10
    assert parse_date("31-02-2026") is None and parse_date("morgen") is None


def test_the_plan_on_a_date_is_logged_as_the_api_plan_read_is(client, visitor):
    household_id = register(client)
    log_in(visitor, "anna")
    day = today().strftime("%d-%m-%Y")
    assert visitor.get(f"/households/{household_id}/plan-op-datum", params={"datum": day}).status_code == 200
    client.get(f"/api/households/{household_id}/plan")
    log = client.get(f"/api/households/{household_id}/access-log", headers=DIRK).json()["items"]
    page_read, api_read = [e for e in log if e["user_id"] == "anna" and e["action"] == "read"
                           and "plan" in e["route"]]
    assert page_read["route"] == "/households/{household_id}/plan-op-datum"
    different = {key for key in page_read if page_read[key] != api_read[key]}
    assert different <= {"route", "at", "seq", "user_agent"}, different
    log_in(visitor, "kees")  # another team: refused, and the refusal is logged
    assert visitor.get(f"/households/{household_id}/plan-op-datum", params={"datum": day}).status_code == 403


def test_the_coordinator_is_named_as_the_staff_registry_knows_them(client, visitor, plan_worker):
    client.app.state.households.register_staff("bram", actor="admin", name="Bram Bakker", team="Wijkteam Noord",
                                               roles=("coordinator",), reason="nieuwe regisseur")
    household_id = register(client)
    assigned = write(client, household_id, "coordinator", {"coordinator": "bram"})
    log_in(visitor, "anna")
    page = visitor.get(f"/households/{household_id}", params={"na": assigned["position"]})
    assert "<dt>Regisseur</dt><dd>Bram Bakker</dd>" in page.text
