"""The pages on the server (web/, issue 11): login and the return to the page one asked for, CSRF, the
household page's authorisation and NEN 7513 entry, Mijn werk, and recording a contact from a form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from tests.api.support import UNKNOWN_HOUSEHOLD, days_from_today, noon_days_ago, register, summary, today, write
from tests.web.support import csrf_of, log_in, pages_client
from waakvlam.mail import dutch_date
from web.sessions import LOGIN_COOKIE, SESSION_COOKIE

DIRK = {"Authorization": "Bearer dev-dirk"}


@pytest.fixture
def visitor(client):
    return pages_client(client)


def test_a_page_without_a_session_redirects_to_the_login_page_and_back_after_logging_in(client, visitor):
    household_id = register(client)
    asked = visitor.get(f"/households/{household_id}")
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/inloggen?volgende=/households/{household_id}"

    response = log_in(visitor, "anna", volgende=f"/households/{household_id}")

    assert response.status_code == 303 and response.headers["location"] == f"/households/{household_id}"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=wvs_" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # only behind TLS (WAAKVLAM_HSTS)
    page = visitor.get(f"/households/{household_id}")
    assert page.status_code == 200 and "Fam. Jansen" in page.text and "Contact vastleggen" in page.text
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy and "frame-ancestors 'none'" in policy


def test_the_home_page_redirects_to_login_and_only_to_a_path_of_this_server(visitor):
    assert visitor.get("/").headers["location"] == "/inloggen"
    for elsewhere in ("https://evil.example.org/", "//evil.example.org/", "/\\evil.example.org"):
        response = log_in(visitor, "anna", volgende=elsewhere)
        assert response.status_code == 303 and response.headers["location"] == "/"


def test_the_session_cookie_is_secure_behind_tls(settings):
    from fastapi.testclient import TestClient

    from api.main import create_app

    with TestClient(create_app(settings.model_copy(update={"hsts": True})), follow_redirects=False) as secured:
        secured.app.state.accounts.ensure_demo_accounts()
        response = log_in(secured, "anna")
        assert "Secure" in response.headers["set-cookie"]
    with TestClient(create_app(settings), base_url="https://wijkteam.example", follow_redirects=False) as https:
        https.app.state.accounts.ensure_demo_accounts()
        assert "Secure" in log_in(https, "anna").headers["set-cookie"]  # over https, HSTS or not


def test_login_errors_are_in_dutch_next_to_the_field_and_at_the_top(visitor):
    empty = log_in(visitor, "", password="")
    assert empty.status_code == 422
    assert "Vul uw gebruikersnaam in." in empty.text and "Vul uw wachtwoord in." in empty.text
    assert 'href="#gebruikersnaam"' in empty.text  # the summary links to the field
    assert 'aria-describedby="gebruikersnaam-fout"' in empty.text and 'id="gebruikersnaam-fout"' in empty.text

    wrong = log_in(visitor, "anna", password="niet-goed")
    assert wrong.status_code == 401
    assert "De gebruikersnaam of het wachtwoord klopt niet." in wrong.text
    assert 'value="anna"' in wrong.text and SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


def test_a_form_without_its_csrf_token_is_refused(client, visitor):
    form = visitor.get("/inloggen")
    refused = visitor.post("/inloggen", data={"gebruikersnaam": "anna", "wachtwoord": "waakvlam-demo",
                                              "csrf": "vals", "volgende": "/"})
    assert refused.status_code == 403 and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert LOGIN_COOKIE in form.headers["set-cookie"]

    household_id = register(client)
    log_in(visitor, "anna")
    page = visitor.get(f"/households/{household_id}/contact")
    fields = {"soort": "huisbezoek", "wat": "Post doorgenomen", "sleutel": str(uuid4())}
    for token in (None, "vals", csrf_of(page.text)[:-1] + "x"):
        data = fields if token is None else {**fields, "csrf": token}
        response = visitor.post(f"/households/{household_id}/contact", data=data)
        assert response.status_code == 403 and "Formulier verlopen" in response.text
    assert summary(client, household_id)["last_contact_at"] is None  # nothing was recorded

    logout = visitor.post("/uitloggen", data={"csrf": "vals"})
    assert logout.status_code == 403
    assert visitor.get("/").status_code == 200  # still logged in


def test_logging_out_ends_the_session(visitor):
    log_in(visitor, "anna")
    home = visitor.get("/")
    token = visitor.cookies[SESSION_COOKIE]
    response = visitor.post("/uitloggen", data={"csrf": csrf_of(home.text)})
    assert response.status_code == 303 and response.headers["location"] == "/inloggen?uitgelogd=1"
    assert visitor.get("/").status_code == 303
    visitor.cookies.set(SESSION_COOKIE, token)  # the old cookie, kept: the session has ended on the server
    assert visitor.get("/").status_code == 303


def test_a_demo_token_in_the_cookie_is_no_session(visitor):
    visitor.cookies.set(SESSION_COOKIE, "dev-anna")
    assert visitor.get("/").status_code == 303


def _log(client, household_id: str) -> list[dict]:
    response = client.get(f"/api/households/{household_id}/access-log", headers=DIRK)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_the_household_page_is_authorised_and_logged_as_the_api_read_is(client, visitor):
    household_id = register(client)
    log_in(visitor, "anna")
    assert visitor.get(f"/households/{household_id}").status_code == 200
    client.get(f"/api/households/{household_id}")  # the API's read, to compare with

    page_read, api_read = [e for e in _log(client, household_id) if e["action"] == "read" and e["user_id"] == "anna"]
    assert page_read["route"] == "/households/{household_id}"
    different = {key for key in page_read if page_read[key] != api_read[key]}
    assert different <= {"route", "at", "seq", "user_agent"}, different
    assert (page_read["authorised"], page_read["care_relationship"], page_read["on_behalf_of"]) == (
        True, True, "Wijkteam Noord")


def test_another_team_gets_a_dutch_403_page_and_the_refusal_is_logged(client, visitor):
    household_id = register(client)
    log_in(visitor, "kees")  # Wijkteam Zuid
    response = visitor.get(f"/households/{household_id}")
    assert response.status_code == 403 and "Geen toegang" in response.text and "Fam. Jansen" not in response.text
    refused = [e for e in _log(client, household_id) if e["user_id"] == "kees"]
    assert [(e["action"], e["authorised"], e["route"]) for e in refused] == [
        ("read", False, "/households/{household_id}")]


@pytest.mark.parametrize("user", ["dirk", "petra", "admin"])
def test_roles_without_access_to_the_file_get_403_on_the_household_page(client, visitor, user):
    household_id = register(client)
    log_in(visitor, user)
    assert visitor.get(f"/households/{household_id}").status_code == 403
    home = visitor.get("/")
    assert home.status_code == 200 and "Fam. Jansen" not in home.text


def test_an_unknown_household_is_a_dutch_404_page(visitor):
    log_in(visitor, "anna")
    for address in (f"/households/{UNKNOWN_HOUSEHOLD}", "/households/geen-id"):
        response = visitor.get(address)
        assert response.status_code == 404 and "Huishouden niet gevonden" in response.text


def test_the_household_page_shows_the_plan_and_the_timeline_newest_first(client, visitor, plan_worker,
                                                                         timeline_worker):
    household_id = register(client)
    write(client, household_id, "assessments", {"scores": {"finances": 2}})
    goal = write(client, household_id, "goals", {"life_domain": "finances", "description": "Schulden in beeld"})
    write(client, household_id, "agreements", {"goal_id": goal["item_id"], "who": "Sanne", "what": "Post openen"})
    last = write(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Post doorgenomen"})
    log_in(visitor, "anna")

    page = visitor.get(f"/households/{household_id}", params={"na": last["position"]}).text

    assert "Financiën" in page and "ZRM-score <strong>2</strong>" in page and "Schulden in beeld" in page
    assert "Post openen" in page
    timeline = page[page.index('id="tijdlijn"'):]
    assert timeline.index("Huisbezoek vastgelegd") < timeline.index("ZRM-meting") < timeline.index("aangemeld bij")
    assert re.search(r"(maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag) \d+ \w+ 20\d\d", page)


def test_mijn_werk_lists_the_team_households_overdue_first(client, visitor, projection_worker):
    first = register(client, label="Fam. Eerst")
    second = register(client, label="Fam. Tweede", intensity="crisis")  # due in 2 days: sooner
    last = write(client, second, "contacts", {"kind": "telefonisch"})
    projection_worker.wait(last["position"], timeout=10)
    log_in(visitor, "anna")
    home = visitor.get("/")
    assert home.status_code == 200 and "Mijn werk" in home.text
    assert home.text.index("Fam. Tweede") < home.text.index("Fam. Eerst")
    assert f"/households/{first}" in home.text
    listed = [e for e in _log(client, first) if e["user_id"] == "anna" and e["route"] == "/"]
    assert listed and listed[0]["action"] == "read"


def test_recording_a_contact_from_the_form_records_once_and_shows_it(client, visitor, timeline_worker, plan_worker):
    household_id = register(client)
    check_in = summary(client, household_id)["next_check_in"]
    log_in(visitor, "anna")
    form = visitor.get(f"/households/{household_id}/contact")
    assert form.status_code == 200 and 'name="sleutel"' in form.text
    key = re.search(r'name="sleutel" value="([^"]+)"', form.text).group(1)
    data = {"csrf": csrf_of(form.text), "sleutel": key, "soort": "huisbezoek", "wat": "Post doorgenomen",
            "wanneer": re.search(r'name="wanneer" value="([^"]+)"', form.text).group(1),
            "standaard": re.search(r'name="standaard" value="([^"]+)"', form.text).group(1)}

    first = visitor.post(f"/households/{household_id}/contact", data=data)
    again = visitor.post(f"/households/{household_id}/contact", data=data)  # a double tap, or a resend

    assert first.status_code == 303 and again.headers["location"] == first.headers["location"]
    page = visitor.get(first.headers["location"])
    assert "Het contact is vastgelegd." in page.text and "Post doorgenomen" in page.text
    contacts = [e for e in client.get(f"/api/households/{household_id}/timeline").json()["items"]
                if e["kind"] == "ContactRecorded"]
    assert len(contacts) == 1
    assert summary(client, household_id)["next_check_in"] == check_in  # not ticked: the check-in stays open


def test_a_contact_form_with_errors_is_shown_again_in_dutch_with_what_was_typed(client, visitor):
    household_id = register(client)
    log_in(visitor, "anna")
    form = visitor.get(f"/households/{household_id}/contact")
    response = visitor.post(f"/households/{household_id}/contact", data={
        "csrf": csrf_of(form.text), "sleutel": str(uuid4()), "wat": "Gebeld, niet opgenomen",
        "wanneer": "2999-01-01T10:00"})
    assert response.status_code == 422
    assert "Kies wat voor contact het was." in response.text and "in de toekomst" in response.text
    assert "Gebeld, niet opgenomen" in response.text


def test_a_contact_can_complete_the_check_in_that_is_due(client, visitor):
    household_id = register(client, intensity="crisis")  # due in two days: completed unless unticked
    check_in = summary(client, household_id)["next_check_in"]
    log_in(visitor, "anna")
    form = visitor.get(f"/households/{household_id}/contact")
    assert re.search(r'name="afronden" value="[^"]+" checked', form.text)
    response = visitor.post(f"/households/{household_id}/contact", data={
        "csrf": csrf_of(form.text), "sleutel": str(uuid4()), "soort": "telefonisch", "afronden": check_in["id"]})
    assert response.status_code == 303
    assert summary(client, household_id)["next_check_in"]["id"] != check_in["id"]


def test_a_late_check_in_says_how_late_on_mijn_werk_and_the_household_page(client, visitor, projection_worker):
    on_time = register(client, label="Fam. Op Tijd", intensity="crisis")
    late = register(client, label="Fam. Laat", occurred_at=noon_days_ago(20))  # licht: due 14 days later
    assert summary(client, late)["next_check_in"]["due"] == days_from_today(-6)
    projection_worker.wait(write(client, on_time, "contacts", {"kind": "telefonisch"})["position"], timeout=10)
    log_in(visitor, "anna")

    home = visitor.get("/").text
    assert home.index("Fam. Laat") < home.index("Fam. Op Tijd")  # overdue first
    assert "6 dagen over tijd" in home
    page = visitor.get(f"/households/{late}").text
    assert "6 dagen over tijd" in page and dutch_date(today() - timedelta(days=6)) in page


def test_the_stylesheets_and_fonts_are_served_by_this_server_and_cached(visitor):
    for path in ("/static/waakvlam.css", "/static/vendor/utrecht.css", "/static/vendor/voorbeeld-theme.css",
                 "/static/vendor/fonts/noto-sans-latin-400-normal.woff2"):
        response = visitor.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "public, max-age=3600"
    page = visitor.get("/inloggen").text
    assert "http://" not in page and "https://" not in page  # nothing from another server


def test_an_expired_session_returns_to_the_page_after_logging_in_again(client, visitor, settings):
    import psycopg

    household_id = register(client)
    log_in(visitor, "anna")
    assert visitor.get(f"/households/{household_id}").status_code == 200
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(f'UPDATE "{settings.postgres_schema}".account_sessions SET expires_at = %s',
                     (datetime.now(UTC) - timedelta(seconds=1),))  # the sessions' clock is ours, not PostgreSQL's
    client.app.state.accounts.session_recheck = 0  # as when the page comes after the recheck interval

    expired = visitor.get(f"/households/{household_id}")

    assert expired.status_code == 303
    assert expired.headers["location"] == f"/inloggen?volgende=/households/{household_id}"
    again = log_in(visitor, "anna", volgende=f"/households/{household_id}")
    assert again.headers["location"] == f"/households/{household_id}"


def test_too_many_wrong_passwords_are_refused_for_a_while_in_dutch(visitor):
    for _ in range(5):
        assert log_in(visitor, "anna", password="fout").status_code == 401
    limited = log_in(visitor, "anna")  # the right password, too late
    assert limited.status_code == 429 and "Te vaak een verkeerd wachtwoord" in limited.text
    assert int(limited.headers["retry-after"]) > 0


def test_a_mistyped_address_is_a_dutch_page_for_a_browser_and_problem_json_for_the_api(client, visitor):
    log_in(visitor, "anna")
    page = visitor.get("/bestaat-niet", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Pagina niet gevonden" in page.text and 'href="/huishoudens"' in page.text  # the menu, signed in
    wrong_method = visitor.put("/huishoudens", headers={"Accept": "text/html"})
    assert wrong_method.status_code == 405 and "Dit kan hier niet" in wrong_method.text
    api = client.get("/api/bestaat-niet", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert client.get("/bestaat-niet").headers["content-type"] == "application/problem+json"  # no browser
