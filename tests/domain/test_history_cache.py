"""The history behind "as of" questions: decoded once, extended with what is new, never stale."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from domain.history import HistoryCache
from projections.plan import plan_as_of
from tests.domain.support import ACTOR


def test_a_cached_history_grows_with_every_new_event_and_matches_the_store(app, household):
    first = app.history(household)
    app.record_contact(household, actor=ACTOR, kind="telefonisch", summary="Gebeld")
    second = app.history(household)

    assert second[: len(first)] == first
    assert [e.originator_version for e in second] == [e.originator_version for e in app.events.get(household)]
    assert type(second[-1]).__name__ == "ContactRecorded"


def test_folding_a_cached_history_twice_gives_the_same_plan_as_a_fresh_read(app, household):
    app.record_assessment(household, actor=ACTOR, scores={"finances": 2, "housing": 3})
    app.set_goal(household, actor=ACTOR, life_domain="finances", description="Grip op de post")
    app.record_contact(household, actor=ACTOR, kind="huisbezoek", summary="Keukentafel",
                       life_domains=["finances"])
    now = datetime.now(UTC)
    once = plan_as_of(app.history(household), as_of=now)
    twice = plan_as_of(app.history(household), as_of=now)

    assert once == twice == plan_as_of(list(app.events.get(household)), as_of=now)


def test_an_unknown_household_has_no_history_and_is_not_cached(app):
    assert app.history(uuid4()) == ()


def test_the_cache_holds_at_most_its_bound_least_recently_used_out_first():
    reads: list[tuple[object, object]] = []

    class Event:
        def __init__(self, version: int) -> None:
            self.originator_version = version

    def read(household_id, after):
        reads.append((household_id, after))
        return [Event(v) for v in range((after or 0) + 1, 4)]  # every household has 3 events

    cache = HistoryCache(read, max_events=6)
    a, b, c = uuid4(), uuid4(), uuid4()
    for household_id in (a, b, a, c):  # b is now the least recently used
        assert [e.originator_version for e in cache.get(household_id)] == [1, 2, 3]
    reads.clear()
    cache.get(a)
    cache.get(b)

    assert reads == [(a, 3), (b, None)]  # a was still cached (read only after version 3); b had gone
    cache.forget(b)
    reads.clear()
    cache.get(b)
    assert reads == [(b, None)]
