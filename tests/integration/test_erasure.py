"""Erasure on PostgreSQL: after a household is forgotten, a dump of the whole database holds none of
its names, addresses or notes, in any table; the hash chain over the unchanged event store still
verifies; and the projections, live and rebuilt, replay the redacted events without the household."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pgserver
import psycopg

from domain.erasure import REDACTED
from domain.household import FORGOTTEN
from projections.caseload import CaseloadProjection, CaseloadView
from projections.plan import PlanProjection, PlanView
from projections.timeline import TimelineProjection, TimelineView
from projections.versions import open_reader
from waakvlam.integrity import verify_url
from workers.runner import rebuild

TIMEOUT = 30
PG_DUMP = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"


def _words() -> dict[str, str]:
    """What the team wrote about one household; unique per test, so no other test's data can match."""
    token = uuid.uuid4().hex[:8]
    return {"label": f"Fam. Verhoeven-{token}", "member": f"Sanne Verhoeven-{token}",
            "neighbour": f"Henk Bakker-{token}", "address": f"Kerkstraat {token}",
            "note": f"Schulden bij de Belastingdienst {token}", "plan": f"Sanne belt Woonstad {token}",
            "signal": f"Slaapt slecht sinds de scheiding {token}", "reporter": f"Petra Woonstad-{token}"}


def _a_household(households, w: dict[str, str]) -> uuid.UUID:
    h = households.register(actor="anna", label=w["label"], team="Wijkteam Noord").household_id
    households.add_member(h, actor="anna", name=w["member"], role="moeder", birth_year=1987)
    households.add_network_person(h, actor="anna", name=w["neighbour"], relation="buurman")
    households.record_contact(h, actor="anna", kind="huisbezoek", summary=w["note"], life_domains=["finances"])
    households.make_agreement(h, actor="anna", who=w["member"], what=w["plan"])
    households.agree_signaleringsplan(h, actor="anna", phases={"oranje": {"signs": [w["signal"]], "actions": []}})
    signal = households.report_signal(actor="petra", source="housing_corporation", reporter_name=w["reporter"],
                                      about_name=w["label"], about_address=w["address"], description=w["signal"],
                                      team="Wijkteam Noord").signal_id
    households.link_signal(signal, h, actor="anna")
    return h


def _dump(settings) -> str:
    """The whole database as pg_dump writes it (bytea columns as hex)."""
    done = subprocess.run([str(PG_DUMP), "--no-owner", "--dbname", settings.database_url],
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _found(dump: str, words: dict[str, str]) -> list[str]:
    """The words the dump holds: as text, or hex-encoded inside a bytea column."""
    lowered = dump.lower()
    return [text for text in words.values() if text in dump or text.encode().hex() in lowered]


def _wait(workers, position: int) -> None:
    for worker in workers:
        worker.wait(position, timeout=TIMEOUT)


def test_after_erasure_a_dump_of_the_whole_database_holds_none_of_the_households_words(
        households, settings, env, projection_worker, plan_worker, timeline_worker, schedule_worker, signals_worker,
        notifications_worker, chain_worker):
    workers = [projection_worker, plan_worker, timeline_worker, schedule_worker, signals_worker,
               notifications_worker, chain_worker]
    w, other = _words(), _words()
    h = _a_household(households, w)
    _a_household(households, other)
    _wait(workers, households.recorder.max_notification_id())
    before = _dump(settings)
    assert f"{settings.postgres_schema}.waakvlam_events" in before  # the whole store is in the dump
    assert _found(before, w), "the read models hold the household's words in the clear until it is forgotten"

    households.forget(h, actor="privacy", reason="Verzoek van betrokkene (AVG art. 17)")
    _wait(workers, households.recorder.max_notification_id())

    dump = _dump(settings)
    assert _found(dump, w) == []
    assert sorted(_found(dump, other)) == sorted(other.values())  # the other household is untouched
    result = verify_url(settings.database_url, settings.postgres_schema)
    assert result.ok and result.pending == 0, result


def test_the_key_table_keeps_a_tombstone_without_key_material(households, settings):
    h = _a_household(households, _words())
    households.forget(h, actor="privacy", reason="Verzoek van betrokkene")
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        wrapped, destroyed_at = conn.execute(
            "SELECT wrapped, destroyed_at FROM household_keys WHERE originator_id = %s", (h,)).fetchone()
        snapshots = conn.execute("SELECT count(*) FROM waakvlam_snapshots WHERE originator_id = %s", (h,)).fetchone()
    assert wrapped is None and destroyed_at is not None
    assert snapshots == (0,)


def test_a_fresh_process_replays_the_forgotten_household_redacted(households, env):
    w = _words()
    h = _a_household(households, w)
    households.forget(h, actor="privacy", reason="Verzoek van betrokkene")
    from domain.application import Households

    fresh = Households(env=env)
    try:
        household = fresh.get(h)
        assert (household.status, household.label, household.members) == (FORGOTTEN, REDACTED, {})
        assert {e.summary for e in fresh.events.get(h) if type(e).__name__ == "ContactRecorded"} == {REDACTED}
    finally:
        fresh.close()


def test_rebuilt_projections_replay_the_redacted_events_without_the_household(households, env, settings):
    w, other = _words(), _words()
    h = _a_household(households, w)
    kept = _a_household(households, other)
    households.forget(h, actor="privacy", reason="Verzoek van betrokkene")
    for projection, view in ((CaseloadProjection, CaseloadView), (PlanProjection, PlanView),
                             (TimelineProjection, TimelineView)):
        rebuild(projection, view, env)
    caseload = open_reader(CaseloadProjection.name, CaseloadView, env)
    plans = open_reader(PlanProjection.name, PlanView, env)
    timeline = open_reader(TimelineProjection.name, TimelineView, env)
    try:
        assert set(caseload.all_rows()) == {kept}
        assert plans.get(h) is None
        assert plans.get(kept)["label"] == other["label"]
        assert timeline.rows(h) == []
        assert timeline.rows(kept)
    finally:
        for view in (caseload, plans, timeline):
            view.datastore.close()
    assert _found(_dump(settings), w) == []
