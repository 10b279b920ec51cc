"""Signals on the pages (issue 11 §2.7): a partner reports a signal (once, however often the form is sent) and
follows it on Mijn meldingen; the team's inbox shows its own signals, new first, with the eropaf time in Dutch;
a signal is triaged once (linked, registered as a new household, or dismissed with a reason); registering a
household from its form. Each refusal is a Dutch message with the API's status; access as the API's."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

import pytest

from tests.api.support import register, write
from tests.api.test_authorisation import TOKENS
from tests.api.test_signals import PETRA, hours_ago, report
from tests.web.support import csrf_of, log_in, pages_client
from tests.web.test_page_authorisation import USERS
from web.signals_nl import SOURCE_NL

DIRK = {"Authorization": "Bearer dev-dirk"}
CARE = {"generalist", "coordinator", "team_lead", "generalist_elsewhere", "coordinator_elsewhere",
        "team_lead_elsewhere"}
ANSWERS = {"bron": "housing_corporation", "naam": "Fam. De Vries", "adres": "Kerkstraat 3",
           "wat": "De post stapelt zich op; de buren hebben haar al een week niet gezien.", "urgentie": "high",
           "team": "Wijkteam Noord", "melder": "Woonstad", "bereikbaar": "010 1234567", "wanneer": ""}


@pytest.fixture
def visitor(client):
    return pages_client(client)


def _report_by_form(visitor, answers=ANSWERS):
    """Petra's report through the form: her answers, the check page, and the send; the send's response."""
    form = visitor.get("/melden")
    assert form.status_code == 200 and "Wie meldt?" in form.text
    key = re.search(r'name="sleutel" value="([^"]+)"', form.text).group(1)
    checked = visitor.post("/melden/controleren", data={**answers, "sleutel": key, "csrf": csrf_of(form.text)})
    assert checked.status_code == 200 and "Controleer uw melding" in checked.text
    assert SOURCE_NL[answers["bron"]] in checked.text and "Hoog: deze week" in checked.text  # the answers in Dutch
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', checked.text.split(
        'action="/melden"')[1].split("</form>")[0]))
    return fields, visitor.post("/melden", data=fields)


def _signals_of(client, user="petra", after=None):
    """The user's own reports, as the API shows a partner (after the write at `after`, when given)."""
    params = {"after": after} if after else None
    return client.get("/api/signals", params=params, headers={"Authorization": f"Bearer dev-{user}"}).json()["items"]


def test_a_partner_reports_a_signal_once_and_follows_it_on_mijn_meldingen(client, visitor, signals_worker):
    log_in(visitor, "petra")
    fields, sent = _report_by_form(visitor)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/melden/verstuurd/")
    again = visitor.post("/melden", data=fields)  # a double submit: the same form, the same key
    assert again.status_code == 303 and again.headers["location"] == sent.headers["location"]
    mine = _signals_of(client, after=again.headers["location"].split("na=")[1])
    assert [s["about_name"] for s in mine] == ["Fam. De Vries"]  # recorded once
    assert mine[0]["status"] == "received"

    confirmation = visitor.get(sent.headers["location"])
    assert confirmation.status_code == 200 and "Melding verstuurd" in confirmation.text
    assert "Wat gebeurt er nu?" in confirmation.text
    position = sent.headers["location"].split("na=")[1]
    listed = visitor.get(f"/melden/mijn-meldingen?na={position}")
    assert listed.status_code == 200 and "Fam. De Vries" in listed.text
    assert "Ontvangen; het wijkteam bekijkt het" in listed.text

    signal_id = mine[0]["signal_id"]
    answer = client.post(f"/api/signals/{signal_id}/triage", json={"action": "dismiss", "reason": "Al bekend"})
    assert answer.status_code == 200
    later = visitor.get(f"/melden/mijn-meldingen?na={answer.json()['position']}")
    assert "Opgepakt door het wijkteam" in later.text
    assert "Al bekend" not in later.text  # whether it was picked up, not how


