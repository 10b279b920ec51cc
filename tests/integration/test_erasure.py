"""Erasure on PostgreSQL: after a household is forgotten, a dump of the whole database holds none of
its names, addresses or notes, in any table: not in the read models, nor in the reminder outbox (mails
queued and sent with its label), nor in the access log (an emergency access with a reason naming its
people); the hash chains over the unchanged event store and over the access log still verify; and the
projections, live and rebuilt, replay the redacted events without the household. So for a partner's
signal that was never linked to a household (issue 12): sealed with its own key from its report on, and
after its erasure nothing of it is left in a dump either."""

from __future__ import annotations

import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pgserver
import psycopg

from domain.erasure import REDACTED
from domain.household import FORGOTTEN
from domain.signal_erasure import forget_signal
from projections.caseload import CaseloadProjection, CaseloadView
from projections.plan import PlanProjection, PlanView
from projections.timeline import TimelineProjection, TimelineView
from projections.versions import open_reader
from waakvlam import access_log
from waakvlam.access_log import AccessLog, Entry
from waakvlam.integrity import verify_url
from workers.reminders import ReminderWorker
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


def _stray_words() -> dict[str, str]:
    """What partners reported about a family the team never linked to a household; unique per test."""
    token = uuid.uuid4().hex[:8]
    return {"stray": f"Fam. Dekker-{token}", "stray_address": f"Molenweg {token}",
            "stray_worry": f"Kinderen alleen thuis {token}", "stray_reporter": f"Buurvrouw Ans-{token}",
            "dismissal": f"Bekend bij Veilig Thuis {token}"}


def _stray_signals(households, w: dict[str, str]) -> list[uuid.UUID]:
    """Two signals never linked to a household: one still new, one dismissed (with a reason naming people)."""
    ids = [households.report_signal(actor="petra", source="neighbour", reporter_name=w["stray_reporter"],
                                    about_name=w["stray"], about_address=w["stray_address"],
                                    description=w["stray_worry"], team="Wijkteam Noord").signal_id
           for _ in range(2)]
    households.dismiss_signal(ids[1], actor="anna", reason=w["dismissal"])
    return ids


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
    w, other = {**_words(), **_stray_words()}, {**_words(), **_stray_words()}
    h = _a_household(households, w)
    _a_household(households, other)
    strays = _stray_signals(households, w)
    _stray_signals(households, other)
    _wait(workers, households.recorder.max_notification_id())
    before = _dump(settings)
    assert f"{settings.postgres_schema}.waakvlam_events" in before  # the whole store is in the dump
    assert _found(before, w), "the read models hold the household's words in the clear until it is forgotten"
    assert w["stray"] in before  # the inbox shows the signals' words until they are forgotten

    households.forget(h, actor="privacy", reason="Verzoek van betrokkene (AVG art. 17)")
    for signal_id in strays:  # the signals never linked have no household to go with: erased on their own
        forget_signal(households, signal_id, actor="privacy", reason="Verzoek van de melder (AVG art. 17)")
    _wait(workers, households.recorder.max_notification_id())

    dump = _dump(settings)
    assert _found(dump, w) == []
    assert sorted(_found(dump, other)) == sorted(other.values())  # the other household is untouched
    result = verify_url(settings.database_url, settings.postgres_schema)
    assert result.ok and result.pending == 0, result


def _in_table(settings, table: str, text: str) -> int:
    """How many rows of `table` hold `text`, as text or in a bytea column (a row read as its text form)."""
    with psycopg.connect(settings.database_url) as conn:
        (count,) = conn.execute(
            f'SELECT count(*) FROM "{settings.postgres_schema}".{table} t WHERE t::text LIKE %s OR t::text LIKE %s',
            (f"%{text}%", f"%{text.encode().hex()}%")).fetchone()
    return count


