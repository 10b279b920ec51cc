"""A household with a long history loads from a snapshot, and is exactly what
replaying all of its events gives; any past version can be reloaded."""

from __future__ import annotations

from tests.domain.support import ACTOR, day, reader_of, replay, state


def a_long_history(app, household, contacts=30):
    """About two events per step: a steady household followed for a long time."""
    seen = {}
    for n in range(contacts):
        check_in = app.get(household).next_check_in["id"]
        if n % 3 == 0:
            app.complete_check_in(household, check_in, actor=ACTOR, kind="huisbezoek", occurred_at=day(n))
        else:
            app.record_contact(household, actor=ACTOR, kind="telefonisch", occurred_at=day(n))
        if n == 10:
            app.escalate(household, actor=ACTOR, to_level="intensief", reason="zorgen", occurred_at=day(n))
        if n == 20:
            app.de_escalate(household, actor=ACTOR, to_level="waakvlam", reason="beter", occurred_at=day(n))
        current = app.get(household)
        seen[current.version] = state(current)
    return seen


def test_a_short_history_has_no_snapshot(app, household):
    for _ in range(10):
        app.record_contact(household, actor=ACTOR, kind="telefonisch")
    assert list(app.snapshots.get(household)) == []


def test_after_fifty_events_the_household_loads_from_a_snapshot_to_the_same_state(app, household):
    a_long_history(app, household)
    version = app.get(household).version
    assert version > 50

    snapshots = list(app.snapshots.get(household))
    assert [s.originator_version for s in snapshots] == [50]
    assert snapshots[0].state["intensity"] in {"intensief", "waakvlam"}

    from_snapshot = app.repository.get(household)
    from_events = replay(app, household)
    assert from_snapshot.version == from_events.version == version
    assert state(from_snapshot) == state(from_events)
    assert isinstance(from_snapshot.next_check_in["due"], type(from_events.next_check_in["due"]))


def test_a_second_process_reading_the_same_store_sees_the_same_household(app, household):
    a_long_history(app, household)
    reader = reader_of(app)

    assert reader.recorder is app.recorder
    assert state(reader.get(household)) == state(app.get(household))
    assert state(reader.get(household)) == state(replay(app, household))


def test_every_past_version_reloads_to_what_it_was_then(app, household):
    seen = a_long_history(app, household)
    assert min(seen) < 50 < max(seen)

    for version, then in seen.items():
        assert state(app.repository.get(household, version=version)) == then, version
        assert state(replay(app, household, version=version)) == then, version


def test_a_snapshot_holds_the_state_of_the_household_at_its_version(app, household):
    a_long_history(app, household)

    (snapshot,) = app.snapshots.get(household)

    at_fifty = state(replay(app, household, version=50))
    assert snapshot.state == {k: v for k, v in at_fifty.items() if k not in ("_id", "_version")}
    assert app.repository.get(household, version=50).version == 50
