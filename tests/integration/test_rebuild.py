"""Rebuilding a projection under a new version while the old one keeps serving,
and projections that fold what the store has ready in batches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import Tracking

from projections import plan, timeline, versions
from projections.chain import ChainProjection, ChainView
from projections.plan import PlanProjection, PlanView
from projections.timeline import TimelineProjection, TimelineView
from tests.integration.test_failover import _checksum, _events, _wait_until
from workers.lease import Lease, lease_name
from workers.runner import BatchRunner, rebuild

TIMEOUT = 30


def _tables(settings) -> set[str]:
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (settings.postgres_schema,))
        return {name for (name,) in rows}


def _worker(settings, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema}
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "workers.projections"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _logged(log: Path, event: str) -> list[dict]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == event]


def test_a_rebuild_serves_the_old_version_until_the_new_one_has_caught_up_then_switches(
        households, env, settings, tmp_path):
    ids = [households.register(actor="anna", label=f"Fam. {n}", team="Noord").household_id for n in range(20)]
    for household_id in ids:
        households.record_contact(household_id, actor="anna", kind="huisbezoek", summary="Eerste bezoek")
    log = tmp_path / "worker.log"
    worker = _worker(settings, log)
    reader = versions.open_reader("plan", PlanView, env)
    stop, seen, failures = threading.Event(), [], []

    def write() -> None:  # the team keeps working during the rebuild
        n = 0
        while not stop.is_set():
            households.record_contact(ids[n % len(ids)], actor="bram", kind="telefonisch", summary=f"Belronde {n}")
            n += 1
            time.sleep(0.01)

    def read() -> None:  # and keeps reading plans: never an empty answer
        while not stop.is_set():
            try:
                docs = [reader.get(household_id) for household_id in ids[:3]]
                seen.append(all(doc is not None and doc["contacts"] >= 1 for doc in docs))
            except psycopg.Error as error:  # pragma: no cover - what the test is there to catch
                failures.append(error)

    try:
        reader.wait(households.name, households.recorder.max_notification_id(), timeout=TIMEOUT)
        threads = [threading.Thread(target=write), threading.Thread(target=read)]
        for thread in threads:
            thread.start()
        result = rebuild(PlanProjection, PlanView, env, batch=7)
        stop.set()
        for thread in threads:
            thread.join()
        last = households.recorder.max_notification_id()
        reader.wait(households.name, last, timeout=TIMEOUT)
        _wait_until(lambda: _logged(log, "projection.switched"), timeout=TIMEOUT)
    finally:
        stop.set()
        worker.terminate()
        worker.wait(timeout=10)

    assert (result.previous, result.version, result.retired) == (1, 2, True)
    assert result.events >= 40
    assert failures == [] and seen and all(seen)
    assert versions.active_versions(env)["plan"] == 2
    assert {"plan_v2", "plan_v2_tracking"} <= _tables(settings)
    assert not {"plan_v1", "plan_v1_tracking"} & _tables(settings)
    assert _logged(log, "projection.switched")[0]["version"] == 2
    assert _logged(log, "worker.stopped") and not _logged(log, "projection.stopped_with_error")
    events = list(_events(households))
    live = {h: reader.get(h) for h in ids}
    assert _checksum(live) == _checksum({h: plan.replay(e for e in events if e.originator_id == h) for h in ids})


def test_a_rebuild_without_a_worker_switches_and_drops_the_old_version_at_once(households, env, settings):
    household_id = households.register(actor="anna", label="Fam. Alleen", team="Zuid").household_id
    households.record_contact(household_id, actor="anna", kind="eropaf", summary="Eropaf")
    reader = versions.open_reader("timeline", TimelineView, env)
    assert reader.rows(household_id) == []  # no worker has run: version 1 is empty

    result = rebuild(TimelineProjection, TimelineView, env)

    assert (result.version, result.events, result.retired) == (2, 3, True)
    rows = reader.rows(household_id)  # the same reader object, now reading version 2
    assert [row.kind for row in rows] == ["Registered", "CheckInScheduled", "ContactRecorded"]
    assert rows == [timeline.to_row(e, p) for e, p in zip(_events(households), _positions(households), strict=True)]
    assert "timeline_v1" not in _tables(settings)


def _positions(households):
    return [n.id for n in households.recorder.select_notifications(start=None, limit=100)]


def test_an_interrupted_rebuild_leaves_nothing_the_next_one_trips_over(households, env, settings):
    households.register(actor="anna", label="Fam. Half", team="Zuid")
    versions.ensure("plan", PlanView, env)
    half_built = versions.construct("plan_v2", PlanView, env, create=True)  # as a killed rebuild leaves it
    half_built.insert_tracking(Tracking(households.name, 1))
    half_built.datastore.close()

    result = rebuild(PlanProjection, PlanView, env)

    assert (result.version, result.events) == (2, 2)  # from the start, not from the leftover's position
    assert versions.active_versions(env)["plan"] == 2


def test_only_one_rebuild_of_a_projection_runs_at_a_time(households, env):
    versions.ensure("plan", PlanView, env)
    other = Lease(versions.conninfo(env), lease_name(env, "plan.rebuild"))
    assert other.try_acquire()
    try:
        with pytest.raises(RuntimeError, match="another rebuild"):
            rebuild(PlanProjection, PlanView, env)
    finally:
        other.release()
    assert versions.active_versions(env)["plan"] == 1


def test_the_hash_chain_is_never_rebuilt(env):
    with pytest.raises(ValueError, match="evidence"):
        rebuild(ChainProjection, ChainView, env)


def test_tables_of_an_unversioned_release_are_replaced_by_version_one(households, env, settings):
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE "{settings.postgres_schema}".plan (household_id uuid, doc jsonb)')
        conn.execute(f'CREATE TABLE "{settings.postgres_schema}".plan_tracking (application_name text)')
    assert versions.ensure("plan", PlanView, env) == 1
    with psycopg.connect(settings.database_url) as conn:
        kinds = dict(conn.execute("SELECT relname, relkind FROM pg_class c JOIN pg_namespace n ON n.oid = relnamespace"
                                  " WHERE nspname = %s AND relname IN ('plan', 'plan_tracking')",
                                  (settings.postgres_schema,)).fetchall())
    assert kinds == {"plan": "v", "plan_tracking": "v"}


class CountingPlanView(PlanView):
    """The plan view, noting the size of every batch it is given."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []

    def apply_batch(self, batch) -> None:
        super().apply_batch(batch)
        self.batches.append(len(batch))


