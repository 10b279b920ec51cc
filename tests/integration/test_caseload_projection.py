"""The caseload view, kept by the projection worker with exactly-once tracking."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from projections.caseload import CaseloadProjection, CaseloadView, replay
from projections.versions import open_reader


def _view(env: dict[str, str]) -> CaseloadView:
    return open_reader(CaseloadProjection.name, CaseloadView, env)


def _write_histories(households, count: int, contacts: int) -> None:
    start = datetime.now(UTC) - timedelta(days=200)
    for n in range(count):
        household_id = households.register(actor="anna", label=f"Fam. {n}", team=f"Team {n % 3}",
                                           occurred_at=start).household_id
        households.assign_coordinator(household_id, actor="carla", coordinator=f"coord{n % 4}")
        for c in range(contacts):
            check_in = households.get(household_id).next_check_in["id"] if c % 3 == 0 else None
            households.record_contact(household_id, actor="anna", kind="huisbezoek", check_in_id=check_in,
                                      occurred_at=start + timedelta(days=c + 1))
        if n % 4 == 0:
            households.escalate(household_id, actor="bram", to_level="crisis", reason="acute zorgen")
        if n % 5 == 0:
            households.close_household(household_id, actor="bram", reason_code="goals_achieved")


def test_the_caseload_worker_killed_mid_stream_resumes_and_equals_a_fresh_rebuild(households, env, settings):
    # More events than two of the worker's batches (2,000 each), so that a kill after a quarter lands mid-stream.
    _write_histories(households, count=100, contacts=25)
    last = households.recorder.max_notification_id()
    view = _view(env)
    worker_env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema}

    worker = subprocess.Popen([sys.executable, "-m", "workers.projections"], env=worker_env,
                              stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while (view.max_tracking_id(households.name) or 0) < last // 4:
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    stopped_at = view.max_tracking_id(households.name)
    assert stopped_at < last, "the worker finished before it was killed; write more events"

    worker = subprocess.Popen([sys.executable, "-m", "workers.projections"], env=worker_env,
                              stdout=subprocess.DEVNULL)
    try:
        view.wait(households.name, last, timeout=60)
    finally:
        worker.terminate()
        worker.wait(timeout=10)

    rebuilt = replay(_all_events(households))
    assert len(rebuilt) == 100
    assert view.all_rows() == rebuilt


def _all_events(households):
    for notification in households.recorder.select_notifications(start=None, limit=10**6):
        yield households.mapper.to_domain_event(notification)


def test_a_write_is_visible_in_the_caseload_once_the_view_has_caught_up(households, projection_worker, env):
    outcome = households.register(actor="anna", label="Fam. Snel", team="Centrum")
    households.assign_coordinator(outcome.household_id, actor="carla", coordinator="bram")
    position = households.record_contact(outcome.household_id, actor="anna", kind="eropaf").position
    view = _view(env)
    view.wait(households.name, position, timeout=10)
    rows, _ = view.page(coordinator="bram")
    assert [r.household_id for r in rows] == [outcome.household_id]
    assert rows[0].last_contact_at is not None
    assert rows[0].next_check_in == households.get(outcome.household_id).next_check_in["due"]


def test_a_projection_keeps_up_when_a_notification_is_lost(households, projection_worker, env, settings,
                                                           database_url):
    import psycopg

    outcome = households.register(actor="anna", label="Fam. Stil", team="Centrum")
    view = _view(env)
    view.wait(households.name, outcome.position, timeout=10)
    # An event committed without NOTIFY, as when a notification is lost on the way.
    table = f'"{settings.postgres_schema}".waakvlam_events'
    with psycopg.connect(database_url, autocommit=True) as conn:
        (position,) = conn.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            f"SELECT originator_id, 3, topic, state FROM {table} WHERE originator_id = %s AND originator_version = 2 "
            "RETURNING notification_id", (outcome.household_id,)).fetchone()

    view.wait(households.name, position, timeout=10)  # the periodic poll found it
    assert view.max_tracking_id(households.name) == position
