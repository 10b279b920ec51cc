"""Planning, Meldingen and the team lead's Mijn werk on the pages (issue 11 §2.8, §2.9, §2.1): the schedule as the
API reads it (its scope, its filters, overdue first, how late in Dutch, logged as the API's list), wrong filters a
Dutch 400; the calendar link renewed (the old address stops working) and revoked; notifications marked read one by
one or all at once; a team lead's figures with their links to the planning and the signal inbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.api.support import noon_days_ago, register, write
from tests.api.test_authorisation import TOKENS
from tests.api.test_signals import report
from tests.web.support import csrf_of, log_in, pages_client
from tests.web.test_page_authorisation import USERS

TEAM = "Wijkteam Noord"
CARE = {"generalist", "coordinator", "team_lead", "generalist_elsewhere", "coordinator_elsewhere",
        "team_lead_elsewhere"}
SIGNAL = {"source": "woningcorporatie", "description": "Huurachterstand van drie maanden",
          "life_domains": ["housing"], "urgency": "high"}
FEED = re.compile(r'id="agendalink"[^>]*>([^<]+)</textarea>')


@pytest.fixture
def visitor(client):
    return pages_client(client)


def _scene(client, schedule_worker) -> dict[str, str]:
    """Fam. Laat due 8 days ago (bram), Fam. Binnenkort due in 11 days and Fam. Ver in 42 (no coordinator)."""
    late = register(client, "Fam. Laat", TEAM, intensity="waakvlam", occurred_at=noon_days_ago(50))
    soon = register(client, "Fam. Binnenkort", TEAM, intensity="licht", occurred_at=noon_days_ago(3))
    far = register(client, "Fam. Ver", TEAM, intensity="waakvlam")
    position = write(client, late, "coordinator", {"coordinator": "bram"})["position"]
    schedule_worker.wait(position, timeout=20)
    return {"late": late, "soon": soon, "far": far}


def _labels(html: str) -> list[str]:
    return re.findall(r'<a class="utrecht-link" href="/households/[0-9a-f-]+">([^<]+)</a>', html)


def test_the_planning_shows_overdue_first_how_late_in_dutch_and_is_logged_as_the_apis_list(client, visitor,
                                                                                           schedule_worker):
    scene = _scene(client, schedule_worker)
    log_in(visitor, "anna")
    page = visitor.get("/planning")
    assert page.status_code == 200
    assert _labels(page.text) == ["Fam. Laat", "Fam. Binnenkort"]  # overdue first; Fam. Ver is 42 days away
    assert "8 dagen over tijd" in page.text and "(over 11 dagen)" in page.text
    assert "Te laat (1)" in page.text and "Binnen 14 dagen (1)" in page.text
    assert f'href="/households/{scene["late"]}"' in page.text and "bram" in page.text
    assert "na registratie" in page.text  # why the check-in was planned, in Dutch

    api = client.get("/api/schedule")  # anna's own read of the same list, to compare the log entries
    assert [item["label"] for item in api.json()["items"]] == ["Fam. Laat", "Fam. Binnenkort"]
    entries = [e for e in client.app.state.access_log.entries(scene["late"], limit=None) if e["user_id"] == "anna"]
    page_read, api_read = [e for e in entries if e["route"] in ("/planning", "/api/schedule")]
    assert page_read["route"] == "/planning" and set(map(str, page_read["listed"])) == {scene["late"], scene["soon"]}
    different = {key for key in page_read if page_read[key] != api_read[key]}
    assert different <= {"route", "at", "seq", "user_agent", "hash"}, different
    assert not [e for e in client.app.state.access_log.entries(scene["far"], limit=None)
                if e["route"] == "/planning"]  # a household the page did not show is not in its entry


def test_the_planning_filters_by_coordinator_and_days(client, visitor, schedule_worker):
    _scene(client, schedule_worker)
    log_in(visitor, "carla")
    assert _labels(visitor.get("/planning?coordinator=bram").text) == ["Fam. Laat"]
    assert _labels(visitor.get("/planning?within_days=0").text) == ["Fam. Laat"]  # overdue is always shown
    assert _labels(visitor.get("/planning?within_days=7").text) == ["Fam. Laat"]
    assert _labels(visitor.get("/planning?within_days=30").text) == ["Fam. Laat", "Fam. Binnenkort"]
    longer = visitor.get("/planning?within_days=60")  # any number of days the API takes, not only the choices
    assert _labels(longer.text) == ["Fam. Laat", "Fam. Binnenkort", "Fam. Ver"]
    assert '<option value="60" selected>60 dagen</option>' in longer.text
    assert _labels(visitor.get("/planning?team=Wijkteam+Noord&within_days=30").text) == ["Fam. Laat",
                                                                                         "Fam. Binnenkort"]
    mine = visitor.get("/planning?coordinator=carla")
    assert mine.status_code == 200 and _labels(mine.text) == [] and "Geen waakvlamcontacten te laat" in mine.text
    log_in(visitor, "bram")  # a coordinator's own households, in whichever team
    own = visitor.get("/planning?coordinator=bram")
    assert _labels(own.text) == ["Fam. Laat"] and "waarvan u regisseur bent" in own.text


def test_the_planning_reads_ones_own_write_with_na(client, visitor, schedule_worker):
    log_in(visitor, "anna")
    late = register(client, "Fam. Net", TEAM, intensity="waakvlam", occurred_at=noon_days_ago(43))
    position = write(client, late, "coordinator", {"coordinator": "bram"})["position"]
    page = visitor.get(f"/planning?na={position}")  # no waiting in the test: the page waits, as the API's `after`
    assert _labels(page.text) == ["Fam. Net"] and "1 dag over tijd" in page.text
    assert "nog niet helemaal bij" not in page.text
    assert visitor.get("/planning?na=morgen").status_code == 200  # not a position: nothing to wait for


@pytest.mark.parametrize(("query", "message"), [
    ("within_days=367", "Kies een termijn uit de lijst"),
    ("within_days=veertien", "Kies een termijn uit de lijst"),
    ("within_days=-1", "Kies een termijn uit de lijst"),
    ("within_days=1e3", "Kies een termijn uit de lijst"),
    ("coordinator=" + "x" * 101, "Gebruik hoogstens 100 tekens"),
    ("coordinator=bram%00", "Gebruik hoogstens 100 tekens"),
    ("cursor=niet-een-cursor", "Deze pagina bestaat niet (meer)"),
    ("cursor=" + "A" * 201, "Deze pagina bestaat niet (meer)"),
])
def test_a_wrong_filter_is_a_dutch_400_next_to_its_field(client, visitor, query, message):
    log_in(visitor, "anna")
    page = visitor.get(f"/planning?{query}")
    assert page.status_code == 400 and message in page.text
    assert "Er is iets niet goed gegaan" in page.text and 'role="alert"' in page.text
    api = client.get(f"/api/schedule?{query}")
    assert api.status_code in (400, 422)  # the API refuses the same filters


def _refusals(settings, user: str) -> list[tuple]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return conn.execute(f'SELECT route, authorised FROM "{settings.postgres_schema}".access_log'
                            " WHERE user_id = %s AND household_id IS NULL AND NOT authorised ORDER BY seq",
                            (user,)).fetchall()


@pytest.mark.parametrize("role", list(USERS))
def test_the_planning_answers_each_role_as_the_apis_schedule(client, settings, role):
    visitor = pages_client(client)
    log_in(visitor, USERS[role])
    api = client.get("/api/schedule", headers={"Authorization": f"Bearer {TOKENS[role]}"})
    page = visitor.get("/planning")
    assert page.status_code == api.status_code == (200 if role in CARE else 403)
    if role not in CARE:
        assert "Geen toegang" in page.text and "Agendalink" not in page.text
    if role in ("privacy_officer", "administrator"):  # refused by the list's scope, and logged: page and API alike
        client.app.state.access_log.flush()
        assert [route for route, _ in _refusals(settings, USERS[role])] == ["/api/schedule", "/planning"]


def test_another_teams_planning_is_refused_as_the_api_refuses_it(client, visitor, settings):
    log_in(visitor, "anna")
    page = visitor.get("/planning?team=Wijkteam+Zuid")
    assert page.status_code == 403 and "Geen toegang" in page.text
    assert client.get("/api/schedule?team=Wijkteam+Zuid").status_code == 403
    client.app.state.access_log.flush()
    assert ("/planning", False) in _refusals(settings, "anna")


def _feed_path(html: str) -> str:
    found = FEED.search(html)
    assert found, "the page shows no calendar link"
    return urlsplit(found.group(1)).path


def test_the_calendar_link_renewed_on_the_planning_revokes_the_old_one(client, visitor, schedule_worker):
    _scene(client, schedule_worker)
    log_in(visitor, "bram")
    planning = visitor.get("/planning")
    assert "U heeft nog geen agendalink" in planning.text and "Agendalink maken" in planning.text
    assert "Deel hem met niemand" in planning.text

    refused = visitor.post("/planning/agenda", data={"csrf": "vervalst"})
    assert refused.status_code == 403 and "Formulier verlopen" in refused.text
    assert "U heeft nog geen agendalink" in visitor.get("/planning").text  # nothing made

    made = visitor.post("/planning/agenda", data={"csrf": csrf_of(planning.text)})
    assert made.status_code == 200 and "Uw nieuwe agendalink" in made.text
    first = _feed_path(made.text)
    assert first.startswith("/api/calendar/") and first.endswith(".ics")
    assert 'href="webcal://' in made.text
    feed = client.get(first, headers={"Authorization": ""})
    assert feed.status_code == 200 and "Waakvlamcontact: Fam. Laat" in feed.text  # bram's household

    planning = visitor.get("/planning")
    assert "U heeft een agendalink sinds" in planning.text and first not in planning.text  # never shown again
    renewed = visitor.post("/planning/agenda", data={"csrf": csrf_of(planning.text)})
    second = _feed_path(renewed.text)
    assert second != first
    assert client.get(first).status_code == 404  # the old address stopped working
    assert client.get(second).status_code == 200

    revoked = visitor.post("/planning/agenda/intrekken", data={"csrf": csrf_of(planning.text)})
    assert revoked.status_code == 303 and revoked.headers["location"] == "/planning?agenda=ingetrokken#agenda"
    after = visitor.get(revoked.headers["location"])
    assert "Uw agendalink is ingetrokken" in after.text and "U heeft nog geen agendalink" in after.text
    assert client.get(second).status_code == 404


def test_a_partner_makes_no_calendar_link(client, visitor):
    log_in(visitor, "petra")
    home = visitor.get("/")
    assert visitor.post("/planning/agenda", data={"csrf": csrf_of(home.text)}).status_code == 403
    assert client.post("/api/calendar", headers={"Authorization": "Bearer dev-petra"}).status_code == 403


# ---- Meldingen ---------------------------------------------------------------------------


def _alerts(client, notifications_worker, labels=("Fam. Jansen", "Fam. Bakker")) -> list[str]:
    """A signal on each of bram's households at waakvlam: a notification for bram each, oldest first."""
    households, position = [], 0
    for label in labels:
        household_id = register(client, label, TEAM, intensity="waakvlam")
        write(client, household_id, "coordinator", {"coordinator": "bram"})
        position = write(client, household_id, "signals", SIGNAL)["position"]
        households.append(household_id)
    notifications_worker.wait(position, timeout=20)
    return households


