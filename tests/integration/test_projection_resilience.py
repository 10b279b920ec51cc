"""A projection outlives a lost database session: its runner folds the batch again on a new
connection, and every event still counts once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import OperationalError, Tracking

from projections import versions
from projections.caseload import CaseloadProjection, CaseloadView, fold, replay
from projections.versions import open_reader
from workers.runner import BatchRunner, fold_batch

stall = threading.Event()  # set: the next fold pauses longer than the server lets a transaction idle


def _stalling_fold(row, event):
    if stall.is_set():
        stall.clear()
        threading.Event().wait(2.0)
    return fold(row, event)


class StallingCaseloadView(CaseloadView):
    fold = staticmethod(_stalling_fold)


def _histories(households, count: int) -> None:
    start = datetime.now(UTC) - timedelta(days=30)
    for n in range(count):
        household_id = households.register(actor="anna", label=f"Fam. {n}", team="Noord",
                                           occurred_at=start).household_id
        households.assign_coordinator(household_id, actor="carla", coordinator="bram")
        households.record_contact(household_id, actor="anna", kind="telefonisch", occurred_at=start + timedelta(days=1))


def _events(households):
    for notification in households.recorder.select_notifications(start=None, limit=10**6):
        yield households.mapper.to_domain_event(notification)


def test_a_runner_whose_session_the_server_ended_folds_again_and_counts_every_event_once(households, env):
    # The server ends a session that idles in a transaction for a second; this fold idles two.
    runner_env = {**env, "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "1"}
    _histories(households, 5)
    stall.set()
    with BatchRunner(projection_class=CaseloadProjection, view_class=StallingCaseloadView, env=runner_env) as runner:
        last = households.recorder.max_notification_id()
        runner.view.wait(households.name, last, timeout=30)
        assert not stall.is_set(), "the fold never stalled, so no session was lost"
        _histories(households, 3)  # and it keeps going afterwards
        runner.view.wait(households.name, households.recorder.max_notification_id(), timeout=30)
        assert runner._thread_error is None

    assert open_reader(CaseloadProjection.name, CaseloadView, env).all_rows() == replay(_events(households))


def _caseload_view(env: dict[str, str]) -> CaseloadView:
    """The caseload's active tables, written here by hand instead of by a runner."""
    version = versions.ensure(CaseloadProjection.name, CaseloadView, env)
    return versions.construct(versions.physical(CaseloadProjection.name, version), CaseloadView, env, create=True)


def _numbered(households) -> list:
    return [(event, Tracking(households.name, n)) for n, event in enumerate(_events(households), start=1)]


class _FailingOnce:
    """A projection whose first attempt loses its connection after committing (the worst case:
    the client cannot tell whether its COMMIT arrived)."""

    def __init__(self, view) -> None:
        self.view = view
        self.calls: list[list[int]] = []

    def process_batch(self, batch) -> None:
        self.calls.append([t.notification_id for _, t in batch])
        if len(self.calls) == 1:
            self.view.apply_batch(batch[:2])  # committed: two events and their position
            raise OperationalError("server closed the connection unexpectedly")
        self.view.apply_batch(batch)


def test_a_retry_skips_what_the_lost_transaction_had_committed(households, env):
    _histories(households, 2)
    view = _caseload_view(env)
    projection = _FailingOnce(view)
    batch = _numbered(households)
    positions = [tracking.notification_id for _, tracking in batch]

    fold_batch(projection, households.name, batch, threading.Event(), delays=(0.01,))

    assert projection.calls == [positions, positions[2:]]
    assert view.max_tracking_id(households.name) == positions[-1]
    assert view.all_rows() == replay(_events(households))


def test_a_runner_gives_up_after_its_retries_and_says_why(households, env):
    class AlwaysFailing:
        def __init__(self, view) -> None:
            self.view = view
            self.attempts = 0

        def process_batch(self, batch) -> None:
            self.attempts += 1
            raise OperationalError("the database is away")

    _histories(households, 1)
    projection = AlwaysFailing(_caseload_view(env))

    with pytest.raises(OperationalError, match="away"):
        fold_batch(projection, households.name, _numbered(households), threading.Event(), delays=(0.01, 0.01))
    assert projection.attempts == 3
