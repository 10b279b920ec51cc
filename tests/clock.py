"""Run the tests with the clock fixed at a moment that breaks date assumptions (issue 15).

`WAAKVLAM_TEST_CLOCK=MOMENT pytest` moves this process's clock to MOMENT with `time-machine` for the
whole run, from before any test module is imported; the clock then ticks on from there. MOMENT is an ISO instant with
its offset, or one of the named moments below. PostgreSQL keeps the real clock: the tests that
compare it with ours are marked `real_clock` and skipped under a fixed clock, as are the tests that
start other processes (they would run on the real clock).

The named moments are where "the UTC date is the Dutch date" and "a day has 24 hours" fail.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

CLOCK_SETTING = "WAAKVLAM_TEST_CLOCK"

MOMENTS: dict[str, str] = {
    "late-evening-winter": "2026-12-01T23:30:00+01:00",  # UTC 22:30: still 1 December in UTC and here
    "after-midnight-winter": "2026-12-02T00:30:00+01:00",  # UTC is still 1 December; here it is the 2nd
    "after-midnight-summer": "2026-07-15T00:30:00+02:00",  # two hours apart, and 50 days ago was summer too
    "late-evening-summer": "2026-06-30T23:30:00+02:00",
    "spring-forward": "2027-03-28T03:30:00+02:00",  # the night the clocks jump from 02:00 to 03:00
    "spring-forward-eve": "2027-03-27T23:30:00+01:00",  # the evening before: tomorrow has 23 hours
    "fall-back": "2026-10-25T02:30:00+01:00",  # the second 02:30 of the night the clocks go back
    "fall-back-next-evening": "2026-10-25T23:30:00+01:00",  # the day had 25 hours
    "new-years-eve": "2026-12-31T23:30:00+01:00",  # UTC is still in the old year for another 90 minutes
    "new-years-night": "2027-01-01T00:30:00+01:00",  # the new year here, the old one in UTC
    "leap-day": "2028-02-29T23:30:00+01:00",  # a year ago and a year on have no 29 February
    "leap-day-night": "2028-03-01T00:30:00+01:00",
}

# `make test` re-runs the date tests at four of these (Makefile, CLOCKS_IN_MAKE_TEST): one of each kind
# of trap; `make test-every-clock` runs every test that touches dates at all of them.


def moment(value: str) -> datetime:
    instant = datetime.fromisoformat(MOMENTS.get(value, value))
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{CLOCK_SETTING} needs an offset or a named moment ({', '.join(MOMENTS)}): {value}")
    return instant


def _start() -> object | None:
    """Travel now, on import: the root conftest imports this before any test module computes "today"."""
    value = os.environ.get(CLOCK_SETTING)
    if not value:
        return None
    import time_machine

    traveller = time_machine.travel(moment(value), tick=True)
    traveller.start()
    return traveller


_TRAVELLER = _start()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_clock: compares our clock with PostgreSQL's or another process's; "
                                       "not run with the clock fixed")


def pytest_report_header(config: pytest.Config) -> str | None:
    value = os.environ.get(CLOCK_SETTING)
    return f"clock fixed at {moment(value).isoformat()} ({value}), ticking on" if value else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get(CLOCK_SETTING):
        return
    skip = pytest.mark.skip(reason="runs on PostgreSQL's or another process's clock, not the fixed one")
    for item in items:
        if item.get_closest_marker("real_clock"):
            item.add_marker(skip)