def _unread_ids(client) -> list[str]:
    items = client.get("/api/notifications", headers={"Authorization": "Bearer dev-bram"}).json()["items"]
    return [item["id"] for item in items if item["read_at"] is None]


def test_notifications_are_shown_unread_first_and_marked_read_one_by_one(client, visitor, notifications_worker):
    jansen, bakker = _alerts(client, notifications_worker)
    log_in(visitor, "bram")
    home = visitor.get("/")
    assert 'href="/meldingen">U heeft 2 ongelezen meldingen</a>' in home.text  # Mijn werk links to them

    page = visitor.get("/meldingen")
    assert page.status_code == 200 and "Ongelezen (2)" in page.text
    assert page.text.index("Fam. Bakker") < page.text.index("Fam. Jansen")  # newest first
    assert "Nieuw signaal (urgentie hoog) bij Fam. Bakker" in page.text and f'href="/households/{bakker}"' in page.text
    assert "Huurachterstand" not in page.text  # what was seen stays in the file
    newest, oldest = _unread_ids(client)
    assert f'action="/meldingen/{newest}/gelezen"' in page.text

    marked = visitor.post(f"/meldingen/{oldest}/gelezen", data={"csrf": csrf_of(page.text), "terug": "/meldingen"})
    assert marked.status_code == 303 and marked.headers["location"] == "/meldingen?klaar=een"
    assert _unread_ids(client) == [newest]
    after = visitor.get(marked.headers["location"])
    assert "De melding is gelezen." in after.text and "Ongelezen (1)" in after.text
    unread_part, read_part = after.text.split('id="gelezen"')
    assert "Fam. Bakker" in unread_part and "Fam. Jansen" in read_part and "Gelezen</dt>" in read_part
    again = visitor.post(f"/meldingen/{oldest}/gelezen", data={"csrf": csrf_of(page.text)})
    assert again.status_code == 303  # marking a read one again changes nothing
    back_home = visitor.post(f"/meldingen/{newest}/gelezen", data={"csrf": csrf_of(page.text), "terug": "/"})
    assert back_home.status_code == 303 and back_home.headers["location"] == "/"
    assert _unread_ids(client) == []
    assert "ongelezen melding" not in visitor.get("/").text

    entries = [e for e in client.app.state.access_log.entries(jansen, limit=None) if e["route"] == "/meldingen"]
    assert entries and entries[0]["user_id"] == "bram" and set(map(str, entries[0]["listed"])) == {jansen, bakker}


