"""The benchmark store (benchmarks/store.py): a small one, filled on real PostgreSQL, holds what
it says and every household in it replays through the application."""

from __future__ import annotations

import psycopg
from psycopg.sql import SQL, Identifier

from benchmarks.store import fill
from domain.application import Households


def test_a_small_benchmark_store_replays_household_by_household(database_url, schema, env):
    info = fill(database_url, schema, events=3000, long_history=300, seed=7)

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(SQL(
            "SELECT originator_id, max(originator_version), count(*),"
            " bool_and(originator_version = position) FROM ("
            "  SELECT originator_id, originator_version,"
            "         row_number() OVER (PARTITION BY originator_id ORDER BY notification_id) AS position"
            "  FROM {0}.waakvlam_events) AS log GROUP BY originator_id").format(Identifier(schema))).fetchall()
        total = conn.execute(SQL("SELECT count(*), max(notification_id) FROM {0}.waakvlam_events").format(
            Identifier(schema))).fetchone()
    assert 3000 <= info.events == total[0] == total[1] < 3600  # no gaps in the log
    assert info.households == len(rows) > 30
    assert all(in_order for *_, in_order in rows), "a household's events are in version order in the log"

    app = Households(env={**env, "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        for household_id, version, count, _ in rows:
            assert count == version
            assert app.repository.get(household_id).version == version
        long = app.repository.get(info.long_household)
    finally:
        app.close()
    assert long.version == info.long_events == 300
    assert long.label == "Fam. Langeveld" and long.next_check_in is not None
