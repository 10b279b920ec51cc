"""The one retry-with-jitter (domain/retry.py) every command of domain/application.py uses when another
writer saved first."""

from __future__ import annotations

import pytest

from domain import retry as retry_module
from domain.errors import Contention
from domain.retry import retry


class Raced(Exception):
    pass


@pytest.fixture
def sleeps(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(retry_module.time, "sleep", slept.append)
    return slept


def _failing(times: int, error: type[BaseException] = Raced):
    calls = []

    def attempt() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= times:
            raise error("another writer saved first")
        return "saved"

    return attempt, calls


def test_it_tries_again_on_the_given_exception_until_the_attempt_succeeds(sleeps):
    attempt, calls = _failing(3)
    assert retry(attempt, on=Raced, what="household h", attempts=5) == "saved"
    assert calls == [1, 2, 3, 4] and len(sleeps) == 3


def test_it_gives_up_after_n_attempts_with_contention_naming_what(sleeps):
    attempt, calls = _failing(100)
    with pytest.raises(Contention, match=r"^household h stayed too busy to save after 4 attempts$"):
        retry(attempt, on=Raced, what="household h", attempts=4)
    assert calls == [1, 2, 3, 4]
    assert len(sleeps) == 3  # no pointless sleep after the last attempt


def test_another_exception_passes_through_at_once(sleeps):
    attempt, calls = _failing(1, KeyError)
    with pytest.raises(KeyError):
        retry(attempt, on=Raced, what="x", attempts=5)
    assert calls == [1] and sleeps == []


def test_the_jitter_is_random_and_bounded_by_step_times_the_attempts_so_far(sleeps):
    attempt, _ = _failing(1000)
    for _ in range(20):
        with pytest.raises(Contention):
            retry(attempt, on=(Raced, OSError), what="x", attempts=10, step=0.01)
    assert len(sleeps) == 20 * 9
    for n in range(1, 10):
        nth = sleeps[n - 1::9]  # the sleep before attempt n+1, in every run
        assert all(0 <= s <= 0.01 * n for s in nth)
        assert len(set(nth)) > 1  # random, not a fixed back-off
    assert max(sleeps) > 0.01  # and the bound grows: later sleeps may be longer than the first could be


def test_at_least_one_attempt():
    with pytest.raises(ValueError, match="at least 1"):
        retry(lambda: None, on=Raced, what="x", attempts=0)
