"""Running a projection: the library's runner, fed in batches, on a versioned view.

`BatchRunner` is the library's `ProjectionRunner` with two differences. It hands
the projection every notification the subscription has already read (up to
`BATCH`) at once, so one transaction writes many events: a projection catching
up after a restart or a burst writes large batches, one keeping up writes small
ones, and its lag stays near one round trip. And it writes the projection's
active version (`NAME_vN`, see `projections.versions`), not a fixed table.

`rebuild()` fills a NEW version from the event store in large batches while the
active version keeps serving, then switches readers over when it has caught up.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from traceback import format_exc
from typing import Any
from warnings import warn

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, Tracking
from eventsourcing.projection import ApplicationSubscription, BaseProjectionRunner

from domain.application import Households
from projections import versions
from workers.lease import Lease, lease_name

BATCH = 2000  # the most events one live transaction folds
REBUILD_BATCH = 100_000  # events folded per transaction by a rebuild
READ_PAGE = 10_000  # events read from the store per query by a rebuild
RETRY_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0, 5.0, 5.0, 10.0, 10.0, 10.0)  # seconds between attempts at one batch


def application_class(projection: type) -> type:
    return getattr(projection, "application_class", Households)


class BatchRunner(BaseProjectionRunner[Any]):
    def __init__(self, *, projection_class: type, view_class: type, env: dict[str, str],
                 version: int | None = None) -> None:
        name = projection_class.name
        if versions.versioned(view_class):
            self.version: int | None = version or versions.ensure(name, view_class, env)
            self.table = versions.physical(name, self.version)
        else:
            self.version, self.table = None, name
        self.view = versions.construct(self.table, view_class, env, create=True)
        self.projection = projection_class(view=self.view)
        super().__init__(projection=self.projection, application_class=application_class(projection_class),
                         tracking_recorder=self.view, topics=self.projection.topics, env=env)

    def close(self) -> None:
        """Stop, wait until the runner's threads have finished writing, and let go of connections.
        Raises the error that stopped the runner, if one did."""
        self.stop()
        self._stop_thread.join()
        self._processing_thread.join()
        self.app.close()
        self.view.datastore.close()
        if self._thread_error is not None:
            error, self._thread_error = self._thread_error, None
            raise error

    @staticmethod
    def _process_events_loop(subscription: ApplicationSubscription[Any], projection: Any, is_stopping: Any,
                             runner: weakref.ReferenceType[Any]) -> None:
        """As the library's loop, but a batch at a time."""
        try:
            while True:
                try:
                    notifications = subscription.subscription.next_batch(BATCH)  # type: ignore[attr-defined]
                except StopIteration:
                    break
                fold_batch(projection, subscription.name,
                           [(subscription.mapper.to_domain_event(n), Tracking(subscription.name, n.id))
                            for n in notifications], is_stopping)
        except BaseException as error:
            _runner = runner()
            if _runner is not None:
                _runner._thread_error = error
            else:
                warn("ProjectionRunner was deleted before error could be assigned:\n" + format_exc(),
                     RuntimeWarning, stacklevel=2)
        finally:
            is_stopping.set()


def fold_batch(projection: Any, application_name: str, batch: list[tuple[Any, Tracking]], is_stopping: Any,
               delays: tuple[float, ...] = RETRY_DELAYS) -> None:
    """Fold one batch. A lost connection (the server restarted, a timeout ended the session) is not a
    reason for a projection to stop: try again, on a new connection. Whether the lost transaction's
    COMMIT reached the server is unknown, so a retry first drops what the view has recorded since."""
    attempt = 0
    while True:
        try:
            if attempt:
                done = projection.view.max_tracking_id(application_name) or 0
                batch = [item for item in batch if item[1].notification_id > done]
            if batch:
                projection.process_batch(batch)
            return
        except (OperationalError, InterfaceError, psycopg.OperationalError):  # psycopg: PoolTimeout (waakvlam/pool.py)
            if attempt == len(delays) or is_stopping.wait(delays[attempt]):
                raise
            attempt += 1


@dataclass(frozen=True)
class RebuildResult:
    name: str
    version: int
    previous: int
    events: int
    seconds: float
    retired: bool = False  # the previous version's tables are dropped

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        return (f"{self.name}: version {self.version} built from {self.events} events in {self.seconds:.1f} s"
                f" ({self.rate:,.0f} events/s); readers switched from version {self.previous}"
                + ("" if self.retired else f" (version {self.previous} is still in use and was kept)"))


def catch_up(projection_class: type, view: Any, env: dict[str, str], *, batch: int = REBUILD_BATCH,
             page: int = READ_PAGE, progress: Callable[[int], None] | None = None) -> int:
    """Feed `view` every event after its position until none is left, `batch` events per transaction
    (read `page` at a time); the count. A large batch touches each household's row once for many of its
    events: in a store of 20,000 households, 5,000 events touch 4,000 rows, 100,000 events 20,000."""
    app = application_class(projection_class)(env=env)
    projection = projection_class(view=view)
    done = 0
    try:
        position = view.max_tracking_id(app.name) or 0
        while True:
            events: list[tuple[Any, Tracking]] = []
            while len(events) < batch:
                notifications = app.recorder.select_notifications(
                    start=position, limit=min(page, batch - len(events)), inclusive_of_start=False)
                if not notifications:
                    break
                events.extend((app.mapper.to_domain_event(n), Tracking(app.name, n.id)) for n in notifications)
                position = notifications[-1].id
            if not events:
                return done
            projection.process_batch(events)
            done += len(events)
            if progress:
                progress(done)
    finally:
        app.close()


def rebuild(projection_class: type, view_class: type, env: dict[str, str], *, batch: int = REBUILD_BATCH,
            progress: Callable[[int], None] | None = None) -> RebuildResult:
    """Build the next version of a projection from the whole event store while the
    active version keeps serving; switch readers to it once it has caught up."""
    name = projection_class.name
    if not versions.versioned(view_class):
        raise ValueError(f"{name} is not rebuilt: it is evidence, and is only ever extended")
    previous = versions.ensure(name, view_class, env)
    building = Lease(versions.conninfo(env), lease_name(env, f"{name}.rebuild"))
    if not building.try_acquire():
        raise RuntimeError(f"another rebuild of {name} is running")
    try:
        for left_over in (v for v in versions.stored_versions(name, env) if v > previous):
            versions.drop(name, left_over, env)  # an interrupted rebuild's: start afresh
        version = max([*versions.stored_versions(name, env), previous]) + 1
        started = time.perf_counter()
        view = versions.construct(versions.physical(name, version), view_class, env, create=True)
        try:
            events = catch_up(projection_class, view, env, batch=batch, progress=progress)
            # What arrived while the bulk was written is little: fold it too, then switch.
            events += catch_up(projection_class, view, env, batch=batch)
            seconds = time.perf_counter() - started
            versions.switch(name, version, env)
        finally:
            view.datastore.close()
    finally:
        building.release()
    retired = retire(name, previous, env)
    return RebuildResult(name, version, previous, events, seconds, retired)


def retire(name: str, version: int, env: dict[str, str], *, timeout: float = 30.0) -> bool:
    """Drop an old version once no worker runs it: a worker gives up a version's
    lease only after its runner stopped writing. False if one still ran it at the timeout."""
    lease = Lease(versions.conninfo(env), lease_name(env, versions.physical(name, version)))
    deadline = time.monotonic() + timeout
    while not lease.try_acquire():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    try:
        versions.drop(name, version, env)
    finally:
        lease.release()
    return True
