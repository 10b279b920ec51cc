"""Reminders, delivered for real: the reminder worker reads the schedule, decides by
the team's policy, and its mails arrive at a real SMTP server started by the test.
Each reminder is sent once per check-in and kind: with two worker processes, and
after one is killed (SIGKILL) mid-delivery and restarted. Nothing is ever written
to a household."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from projections.notifications import NotificationsProjection, NotificationsView
from projections.versions import open_reader
from workers.reminders import ReminderWorker, today

TEAM = "Wijkteam Noord"
ADDRESSES = {"bram": "bram@noord.test", "carla": "carla@noord.test"}


# ---- telling the story ---------------------------------------------------------------


def _policy(households, **changes) -> None:
    fields = {"team_lead": "carla", "remind_days_before": 3, "overdue_days": 7, "addresses": ADDRESSES, **changes}
    households.set_team_policy(TEAM, actor="carla", **fields)


def _household(households, *, days_ago: int, label: str = "Fam. Jansen", coordinator: str | None = "bram",
               intensity: str = "waakvlam", team: str = TEAM) -> UUID:
    """A household registered `days_ago` days ago: at waakvlam (every 42 days) its check-in is due 42 days later."""
    household_id = households.register(actor="anna", label=label, team=team, intensity=intensity,
                                       occurred_at=datetime.now(UTC) - timedelta(days=days_ago)).household_id
    if coordinator:
        households.assign_coordinator(household_id, actor="carla", coordinator=coordinator,
                                      handover_note="Moeder wil geen bezoek op maandag")  # never in a mail
    households.record_contact(household_id, actor="anna", kind="telefonisch",
                              summary="Schuld bij de woningcorporatie besproken")  # nor this
    return household_id


def _check_in(households, household_id: UUID) -> tuple[str, date]:
    found = households.get(household_id).next_check_in
    return found["id"], found["due"]


def _caught_up(runner, households) -> None:
    last = households.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    while (runner.view.max_tracking_id(households.name) or 0) < last:
        assert time.monotonic() < deadline, f"{runner.view.tracking_table_name} did not catch up"
        time.sleep(0.01)


def _worker(settings, env) -> ReminderWorker:
    return ReminderWorker(settings, env)


def _notifications(env, user: str):
    view = open_reader(NotificationsProjection.name, NotificationsView, env)
    try:
        return view.for_recipient(user)
    finally:
        view.datastore.close()


def _mails(smtp_server) -> list:
    return smtp_server.messages()


@pytest.fixture
def reminders(mail_settings, env):
    worker = _worker(mail_settings, env)
    yield worker
    worker.close()


# ---- what is decided, and what arrives ---------------------------------------------------


def test_three_days_before_its_check_in_the_coordinator_gets_a_dutch_mail_and_a_notification(
        households, env, schedule_worker, smtp_server, reminders):
    _policy(households)
    household_id = _household(households, days_ago=39)  # registered at waakvlam 39 days ago: due in 3 days
    check_in_id, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)
    version = households.get(household_id).version

    assert reminders.cycle(due - timedelta(days=4)) == (0, 0)  # four days before: not yet
    assert reminders.cycle(due - timedelta(days=3)) == (1, 1)

    (message,) = _mails(smtp_server)
    assert message["To"] == "bram@noord.test"
    assert message["From"] == "Waakvlam <waakvlam@wijkteam.test>"
    assert message["Subject"] == "Waakvlamcontact over 3 dagen: Fam. Jansen"
    assert message["X-Waakvlam-Reminder"] == "due_soon"
    body = message.get_content()
    assert f"https://waakvlam.test/households/{household_id}" in body
    assert "Huishouden: Fam. Jansen" in body and str(due.day) in body
    # No notes, no handover notes (looked for by their words, not a weekday: the due date may be a Monday).
    assert "geen bezoek" not in body and "woningcorporatie" not in body
    (notification,) = _notifications(env, "bram")
    assert (notification.kind, notification.check_in_id, notification.due) == ("due_soon", check_in_id, due)
    assert notification.title.endswith(": Fam. Jansen") and notification.read_at is None
    assert _notifications(env, "carla") == []

    # Once: the next days, and another look the same day, decide nothing more.
    for day in (due - timedelta(days=3), due - timedelta(days=2), due):
        assert reminders.cycle(day) == (0, 0)
    assert len(_mails(smtp_server)) == 1
    # The household was never written to: nobody editing it meets a version conflict.
    assert households.get(household_id).version == version


def test_seven_days_over_time_the_coordinator_and_the_team_lead_both_hear_of_it_once(
        households, env, schedule_worker, smtp_server, reminders):
    _policy(households)
    household_id = _household(households, days_ago=39)
    check_in_id, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)

    reminders.cycle(due - timedelta(days=3))
    assert reminders.cycle(due + timedelta(days=6)) == (0, 0)  # six days over time: not yet M
    assert reminders.cycle(due + timedelta(days=7)) == (1, 2)
    reminders.cycle(due + timedelta(days=8))
    reminders.cycle(due + timedelta(days=30))

    mails = _mails(smtp_server)
    assert [m["X-Waakvlam-Reminder"] for m in mails] == ["due_soon", "overdue", "overdue"]
    overdue = {m["To"]: m for m in mails[1:]}
    assert set(overdue) == {"bram@noord.test", "carla@noord.test"}
    assert {m["Subject"] for m in overdue.values()} == {"Waakvlamcontact 7 dagen over tijd: Fam. Jansen"}
    assert "als teamleider; regisseur van dit huishouden is bram" in overdue["carla@noord.test"].get_content()
    assert [n.kind for n in _notifications(env, "bram")] == ["overdue", "due_soon"]  # newest first
    assert [(n.kind, n.check_in_id) for n in _notifications(env, "carla")] == [("overdue", check_in_id)]


def test_without_a_coordinator_the_team_lead_is_reminded_at_an_address_of_the_mail_domain(
        households, env, schedule_worker, smtp_server, reminders):
    _policy(households, addresses={})
    household_id = _household(households, days_ago=39, coordinator=None, label="Fam. De Vries")
    _, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)

    reminders.cycle(due - timedelta(days=3))
    (message,) = _mails(smtp_server)
    assert message["To"] == "carla@wijkteam.test"
    assert "(nog) geen regisseur" in message.get_content()


def test_each_team_reminds_by_its_own_policy(households, env, schedule_worker, smtp_server, reminders):
    _policy(households, remind_days_before=7)
    households.set_team_policy("Wijkteam Zuid", actor="ingrid", team_lead="ingrid", remind_days_before=1)
    noord = _household(households, days_ago=39, label="Fam. Noord")
    zuid = _household(households, days_ago=39, label="Fam. Zuid", team="Wijkteam Zuid", coordinator="ruben")
    _, due = _check_in(households, noord)
    assert _check_in(households, zuid)[1] == due
    _caught_up(schedule_worker, households)

    reminders.cycle(due - timedelta(days=7))
    assert [m["To"] for m in _mails(smtp_server)] == ["bram@noord.test"]
    reminders.cycle(due - timedelta(days=1))
    assert [m["Subject"] for m in _mails(smtp_server)][1:] == ["Waakvlamcontact morgen: Fam. Zuid"]


def test_a_check_in_completed_before_its_reminder_gets_none(households, env, schedule_worker, smtp_server,
                                                            reminders):
    _policy(households)
    household_id = _household(households, days_ago=39)
    check_in_id, due = _check_in(households, household_id)
    households.complete_check_in(household_id, check_in_id, actor="bram", kind="huisbezoek")
    _caught_up(schedule_worker, households)

    for day in (due - timedelta(days=3), due, due + timedelta(days=7)):
        reminders.cycle(day)
    assert _mails(smtp_server) == []  # and the next check-in is six weeks off
    assert _notifications(env, "bram") == []


def test_a_moved_check_in_is_reminded_again_for_its_new_date_but_over_time_only_once(
        households, env, schedule_worker, smtp_server, reminders):
    _policy(households)
    household_id = _household(households, days_ago=39)
    check_in_id, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)
    reminders.cycle(due - timedelta(days=3))

    later = due + timedelta(days=10)  # the family is on holiday: the same check-in, ten days later
    households.reschedule_check_in(household_id, check_in_id, actor="bram", due=later, reason="Vakantie")
    _caught_up(schedule_worker, households)
    assert reminders.cycle(due) == (0, 0)  # no longer due
    assert reminders.cycle(later - timedelta(days=3)) == (1, 1)
    assert reminders.cycle(later + timedelta(days=7)) == (1, 2)
    assert reminders.cycle(later + timedelta(days=20)) == (0, 0)

    mails = _mails(smtp_server)
    sent = [(m["X-Waakvlam-Check-In"], m["X-Waakvlam-Reminder"], m["To"]) for m in mails]
    assert sent[:2] == [(check_in_id, "due_soon", "bram@noord.test")] * 2
    assert set(sent[2:]) == {(check_in_id, "overdue", "bram@noord.test"), (check_in_id, "overdue", "carla@noord.test")}
    assert [m["Subject"] for m in mails[:2]] == ["Waakvlamcontact over 3 dagen: Fam. Jansen"] * 2
    assert len({m["Message-ID"] for m in mails}) == 4


def test_a_closed_household_is_not_reminded(households, env, schedule_worker, smtp_server, reminders):
    _policy(households)
    household_id = _household(households, days_ago=39)
    _, due = _check_in(households, household_id)
    households.close_household(household_id, actor="bram", reason_code="goals_achieved")
    _caught_up(schedule_worker, households)
    reminders.cycle(due + timedelta(days=7))
    assert _mails(smtp_server) == []


def test_without_an_smtp_server_reminders_are_in_app_only(households, env, settings, schedule_worker):
    _policy(households)
    household_id = _household(households, days_ago=39)
    _, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)
    worker = _worker(settings, env)  # no WAAKVLAM_SMTP_HOST
    try:
        assert worker.cycle(due - timedelta(days=3)) == (1, 0)
    finally:
        worker.close()
    assert [n.kind for n in _notifications(env, "bram")] == ["due_soon"]
    with psycopg.connect(settings.database_url) as conn:
        assert conn.execute(f'SELECT count(*) FROM "{settings.postgres_schema}".outgoing_mail').fetchone() == (0,)


def test_a_mail_the_server_could_not_take_is_tried_again_later(households, env, schedule_worker, mail_settings,
                                                              smtp_server):
    from waakvlam.mail_sink import free_port

    _policy(households)
    household_id = _household(households, days_ago=39)
    _, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)
    down = _worker(mail_settings.model_copy(update={"smtp_port": free_port(), "smtp_timeout": 2}), env)
    try:
        assert down.cycle(due - timedelta(days=3)) == (1, 0)  # decided; the server is away
    finally:
        down.close()
    schema = f'"{mail_settings.postgres_schema}"'
    with psycopg.connect(mail_settings.database_url, autocommit=True) as conn:
        attempts, error = conn.execute(f"SELECT attempts, last_error FROM {schema}.outgoing_mail").fetchone()
        assert attempts == 1 and error
        conn.execute(f"UPDATE {schema}.outgoing_mail SET next_attempt_at = now()")  # the pause has passed
    up = _worker(mail_settings, env)
    try:
        assert up.cycle(due - timedelta(days=2)) == (0, 1)
    finally:
        up.close()
    assert [m["To"] for m in _mails(smtp_server)] == ["bram@noord.test"]


# ---- erasure ---------------------------------------------------------------------------------


def _about(settings, household_id: UUID) -> tuple[int, int, int]:
    """(mails, reminders, in-app notifications) the outbox holds about one household."""
    schema = f'"{settings.postgres_schema}"'
    with psycopg.connect(settings.database_url) as conn:
        return conn.execute(
            f"SELECT (SELECT count(*) FROM {schema}.outgoing_mail WHERE household_id = %(h)s),"
            f" (SELECT count(*) FROM {schema}.reminders WHERE household_id = %(h)s),"
            f" (SELECT count(*) FROM {schema}.notifications WHERE household_id = %(h)s)", {"h": household_id}
        ).fetchone()


def test_mails_are_sealed_with_the_households_key_and_a_forgotten_households_are_never_sent(
        households, env, mail_settings, schedule_worker, smtp_server, reminders):
    _policy(households)
    household_id = _household(households, days_ago=39, label="Fam. Brouwer")
    _, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)
    assert reminders.decide(due - timedelta(days=3)) == 1  # queued, not sent yet
    with psycopg.connect(mail_settings.database_url) as conn:
        message, sealed, about = conn.execute(
            f'SELECT message, sealed, household_id FROM "{mail_settings.postgres_schema}".outgoing_mail').fetchone()
    assert sealed and about == household_id and b"Brouwer" not in message and b"Waakvlamcontact" not in message

    households.forget(household_id, actor="dirk", reason="Verzoek van betrokkene (AVG art. 17)")
    # At once, whatever the projections have seen: the mail cannot be opened, and is not sent.
    assert reminders.deliver() == 0 and _mails(smtp_server) == []
    assert reminders.decide(due + timedelta(days=7)) == 0  # nor is anything decided for it any more
    _caught_up(schedule_worker, households)
    assert reminders.cycle(due + timedelta(days=8)) == (0, 0)
    assert _about(mail_settings, household_id) == (0, 0, 0)  # its mail, reminder and notification went
    assert _mails(smtp_server) == []


def test_a_sent_mail_of_a_forgotten_household_is_deleted_and_others_stay(
        households, env, mail_settings, schedule_worker, smtp_server, reminders):
    _policy(households)
    forgotten = _household(households, days_ago=39, label="Fam. Brouwer")
    kept = _household(households, days_ago=39, label="Fam. Smit")
    _, due = _check_in(households, forgotten)
    _caught_up(schedule_worker, households)
    assert reminders.cycle(due - timedelta(days=3)) == (2, 2)
    assert _about(mail_settings, forgotten) == (1, 1, 1)

    households.forget(forgotten, actor="dirk", reason="Verzoek van betrokkene")
    reminders.sweep()
    assert _about(mail_settings, forgotten) == (0, 0, 0)
    assert _about(mail_settings, kept) == (1, 1, 1)
    assert reminders.sweep(everything=True) == 0  # nothing left of it, however far back one looks


def test_a_mail_queued_before_mails_were_sealed_is_tied_to_its_household_and_never_sent_once_forgotten(
        households, env, mail_settings, schedule_worker, smtp_server, reminders):
    """An outbox of an older version: its queued mails are in the clear and have no household; the worker
    finds their household from their check-in when it makes its tables."""
    from workers.reminders import create_tables

    _policy(households)
    household_id = _household(households, days_ago=39, label="Fam. Brouwer")
    check_in_id, due = _check_in(households, household_id)
    _caught_up(schedule_worker, households)
    assert reminders.decide(due - timedelta(days=3)) == 1
    schema = f'"{mail_settings.postgres_schema}"'
    old = (b"To: bram@noord.test\r\nSubject: Waakvlamcontact over 3 dagen: Fam. Brouwer\r\n"
           b"X-Waakvlam-Check-In: " + check_in_id.encode() + b"\r\n\r\nHuishouden: Fam. Brouwer\r\n")
    with psycopg.connect(mail_settings.database_url, autocommit=True) as conn:  # as the older worker left it
        conn.execute(f"UPDATE {schema}.outgoing_mail SET message = %s, household_id = NULL, sealed = false", (old,))
    create_tables(env)
    with psycopg.connect(mail_settings.database_url) as conn:
        assert conn.execute(f"SELECT household_id FROM {schema}.outgoing_mail").fetchone() == (household_id,)

    households.forget(household_id, actor="dirk", reason="Verzoek van betrokkene")
    assert reminders.deliver() == 0 and _mails(smtp_server) == []
    reminders.sweep()
    assert _about(mail_settings, household_id)[0] == 0


# ---- real processes ----------------------------------------------------------------------


def _start(settings, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
           "WAAKVLAM_SMTP_HOST": settings.smtp_host, "WAAKVLAM_SMTP_PORT": str(settings.smtp_port),
           "WAAKVLAM_SMTP_SECURITY": "none", "WAAKVLAM_REMINDER_INTERVAL": "0.2",
           "WAAKVLAM_MAIL_DOMAIN": settings.mail_domain, "WAAKVLAM_MAIL_FROM": settings.mail_from,
           "WAAKVLAM_BASE_URL": settings.base_url}
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "workers.reminders"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _many_due(households, count: int) -> dict[str, set[tuple[str, str]]]:
    """`count` households: a third due in two days (due_soon to the coordinator), a third ten days over time
    (overdue to coordinator and lead), a third due in three weeks (nothing yet). What must arrive, per
    check-in: the set of (kind, address)."""
    _policy(households)
    expected: dict[str, set[tuple[str, str]]] = {}
    for n in range(count):
        days_ago = (40, 52, 21)[n % 3]
        household_id = _household(households, days_ago=days_ago, label=f"Fam. {n}")
        check_in_id, due = _check_in(households, household_id)
        if (due - today()).days <= 3 and (today() - due).days < 7:
            expected[check_in_id] = {("due_soon", "bram@noord.test")}
        elif (today() - due).days >= 7:
            expected[check_in_id] = {("overdue", "bram@noord.test"), ("overdue", "carla@noord.test")}
    return expected


def _arrived(smtp_server) -> tuple[dict[str, set[tuple[str, str]]], Counter]:
    """What arrived per check-in, and how often each Message-ID arrived."""
    found: dict[str, set[tuple[str, str]]] = {}
    ids: Counter = Counter()
    for message in smtp_server.messages():
        found.setdefault(message["X-Waakvlam-Check-In"], set()).add((message["X-Waakvlam-Reminder"], message["To"]))
        ids[message["Message-ID"]] += 1
    return found, ids


def _outbox(settings) -> tuple[int, int, int, int]:
    """(reminders, in-app notifications, mails, mails still pending) in the outbox."""
    schema = f'"{settings.postgres_schema}"'
    with psycopg.connect(settings.database_url) as conn:
        (reminders,) = conn.execute(f"SELECT count(*) FROM {schema}.reminders").fetchone()
        (notifications,) = conn.execute(f"SELECT count(*) FROM {schema}.notifications").fetchone()
        mails, pending = conn.execute(f"SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL)"
                                      f" FROM {schema}.outgoing_mail").fetchone()
    return reminders, notifications, mails, pending


@pytest.mark.real_clock  # the worker processes run on the real clock
def test_two_worker_processes_send_each_reminder_exactly_once(households, env, schedule_worker, mail_settings,
                                                               smtp_server, tmp_path):
    expected = _many_due(households, 30)
    wanted = sum(len(v) for v in expected.values())
    _caught_up(schedule_worker, households)
    last_position = households.recorder.max_notification_id()
    first = second = None
    try:
        first, second = _start(mail_settings, tmp_path / "a.log"), _start(mail_settings, tmp_path / "b.log")
        _wait_until(lambda: smtp_server.count >= wanted, 60, f"{wanted} mails")
        time.sleep(2)  # ten more cycles of each worker: nothing more may come
    finally:
        _stop(first, second)

    found, ids = _arrived(smtp_server)
    assert found == expected
    assert smtp_server.count == wanted and set(ids.values()) == {1}
    assert _outbox(mail_settings) == (len(expected), wanted, wanted, 0)
    assert households.recorder.max_notification_id() == last_position  # no household was written to


@pytest.mark.real_clock  # the worker processes run on the real clock
def test_a_worker_killed_mid_delivery_and_restarted_loses_nothing_and_duplicates_at_most_the_one_in_flight(
        households, env, schedule_worker, mail_settings, tmp_path):
    from waakvlam.mail_sink import MailSink, start

    slow = MailSink(delay=0.05)  # a slow server: the kill lands while mails are on their way
    controller = start(slow)
    settings = mail_settings.model_copy(update={"smtp_host": slow.host, "smtp_port": slow.port})
    expected = _many_due(households, 45)
    wanted = sum(len(v) for v in expected.values())
    _caught_up(schedule_worker, households)
    last_position = households.recorder.max_notification_id()
    worker = standby = None
    try:
        worker = _start(settings, tmp_path / "killed.log")
        _wait_until(lambda: slow.count >= 5, 60, "the first mails")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert slow.count < wanted, "all mails went before the kill; make the server slower"
        worker = _start(settings, tmp_path / "restarted.log")
        standby = _start(settings, tmp_path / "second.log")
        _wait_until(lambda: _outbox(settings)[2:] == (wanted, 0), 60, "every mail sent")
        time.sleep(1)
    finally:
        _stop(worker, standby)
        controller.stop()

    found, ids = _arrived(slow)
    assert found == expected  # every reminder arrived, to everyone it was for
    assert len(ids) == wanted  # one Message-ID per reminder and recipient
    # The one mail the server had accepted when the worker died may arrive twice, as the same message.
    assert sum(ids.values()) - len(ids) <= 1
    assert _outbox(settings) == (len(expected), wanted, wanted, 0)
    assert households.recorder.max_notification_id() == last_position


@pytest.mark.real_clock  # the worker processes run on the real clock
def test_waakvlam_reminders_runs_the_worker_and_stops_cleanly_on_sigterm(households, env, schedule_worker,
                                                                         mail_settings, smtp_server, tmp_path):
    _policy(households)
    _household(households, days_ago=40)  # due in two days
    _caught_up(schedule_worker, households)
    worker_env = {**os.environ, "DATABASE_URL": mail_settings.database_url,
                  "POSTGRES_SCHEMA": mail_settings.postgres_schema, "WAAKVLAM_SMTP_HOST": mail_settings.smtp_host,
                  "WAAKVLAM_SMTP_PORT": str(mail_settings.smtp_port), "WAAKVLAM_SMTP_SECURITY": "none",
                  "WAAKVLAM_REMINDER_INTERVAL": "0.2"}
    log = tmp_path / "cli.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "waakvlam.cli", "reminders"], env=worker_env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        _wait_until(lambda: smtp_server.count == 1, 30, "the reminder")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    assert "reminders.stopped" in log.read_text()
    (message,) = _mails(smtp_server)
    assert message["Subject"].startswith("Waakvlamcontact ") and message["Subject"].endswith(": Fam. Jansen")