def test_a_partners_report_without_a_name_or_address_is_refused_in_dutch_and_nothing_typed_is_lost(visitor, client):
    log_in(visitor, "petra")
    form = visitor.get("/melden")
    refused = visitor.post("/melden/controleren", data={**ANSWERS, "naam": "", "adres": "", "bron": "",
                                                        "csrf": csrf_of(form.text)})
    assert refused.status_code == 422
    assert "Vul een naam of een adres in" in refused.text and "Kies wie u bent" in refused.text
    assert "De post stapelt zich op" in refused.text
    sent = visitor.post("/melden", data={**ANSWERS, "wat": " ", "csrf": csrf_of(form.text)})
    assert sent.status_code == 422 and "Beschrijf wat u zag of hoorde" in sent.text
    assert _signals_of(client) == []


def test_a_report_without_the_forms_csrf_token_is_refused(visitor, client):
    log_in(visitor, "petra")
    refused = visitor.post("/melden", data={**ANSWERS, "csrf": "vervalst"})
    assert refused.status_code == 403 and "Formulier verlopen" in refused.text
    assert _signals_of(client) == []


@pytest.mark.parametrize("role", list(USERS))
def test_the_inbox_and_registration_answer_each_role_as_the_api_does(client, role):
    visitor = pages_client(client)
    log_in(visitor, USERS[role])
    headers = {"Authorization": f"Bearer {TOKENS[role]}"}
    api_inbox = client.get("/api/signals", headers=headers).status_code
    page = visitor.get("/signalen")
    expected = 200 if role in CARE else 403
    assert page.status_code == expected
    if role != "partner":
        assert api_inbox == expected  # a partner's API list is its own reports: the page for it is Mijn meldingen
    else:
        assert "Geen toegang" in page.text
    registration = visitor.get("/huishoudens/nieuw")
    api_register = client.post("/api/households", json={"label": "x", "team": "Wijkteam Noord"}, headers=headers)
    assert registration.status_code == (200 if api_register.status_code == 201 else 403)
    assert visitor.get("/melden").status_code == 200  # everyone may report, as POST /api/signals


def test_a_partner_sees_nothing_but_its_own_reports(client, visitor):
    household_id = register(client)
    signal = report(client)
    log_in(visitor, "petra")
    for address in ("/signalen", f"/signalen/{signal['signal_id']}", "/huishoudens/nieuw",
                    f"/households/{household_id}"):
        response = visitor.get(address)
        assert response.status_code == 403 and "Geen toegang" in response.text, address
        assert "Fam. Jansen" not in response.text


def test_the_inbox_shows_the_teams_signals_new_first_with_the_eropaf_time(client, visitor, signals_worker):
    household_id = register(client)
    seen = report(client, about_name="Fam. Bakker", occurred_at=hours_ago(51))
    report(client, about_name="Fam. Zuidema", team="Wijkteam Zuid")
    fresh = report(client, about_name="Fam. Pieters", urgency="low")
    client.post(f"/api/signals/{seen['signal_id']}/triage", json={"action": "link", "household_id": household_id})
    contact = write(client, household_id, "contacts", {"kind": "eropaf", "summary": "Eropaf",
                                                       "occurred_at": datetime.now(UTC).isoformat()})
    log_in(visitor, "anna")
    inbox = visitor.get(f"/signalen?na={contact['position']}")
    assert inbox.status_code == 200
    text = inbox.text
    assert "Fam. Zuidema" not in text  # another team's signal
    assert text.index("Fam. Pieters") < text.index("Fam. Bakker")  # new first, though less urgent
    assert "2 dagen en 3 uur" in text  # 51 hours from the signal to the visit
    new_only = visitor.get("/signalen?status=new")
    assert "Fam. Pieters" in new_only.text and "Fam. Bakker" not in new_only.text
    high = visitor.get("/signalen?urgentie=high")
    assert "Fam. Bakker" in high.text and "Fam. Pieters" not in high.text
    detail = visitor.get(f"/signalen/{seen['signal_id']}")
    assert detail.status_code == 200 and "2 dagen en 3 uur" in detail.text
    assert visitor.get(f"/signalen/{fresh['signal_id']}").status_code == 200