def test_after_erasure_neither_the_reminder_outbox_nor_the_access_log_holds_the_households_words(
        households, settings, mail_settings, env, smtp_server, projection_worker, plan_worker, timeline_worker,
        schedule_worker, signals_worker, notifications_worker, chain_worker):
    workers = [projection_worker, plan_worker, timeline_worker, schedule_worker, signals_worker,
               notifications_worker, chain_worker]
    w, other = _words(), _words()
    w["reason"] = f"{w['neighbour']} belde: {w['member']} is sinds dinsdag onvindbaar"  # names people
    households.set_team_policy("Wijkteam Noord", actor="carla", team_lead="carla", remind_days_before=3,
                               overdue_days=7, addresses={"carla": "carla@noord.test"})
    h = _a_household(households, w)
    _a_household(households, other)
    due = households.get(h).next_check_in["due"]
    _wait(workers, households.recorder.max_notification_id())
    # The reminder outbox: the team lead's reminder sent, and the overdue one queued (not yet sent).
    reminders = ReminderWorker(mail_settings, env)
    log = AccessLog(env)
    try:
        assert reminders.cycle(due - timedelta(days=3)) == (2, 2)  # the two households' (due the same day)
        assert reminders.decide(due + timedelta(days=7)) == 2
        assert any(w["label"] in m["Subject"] for m in smtp_server.messages())
        sent = smtp_server.count
        # The access log: an emergency access by someone of another team, with a reason naming the people.
        log.record(Entry(action="read", user_id="kees", role="generalist", household_id=h, authorised=True,
                         care_relationship=False, emergency=True, emergency_reason=w["reason"],
                         on_behalf_of="Wijkteam Zuid", method="GET", route="/api/households/{household_id}"))
        assert [e["emergency_reason"] for e in log.entries(h) if e["emergency"]] == [w["reason"]]
        # Sealed from the start: neither the mails nor the reason are ever stored in the clear.
        assert _in_table(settings, "outgoing_mail", w["label"]) == 0
        assert _in_table(settings, "access_log", w["reason"]) == 0
        assert _in_table(settings, "notifications", w["label"]) > 0  # in-app: the label, until forgotten

        households.forget(h, actor="privacy", reason="Verzoek van betrokkene (AVG art. 17)")
        _wait(workers, households.recorder.max_notification_id())

        # Before the reminder worker has looked again: nothing of the household in the dump.
        dump = _dump(settings)
        assert f"{settings.postgres_schema}.outgoing_mail" in dump and f"{settings.postgres_schema}.access_log" in dump
        assert _found(dump, w) == []
        assert sorted(_found(dump, other)) == sorted(other.values())
        assert verify_url(settings.database_url, settings.postgres_schema).ok
        with psycopg.connect(settings.database_url) as conn:
            chain = access_log.verify(conn, settings.postgres_schema)
        assert chain.ok and chain.checked == 1, chain
        assert [e["emergency_reason"] for e in log.entries(h) if e["emergency"]] == [REDACTED]

        # The queued mail is never sent (the other household's is); the worker deletes what the outbox
        # held about the forgotten household.
        assert reminders.cycle(due + timedelta(days=8)) == (0, 1)
        assert [m["Subject"].endswith(other["label"]) for m in smtp_server.messages()[sent:]] == [True]
        for table in ("outgoing_mail", "reminders", "notifications"):
            with psycopg.connect(settings.database_url) as conn:
                assert conn.execute(f'SELECT count(*) FROM "{settings.postgres_schema}".{table}'
                                    " WHERE household_id = %s", (h,)).fetchone() == (0,), table
    finally:
        log.close()
        reminders.close()
    assert _found(_dump(settings), w) == []


def _stored_state(settings, originator_id: uuid.UUID) -> list[bytes]:
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute(f'SELECT state FROM "{settings.postgres_schema}".waakvlam_events'
                            " WHERE originator_id = %s ORDER BY originator_version", (originator_id,)).fetchall()
    return [bytes(state) for (state,) in rows]


def test_a_signal_is_sealed_with_its_own_key_from_its_report_on(households, settings):
    w = _stray_words()
    new, dismissed = _stray_signals(households, w)
    for signal_id in (new, dismissed):
        stored = _stored_state(settings, signal_id)
        assert stored, "the signal's events are in the store"
        for raw in stored:  # not in the clear, nor in any other encoding of the words that the store might use
            for text in (w["stray"], w["stray_address"], w["stray_worry"], w["stray_reporter"], w["dismissal"]):
                assert text.encode() not in raw and text.encode().hex().encode() not in raw
                assert b"Dekker" not in raw
        assert households.get_signal(signal_id).about_name == w["stray"]  # and read with its key
    with psycopg.connect(settings.database_url) as conn:
        keys = conn.execute("SELECT originator_id, wrapped IS NOT NULL"
                            f' FROM "{settings.postgres_schema}".household_keys WHERE originator_id = ANY(%s)',
                            ([new, dismissed],)).fetchall()
    assert sorted(keys) == sorted([(new, True), (dismissed, True)])  # a key per signal

    forget_signal(households, dismissed, actor="privacy", reason="Verzoek van de melder")
    with psycopg.connect(settings.database_url) as conn:
        (wrapped,) = conn.execute(f'SELECT wrapped FROM "{settings.postgres_schema}".household_keys'
                                  " WHERE originator_id = %s", (dismissed,)).fetchone()
    assert wrapped is None
    from domain.application import Households

    fresh = Households(env=households.env)  # another process: the events read redacted
    try:
        assert fresh.get_signal(dismissed).about_name == REDACTED
        reported, dismissal, _ = fresh.signal_events(dismissed)
        assert (reported.about_name, reported.reporter_name, dismissal.reason) == (REDACTED, REDACTED, REDACTED)
        assert fresh.get_signal(new).about_name == w["stray"]  # the other signal keeps its key
    finally:
        fresh.close()


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
