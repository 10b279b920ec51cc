"""The household's events on real PostgreSQL: stored, reloaded, snapshotted,
and written exactly once per idempotency key."""

from __future__ import annotations

import psycopg
import pytest

from domain.application import Households, Idempotency
from domain.errors import DuplicateRequest, StaleVersion


def test_a_registered_household_is_reloaded_from_postgresql_by_a_fresh_application(households, env):
    outcome = households.register(actor="anna", label="Fam. Jansen", team="Wijkteam Noord")
    households.record_contact(outcome.household_id, actor="anna", kind="keukentafelgesprek", summary="Eerste gesprek")

    fresh = Households(env=env)
    try:
        household = fresh.get(outcome.household_id)
    finally:
        fresh.close()
    assert household.label == "Fam. Jansen"
    assert household.version == 3
    assert household.last_contact_at is not None
    assert household.next_check_in is not None


def test_a_long_history_is_loaded_from_a_snapshot(households, env, settings, database_url):
    household_id = households.register(actor="anna", label="Fam. Bakker", team="Noord").household_id
    for _ in range(120):
        households.record_contact(household_id, actor="anna", kind="telefonisch")
    with psycopg.connect(database_url) as conn:
        snapshots = conn.execute(
            f'SELECT originator_version FROM "{settings.postgres_schema}".waakvlam_snapshots '
            "WHERE originator_id = %s ORDER BY originator_version", (household_id,)).fetchall()
    assert [v for (v,) in snapshots] == [50, 100]
    fresh = Households(env=env)
    try:
        assert fresh.get(household_id).version == 122
    finally:
        fresh.close()


def test_an_idempotency_key_is_committed_with_its_events_and_a_second_use_records_nothing(households):
    household_id = households.register(actor="anna", label="Fam. Smit", team="Zuid").household_id
    first = households.record_contact(household_id, actor="anna", kind="huisbezoek",
                                      idempotency=Idempotency("key-1", "anna", "fp"))
    with pytest.raises(DuplicateRequest):
        households.record_contact(household_id, actor="anna", kind="huisbezoek",
                                  idempotency=Idempotency("key-1", "anna", "fp"))
    assert households.get(household_id).version == first.version
    fingerprint, outcome = households.recorder.find_idempotency_key("anna", "key-1")
    assert fingerprint == "fp"
    assert outcome["version"] == first.version and outcome["position"] == first.position
    # The same key of another user is another request.
    households.record_contact(household_id, actor="bram", kind="huisbezoek",
                              idempotency=Idempotency("key-1", "bram", "fp"))
    assert households.get(household_id).version == first.version + 1


def test_a_stale_expected_version_never_overwrites(households):
    household_id = households.register(actor="anna", label="Fam. Visser", team="Zuid").household_id
    households.record_contact(household_id, actor="bram", kind="telefonisch")
    with pytest.raises(StaleVersion):
        households.record_contact(household_id, actor="anna", kind="telefonisch", expected_version=2)
    assert households.get(household_id).version == 3


def test_an_intent_command_retries_a_version_race(households, env):
    household_id = households.register(actor="anna", label="Fam. Mulder", team="Zuid").household_id
    other = Households(env=env)
    try:
        loaded = households.get
        raced = {"done": False}

        def get_then_race(hid):
            household = loaded(hid)
            if not raced["done"]:
                raced["done"] = True  # another user saves between our load and our save
                other.record_contact(hid, actor="bram", kind="telefonisch")
            return household

        households.get = get_then_race
        outcome = households.record_contact(household_id, actor="anna", kind="huisbezoek")
    finally:
        other.close()
        del households.get
    assert outcome.version == 4
    kinds = [type(e).__name__ for e in households.events.get(household_id)]
    assert kinds.count("ContactRecorded") == 2


def test_a_server_saves_snapshots_after_answering_and_they_serve_the_next_load(env, settings, database_url):
    server_side = Households(env=env, background_snapshots=True)
    try:
        household_id = server_side.register(actor="anna", label="Fam. Achtergrond", team="Noord").household_id
        for _ in range(60):
            server_side.record_contact(household_id, actor="anna", kind="telefonisch")
    finally:
        server_side.close()  # waits for the snapshots still being saved
    with psycopg.connect(database_url) as conn:
        (snapshot_version,) = conn.execute(
            f'SELECT max(originator_version) FROM "{settings.postgres_schema}".waakvlam_snapshots '
            "WHERE originator_id = %s", (household_id,)).fetchone()
    assert snapshot_version == 50
    fresh = Households(env=env)
    try:
        assert fresh.get(household_id).version == 62
    finally:
        fresh.close()
