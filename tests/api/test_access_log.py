"""The NEN 7513 access log (waakvlam/access_log.py): every read and change of household data is logged,
append-only and hash-chained; the privacy officer's view and the household's own view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.api.support import assert_problem, register, write
from waakvlam.access_log import SETTING, AccessLog, Entry, logging_enabled, verify

DIRK = {"Authorization": "Bearer dev-dirk"}


def _log(client: TestClient, household_id: str, **params) -> dict:
    response = client.get(f"/api/households/{household_id}/access-log", params=params, headers=DIRK)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_read_and_change_is_logged_with_who_what_when_where_and_the_four_results(client):
    household_id = register(client)
    member = write(client, household_id, "members", {"name": "Sanne Jansen"})["item_id"]
    write(client, household_id, f"members/{member}/remove", {"reason": "verhuisd"})
    client.get(f"/api/households/{household_id}", headers={"User-Agent": "wijkteam-laptop"})

    body = _log(client, household_id)

    assert body["view"] == "full"
    actions = [(e["action"], e["user_id"], e["route"]) for e in body["items"]]  # reading the log is logged too
    assert actions == [
        ("create", "anna", "/api/households"),
        ("update", "anna", "/api/households/{household_id}/members"),
        ("delete", "anna", "/api/households/{household_id}/members/{member_id}/remove"),
        ("read", "anna", "/api/households/{household_id}"),
        ("read", "dirk", "/api/households/{household_id}/access-log"),
    ]
    read = body["items"][3]
    assert read["user_agent"] == "wijkteam-laptop" and read["client_address"]
    assert (read["authorised"], read["care_relationship"], read["consent"], read["emergency"]) == (
        True, True, None, False)
    assert read["on_behalf_of"] == "Wijkteam Noord" and read["role"] == "generalist"
    assert body["items"][2]["persons"] == [member]
    at = datetime.fromisoformat(read["at"])
    assert at.microsecond == 0 and abs(datetime.now(UTC) - at) < timedelta(minutes=1)


def test_the_consent_result_says_whether_the_household_consented_to_the_users_team_that_day(
        client, consents_worker):
    household_id = register(client)
    consent = write(client, household_id, "consents", {"given_by": "Sanne Jansen", "party": "wijkteam zuid",
                                                      "purpose": "Overdracht bij verhuizing"})
    consents_worker.wait(consent["position"], timeout=10)
    kees = {"Authorization": "Bearer dev-kees", "X-Emergency-Access": "Verhuisd naar Zuid, crisis"}
    client.get(f"/api/households/{household_id}", headers=kees)  # Zuid, which the household consented to
    client.get(f"/api/households/{household_id}")  # anna, Noord: her team's task, no consent asked
    withdrawn = write(client, household_id, f"consents/{consent['item_id']}/withdraw", {"reason": "Toch niet"})
    consents_worker.wait(withdrawn["position"], timeout=10)
    client.get(f"/api/households/{household_id}", headers=kees)

    reads = [(e["user_id"], e["consent"]) for e in _log(client, household_id)["items"] if e["action"] == "read"]
    assert reads == [("kees", True), ("anna", False), ("kees", False), ("dirk", None)]


def test_the_period_filter_and_the_households_own_view_in_dutch(client):
    household_id = register(client)
    client.get(f"/api/households/{household_id}")
    client.get(f"/api/households/{household_id}", headers={"Authorization": "Bearer dev-kees"})  # denied
    client.get(f"/api/households/{household_id}", headers={"Authorization": "Bearer dev-kees",
                                                            "X-Emergency-Access": "Crisis, team onbereikbaar"})
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert _log(client, household_id, **{"from": future})["items"] == []
    assert len(_log(client, household_id, until=future)["items"]) >= 4

    own = client.get(f"/api/households/{household_id}/access-log")  # anna, for the household
    assert own.status_code == 200, own.text
    items = own.json()["items"]
    assert own.json()["view"] == "household"
    assert {"wanneer", "wie", "functie", "wat", "noodtoegang"} == set(items[0])
    assert [(i["wie"], i["wat"], i["noodtoegang"]) for i in items][:3] == [
        ("anna", "aangemaakt", False), ("anna", "ingezien", False), ("kees", "ingezien", True)]  # no denied one
    assert_problem(client.get(f"/api/households/{household_id}/access-log", params={"view": "full"}), 403)


def test_the_log_is_append_only_and_a_tampered_entry_breaks_the_chain_there(client, settings):
    household_id = register(client)
    for _ in range(5):
        client.get(f"/api/households/{household_id}")
    access_log: AccessLog = client.app.state.access_log
    access_log.flush()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        assert verify(conn, settings.postgres_schema).ok
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(f'UPDATE "{settings.postgres_schema}".access_log SET user_id = %s WHERE seq = 3', ("x",))
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute(f'DELETE FROM "{settings.postgres_schema}".access_log WHERE seq = 3')
        # An owner who switches the trigger off gets past it, but not past the chain.
        conn.execute(f'ALTER TABLE "{settings.postgres_schema}".access_log DISABLE TRIGGER USER')
        conn.execute(f'UPDATE "{settings.postgres_schema}".access_log SET user_id = %s WHERE seq = 3', ("x",))
        result = verify(conn, settings.postgres_schema)
        assert (result.ok, result.broken_seq, result.reason, result.checked) == (False, 3, "changed", 2)
        conn.execute(f'DELETE FROM "{settings.postgres_schema}".access_log WHERE seq = 3')
        result = verify(conn, settings.postgres_schema)
        assert (result.ok, result.broken_seq, result.reason) == (False, 3, "deleted")


def test_concurrent_writers_keep_one_chain(client, env, settings):
    """Two processes' writers (two AccessLog objects) on one schema serialise per batch on the advisory lock."""
    household = UUID(register(client))
    logs = [AccessLog(env), AccessLog(env)]
    try:
        for n in range(300):
            logs[n % 2].record(Entry(action="read", user_id=f"u{n}", role="generalist", household_id=household,
                                     authorised=True, care_relationship=True, emergency=False))
        for log in [*logs, client.app.state.access_log]:
            log.flush()
    finally:
        for log in logs:
            log.close()
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        result = verify(conn, settings.postgres_schema)
    assert result.ok and result.checked >= 301, result


