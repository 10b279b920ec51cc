"""The projection worker: keeps the read models up to date, as its own process.

Uses the library's ProjectionRunner: it subscribes to the event store (LISTEN/
NOTIFY, and a periodic poll) from the position the view last recorded, and each
view writes its rows and that position in one transaction, so a killed worker
resumes exactly where it stopped. Several workers may run: per projection one
is active (it holds the projection's lease), the others stand by and take over.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import structlog
from eventsourcing.projection import ProjectionRunner

from domain.application import Households
from projections.caseload import CaseloadProjection, CaseloadView
from projections.chain import ChainProjection, ChainView
from projections.plan import PlanProjection, PlanView
from projections.timeline import TimelineProjection, TimelineView
from waakvlam.database import database_url, eventsourcing_env
from waakvlam.logs import configure_logging
from waakvlam.settings import get_settings
from workers.lease import Lease

PROJECTIONS = [(CaseloadProjection, CaseloadView), (PlanProjection, PlanView), (TimelineProjection, TimelineView),
               (ChainProjection, ChainView)]


def lease_name(schema: str, projection: str) -> str:
    return f"{schema}.{projection}"


TAKEOVER_INTERVAL = 0.5  # seconds between a standby's attempts to take a lease


def run() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    log = structlog.get_logger("worker")
    env = eventsourcing_env(settings)
    url = database_url(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    leases = {projection.name: Lease(url, lease_name(settings.postgres_schema, projection.name))
              for projection, _ in PROJECTIONS}
    runners: dict[str, ProjectionRunner] = {}
    log.info("worker.started", projections=list(leases), pid=os.getpid())
    try:
        while not stop.is_set():
            for projection, view in PROJECTIONS:
                lease, runner = leases[projection.name], runners.get(projection.name)
                if runner is None:
                    if lease.try_acquire():
                        runners[projection.name] = ProjectionRunner(
                            application_class=getattr(projection, "application_class", Households),
                            projection_class=projection, view_class=view, env=env)
                        log.info("projection.active", projection=projection.name, pid=os.getpid())
                elif not lease.still_held():
                    runners.pop(projection.name).stop()
                    log.warning("projection.lease_lost", projection=projection.name, pid=os.getpid())
                else:
                    runner.run_forever(timeout=0)  # re-raises a projection's error
            stop.wait(TAKEOVER_INTERVAL)
    finally:
        for runner in runners.values():
            runner.stop()
        for lease in leases.values():
            lease.release()
        log.info("worker.stopped", pid=os.getpid())


if __name__ == "__main__":
    sys.exit(run())
