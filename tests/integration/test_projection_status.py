"""`waakvlam projections`: where each projection stands and whether a worker runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from workers.lease import Lease, lease_name
from workers.projections import PROJECTIONS
from workers.status import projection_status


def test_the_status_shows_a_running_projection_caught_up_and_the_others_behind(households, plan_worker, settings,
                                                                                 env):
    for n in range(3):
        households.register(actor="anna", label=f"Fam. {n}", team="Noord")
    head = households.recorder.max_notification_id()
    plan_worker.wait(head, timeout=10)
    lease = Lease(settings.database_url, lease_name(env, "plan_v1"))
    assert lease.try_acquire()
    try:
        statuses = {s.name: s for s in projection_status(env)}
    finally:
        lease.release()

    assert (statuses["plan"].version, statuses["plan"].position, statuses["plan"].lag, statuses["plan"].active) == (
        1, head, 0, True)
    assert (statuses["caseload"].position, statuses["caseload"].lag, statuses["caseload"].active) == (None, 6, False)
    assert all(s.head == head for s in statuses.values())


def test_the_command_line_prints_one_line_per_projection(households, settings):
    households.register(actor="anna", label="Fam. Cli", team="Noord")
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema}
    output = subprocess.run([sys.executable, "-m", "waakvlam.cli", "projections"], env=env, capture_output=True,
                            text=True, check=True).stdout
    lines = [line for line in output.splitlines() if "position" in line]
    assert [line.split()[0] for line in lines] == [projection.name for projection, _ in PROJECTIONS]
    assert {"caseload", "plan", "timeline", "chain", "schedule"} <= {line.split()[0] for line in lines}
    assert all("lag        2" in line and "no worker" in line for line in lines)