def test_another_teams_signal_is_refused_in_dutch(client, visitor):
    elsewhere = report(client, team="Wijkteam Zuid")
    log_in(visitor, "anna")
    response = visitor.get(f"/signalen/{elsewhere['signal_id']}")
    assert response.status_code == 403 and "Geen toegang" in response.text
    api = client.get(f"/api/signals/{elsewhere['signal_id']}")
    assert api.status_code == 403


def _triage_page(visitor, signal_id, words=""):
    page = visitor.get(f"/signalen/{signal_id}", params={"zoek": words} if words else None)
    assert page.status_code == 200, page.text
    return page


def _key(html: str, suffix: str) -> str:
    return re.search(rf'name="sleutel" value="([^"]+{suffix})"', html).group(1)


def test_triage_links_a_signal_to_a_household_found_by_its_label(client, visitor, projection_worker):
    household_id = register(client, label="Fam. Jansen")
    register(client, label="Fam. Smit")
    signal = report(client)
    log_in(visitor, "anna")
    page = _triage_page(visitor, signal["signal_id"], "jans")
    assert "Fam. Jansen" in page.text and "Fam. Smit" not in page.text
    linked = visitor.post(f"/signalen/{signal['signal_id']}/koppelen", data={
        "huishouden": household_id, "sleutel": _key(page.text, "-k"), "csrf": csrf_of(page.text)})
    assert linked.status_code == 303 and linked.headers["location"].startswith(f"/households/{household_id}")
    assert client.get(f"/api/signals/{signal['signal_id']}").json()["household_id"] == household_id

    twice = visitor.post(f"/signalen/{signal['signal_id']}/afwijzen", data={
        "reden": "toch niet", "sleutel": "een-andere-sleutel", "csrf": csrf_of(page.text)})
    assert twice.status_code == 409 and "Dit signaal is al beoordeeld" in twice.text


def test_triage_without_a_chosen_household_or_a_reason_is_refused_next_to_the_field(client, visitor):
    signal = report(client)
    log_in(visitor, "anna")
    page = _triage_page(visitor, signal["signal_id"], "niemand")
    assert "Geen lopend huishouden van uw team heet zo" in page.text
    no_household = visitor.post(f"/signalen/{signal['signal_id']}/koppelen",
                                data={"sleutel": _key(page.text, "-k"), "csrf": csrf_of(page.text)})
    assert no_household.status_code == 422 and 'id="huishouden-fout"' in no_household.text
    no_reason = visitor.post(f"/signalen/{signal['signal_id']}/afwijzen",
                             data={"reden": "  ", "sleutel": _key(page.text, "-a"), "csrf": csrf_of(page.text)})
    assert no_reason.status_code == 422 and 'id="reden-fout"' in no_reason.text
    assert "Schrijf op waarom het team dit signaal niet oppakt" in no_reason.text
    assert client.get(f"/api/signals/{signal['signal_id']}").json()["status"] == "new"


def test_triage_dismisses_a_signal_with_its_reason(client, visitor, signals_worker):
    signal = report(client, about_name="Fam. Visser")
    log_in(visitor, "anna")
    page = _triage_page(visitor, signal["signal_id"])
    dismissed = visitor.post(f"/signalen/{signal['signal_id']}/afwijzen", data={
        "reden": "Al bekend bij de schuldhulp", "sleutel": _key(page.text, "-a"), "csrf": csrf_of(page.text)})
    assert dismissed.status_code == 303
    inbox = visitor.get(dismissed.headers["location"])
    assert "Het signaal is afgewezen" in inbox.text and "Fam. Visser" in inbox.text
    seen = client.get(f"/api/signals/{signal['signal_id']}").json()
    assert (seen["status"], seen["dismissal_reason"]) == ("dismissed", "Al bekend bij de schuldhulp")
    assert "Al bekend bij de schuldhulp" in visitor.get(f"/signalen/{signal['signal_id']}").text


