"""The projection worker: keeps the read models up to date, as its own process.

Uses the library's ProjectionRunner: it subscribes to the event store (LISTEN/
NOTIFY) from the position the view last recorded, and each view writes its rows
and that position in one transaction, so a killed worker resumes exactly where
it stopped.
"""

from __future__ import annotations

import signal
import sys
import threading

import structlog
from eventsourcing.projection import ProjectionRunner

from domain.application import Households
from projections.caseload import CaseloadProjection, CaseloadView
from projections.plan import PlanProjection, PlanView
from waakvlam.database import eventsourcing_env
from waakvlam.logs import configure_logging
from waakvlam.settings import get_settings

PROJECTIONS = [(CaseloadProjection, CaseloadView), (PlanProjection, PlanView)]


def run() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    log = structlog.get_logger("worker")
    env = eventsourcing_env(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    runners = [
        ProjectionRunner(application_class=Households, projection_class=projection, view_class=view, env=env)
        for projection, view in PROJECTIONS
    ]
    log.info("worker.started", projections=[p.name for p, _ in PROJECTIONS])
    try:
        while not stop.is_set():
            for runner in runners:
                runner.run_forever(timeout=0)  # re-raises a projection's error
            stop.wait(0.5)
    finally:
        for runner in runners:
            runner.stop()
        log.info("worker.stopped")


if __name__ == "__main__":
    sys.exit(run())