def test_switching_logging_off_is_for_the_benchmark_in_demo_mode_only(monkeypatch):
    monkeypatch.setenv(SETTING, "off")
    assert logging_enabled(demo=True) is False
    with pytest.raises(ValueError, match="demo mode only"):
        logging_enabled(demo=False)
    monkeypatch.setenv(SETTING, "on")
    assert logging_enabled(demo=False) is True


def _entries_without_household(settings) -> list[tuple]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return conn.execute(
            f'SELECT user_id, route, authorised FROM "{settings.postgres_schema}".access_log'
            " WHERE household_id IS NULL AND cardinality(listed) = 0 ORDER BY seq").fetchall()


def test_a_list_is_logged_as_a_read_of_every_household_it_shows(client, projection_worker, schedule_worker):
    shown = [register(client, f"Fam. {n}", intensity="crisis") for n in range(3)]
    other = register(client, "Fam. Zuid", team="Wijkteam Zuid")  # an intake for another team
    position = write(client, shown[0], "contacts", {"kind": "telefonisch"})["position"]
    assert client.get("/api/households", params={"after": position}).status_code == 200
    assert client.get("/api/schedule", params={"after": position, "within_days": 3}).status_code == 200

    for household_id in shown:
        reads = [e for e in _log(client, household_id)["items"] if e["action"] == "read"]
        assert [e["route"] for e in reads][:2] == ["/api/households", "/api/schedule"], reads
        assert reads[0]["household_id"] is None and set(reads[0]["listed"]) == set(shown)  # one entry per list
        assert (reads[0]["user_id"], reads[0]["care_relationship"], reads[0]["authorised"]) == ("anna", True, True)
    own_view = client.get(f"/api/households/{shown[0]}/access-log").json()["items"]
    assert ("anna", "ingezien in een overzicht") in [(i["wie"], i["wat"]) for i in own_view]
    assert [e["route"] for e in _log(client, other)["items"] if e["action"] == "read"] == [
        "/api/households/{household_id}/access-log"]  # another team's household was in no list of anna's


def test_a_refused_list_is_logged_as_a_denied_attempt(client, settings):
    assert_problem(client.get("/api/households", params={"team": "Wijkteam Zuid"}), 403)
    assert_problem(client.get("/api/schedule", headers=DIRK), 403)
    assert_problem(client.get("/api/signals", params={"team": "Wijkteam Zuid"}), 403)
    client.app.state.access_log.flush()

    assert _entries_without_household(settings) == [
        ("anna", "/api/households", False), ("dirk", "/api/schedule", False), ("anna", "/api/signals", False)]


def test_an_export_of_the_whole_file_is_logged_as_execute(client):
    household_id = register(client)
    client.get(f"/api/households/{household_id}/history", headers=DIRK)
    client.get(f"/api/households/{household_id}/export", headers=DIRK)
    client.get(f"/api/households/{household_id}/export.html", headers=DIRK)

    executed = [e["route"].rsplit("/", 1)[1] for e in _log(client, household_id)["items"] if e["action"] == "execute"]
    assert executed == ["history", "export", "export.html"]


def test_the_calendar_feed_is_logged_as_read_by_its_owner(client, schedule_worker, households):
    bram = {"Authorization": "Bearer dev-bram"}
    household_id = register(client)
    position = write(client, household_id, "coordinator", {"coordinator": "bram"},
                     headers={"Authorization": "Bearer dev-carla"})["position"]
    schedule_worker.view.wait(households.name, position, timeout=10)
    path = client.post("/api/calendar", headers=bram).json()["url"].split("://", 1)[1].split("/", 1)[1]
    assert TestClient(client.app).get(f"/{path}").status_code == 200

    feed = [e for e in _log(client, household_id)["items"] if e["route"] == "/api/calendar/{secret}.ics"]
    assert [(e["user_id"], e["action"], e["authorised"], e["care_relationship"]) for e in feed] == [
        ("bram", "read", True, True)]