def test_all_notifications_are_marked_read_at_once(client, visitor, notifications_worker):
    _alerts(client, notifications_worker)
    log_in(visitor, "bram")
    page = visitor.get("/meldingen")
    done = visitor.post("/meldingen/gelezen", data={"csrf": csrf_of(page.text), "terug": "https://elders.test/"})
    assert done.status_code == 303 and done.headers["location"] == "/"  # back only to a page of ours
    assert _unread_ids(client) == []
    page = visitor.get("/meldingen")
    assert "Ongelezen (0)" in page.text and "U heeft geen ongelezen meldingen" in page.text
    assert page.text.count("Gelezen</dt>") == 2


def test_marking_read_needs_the_forms_token_and_ones_own_notification(client, visitor, notifications_worker):
    _alerts(client, notifications_worker, labels=("Fam. Jansen",))
    (mine,) = _unread_ids(client)
    log_in(visitor, "bram")
    assert visitor.post(f"/meldingen/{mine}/gelezen", data={"csrf": "vervalst"}).status_code == 403
    assert visitor.post("/meldingen/gelezen", data={}).status_code == 403
    log_in(visitor, "anna")  # someone else's notification is not found, as the API's
    token = csrf_of(visitor.get("/meldingen").text)
    missing = visitor.post(f"/meldingen/{mine}/gelezen", data={"csrf": token})
    assert missing.status_code == 404 and "Melding niet gevonden" in missing.text
    assert visitor.post("/meldingen/geen-id/gelezen", data={"csrf": token}).status_code == 404
    assert _unread_ids(client) == [mine]
    assert visitor.get("/meldingen?cursor=kapot").status_code == 400


