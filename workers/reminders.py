"""The reminder worker: no check-in is forgotten. Its own process:

    python -m workers.reminders        (or: waakvlam reminders)

Every WAAKVLAM_REMINDER_INTERVAL seconds it reads the schedule (the `schedule`
view: one open check-in per open household) and, by each team's policy
(`domain/team.py`: N = `remind_days_before`, M = `overdue_days`), decides:

  * `due_soon`: from N days before a check-in is due, the coordinator hears of it
    (the team lead when the household has no coordinator). One per check-in and
    due date: a check-in that is moved (same id, new due date) is reminded again
    for its new date. A check-in first seen when it is already due or a little
    over time (the worker was down, the household was registered with a date in
    the past) still gets it, saying how far over time it is.
  * `overdue`: when a check-in is M days over time (at least 1), the coordinator
    AND the team lead hear of it. Once per check-in, whatever its due date did
    meanwhile; once it is this late, a `due_soon` is no longer sent for it.
A completed or cancelled check-in leaves the schedule, so it is never reminded
of again; nor is one of a closed household. (The schedule is a projection: a
check-in completed in the fraction of a second before the schedule has seen it
can still be reminded of once.)

Exactly once, with any number of workers and across kills: the decisions are an
outbox in PostgreSQL (the configured schema). Deciding a reminder inserts its
row into `reminders` (unique per check-in, kind and due date; `overdue` unique
per check-in) with ON CONFLICT DO NOTHING, and, only when that row is new, its
in-app notifications and its outgoing mails, all in ONE transaction. A second
worker deciding the same reminder at the same moment waits on the first one's
row and then inserts nothing. Nothing is written to a household: reminders never
cause a version conflict for the people editing it.

Delivery takes one pending mail at a time with FOR UPDATE SKIP LOCKED (so two
workers never take the same one), hands it to the SMTP server and marks it sent
in that same transaction. A worker killed before the commit leaves the mail
pending and its lock is released; another worker (or this one, restarted) sends
it. The honest window: when a worker dies AFTER the SMTP server accepted a
message and BEFORE the commit that marks it sent (a millisecond or so per mail),
that one message is sent again. SMTP has no way to make this exactly-once; the
copy carries the same deterministic Message-ID, so it is recognisably the same
message. So: at most one duplicate per killed worker, never a lost mail. (The same
holds when PostgreSQL itself crashes within moments of marking a mail sent: that
commit is asynchronous, see `synchronous_commit` below.)
Failed deliveries are tried again with a growing pause; a permanent refusal (5xx)
is recorded as failed. Sent mails are deleted after MAIL_RETENTION: they name a
household.

Erasure reaches the outbox. A mail names its household (its label), so it is
stored sealed (AES-256-GCM) with that household's own data key, as the personal
fields of its events are (domain/erasure.py), and with its household's id:
forgetting the household destroys the key, and at that moment every mail about
it, queued or sent, is unreadable. The worker reads the keys in the queries that
need them, never from a cache, so it never decides a reminder for a forgotten
household and never sends a queued mail of one (it cannot open it). Each cycle it
also deletes the mails, reminders and in-app notifications of the households
forgotten in the last SWEEP_WINDOW (all of them on its first cycle and hourly):
the notifications projection drops a forgotten household's notifications when it
sees `Forgotten`; this catches one written just after that. (Mails queued before
mails were sealed are in the clear: their household is found from their check-in
when the tables are made, and they are deleted, unsent, when it is forgotten.)

Without WAAKVLAM_SMTP_HOST no mail is queued (in-app notifications only).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Literal

from domain.application import Households
from domain.erasure import KeyDestroyed, Sealer, seal, unseal
from domain.team import TeamPolicy
from domain.values import local_date
from projections import versions
from projections.notifications import NAME as NOTIFICATIONS
from projections.notifications import (
    as_params,
    insert_statement,
)
from waakvlam import mail
from waakvlam.budget import REMINDER_POOL  # the worker's pool; besides it, two connections of its own
from waakvlam.database import eventsourcing_env
from waakvlam.logs import configure_logging
from waakvlam.pool import connection_name
from waakvlam.settings import Settings, get_settings
from waakvlam.store import KEYS_TABLE
from workers import checkpoint_job, retention_job
from workers.outbox import SCHEDULE, create_tables, mail_aad, qualified
from workers.reminder_rules import Decision, Due, decide

DECISIONS_PER_TRANSACTION = 500
MAIL_RETENTION = timedelta(days=30)
PURGE_EVERY = 3600.0  # seconds
RETRY_FIRST, RETRY_MAX = 30.0, 3600.0  # seconds before a failed mail is tried again (doubling)
MAX_ATTEMPTS = 20  # then a mail is given up as failed
SWEEP_WINDOW = timedelta(hours=1)  # each cycle looks this far back for households forgotten since
IDLE_IN_TRANSACTION = "60s"  # a hung worker's mail lock is released after this (longer than the SMTP timeout)


def today() -> date:
    return local_date(datetime.now(UTC))


class ReminderWorker:
    """Decides reminders and delivers their mails; one cycle at a time (`cycle`)."""

    def __init__(self, settings: Settings, env: dict[str, str], *, sender: Any = None) -> None:
        self.settings = settings
        self.env = env
        self.schema = env.get("POSTGRES_SCHEMA") or "public"
        self.with_mail = bool(settings.smtp_host) or sender is not None
        self._sender = sender
        self.log = structlog.get_logger("reminders")
        create_tables(env)
        self.households = Households(env={**env, "POSTGRES_POOL_SIZE": str(REMINDER_POOL)})
        self.sealer = Sealer.of(env)  # mails are sealed with their household's data key
        self.conn = self._connect(synchronous=True)
        # Marking a mail sent need not wait for the disk: a commit lost in a crash of PostgreSQL itself only
        # means that mail is sent once more, the same window as a worker killed mid-send.
        self.delivery = self._connect(synchronous=False)
        self._last_purge = float("-inf")
        self._retention_ready = False
        s = self.schema
        keys = qualified(s, KEYS_TABLE)
        self._teams = SQL("SELECT DISTINCT team FROM {0} WHERE due IS NOT NULL").format(qualified(s, SCHEDULE))
        # The check-ins that may call for a reminder not yet decided, given each team's N and M.
        self._candidates = SQL(
            "WITH p (team, n, m) AS (SELECT * FROM unnest(%(teams)s::text[], %(n)s::int[], %(m)s::int[]))"
            " SELECT s.check_in_id, s.household_id, s.label, s.team, s.coordinator, s.due, k.wrapped"
            " FROM {0} s JOIN p ON p.team = s.team LEFT JOIN {2} k ON k.originator_id = s.household_id"
            " WHERE s.check_in_id IS NOT NULL AND s.due IS NOT NULL AND s.due <= %(day)s + p.n"
            " AND (k.wrapped IS NOT NULL OR k.originator_id IS NULL) AND ("  # never a forgotten household
            "  (s.due > %(day)s - p.m AND NOT EXISTS (SELECT 1 FROM {1} r"
            "    WHERE r.check_in_id = s.check_in_id AND r.kind = 'due_soon' AND r.due = s.due))"
            "  OR (s.due <= %(day)s - p.m AND NOT EXISTS (SELECT 1 FROM {1} r"
            "    WHERE r.check_in_id = s.check_in_id AND r.kind = 'overdue')))"
            " ORDER BY s.due, s.check_in_id").format(qualified(s, SCHEDULE), qualified(s, "reminders"), keys)
        self._insert_reminders = SQL(
            "INSERT INTO {0} (check_in_id, kind, due, household_id, recipients)"
            " SELECT c, k, d, h, r::text[] FROM unnest(%s::text[], %s::text[], %s::date[], %s::uuid[], %s::text[])"
            " AS u (c, k, d, h, r)"
            " ON CONFLICT DO NOTHING RETURNING check_in_id, kind").format(qualified(s, "reminders"))
        self._insert_notification = insert_statement(s)
        self._insert_mail = SQL("INSERT INTO {0} (mail_id, message_id, recipient, message, household_id, sealed)"
                                " VALUES (%s, %s, %s, %s, %s, true) ON CONFLICT (mail_id) DO NOTHING").format(
            qualified(s, "outgoing_mail"))
        # The next mail to send, with its household's key as it is now: a sealed mail only while the key
        # exists, an older mail in the clear unless its household was forgotten.
        self._begin_and_take = SQL(
            "BEGIN; SELECT m.mail_id, m.recipient, m.message, m.attempts, m.household_id, m.sealed, k.wrapped"
            " FROM {0} m LEFT JOIN {1} k ON k.originator_id = m.household_id"
            " WHERE m.sent_at IS NULL AND m.failed_at IS NULL AND m.next_attempt_at <= now()"
            " AND (k.wrapped IS NOT NULL OR (NOT m.sealed AND k.originator_id IS NULL))"
            " ORDER BY m.next_attempt_at LIMIT 1 FOR UPDATE OF m SKIP LOCKED").format(
                qualified(s, "outgoing_mail"), keys)
        self._mails = qualified(s, "outgoing_mail")
        self._mark_sent_and_commit = SQL("UPDATE {0} SET sent_at = now(), attempts = attempts + 1"
                                         " WHERE mail_id = {1}; COMMIT;")
        self._mark_failed = SQL(
            "UPDATE {0} SET attempts = attempts + 1, last_error = %s, next_attempt_at = now() + %s,"
            " failed_at = CASE WHEN %s THEN now() END WHERE mail_id = %s").format(qualified(s, "outgoing_mail"))
        self._purge = SQL("DELETE FROM {0} WHERE sent_at < now() - %s OR failed_at < now() - %s").format(
            qualified(s, "outgoing_mail"))
        # What the outbox and the notifications hold of the households forgotten in the last %(window)s, on the
        # database's clock, which stamped destroyed_at.
        self._sweep = SQL(
            "WITH gone AS (SELECT originator_id AS household_id FROM {0}"
            "  WHERE wrapped IS NULL AND destroyed_at >= now() - %(window)s),"
            " mails AS (DELETE FROM {1} m USING gone g WHERE m.household_id = g.household_id RETURNING 1),"
            " decided AS (DELETE FROM {2} r USING gone g WHERE r.household_id = g.household_id RETURNING 1),"
            " told AS (DELETE FROM {3} n USING gone g WHERE n.household_id = g.household_id RETURNING 1)"
            " SELECT (SELECT count(*) FROM mails) AS mails, (SELECT count(*) FROM decided) AS reminders,"
            " (SELECT count(*) FROM told) AS notifications").format(
            keys, qualified(s, "outgoing_mail"), qualified(s, "reminders"), qualified(s, NOTIFICATIONS))

    def _connect(self, *, synchronous: bool) -> psycopg.Connection[Any]:
        conn = psycopg.connect(versions.conninfo(self.env), autocommit=True, connect_timeout=5,
                               application_name=connection_name("mail"), row_factory=dict_row)
        conn.execute(f"SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'")
        if not synchronous:
            conn.execute("SET synchronous_commit = off")
        return conn

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()
        self.conn.close()
        self.delivery.close()
        self.households.close()

    @property
    def sender(self) -> Any:
        if self._sender is None:
            self._sender = mail.SmtpSender(self.settings)
        return self._sender

    # ---- one cycle ------------------------------------------------------------------

    def cycle(self, day: date | None = None, *, stop: threading.Event | None = None) -> tuple[int, int]:
        """Decide what is due on `day` (default: today in the Netherlands), then deliver pending mail.
        Answers (reminders decided, mails sent)."""
        everything = time.monotonic() - self._last_purge > PURGE_EVERY
        self.sweep(everything=everything)
        decided = self.decide(day or today())
        self.retention_report(day or today())
        self.checkpoint()
        sent = self.deliver(stop=stop) if self.with_mail else 0
        if everything:
            self.conn.execute(self._purge, (MAIL_RETENTION, MAIL_RETENTION))
            self._last_purge = time.monotonic()
        return decided, sent

    def retention_report(self, day: date) -> None:
        """The day's retention report to the privacy officers (workers/retention_job.py), once a day by whichever
        worker is first; its failure is logged and stops no reminder."""
        try:
            if not self._retention_ready:
                retention_job.create_table(self.conn, self.schema)
                self._retention_ready = True
            retention_job.daily_report(self.conn, self.schema, self.settings, self.households, day,
                                       with_mail=self.with_mail)
        except (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError):
            raise  # the database is away: the worker starts afresh
        except Exception:
            self.log.exception("retention.report_failed", day=day.isoformat(), pid=os.getpid())

    def checkpoint(self, now: datetime | None = None) -> None:
        """The day's signed checkpoint of the history (workers/checkpoint_job.py), from WAAKVLAM_CHECKPOINT_HOUR,
        once a day by whichever worker is first; its failure is logged and stops no reminder."""
        try:
            checkpoint_job.daily_checkpoint(self.env, self.settings, self.households, self.conn, now=now,
                                            with_mail=self.with_mail)
        except (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError):
            raise  # the database is away: the worker starts afresh
        except Exception:
            self.log.exception("checkpoint.failed", pid=os.getpid())

    def sweep(self, *, everything: bool = False) -> int:
        """Delete the mails (queued or sent), reminders and in-app notifications of the households forgotten
        in the last SWEEP_WINDOW (`everything`: ever); the number of rows deleted."""
        window = timedelta(days=365_000) if everything else SWEEP_WINDOW
        found = self.conn.execute(self._sweep, {"window": window}).fetchone() or {}
        deleted = sum(found.values())
        if deleted:
            self.log.info("reminders.forgotten_swept", **found, pid=os.getpid())
        return deleted

    def policies(self) -> dict[str, TeamPolicy]:
        teams = [row["team"] for row in self.conn.execute(self._teams)]
        return {team: self.households.team_policy(team) for team in teams}

    def candidates(self, day: date, policies: dict[str, TeamPolicy]) -> list[tuple[Due, bytes | None]]:
        """The check-ins that may call for a reminder on `day`, each with its household's data key as stored
        (wrapped; None: none made yet). A forgotten household's are not among them."""
        teams = list(policies)
        rows = self.conn.execute(self._candidates, {
            "teams": teams, "day": day,
            "n": [policies[t].remind_days_before for t in teams],
            "m": [max(policies[t].overdue_days, 1) for t in teams]}).fetchall()
        return [(Due(**{k: v for k, v in row.items() if k != "wrapped"}), row["wrapped"]) for row in rows]

    def _keys(self, candidates: list[tuple[Due, bytes | None]]) -> dict[UUID, Any]:
        """The data key of each candidate's household, to seal its mails with (a forgotten one has none)."""
        keys: dict[UUID, Any] = {}
        for due, wrapped in candidates:
            if due.household_id in keys:
                continue
            if wrapped is not None:
                keys[due.household_id] = self.sealer.key(due.household_id, wrapped)
                continue
            keyring = self.households.keyring
            with contextlib.suppress(KeyDestroyed):  # forgotten meanwhile: no reminder
                if keyring is not None:  # a household with no key yet (made before keys were): one is made
                    keys[due.household_id] = keyring.for_writing(due.household_id)
        return keys

    def decide(self, day: date) -> int:
        """Decide every reminder due on `day` that is not decided yet; the number decided by this worker."""
        policies = self.policies()
        now = datetime.now(UTC)
        candidates = self.candidates(day, policies)
        keys = self._keys(candidates) if self.with_mail else {}
        decisions = (decide(c, policies[c.team], day, self.settings, now=now, with_mail=self.with_mail)
                     for c, _ in candidates if not self.with_mail or c.household_id in keys)
        done = 0
        for chunk in _chunks((d for d in decisions if d is not None), DECISIONS_PER_TRANSACTION):
            done += self._record(chunk, keys)
        if done:
            self.log.info("reminders.decided", count=done, day=day.isoformat(), pid=os.getpid())
        return done

    def _record(self, decisions: list[Decision], keys: dict[UUID, Any]) -> int:
        """Record reminders with their notifications and mails (sealed with `keys`, their households' data
        keys), in one transaction; those another worker recorded first are left out (their rows conflict,
        nothing of them is inserted)."""
        with self.conn.transaction():
            new = {(row["check_in_id"], row["kind"]) for row in self.conn.execute(self._insert_reminders, (
                [d.check_in.check_in_id for d in decisions], [d.kind for d in decisions],
                [d.check_in.due for d in decisions], [d.check_in.household_id for d in decisions],
                ["{" + ",".join(_array_item(n.recipient) for n in d.notifications) + "}" for d in decisions],
            ))}
            mine = [d for d in decisions if (d.check_in.check_in_id, d.kind) in new]
            notifications = [as_params(n) for d in mine for n in d.notifications]
            mails = [(m.mail_id, m.message_id, m.recipient,
                      seal(keys[d.check_in.household_id], m.message, mail_aad(m.mail_id, d.check_in.household_id)),
                      d.check_in.household_id) for d in mine for m in d.mails]
            with self.conn.cursor() as curs:
                if notifications:
                    curs.executemany(self._insert_notification, notifications)
                if mails:
                    curs.executemany(self._insert_mail, mails)
        return len(mine)

    def deliver(self, *, stop: threading.Event | None = None, limit: int | None = None) -> int:
        """Send pending mails, one per transaction, until none is left (or the server fails); the count.

        One round trip to PostgreSQL per mail: marking a mail sent, committing, and taking the next one
        in a new transaction go as one simple query (`UPDATE ...; COMMIT; BEGIN; SELECT ... FOR UPDATE
        SKIP LOCKED`). Each mail still has its own transaction, committed before the next is sent."""
        sent = 0
        envelope_from = mail.envelope_sender(self.settings.mail_from)
        conn = self.delivery
        take: Composed | SQL = self._begin_and_take
        try:
            row = self._take(take)
            while row is not None:
                try:
                    self.sender.send(envelope_from, row["recipient"], self._message(row))
                except mail.MailError as error:
                    attempts = row["attempts"] + 1
                    permanent = error.permanent or attempts >= MAX_ATTEMPTS
                    pause = timedelta(seconds=min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX))
                    conn.execute(self._mark_failed, (str(error), pause, permanent, row["mail_id"]))
                    conn.execute("COMMIT")
                    self.log.warning("mail.failed", mail_id=str(row["mail_id"]), error=str(error),
                                     attempts=attempts, permanent=permanent)
                    if not permanent:
                        return sent  # the server is unwell: try again next cycle
                    row = self._take(self._begin_and_take)
                    continue
                # Accepted by the server. A kill from here to the COMMIT sends this mail again (see above).
                sent += 1
                mark = self._mark_sent_and_commit.format(self._mails, Literal(row["mail_id"]))
                if (limit is not None and sent >= limit) or (stop is not None and stop.is_set()):
                    conn.execute(mark)
                    return sent
                row = self._take(Composed([mark, SQL(" "), self._begin_and_take]))
            conn.execute("COMMIT")  # the transaction that found nothing more to send
            return sent
        except BaseException:
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")
            raise
        finally:
            if self._sender is not None:
                self._sender.close()  # no idle connection between cycles
            if sent:
                self.log.info("mail.sent", count=sent, pid=os.getpid())

    def _message(self, row: dict[str, Any]) -> bytes:
        """A taken mail's message: opened with its household's key (MailError when it does not open)."""
        if not row["sealed"]:
            return bytes(row["message"])
        key = self.sealer.key(row["household_id"], row["wrapped"])
        message = unseal(key, row["message"], mail_aad(row["mail_id"], row["household_id"]))
        if message is None:
            raise mail.MailError("the sealed message does not open with its household's key", permanent=True)
        return message

    def _take(self, query: Composed | SQL) -> dict[str, Any] | None:
        """Run a simple query that ends in a new transaction's `SELECT ... FOR UPDATE SKIP LOCKED`; its row."""
        cursor = self.delivery.execute(query)
        while cursor.nextset():  # past the results of UPDATE, COMMIT and BEGIN, to the SELECT's
            pass
        return cursor.fetchone()