def test_triage_registers_a_new_household_from_the_signal(client, visitor):
    signal = report(client, about_name="Fam. Mulder")
    log_in(visitor, "anna")
    form = visitor.get(f"/huishoudens/nieuw?signaal={signal['signal_id']}")
    assert form.status_code == 200 and 'value="Fam. Mulder"' in form.text  # prefilled from the signal
    key = re.search(r'name="sleutel" value="([^"]+)"', form.text).group(1)
    data = {"naam": "Fam. Mulder", "team": "Wijkteam Noord", "intensiteit": "licht", "signaal": signal["signal_id"],
            "sleutel": key, "csrf": csrf_of(form.text)}
    registered = visitor.post("/huishoudens/nieuw", data=data)
    assert registered.status_code == 303
    household_id = registered.headers["location"].split("/households/")[1].split("?")[0]
    seen = client.get(f"/api/signals/{signal['signal_id']}").json()
    assert (seen["status"], seen["household_id"], seen["new_household"]) == ("linked", household_id, True)
    assert visitor.get(registered.headers["location"]).status_code == 200
    again = visitor.post("/huishoudens/nieuw", data=data)  # a double submit: answered from the first
    assert again.headers["location"] == registered.headers["location"]
    data["sleutel"] = "nog-een-keer"
    twice = visitor.post("/huishoudens/nieuw", data=data)
    assert twice.status_code == 409 and "Dit signaal is al beoordeeld" in twice.text


def test_registering_a_household_from_the_form_and_its_refusals(client, visitor):
    log_in(visitor, "anna")
    form = visitor.get("/huishoudens/nieuw")
    assert form.status_code == 200 and "Hoeveel steun is er nu nodig?" in form.text
    refused = visitor.post("/huishoudens/nieuw", data={"naam": "", "team": "Wijkteam Nergens", "intensiteit": "veel",
                                                       "csrf": csrf_of(form.text)})
    assert refused.status_code == 422
    for message in ("Vul een naam in", "Kies het wijkteam", "Kies hoeveel steun"):
        assert message in refused.text
    registered = visitor.post("/huishoudens/nieuw", data={"naam": "Fam. Kok", "team": "Wijkteam Noord",
                                                          "intensiteit": "intensief", "sleutel": "k1",
                                                          "csrf": csrf_of(form.text)})
    assert registered.status_code == 303
    household_id = registered.headers["location"].split("/households/")[1].split("?")[0]
    summary = client.get(f"/api/households/{household_id}").json()
    assert (summary["label"], summary["team"], summary["intensity"]) == ("Fam. Kok", "Wijkteam Noord", "intensief")
    created = [e for e in client.get(f"/api/households/{household_id}/access-log", headers=DIRK).json()["items"]
               if e["action"] == "create"]
    assert [(e["user_id"], e["authorised"], e["care_relationship"], e["route"]) for e in created] == [
        ("anna", True, True, "/huishoudens/nieuw")]
    no_csrf = visitor.post("/huishoudens/nieuw", data={"naam": "Fam. Vals", "team": "Wijkteam Noord",
                                                       "intensiteit": "licht", "csrf": "x"})
    assert no_csrf.status_code == 403


def test_the_inbox_logs_the_linked_households_it_lists_as_the_apis_list(client, visitor, signals_worker):
    household_id = register(client)
    signal = report(client)
    answer = client.post(f"/api/signals/{signal['signal_id']}/triage",
                         json={"action": "link", "household_id": household_id}).json()
    log_in(visitor, "anna")
    assert visitor.get(f"/signalen?na={answer['position']}").status_code == 200
    assert client.get("/api/signals").status_code == 200
    listed = [e for e in client.get(f"/api/households/{household_id}/access-log", headers=DIRK).json()["items"]
              if e["action"] == "read" and e["user_id"] == "anna" and e["route"] in ("/signalen", "/api/signals")]
    page_entry, api_entry = sorted(listed, key=lambda e: e["route"] != "/signalen")
    different = {key for key in page_entry if page_entry[key] != api_entry[key]}
    assert different <= {"route", "at", "seq", "user_agent"}, different
    assert (page_entry["authorised"], page_entry["care_relationship"], page_entry["on_behalf_of"]) == (
        True, True, "Wijkteam Noord")


