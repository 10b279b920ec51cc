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
import time

import psycopg
import structlog

from projections import versions
from projections.caseload import CaseloadProjection, CaseloadView
from projections.chain import ChainProjection, ChainView
from projections.consents import ConsentsProjection, ConsentsView
from projections.notifications import NotificationsProjection, NotificationsView
from projections.plan import PlanProjection, PlanView
from projections.schedule import ScheduleProjection, ScheduleView
from projections.signals import SignalsProjection, SignalsView
from projections.timeline import TimelineProjection, TimelineView
from waakvlam.database import eventsourcing_env
from waakvlam.logs import configure_logging
from waakvlam.settings import get_settings
from workers.lease import Lease, lease_name
from workers.runner import BatchRunner

PROJECTIONS = [(CaseloadProjection, CaseloadView), (PlanProjection, PlanView), (TimelineProjection, TimelineView),
               (ChainProjection, ChainView), (ScheduleProjection, ScheduleView), (SignalsProjection, SignalsView),
               (NotificationsProjection, NotificationsView), (ConsentsProjection, ConsentsView)]

TAKEOVER_INTERVAL = 0.5  # seconds between a standby's attempts to take a lease (and looks for a new version)
RESTART_PAUSE = 5.0  # seconds before a failed projection is taken up again


def table_of(name: str, version: int | None) -> str:
    """The table a projection's worker writes: its active version's, or its one table."""
    return name if version is None else versions.physical(name, version)


def run() -> None:
    os.environ["PGAPPNAME"] = "waakvlam projections"  # whose connections they are, in pg_stat_activity
    settings = get_settings()
    configure_logging(settings.log_level)
    log = structlog.get_logger("worker")
    env = {**eventsourcing_env(settings), "POSTGRES_POOL_SIZE": str(settings.worker_pool_size)}
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    for projection, view in PROJECTIONS:
        if versions.versioned(view):
            versions.ensure(projection.name, view, env)
    leases: dict[str, Lease] = {}
    runners: dict[str, BatchRunner] = {}
    paused_until: dict[str, float] = {}  # a failed projection's restart time
    log.info("worker.started", projections=[p.name for p, _ in PROJECTIONS], pid=os.getpid())
    try:
        while not stop.is_set():
            try:
                active = versions.active_versions(env)
            except psycopg.OperationalError:  # the database is away: the runners retry, and so do we
                log.warning("worker.database_unavailable", pid=os.getpid())
                stop.wait(RESTART_PAUSE)
                continue
            for projection, view in PROJECTIONS:
                name = projection.name
                wanted = active.get(name) if versions.versioned(view) else None
                runner = runners.get(name)
                if runner is not None and runner.version != wanted:
                    # A rebuild switched readers to a new version: stop writing the old one, then let go of it.
                    _stop(runners.pop(name), log)
                    leases.pop(name).release()
                    log.info("projection.switched", projection=name, version=wanted, pid=os.getpid())
                    runner = None
                if runner is None and paused_until.get(name, 0.0) > time.monotonic():
                    continue
                if runner is None:
                    lease = leases.get(name)
                    if lease is None or lease.name != lease_name(env, table_of(name, wanted)):
                        lease = leases[name] = Lease(versions.conninfo(env), lease_name(env, table_of(name, wanted)),
                                                     shared=True)
                    if lease.try_acquire():
                        try:
                            runners[name] = BatchRunner(projection_class=projection, view_class=view, env=env,
                                                        version=wanted)
                        except Exception as error:
                            _pause(name, error, leases, paused_until, log)
                            continue
                        log.info("projection.active", projection=name, version=wanted, pid=os.getpid())
                elif not leases[name].still_held():
                    _stop(runners.pop(name), log)
                    leases.pop(name)
                    log.warning("projection.lease_lost", projection=name, pid=os.getpid())
                else:
                    try:
                        runner.run_forever(timeout=0)  # re-raises a projection's error
                    except Exception as error:
                        _stop(runners.pop(name), log)
                        _pause(name, error, leases, paused_until, log)
            stop.wait(TAKEOVER_INTERVAL)
    finally:
        for runner in runners.values():
            _stop(runner, log)
        for lease in leases.values():
            lease.release()
        log.info("worker.stopped", pid=os.getpid())


def _pause(name: str, error: Exception, leases: dict[str, Lease], paused_until: dict[str, float],
           log: structlog.typing.FilteringBoundLogger) -> None:
    """One projection failing (after its runner's own retries) must not stop the others: let go of its
    lease, and take it up again (from its recorded position) after a pause."""
    log.error("projection.failed", projection=name, error=type(error).__name__, pid=os.getpid())
    leases.pop(name).release()
    paused_until[name] = time.monotonic() + RESTART_PAUSE


def _stop(runner: BatchRunner, log: structlog.typing.FilteringBoundLogger) -> None:
    """Stop a runner and wait until its threads have finished writing."""
    try:
        runner.close()
    except Exception as error:  # the runner is being let go of; its error must not stop the others
        log.error("projection.stopped_with_error", error=type(error).__name__)


if __name__ == "__main__":
    sys.exit(run())
