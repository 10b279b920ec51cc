"""Privacy on the pages (issue 11 §2.10, §2.11): a household's access log (the privacy officer's full view with
the four results; the team's the household's own view), the inzage as a citizen reads it, erasure with a
confirmation step, the privacy officer's overview and Mijn werk, and noodtoegang (the reason first, then every
page flagged and logged). Each page is allowed and logged as the API call it corresponds to."""

from __future__ import annotations

import re

import psycopg
import pytest

from tests.api.support import noon_days_ago, register, write
from tests.api.test_authorisation import TEAM, TOKENS
from tests.web.support import csrf_of, log_in, pages_client
from tests.web.test_page_authorisation import USERS

OFFICER = {"privacy_officer"}
ELSEWHERE = {"generalist_elsewhere", "coordinator_elsewhere", "team_lead_elsewhere"}


@pytest.fixture
def visitor(client):
    return pages_client(client)


def _entries(client, household_id, user=None, routes=()):
    """The household's access-log entries, oldest first, as stored (of `user` on `routes`, when given)."""
    return [e for e in client.app.state.access_log.entries(household_id, limit=None)
            if (user is None or e["user_id"] == user) and (not routes or e["route"] in routes)]


def visible(html: str) -> str:
    """The text a reader sees: no tags (so no link addresses)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _household(client) -> str:
    household_id = register(client, label="Fam. Jansen", occurred_at=noon_days_ago(10))
    write(client, household_id, "assessments", {"scores": {"finances": 2}, "occurred_at": noon_days_ago(9)})
    write(client, household_id, "goals", {"life_domain": "finances", "description": "Schulden in beeld",
                                          "occurred_at": noon_days_ago(9)})
    write(client, household_id, "members", {"name": "Sanne Jansen", "role": "moeder", "occurred_at": noon_days_ago(9)})
    write(client, household_id, "network", {"name": "Henk", "relation": "buurman", "notices_decline": True,
                                            "occurred_at": noon_days_ago(9)})
    write(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Kennismaking aan de keukentafel",
                                             "life_domains": ["finances"], "occurred_at": noon_days_ago(8)})
    return household_id


# ---- the access log ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(USERS))
def test_the_access_log_page_as_the_api_allows_it(client, visitor, role):
    household_id = register(client, team="Wijkteam Noord")
    log_in(visitor, USERS[role])
    page = visitor.get(f"/households/{household_id}/toegangslog")
    api = client.get(f"/api/households/{household_id}/access-log",
                     headers={"Authorization": f"Bearer {TOKENS[role]}"})
    assert page.status_code == api.status_code == (200 if role in TEAM or role in OFFICER else 403)
    latest = _entries(client, household_id, USERS[role], ("/households/{household_id}/toegangslog",
                                                          "/api/households/{household_id}/access-log"))
    # the page and the API each wrote one entry of the same kind: read, allowed or not
    assert [(e["action"], e["authorised"]) for e in latest] == [("read", page.status_code == 200)] * 2
    assert latest[0]["route"] == "/households/{household_id}/toegangslog"


def test_the_privacy_officer_sees_every_access_with_its_four_results_in_dutch(client, visitor):
    household_id = _household(client)
    kees = pages_client(client)
    log_in(kees, "kees")
    assert kees.get(f"/households/{household_id}").status_code == 403  # refused: logged
    log_in(visitor, "dirk")
    page = visitor.get(f"/households/{household_id}/toegangslog")
    assert page.status_code == 200
    text = page.text
    assert "Toegangslog van Fam. Jansen" in text
    assert "kees (generalist): ingezien" in text and "nee, geweigerd" in text  # the refused attempt
    assert "anna (generalist): gewijzigd" in text and "Zorgrelatie" in text and "Toestemming" in text
    assert re.search(r"\w+dag \d{1,2} \w+ \d{4} om \d\d:\d\d", text)  # a Dutch date and local time
    assert "True" not in text and "False" not in text and "None" not in text


def test_the_team_sees_the_households_own_view_without_refused_attempts(client, visitor):
    household_id = _household(client)
    kees = pages_client(client)
    log_in(kees, "kees")
    kees.get(f"/households/{household_id}")
    log_in(visitor, "bram")
    page = visitor.get(f"/households/{household_id}/toegangslog")
    assert page.status_code == 200
    assert "kees" not in page.text and "geweigerd" not in page.text and "Zorgrelatie" not in page.text
    assert "anna (generalist): gewijzigd" in page.text


def test_the_access_log_is_paged_and_its_period_typed_in_dutch(client, visitor):
    household_id = register(client)
    log_in(visitor, "dirk")
    for _ in range(55):
        client.get(f"/api/households/{household_id}")
    first = visitor.get(f"/households/{household_id}/toegangslog")
    assert "pagina 1 van 2" in first.text and "pagina=2" in first.text
    second = visitor.get(f"/households/{household_id}/toegangslog", params={"pagina": "2"})
    assert second.status_code == 200 and "pagina 2 van 2" in second.text
    wrong = visitor.get(f"/households/{household_id}/toegangslog", params={"van": "gisteren"})
    assert wrong.status_code == 422 and "Vul bij &#39;vanaf&#39; een datum in" in wrong.text
    later = visitor.get(f"/households/{household_id}/toegangslog", params={"van": "1-1-2999"})
    assert later.status_code == 200 and "Geen toegang in deze periode" in later.text


def test_an_unknown_household_and_a_wrong_address_are_dutch_404s(client, visitor):
    log_in(visitor, "dirk")
    for path in ("/households/00000000-0000-4000-8000-000000000000/toegangslog", "/households/nope/inzage"):
        page = visitor.get(path)
        assert page.status_code == 404 and "Huishouden niet gevonden" in page.text


# ---- the inzage -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(USERS))
def test_the_inzage_page_as_the_api_allows_the_export(client, visitor, role):
    household_id = register(client, team="Wijkteam Noord")
    log_in(visitor, USERS[role])
    page = visitor.get(f"/households/{household_id}/inzage")
    api = client.get(f"/api/households/{household_id}/export", headers={"Authorization": f"Bearer {TOKENS[role]}"})
    assert page.status_code == api.status_code == (200 if role in TEAM or role in OFFICER else 403)
    latest = _entries(client, household_id, USERS[role], ("/households/{household_id}/inzage",
                                                          "/api/households/{household_id}/export"))
    assert [(e["action"], e["authorised"]) for e in latest] == [("execute", page.status_code == 200)] * 2


def test_the_inzage_is_what_a_citizen_can_read(client, visitor):
    household_id = _household(client)
    log_in(visitor, "anna")
    page = visitor.get(f"/households/{household_id}/inzage")
    assert page.status_code == 200
    text = page.text
    assert "Inzage in het dossier van Fam. Jansen" in text
    assert "Financiën" in text and "2: niet zelfredzaam" in text and "Schulden in beeld" in text
    assert "Huisbezoek" in text and "Kennismaking aan de keukentafel" in text
    assert "Sanne Jansen, moeder" in text and "merkt achteruitgang op: ja" in text
    assert "anna (generalist van het wijkteam): het hele dossier opgevraagd" in text  # this inzage itself, in the log
    assert re.search(r"\w+dag \d{1,2} \w+ \d{4} om \d\d:\d\d", text)
    shown = visible(text)
    for internal in ("originator", "True", "False", "None", household_id, "_id", "finances", "huisbezoek ",
                     "T12:00", "+00:00", "position", "version"):
        assert internal not in shown, internal


def test_the_apis_export_html_is_the_same_dutch_page_and_its_json_unchanged(client):
    household_id = _household(client)
    html = client.get(f"/api/households/{household_id}/export.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Inzage in het dossier van Fam. Jansen" in html.text and "originator" not in html.text
    assert "True" not in html.text and "2: niet zelfredzaam" in html.text
    export = client.get(f"/api/households/{household_id}/export").json()
    assert {"household_id", "events", "timeline", "plan", "access_log"} <= set(export)
    assert "originator_topic" in export["events"][0]["fields"]  # the JSON keeps everything


# ---- erasure ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in USERS if r != "privacy_officer"])
def test_only_the_privacy_officer_may_open_or_send_the_erasure(client, visitor, role):
    household_id = register(client, team="Wijkteam Noord")
    log_in(visitor, USERS[role])
    form = visitor.get(f"/households/{household_id}/vernietigen")
    assert form.status_code == 403 and "Noodtoegang" not in form.text  # no emergency access to an erasure
    home = visitor.get("/")
    sent = visitor.post(f"/households/{household_id}/vernietigen",
                        data={"csrf": csrf_of(home.text), "reden": "Verzoek", "naam": "Fam. Jansen"})
    assert sent.status_code == 403
    assert client.get(f"/api/households/{household_id}").json()["label"] == "Fam. Jansen"  # nothing erased
    refused = _entries(client, household_id, USERS[role], ("/households/{household_id}/vernietigen",))
    assert [(e["action"], e["authorised"]) for e in refused] == [("read", False), ("delete", False)]


def test_erasure_asks_for_the_reason_and_the_name_first_and_then_erases(client, visitor):
    household_id = _household(client)
    log_in(visitor, "dirk")
    form = visitor.get(f"/households/{household_id}/vernietigen")
    assert form.status_code == 200 and "Dit kan niet ongedaan worden gemaakt" in form.text
    assert "Typ ter bevestiging de naam van het huishouden" in form.text
    token, key = csrf_of(form.text), re.search(r'name="sleutel" value="([^"]+)"', form.text).group(1)
    empty = visitor.post(f"/households/{household_id}/vernietigen", data={"csrf": token, "sleutel": key})
    assert empty.status_code == 422 and "Vul de reden in" in empty.text
    assert "Typ ter bevestiging de naam van het huishouden over." in empty.text
    wrong = visitor.post(f"/households/{household_id}/vernietigen",
                         data={"csrf": token, "sleutel": key, "reden": "Verzoek van betrokkene", "naam": "Fam. Jans"})
    assert wrong.status_code == 422 and "Typ de naam van het huishouden precies over: Fam. Jansen." in wrong.text
    assert "Verzoek van betrokkene" in wrong.text  # what was typed is kept
    assert client.get(f"/api/households/{household_id}").status_code == 200  # nothing erased yet
    without_csrf = visitor.post(f"/households/{household_id}/vernietigen",
                                data={"sleutel": key, "reden": "Verzoek van betrokkene", "naam": "Fam. Jansen"})
    assert without_csrf.status_code == 403 and "Formulier verlopen" in without_csrf.text
    done = visitor.post(f"/households/{household_id}/vernietigen",
                        data={"csrf": token, "sleutel": key, "reden": "Verzoek van betrokkene", "naam": "fam.  jansen"})
    assert done.status_code == 303 and done.headers["location"] == f"/households/{household_id}/vernietigd"
    result = visitor.get(done.headers["location"])
    assert result.status_code == 200 and "Het dossier is vernietigd" in result.text
    export = client.get(f"/api/households/{household_id}/export", headers={"Authorization": "Bearer dev-dirk"})
    assert export.json()["status"] == "forgotten" and "Sanne" not in export.text
    again = visitor.post(f"/households/{household_id}/vernietigen",
                         data={"csrf": token, "sleutel": key, "reden": "Verzoek van betrokkene", "naam": "x"})
    assert again.status_code == 303  # a second send: it was done
    assert "al vernietigd" in visitor.get(f"/households/{household_id}/vernietigen").text
    erased = _entries(client, household_id, "dirk", ("/households/{household_id}/vernietigen",))
    assert [e["action"] for e in erased][:2] == ["read", "delete"]


# ---- the privacy officer's overview and Mijn werk ---------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in USERS if r != "privacy_officer"])
def test_the_privacy_page_is_the_privacy_officers(client, visitor, role):
    log_in(visitor, USERS[role])
    page = visitor.get("/privacy")
    assert page.status_code == 403 and "privacyfunctionaris" in page.text


def test_the_privacy_officer_reviews_an_emergency_access_and_sees_integrity_and_retention(client, visitor):
    household_id = _household(client)
    client.get(f"/api/households/{household_id}", headers={"Authorization": "Bearer dev-kees",
                                                            "X-Emergency-Access": "Politie belt, acute zorg"})
    closed = register(client, label="Fam. Oud", occurred_at=noon_days_ago(6 * 366))
    write(client, closed, "closure", {"reason_code": "goals_achieved", "occurred_at": noon_days_ago(5 * 366 + 2)})
    log_in(visitor, "dirk")
    home = visitor.get("/")
    assert home.status_code == 200
    assert "1</strong> keer noodtoegang wacht op uw beoordeling, het laatst bij Fam. Jansen" in home.text
    assert "1</strong> dossier is over de bewaartermijn" in home.text
    assert "niet gecontroleerd" in home.text  # Mijn werk does not walk every event itself
    page = visitor.get("/privacy")
    assert page.status_code == 200 and "In orde:" in page.text
    assert "In orde:" in visitor.get("/").text  # as the privacy page checked it, a moment ago
    assert "Noodtoegang door kees (Wijkteam Zuid): Politie belt, acute zorg" in page.text
    assert f"/households/{household_id}/toegangslog" in page.text
    assert "Fam. Oud" in page.text and f"/households/{closed}/vernietigen" in page.text
    notification = re.search(r'action="/privacy/noodtoegang/([^/]+)/beoordeeld"', page.text).group(1)
    reviewed = visitor.post(f"/privacy/noodtoegang/{notification}/beoordeeld", data={"csrf": csrf_of(page.text)})
    assert reviewed.status_code == 303
    after = visitor.get(reviewed.headers["location"])
    assert "als beoordeeld gemarkeerd" in after.text and "geen noodtoegang die u nog moet beoordelen" in after.text
    unknown = visitor.post("/privacy/noodtoegang/00000000-0000-4000-8000-000000000000/beoordeeld",
                           data={"csrf": csrf_of(page.text)})
    assert unknown.status_code == 404 and "Melding niet gevonden" in unknown.text
    listed = [e for e in _entries(client, household_id, "dirk") if e["route"] == "/privacy"]
    assert listed and listed[0]["action"] == "read"  # what the page named, logged as a list


# ---- noodtoegang ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(ELSEWHERE))
def test_outside_the_team_the_403_page_asks_the_reason_for_emergency_access(client, visitor, role):
    household_id = register(client, team="Wijkteam Noord")
    log_in(visitor, USERS[role])
    refused = visitor.get(f"/households/{household_id}")
    assert refused.status_code == 403 and "Noodtoegang" in refused.text and 'name="reden"' in refused.text
    empty = visitor.post(f"/households/{household_id}/noodtoegang",
                         data={"csrf": csrf_of(refused.text), "reden": "  ", "volgende": f"/households/{household_id}"})
    assert empty.status_code == 422 and "Vul de reden in" in empty.text
    assert visitor.get(f"/households/{household_id}").status_code == 403  # still refused: no reason given


@pytest.mark.parametrize("role", ["privacy_officer", "administrator", "partner"])
def test_no_emergency_access_for_who_is_no_care_worker(client, visitor, role):
    household_id = register(client, team="Wijkteam Noord")
    log_in(visitor, USERS[role])
    refused = visitor.get(f"/households/{household_id}")
    assert refused.status_code == 403 and 'name="reden"' not in refused.text
    home = visitor.get("/")
    if role == "partner":
        return  # a partner's Mijn werk has no form to take a token from; the page refused already
    sent = visitor.post(f"/households/{household_id}/noodtoegang", data={"csrf": csrf_of(home.text), "reden": "Nood"})
    assert sent.status_code == 403 and "waakvlam_nood" not in sent.headers.get("set-cookie", "")


def test_emergency_access_is_logged_with_its_reason_told_and_shown_on_every_page(client, visitor):
    household_id = _household(client)
    log_in(visitor, "kees")
    refused = visitor.get(f"/households/{household_id}/contact")
    reason = "Politie belt over acute zorg om de kinderen; regisseur onbereikbaar"
    opened = visitor.post(f"/households/{household_id}/noodtoegang", data={
        "csrf": csrf_of(refused.text), "reden": reason, "volgende": f"/households/{household_id}/contact"})
    assert opened.status_code == 303 and opened.headers["location"] == f"/households/{household_id}/contact"
    contact = visitor.get(opened.headers["location"])
    assert contact.status_code == 200 and "Noodtoegang." in contact.text and reason in contact.text
    page = visitor.get(f"/households/{household_id}")
    assert page.status_code == 200 and "U ziet het dossier met noodtoegang" in page.text
    entries = _entries(client, household_id, "kees")
    assert [(e["route"], e["authorised"], e["emergency"]) for e in entries] == [
        ("/households/{household_id}/contact", False, False),
        ("/households/{household_id}/contact", True, True), ("/households/{household_id}", True, True)]
    assert {e["emergency_reason"] for e in entries if e["emergency"]} == {reason}
    told = client.get("/api/notifications", headers={"Authorization": "Bearer dev-dirk"}).json()["items"]
    assert [(n["kind"], n["household_id"]) for n in told] == [("emergency_access", household_id)]  # once a day
    other = register(client, label="Fam. Ander")
    assert visitor.get(f"/households/{other}").status_code == 403  # the reason opens only this household
    ended = visitor.post(f"/households/{household_id}/noodtoegang/beeindigen", data={"csrf": csrf_of(page.text)})
    assert ended.status_code == 303
    assert visitor.get(f"/households/{household_id}").status_code == 403  # ended: refused again


def test_a_forged_or_foreign_emergency_cookie_opens_nothing(client, visitor):
    household_id = _household(client)
    log_in(visitor, "kees")
    refused = visitor.get(f"/households/{household_id}")
    visitor.post(f"/households/{household_id}/noodtoegang", data={"csrf": csrf_of(refused.text), "reden": "Nood"})
    cookie = visitor.cookies.get("waakvlam_nood")
    assert cookie
    until, encoded, signature = cookie.split(".")
    visitor.cookies.set("waakvlam_nood", f"{until}.{encoded}X.{signature}", path=f"/households/{household_id}")
    assert visitor.get(f"/households/{household_id}").status_code == 403
    ingrid = pages_client(client)
    log_in(ingrid, "ingrid")  # another session: kees's cookie is not hers
    ingrid.cookies.set("waakvlam_nood", cookie, path=f"/households/{household_id}")
    assert ingrid.get(f"/households/{household_id}").status_code == 403


def test_the_household_page_links_to_its_access_log_and_inzage(client, visitor):
    household_id = register(client)
    log_in(visitor, "anna")
    page = visitor.get(f"/households/{household_id}")
    for path in ("toegangslog", "inzage"):
        assert f'href="/households/{household_id}/{path}"' in page.text
        assert visitor.get(f"/households/{household_id}/{path}").status_code == 200  # the link opens


def test_the_privacy_officer_refused_the_case_file_is_shown_the_way_to_its_log(client, visitor):
    household_id = register(client)
    log_in(visitor, "dirk")
    page = visitor.get(f"/households/{household_id}")
    assert page.status_code == 403 and 'name="reden"' not in page.text
    assert f'href="/households/{household_id}/toegangslog"' in page.text


def test_a_tampered_access_log_is_shown_not_in_order_on_the_privacy_page(client, visitor, settings):
    household_id = register(client)
    for _ in range(3):
        client.get(f"/api/households/{household_id}")
    client.app.state.access_log.flush()
    log_in(visitor, "dirk")
    assert "In orde:" in visitor.get("/privacy").text
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(f'ALTER TABLE "{settings.postgres_schema}".access_log DISABLE TRIGGER USER')
        conn.execute(f'UPDATE "{settings.postgres_schema}".access_log SET user_id = %s WHERE seq = 2', ("x",))
    again = visitor.get("/privacy", params={"opnieuw": "1"})
    assert again.status_code == 200 and "Niet in orde." in again.text
    assert "Het toegangslog is verbroken bij regel 2 (gewijzigd)" in again.text


def test_the_privacy_officer_makes_a_signed_checkpoint_from_the_page(client, visitor, chain_worker, settings):
    household_id = _household(client)
    chain_worker.wait(client.app.state.households.recorder.max_notification_id(), timeout=30)
    log_in(visitor, "dirk")
    page = visitor.get("/privacy")
    assert "Er is nog geen ondertekend controlepunt" in page.text
    made = visitor.post("/privacy/controlepunt", data={"csrf": csrf_of(page.text)})
    assert made.status_code == 303 and made.headers["location"] == "/privacy?controlepunt=gemaakt#integriteit"
    after = visitor.get(made.headers["location"])
    assert "Het controlepunt is gemaakt" in after.text and "Laatste ondertekende controlepunt" in after.text
    (written,) = settings.checkpoint_dir.glob("checkpoint-*.json")
    assert f"tot en met positie {written.name.split('-')[-2].lstrip('0')}" in after.text
    assert "Controlepunt gemaakt" in visitor.get("/meldingen").text  # her notification, linking to /privacy
    assert visitor.post("/privacy/controlepunt", data={"csrf": "vals"}).status_code in (400, 403)
    log_in(visitor, "bram")
    refused = visitor.post("/privacy/controlepunt", data={"csrf": csrf_of(visitor.get("/").text)})
    assert refused.status_code == 403 and household_id
    assert len(list(settings.checkpoint_dir.glob("checkpoint-*.json"))) == 1
