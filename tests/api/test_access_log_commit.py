"""No answer without its committed access-log entry (issue 12 §1; waakvlam/access_log.py, api/committed.py):
a read's entry is committed before the answer leaves, a change's in the transaction of its events, and a
read whose entry cannot be written is refused with 503, not served unlogged."""

from __future__ import annotations

import psycopg
from fastapi.testclient import TestClient

from tests.api.support import assert_problem, register, write
from waakvlam.access_log import verify


def _entries(settings, household_id: str) -> list[tuple]:
    """What is committed in the log right now (no flush: the test reads the table as another process would)."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        return conn.execute(f'SELECT action, route, xmin::text FROM "{settings.postgres_schema}".access_log'
                            " WHERE household_id = %s ORDER BY seq", (household_id,)).fetchall()


def test_a_read_is_answered_only_after_its_entry_is_committed(client: TestClient, settings):
    household_id = register(client)
    for n in range(5):
        assert client.get(f"/api/households/{household_id}").status_code == 200
        reads = [e for e in _entries(settings, household_id) if e[0] == "read"]
        assert len(reads) == n + 1  # at the moment the answer arrived, its entry was there


def test_a_change_commits_its_entry_in_the_transaction_of_its_events(client: TestClient, settings):
    household_id = register(client)
    position = write(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Kennismaking"})["position"]
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        (event_xid,) = conn.execute(f'SELECT xmin::text FROM "{settings.postgres_schema}".waakvlam_events'
                                    " WHERE notification_id = %s", (position,)).fetchone()
    changes = [e for e in _entries(settings, household_id) if e[1] == "/api/households/{household_id}/contacts"]
    assert [(action, xid) for action, _, xid in changes] == [("update", event_xid)]


def test_when_the_log_cannot_be_written_a_read_is_refused_and_a_change_not_made(client: TestClient, settings):
    household_id = register(client)
    before = client.get(f"/api/households/{household_id}").json()["version"]
    table = f'"{settings.postgres_schema}".access_log'
    with psycopg.connect(settings.database_url, autocommit=True) as conn:  # the log refuses anna's entries
        conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT broken CHECK (user_id <> 'anna') NOT VALID")
    try:
        read = client.get(f"/api/households/{household_id}")
        assert_problem(read, 503)
        assert read.headers["Retry-After"]
        assert "Jansen" not in read.text  # nothing of the file in the refusal
        change = client.post(f"/api/households/{household_id}/contacts",
                             json={"kind": "huisbezoek", "summary": "Niet gelogd"})
        assert change.status_code == 503, change.text
        assert change.headers["content-type"].startswith("application/problem+json")
    finally:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT broken")
    after = client.get(f"/api/households/{household_id}")  # reads are served again
    assert after.status_code == 200 and after.json()["version"] == before  # and the change was not made
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        assert verify(conn, settings.postgres_schema).ok