def test_the_pages_log_every_signal_they_show_as_the_api_does(client, visitor, signals_worker):
    """Issue 12: a signal never linked has no household, and is in the access log all the same."""
    waiting, elsewhere = report(client)["signal_id"], report(client, team="Wijkteam Zuid")["signal_id"]
    log_in(visitor, "anna")
    assert visitor.get(f"/signalen?na={client.app.state.households.recorder.max_notification_id()}").status_code == 200
    assert visitor.get(f"/signalen/{waiting}").status_code == 200
    assert visitor.get(f"/signalen/{elsewhere}").status_code == 403
    log = client.app.state.access_log
    assert [(e["route"], e["authorised"], e["care_relationship"]) for e in log.entries(UUID(waiting))
            if e["user_id"] == "anna"] == [("/signalen", True, True), ("/signalen/{signal_id}", True, True)]
    assert [(e["route"], e["authorised"]) for e in log.entries(UUID(elsewhere)) if e["user_id"] == "anna"] == [
        ("/signalen/{signal_id}", False)]
    log_in(visitor, "petra")  # the partner's own reports, on their page and one by one
    own = report(client)["signal_id"]
    after = client.app.state.households.recorder.max_notification_id()
    assert visitor.get(f"/melden/mijn-meldingen?na={after}").status_code == 200
    assert visitor.get(f"/melden/verstuurd/{own}").status_code == 200
    assert [e["route"] for e in log.entries(UUID(own)) if e["user_id"] == "petra"] == [
        "/melden/mijn-meldingen", "/melden/verstuurd/{signal_id}"]


def test_the_partner_may_not_triage(client, visitor):
    signal = report(client)
    log_in(visitor, "petra")
    form = visitor.get("/melden")
    refused = visitor.post(f"/signalen/{signal['signal_id']}/afwijzen",
                           data={"reden": "weg ermee", "csrf": csrf_of(form.text)})
    assert refused.status_code == 403 and "Geen toegang" in refused.text
    assert client.get(f"/api/signals/{signal['signal_id']}").json()["status"] == "new"


def test_a_partner_of_one_neighbourhood_reports_to_its_team_and_sees_only_its_own_reports(client, signals_worker):
    report(client, about_name="Fam. Van Petra")  # petra's report
    hanna = pages_client(client)
    log_in(hanna, "hanna")  # home care in Wijkteam Centrum
    _, sent = _report_by_form(hanna, {**ANSWERS, "bron": "home_care", "team": "onbekend"})
    assert sent.status_code == 303
    (mine,) = _signals_of(client, "hanna", after=sent.headers["location"].split("na=")[1])
    assert client.app.state.households.get_signal(UUID(mine["signal_id"])).team == "Wijkteam Centrum"
    listed = hanna.get(f"/melden/mijn-meldingen?na={sent.headers['location'].split('na=')[1]}")
    assert "Fam. De Vries" in listed.text and "Fam. Van Petra" not in listed.text
    other = client.get("/api/signals", headers=PETRA).json()["items"][0]["signal_id"]
    assert hanna.get(f"/melden/verstuurd/{other}").status_code == 404  # someone else's report is none of hers


def test_mijn_werk_tells_a_generalist_of_the_teams_new_signals(client, visitor, signals_worker):
    log_in(visitor, "petra")
    _, sent = _report_by_form(visitor)
    _signals_of(client, after=sent.headers["location"].split("na=")[1])  # the inbox has it
    anna = pages_client(client)
    log_in(anna, "anna")
    home = anna.get("/")
    assert "1 nieuw signaal voor Wijkteam Noord, waarvan 1 met spoed" in home.text
    assert 'href="/signalen"' in home.text
    kees = pages_client(client)
    log_in(kees, "kees")  # Zuid: not his team's signal
    assert "nieuw signaal" not in kees.get("/").text
