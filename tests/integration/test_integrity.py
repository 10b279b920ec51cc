"""Tamper evidence: the hash chain over the stored events, and its verification
(projections/chain.py, waakvlam/integrity.py, `waakvlam verify`, GET /api/integrity)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from projections.chain import EVENTS_TABLE, GENESIS, ChainProjection, ChainView, canonical_row, link
from waakvlam.integrity import verify_url
from workers.runner import BatchRunner

TIMEOUT = 30


def _write(households, count: int = 6) -> int:
    for n in range(count):
        household_id = households.register(actor="anna", label=f"Fam. {n}", team="Wijkteam Noord").household_id
        households.assign_coordinator(household_id, actor="carla", coordinator="bram")
        households.record_contact(household_id, actor="anna", kind="huisbezoek", summary=f"Bezoek {n}")
    return households.recorder.max_notification_id()


def _sql(settings, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _positions(settings) -> list[int]:
    return [row[0] for row in _sql(settings, f"SELECT notification_id FROM {EVENTS_TABLE} ORDER BY 1")]


def _verify(settings, **kwargs):
    return verify_url(settings.database_url, settings.postgres_schema, **kwargs)


def _change(settings, position: int) -> None:
    _sql(settings, f"UPDATE {EVENTS_TABLE} SET state = state || '\\x00'::bytea WHERE notification_id = %s",
         (position,))


def _chained(households, chain_worker, count: int = 6) -> int:
    last = _write(households, count)
    chain_worker.wait(last, timeout=TIMEOUT)
    return last


# ---- the encoding ----------------------------------------------------------------


def test_the_canonical_encoding_is_length_prefixed_fields_and_the_genesis_is_zeros():
    originator = UUID("12345678-1234-5678-1234-567812345678")
    row = canonical_row(7, originator, 2, "domain.x:E", b"\x01\x02")
    assert row == (b"\x00\x00\x00\x08" + (7).to_bytes(8, "big") + b"\x00\x00\x00\x10" + originator.bytes
                   + b"\x00\x00\x00\x08" + (2).to_bytes(8, "big") + b"\x00\x00\x00\x0adomain.x:E"
                   + b"\x00\x00\x00\x02\x01\x02")
    assert link(GENESIS, 7, originator, 2, "domain.x:E", b"\x01\x02") == hashlib.sha256(bytes(32) + row).digest()
    # Moving bytes between fields changes the encoding: no two rows share one.
    assert canonical_row(7, originator, 2, "domain.x:E\x01", b"\x02") != row


# ---- an intact store ---------------------------------------------------------------


def test_an_intact_store_verifies_in_one_walk_and_in_small_batches_alike(households, chain_worker, settings):
    last = _chained(households, chain_worker)
    result = _verify(settings)
    assert result.ok, result
    assert (result.checked, result.last_position, result.chain_head, result.pending) == (
        len(_positions(settings)), last, last, 0)
    assert result.head_hash == chain_worker.view.head()[1].hex()
    assert _verify(settings, batch_size=4) == result


def test_events_not_yet_chained_are_pending_not_broken(households, env, settings):
    with BatchRunner(projection_class=ChainProjection, view_class=ChainView, env=env) as runner:
        chained = _write(households, 2)
        runner.wait(chained, timeout=TIMEOUT)
    last = _write(households, 1)  # events the stopped worker has not chained
    result = _verify(settings)
    assert result.ok, result
    assert (result.chain_head, result.last_position, result.pending) == (chained, chained, last - chained)


def test_an_empty_store_and_a_store_never_chained_verify_with_everything_pending(households, settings):
    assert _verify(settings).ok
    last = _write(households, 1)
    result = _verify(settings)
    assert (result.ok, result.checked, result.chain_head, result.pending) == (True, 0, None, last)


def test_gaps_left_by_rolled_back_inserts_chain_by_the_previous_existing_position(households, chain_worker,
                                                                                  settings):
    before = _write(households, 1)
    (gap,) = _sql(settings, f"SELECT nextval(pg_get_serial_sequence('{EVENTS_TABLE}', 'notification_id'))")[0]
    last = _chained(households, chain_worker, 1)
    assert gap == before + 1 and gap not in _positions(settings)
    assert _sql(settings, "SELECT previous_position FROM event_chain WHERE position = %s", (gap + 1,)) == [(before,)]
    result = _verify(settings)
    assert result.ok, result
    assert (result.checked, result.last_position) == (last - 1, last)


def test_the_chain_hashes_rows_as_stored_without_decoding_them(households, chain_worker, settings):
    """A row no one can decode any more (as after crypto-shredding) is chained and verified all the same."""
    _write(households, 1)
    unreadable = StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="shredded.module:Gone",
                             state=os.urandom(64))
    (position,) = households.recorder.insert_events([unreadable])
    last = _chained(households, chain_worker, 1)
    result = _verify(settings)
    assert result.ok, result
    assert result.last_position == last > position


# ---- tampering ---------------------------------------------------------------------


def test_a_changed_row_breaks_the_chain_at_its_position(households, chain_worker, settings):
    _chained(households, chain_worker)
    positions = _positions(settings)
    target = positions[7]
    _change(settings, target)
    result = _verify(settings)
    assert (result.ok, result.broken_position, result.reason) == (False, target, "changed")
    assert (result.checked, result.last_position) == (7, positions[6])
    assert f"position {target}" in str(result)


def test_a_deleted_row_breaks_the_chain_at_its_position(households, chain_worker, settings):
    _chained(households, chain_worker)
    target = _positions(settings)[4]
    _sql(settings, f"DELETE FROM {EVENTS_TABLE} WHERE notification_id = %s", (target,))
    result = _verify(settings)
    assert (result.ok, result.broken_position, result.reason) == (False, target, "deleted")


def test_deleting_the_last_chained_row_breaks_the_chain_too(households, chain_worker, settings):
    last = _chained(households, chain_worker)
    _sql(settings, f"DELETE FROM {EVENTS_TABLE} WHERE notification_id = %s", (last,))
    result = _verify(settings)
    assert (result.ok, result.broken_position, result.reason) == (False, last, "deleted")


def test_a_row_slipped_in_below_the_chains_head_breaks_the_chain(households, chain_worker, settings):
    _write(households, 1)
    (gap,) = _sql(settings, f"SELECT nextval(pg_get_serial_sequence('{EVENTS_TABLE}', 'notification_id'))")[0]
    _chained(households, chain_worker, 1)
    _sql(settings, f"INSERT INTO {EVENTS_TABLE} (notification_id, originator_id, originator_version, topic, state)"
                   " VALUES (%s, %s, 1, 'forged:Event', '\\x00'::bytea)", (gap, uuid.uuid4()))
    result = _verify(settings)
    assert (result.ok, result.broken_position, result.reason) == (False, gap, "inserted")


def test_a_row_changed_after_a_later_one_is_still_the_first_break(households, chain_worker, settings):
    _chained(households, chain_worker)
    positions = _positions(settings)
    _change(settings, positions[12])
    assert _verify(settings).broken_position == positions[12]
    _change(settings, positions[3])
    result = _verify(settings, batch_size=2)
    assert (result.ok, result.broken_position, result.reason) == (False, positions[3], "changed")


def test_the_chain_is_append_only_and_a_link_rewritten_past_the_guard_is_caught(households, chain_worker, settings):
    _chained(households, chain_worker)
    target = _positions(settings)[5]
    for statement in ("UPDATE event_chain SET hash = %s WHERE position = %s", "DELETE FROM event_chain WHERE %s::bytea"
                      " IS NOT NULL AND position = %s"):
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            _sql(settings, statement, (bytes(32), target))
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        _sql(settings, "TRUNCATE event_chain")
    _sql(settings, "ALTER TABLE event_chain DISABLE TRIGGER USER")  # an owner who switches the guard off
    _sql(settings, "UPDATE event_chain SET hash = %s WHERE position = %s", (bytes(32), target))
    result = _verify(settings)
    assert (result.ok, result.broken_position, result.reason) == (False, target, "changed")


# ---- the command and the API ---------------------------------------------------------


@pytest.fixture
def officer(client) -> TestClient:
    """The privacy officer's client: the integrity routes are hers (and the administrator's)."""
    return TestClient(client.app, headers={"Authorization": "Bearer dev-dirk"})


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
           "WAAKVLAM_CHECKPOINT_KEY": settings.checkpoint_key.get_secret_value(),
           "WAAKVLAM_CHECKPOINT_DIR": str(settings.checkpoint_dir)}
    return subprocess.run([sys.executable, "-m", "waakvlam.cli", *(args or ("verify",))], env=env,
                          capture_output=True, text=True, timeout=120)


def test_waakvlam_verify_exits_0_when_intact_and_1_naming_the_first_broken_position(households, chain_worker,
                                                                                     settings):
    _chained(households, chain_worker)
    intact = _cli(settings)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout.startswith("ok:") and "access log: intact" in intact.stdout
    target = _positions(settings)[9]
    _change(settings, target)
    broken = _cli(settings)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"position {target} (changed)" in broken.stdout


def test_the_integrity_route_reports_the_first_broken_position(officer, households, chain_worker, settings):
    last = _chained(households, chain_worker)
    intact = officer.get("/api/integrity")
    assert intact.status_code == 200, intact.text
    assert intact.json() | {"head_hash": None} == {
        "ok": True, "checked": len(_positions(settings)), "last_position": last, "chain_head": last,
        "head_hash": None, "pending": 0, "pending_verified": 0, "broken_position": None, "reason": None,
        "detail": None, "verified_from": None, "anchors_checked": 0, "checkpoint": None,
        "access_log": {"ok": True, "checked": 0, "head_hash": None, "head_seq": None, "broken_seq": None,
                       "reason": None}}
    target = _positions(settings)[2]
    _sql(settings, f"DELETE FROM {EVENTS_TABLE} WHERE notification_id = %s", (target,))
    broken = officer.get("/api/integrity").json()
    assert (broken["ok"], broken["broken_position"], broken["reason"]) == (False, target, "deleted")


def test_a_changed_access_log_entry_is_found_by_the_route_and_the_command(client, settings):
    household_id = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Wijkteam Noord"}).json()[
        "household_id"]
    for _ in range(3):
        client.get(f"/api/households/{household_id}")
    client.app.state.access_log.flush()
    officer = TestClient(client.app, headers={"Authorization": "Bearer dev-dirk"})
    assert officer.get("/api/integrity").json()["access_log"]["ok"] is True
    assert "access log: intact, 4 entries verified" in _cli(settings).stdout

    log = f'"{settings.postgres_schema}".access_log'
    _sql(settings, f"ALTER TABLE {log} DISABLE TRIGGER USER")  # an owner who switches the guard off
    _sql(settings, f"UPDATE {log} SET user_id = 'iemand-anders' WHERE seq = 3")

    report = officer.get("/api/integrity").json()["access_log"]
    assert (report["ok"], report["broken_seq"], report["reason"]) == (False, 3, "changed")
    broken = _cli(settings)
    assert broken.returncode == 1 and "access log: BROKEN, 2 entries verified; first break at entry 3 (changed)" \
        in broken.stdout, broken.stdout + broken.stderr


def test_the_projection_worker_keeps_the_chain(households, env, settings):
    position = _write(households, 2)
    worker_env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema}
    worker = subprocess.Popen([sys.executable, "-m", "workers.projections"], env=worker_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while (_verify(settings).chain_head or 0) < position:
            assert worker.poll() is None and time.monotonic() < deadline, "the worker did not chain the events"
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    result = _verify(settings)
    assert (result.ok, result.last_position, result.pending) == (True, position, 0), result
