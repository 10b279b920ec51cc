"""Erasure over the API: `POST /api/households/{id}/erasure` forgets a household. What is left is a
tombstone: the summary says it was forgotten and holds nothing about its people, the plan is gone
(now and at any moment in the past), the timeline is empty, and no command is taken any more. The
reasons given for emergency access to its file, kept sealed with its key, are gone with it."""

from __future__ import annotations

import psycopg

from tests.api.support import (
    DIRK,
    assert_invalid,
    assert_problem,
    assert_refused,
    kinds,
    post,
    register,
    summary,
    version_of,
    write,
)
from waakvlam.access_log import verify

ERASURE = {"reason": "Verzoek van betrokkene om gegevens te wissen (AVG art. 17)"}


def _followed(client) -> str:
    household_id = register(client, label="Fam. Verhoeven")
    write(client, household_id, "members", {"name": "Sanne Verhoeven", "role": "moeder"})
    write(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Schulden besproken"})
    return household_id


def test_an_erased_household_leaves_a_tombstone_without_its_people(client, households):
    household_id = _followed(client)
    result = write(client, household_id, "erasure", ERASURE, headers=DIRK)
    assert result["version"] == version_of(client, household_id)
    assert kinds(households, household_id)[-1] == "Forgotten"
    found = summary(client, household_id)
    assert (found["status"], found["label"], found["members"], found["network"]) == ("forgotten", "[gewist]", {}, {})
    assert "Sanne" not in str(found)


def test_an_erased_household_has_no_plan_now_or_in_the_past_and_an_empty_timeline(
        live_client, plan_worker, timeline_worker):
    household_id = _followed(live_client)
    position = write(live_client, household_id, "erasure", ERASURE, headers=DIRK)["position"]
    assert_problem(live_client.get(f"/api/households/{household_id}/plan?after={position}"), 404)
    assert_problem(live_client.get(f"/api/households/{household_id}/plan?as_of=2030-01-01T00:00:00Z"), 404)
    timeline_worker.wait(position, timeout=10)
    response = live_client.get(f"/api/households/{household_id}/timeline")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    caseload = live_client.get(f"/api/households?after={position}").json()["items"]
    assert household_id not in {item["household_id"] for item in caseload}


def test_an_erased_household_takes_no_more_commands(client):
    household_id = _followed(client)
    write(client, household_id, "erasure", ERASURE, headers=DIRK)
    assert_refused(post(client, household_id, "contacts", {"kind": "telefonisch"}),
                   "nothing happens to a forgotten household")
    assert_refused(post(client, household_id, "reopening", {"reason": "Toch weer zorgen"}),
                   "only a closed household can be reopened")


def test_erasing_again_answers_the_same_version_and_records_nothing(client, households):
    household_id = _followed(client)
    first = write(client, household_id, "erasure", ERASURE, headers=DIRK)
    again = write(client, household_id, "erasure", ERASURE, headers=DIRK)
    assert again["version"] == first["version"]
    assert kinds(households, household_id).count("Forgotten") == 1


def test_an_erasure_needs_a_reason(client):
    household_id = _followed(client)
    assert_invalid(post(client, household_id, "erasure", {}, headers=DIRK), "body.reason")
    assert_refused(post(client, household_id, "erasure", {"reason": "   "}, headers=DIRK), "an erasure says why")
    assert summary(client, household_id)["status"] == "open"


def _reasons(client, household_id: str) -> list[str]:
    """The emergency reasons in the household's access log, as the privacy officer reads them."""
    response = client.get(f"/api/households/{household_id}/access-log", headers=DIRK)
    assert response.status_code == 200, response.text
    return [e["emergency_reason"] for e in response.json()["items"] if e["emergency"]]


def test_an_emergency_reason_is_kept_sealed_with_the_households_key_and_is_gone_with_it(
        client, settings, notifications_worker):
    household_id = _followed(client)
    reason = "Buurman Henk Bakker belde: Sanne Verhoeven is sinds dinsdag onvindbaar"
    kees = {"Authorization": "Bearer dev-kees", "X-Emergency-Access": reason}
    assert client.get(f"/api/households/{household_id}", headers=kees).status_code == 200
    assert _reasons(client, household_id) == [reason]
    with psycopg.connect(settings.database_url) as conn:
        stored = conn.execute(f'SELECT emergency_reason FROM "{settings.postgres_schema}".access_log'
                              " WHERE emergency").fetchall()
    assert len(stored) == 1 and "Sanne" not in stored[0][0] and "Henk" not in stored[0][0]

    position = write(client, household_id, "erasure", ERASURE, headers=DIRK)["position"]
    assert _reasons(client, household_id) == ["[gewist]"]
    notifications_worker.wait(position, timeout=10)  # the alert naming them went with the household
    # An emergency access after the erasure keeps no reason either, nor does its alert.
    assert client.get(f"/api/households/{household_id}", headers=kees).status_code == 200
    assert _reasons(client, household_id) == ["[gewist]", "[gewist]"]
    titles = [n["title"] for n in client.get("/api/notifications", headers=DIRK).json()["items"]]
    assert titles == ["Noodtoegang door kees (Wijkteam Zuid): [gewist]"]
    with psycopg.connect(settings.database_url) as conn:
        result = verify(conn, settings.postgres_schema)  # the chain covers the entries as stored: it still holds
    assert result.ok and result.checked > 0, result