def _array_item(text: str) -> str:
    """`text` as an element of a PostgreSQL array literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _chunks(items: Iterable[Decision], size: int) -> Iterator[list[Decision]]:
    chunk: list[Decision] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run() -> None:
    os.environ["PGAPPNAME"] = "waakvlam reminders"  # whose connections they are, in pg_stat_activity
    settings = get_settings()
    configure_logging(settings.log_level)
    log = structlog.get_logger("reminders")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    env = eventsourcing_env(settings)
    worker = None
    log.info("reminders.started", interval=settings.reminder_interval, mail=bool(settings.smtp_host),
             pid=os.getpid())
    try:
        while not stop.is_set():
            try:
                if worker is None:
                    worker = ReminderWorker(settings, env)
                worker.cycle(stop=stop)
            except (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError) as error:
                # The database is away: start afresh (new connections) on the next cycle.
                log.error("reminders.database_unavailable", error=type(error).__name__)
                if worker is not None:
                    _close_quietly(worker)
                    worker = None
            stop.wait(settings.reminder_interval)
    finally:
        if worker is not None:
            _close_quietly(worker)
        log.info("reminders.stopped", pid=os.getpid())


def _close_quietly(worker: ReminderWorker) -> None:
    try:
        worker.close()
    except Exception:  # closing what is already broken
        pass


if __name__ == "__main__":
    sys.exit(run())