def test_an_emergency_access_is_a_notification_leading_the_officer_to_the_access_log(client, visitor):
    assert client.put(f"/api/teams/{TEAM}/policy", json={"team_lead": "carla"},
                      headers={"Authorization": "Bearer dev-carla"}).status_code == 200
    household_id = register(client, "Fam. Visser", TEAM)
    opened = client.get(f"/api/households/{household_id}", headers={
        "Authorization": "Bearer dev-kees", "X-Emergency-Access": "Acute zorg: moeder onbereikbaar"})
    assert opened.status_code == 200
    for user, link in (("dirk", f"/households/{household_id}/toegangslog"), ("carla", f"/households/{household_id}")):
        log_in(visitor, user)
        page = visitor.get("/meldingen")
        assert page.status_code == 200 and "Noodtoegang · " in page.text and "Noodtoegang door kees" in page.text
        assert f'href="{link}">Noodtoegang door kees' in page.text, user  # the officer reads the access log


@pytest.mark.parametrize("role", list(USERS))
def test_meldingen_answers_each_role_as_the_apis_notifications(client, role):
    visitor = pages_client(client)
    log_in(visitor, USERS[role])
    api = client.get("/api/notifications", headers={"Authorization": f"Bearer {TOKENS[role]}"})
    page = visitor.get("/meldingen")
    assert page.status_code == api.status_code == (403 if role == "partner" else 200)