def test_a_runner_catching_up_folds_many_events_per_transaction_and_equals_a_replay(households, env):
    ids = [households.register(actor="anna", label=f"Fam. {n}", team="West").household_id for n in range(30)]
    for n in range(200):
        households.record_contact(ids[n % 30], actor="carla", kind="telefonisch", summary=f"Contact {n}")
    last = households.recorder.max_notification_id()

    with BatchRunner(projection_class=PlanProjection, view_class=CountingPlanView, env=env) as runner:
        runner.wait(last, timeout=TIMEOUT)
        backlog = list(runner.view.batches)
        households.record_contact(ids[0], actor="carla", kind="telefonisch", summary="Nog één")
        runner.wait(households.recorder.max_notification_id(), timeout=TIMEOUT)
        docs = {h: runner.view.get(h) for h in ids}

    assert sum(backlog) == last == 30 * 2 + 200
    assert len(backlog) < 10  # hundreds of events, a handful of transactions
    assert runner.view.batches[len(backlog):] == [1]
    events = list(_events(households))
    assert _checksum(docs) == _checksum({h: plan.replay(e for e in events if e.originator_id == h) for h in ids})


def test_the_command_line_rebuilds_a_projection_and_refuses_unknown_ones(households, settings):
    households.register(actor="anna", label="Fam. Cli", team="Noord")
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema}
    done = subprocess.run([sys.executable, "-m", "waakvlam.cli", "rebuild", "caseload"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "caseload: version 2 built from 2 events" in done.stdout
    assert "2 of 2 events (100 %), about 0 s to go" in done.stdout  # it shows how far it is
    status = subprocess.run([sys.executable, "-m", "waakvlam.cli", "projections"], env=env, capture_output=True,
                            text=True, check=True).stdout
    assert any(line.split()[:2] == ["caseload", "v2"] for line in status.splitlines())
    unknown = subprocess.run([sys.executable, "-m", "waakvlam.cli", "rebuild", "agenda"], env=env,
                             capture_output=True, text=True)
    assert (unknown.returncode, "no projection 'agenda'" in unknown.stderr) == (2, True)