# ---- Mijn werk for a team lead -------------------------------------------------------------


def test_a_team_leads_home_counts_the_team_and_links_to_the_planning_and_the_inbox(
        client, visitor, projection_worker, schedule_worker, signals_worker):
    register(client, "Fam. Zonder", TEAM, intensity="waakvlam", occurred_at=noon_days_ago(44))  # 2 days late
    rubens = register(client, "Fam. Ruben", TEAM, intensity="waakvlam", occurred_at=noon_days_ago(45))  # 3 days
    write(client, rubens, "coordinator", {"coordinator": "ruben", "legal_basis": "Wmo 2015 art. 2.3.2"})
    _scene(client, schedule_worker)
    report(client, about_name="Fam. Nieuw", urgency="acute")
    signal = report(client, about_name="Fam. Zuid", team="Wijkteam Zuid")  # another team's inbox
    for worker in (projection_worker, schedule_worker, signals_worker):  # the caseload, schedule and inbox views
        worker.wait(signal["position"], timeout=20)

    log_in(visitor, "carla")
    home = visitor.get("/")
    assert home.status_code == 200
    text = re.sub(r"\s+", " ", home.text)
    assert "Wijkteam Noord in cijfers" in text
    assert '<span class="wv-figure">5</span> lopende huishoudens' in text
    assert '<span class="wv-figure">3</span> <a class="utrecht-link" href="/planning?within_days=0">' in text
    assert '<span class="wv-figure">1</span> <a class="utrecht-link" href="/signalen?status=new">signaal wacht' in text
    assert "waarvan 1 acuut of hoog" in text
    rows = dict(re.findall(r'<tr> <th scope="row">(.*?)</th>(.*?)</tr>', text))
    bram = next(value for key, value in rows.items() if ">bram<" in key)
    assert '<td class="wv-number">1</td>' in bram  # one household, one late
    assert any('href="/planning?coordinator=ruben&amp;within_days=0"' in key for key in rows)
    assert any("nog geen regisseur" in key for key in rows)
    assert "De huishoudens van het team" in text  # the caseload list follows

    planning = visitor.get("/planning?coordinator=ruben&within_days=0")
    assert _labels(planning.text) == ["Fam. Ruben"]

    log_in(visitor, "anna")
    assert "in cijfers" not in visitor.get("/").text  # a generalist's Mijn werk has no team figures
