"""The reminder worker sending 10,000 due reminders to a local SMTP server, beside that server's raw accept rate.

    smtp     an aiosmtpd server (waakvlam/mail_sink.py) in this process, in its own thread, counting what it
             accepts and keeping nothing
    raw      the server's raw accept rate: smtplib over ONE connection, in a process of its own (as the worker
             is), --reminders minimal messages as fast as possible (and again with messages of a reminder's
             size); measured before and after the worker
    fill     --reminders open check-ins written straight into the schedule view's table (`schedule_v1`) with
             SQL (COPY), each due in two days, at households of three teams with 20 coordinators; the teams'
             policies (N = 3, a lead, addresses) set through the application. The rows are what the schedule
             projection would hold for as many households; they are written directly because the reminder
             worker reads only the schedule view, the team policies and its own outbox, and telling 10,000
             households' stories would measure the domain code instead.
    worker   `python -m workers.reminders`, its own process, as `waakvlam run` starts it (interval 0.05 s): from
             the commit of the check-ins to the last mail accepted by the server. Every check-in calls for one
             `due_soon` reminder, so one in-app notification and one mail. Decided (outbox written, from its
             log) and delivered (one mail per transaction: take it FOR UPDATE SKIP LOCKED, send, mark sent)
             are shown apart, with the CPU each party used.
    ratio    reminders per second / raw accept rate

    .venv/bin/python benchmarks/reminders.py                     # 10,000 reminders (about a minute)
    .venv/bin/python benchmarks/reminders.py --reminders 2000    # a quicker look

DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory; a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.sql import SQL, Identifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.write_path import ROOT, cpu_now, database, fresh_schema, machine_busy, server_facts
from domain.application import Households
from domain.erasure import KeyRing, kek_of
from domain.values import local_date
from projections import versions
from projections.schedule import ScheduleView
from waakvlam import mail
from waakvlam.database import eventsourcing_env
from waakvlam.mail_sink import MailSink, start
from waakvlam.settings import Settings
from waakvlam.store import KEYS_TABLE

TEAMS = {"Wijkteam Noord": "carla", "Wijkteam Centrum": "marieke", "Wijkteam Zuid": "ingrid"}
COORDINATORS = [f"regisseur{n:02d}" for n in range(20)]
MINIMAL = b"From: a@b.test\r\nTo: c@d.test\r\nSubject: x\r\n\r\nx\r\n"


def reminder_sized(n: int) -> bytes:
    """A message like a reminder mail (headers, Dutch body, link), for the second raw measurement."""
    reminder = mail.Reminder("due_soon", uuid.uuid4(), f"Fam. {n}", "Wijkteam Noord",
                             local_date(datetime.now(UTC)) + timedelta(days=2), "bram")
    body = mail.reminder_body(reminder, "bram", as_lead=False, today=local_date(datetime.now(UTC)),
                              base_url="https://waakvlam.example.nl")
    return mail.compose(mail_id=uuid.uuid4(), sender="Waakvlam <waakvlam@example.nl>", to="bram@example.nl",
                        subject="Waakvlamcontact over 2 dagen: Fam. Jansen", body=body, domain="example.nl",
                        sent_at=datetime.now(UTC))


def raw_accept_rate(sink: MailSink, count: int, message: bytes) -> float:
    """Messages per second the server accepts from smtplib over one connection, the client in a process of
    its own (as the reminder worker is: client and server do not share one interpreter)."""
    before = sink.count
    output = subprocess.run([sys.executable, __file__, "--raw-client", sink.host, str(sink.port), str(count)],
                            input=message, capture_output=True, check=True, cwd=ROOT).stdout
    assert sink.count - before == count, "the server did not accept every message"
    return float(output.decode().strip())


def raw_client(host: str, port: int, count: int) -> None:
    """Send the message on stdin `count` times over one connection; print the rate."""
    message = sys.stdin.buffer.read()
    smtp = smtplib.SMTP(host, port)
    try:
        started = time.perf_counter()
        for _ in range(count):
            smtp.sendmail("a@b.test", ["c@d.test"], message)
        seconds = time.perf_counter() - started
    finally:
        smtp.quit()
    print(count / seconds)


def set_policies(env: dict[str, str]) -> None:
    app = Households(env=env)
    try:
        for team, lead in TEAMS.items():
            app.set_team_policy(team, actor=lead, team_lead=lead, remind_days_before=3, overdue_days=7,
                                addresses={c: f"{c}@example.nl" for c in COORDINATORS})
    finally:
        app.close()


def fill_schedule(url: str, schema: str, env: dict[str, str], count: int) -> str:
    """`count` open check-ins, each due in two days, into the schedule's active table; its name."""
    table = versions.physical("schedule", versions.ensure("schedule", ScheduleView, env))
    due = local_date(datetime.now(UTC)) + timedelta(days=2)
    teams = list(TEAMS)
    columns = ("household_id", "label", "team", "intensity", "coordinator", "check_in_id", "due", "reason", "version")
    households = [uuid.uuid4() for _ in range(count)]
    keys = _Collected()  # each household has its data key, as a registered one does (domain/erasure.py)
    keyring = KeyRing(kek_of(env), keys)
    for household_id in households:
        keyring.for_writing(household_id)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:  # one transaction: keys and check-ins
        with cursor.copy(SQL("COPY {0}.{1} (originator_id, wrapped) FROM STDIN").format(
                Identifier(schema), Identifier(KEYS_TABLE))) as copy:
            for row in keys.rows:
                copy.write_row(row)
        copy_sql = SQL("COPY {0}.{1} ({2}) FROM STDIN").format(
            Identifier(schema), Identifier(table), SQL(", ").join(map(Identifier, columns)))
        with cursor.copy(copy_sql) as copy:
            for n, household_id in enumerate(households):
                copy.write_row((household_id, f"Fam. {n:05d}", teams[n % 3], "waakvlam",
                                COORDINATORS[n % len(COORDINATORS)], uuid.uuid4().hex[:12], due, "registered", 2))
    return table


class _Collected:
    """A key store that keeps the wrapped keys it is given, for a bulk load."""

    def __init__(self) -> None:
        self.rows: list[tuple[uuid.UUID, bytes]] = []

    def fetch_key(self, originator_id: uuid.UUID) -> tuple[bool, bytes | None]:
        return False, None

    def insert_key(self, originator_id: uuid.UUID, wrapped: bytes) -> bytes | None:
        self.rows.append((originator_id, wrapped))
        return wrapped

    def destroy_keys(self, originator_ids: object) -> None:
        raise NotImplementedError


def start_worker(url: str, schema: str, sink: MailSink, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "POSTGRES_SCHEMA": schema, "WAAKVLAM_SMTP_HOST": sink.host,
           "WAAKVLAM_SMTP_PORT": str(sink.port), "WAAKVLAM_SMTP_SECURITY": "none",
           "WAAKVLAM_REMINDER_INTERVAL": "0.05", "WAAKVLAM_MAIL_DOMAIN": "example.nl",
           "WAAKVLAM_BASE_URL": "https://waakvlam.example.nl", "WAAKVLAM_LOG_LEVEL": "INFO"}
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "workers.reminders"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def wait_for_outbox(url: str, schema: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Until the worker has created its tables (it has started its first cycle)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("SELECT to_regclass(%s)", (f'"{schema}".outgoing_mail',)).fetchone()[0] is None:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the reminder worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
    time.sleep(0.5)  # a few empty cycles: the worker is warm


def decided_at(log: Path) -> list[tuple[float, int]]:
    """(moment, count) of each `reminders.decided` line of the worker's log."""
    found = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "reminders.decided":
                found.append((datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00")).timestamp(),
                              entry["count"]))
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(args: argparse.Namespace, workdir: Path) -> int:
    count = args.reminders
    with database(workdir) as (url, where), fresh_schema(url) as schema:
        facts = server_facts(url)
        print(f"Waakvlam reminder benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
        print(f"PostgreSQL {facts['version']} ({where}); fsync={facts['fsync']}, "
              f"synchronous_commit={facts['synchronous_commit']}")
        print(f"other load before starting: {machine_busy():.2f} cores busy", flush=True)

        sink = MailSink(keep=False)
        controller = start(sink)
        try:
            env = eventsourcing_env(Settings(DATABASE_URL=url, POSTGRES_SCHEMA=schema))
            raw_before = raw_accept_rate(sink, count, MINIMAL)
            sized = reminder_sized(0)
            raw_sized = raw_accept_rate(sink, count, sized)
            print(f"raw accept rate (smtplib, one connection, {count:,} messages): {raw_before:,.0f}/s minimal "
                  f"({len(MINIMAL)} bytes), {raw_sized:,.0f}/s reminder-sized ({len(sized)} bytes)", flush=True)

            set_policies(env)
            log = workdir / "reminders.log"
            worker = start_worker(url, schema, sink, log)
            try:
                wait_for_outbox(url, schema, worker, log)
                accepted_before = sink.count
                cpu_before = cpu_now(worker.pid)
                fill_schedule(url, schema, env, count)
                started, started_wall = time.perf_counter(), time.time()
                deadline = started + args.timeout
                while sink.count - accepted_before < count:
                    if worker.poll() is not None or time.perf_counter() > deadline:
                        raise RuntimeError(f"{sink.count - accepted_before} of {count} mails arrived:\n"
                                           f"{log.read_text()[-3000:]}")
                    time.sleep(0.005)
                seconds = time.perf_counter() - started
                cpu_after = cpu_now(worker.pid)
                time.sleep(0.5)  # nothing more may come
                extra = sink.count - accepted_before - count
            finally:
                stop(worker)
            raw_after = raw_accept_rate(sink, count, MINIMAL)
        finally:
            controller.stop()

        with psycopg.connect(url) as conn:
            reminders, mails, sent = conn.execute(SQL(
                "SELECT (SELECT count(*) FROM {0}.reminders), count(*), count(sent_at) FROM {0}.outgoing_mail"
            ).format(Identifier(schema))).fetchone()
        decided = decided_at(log)
        decided_seconds = max(moment for moment, _ in decided) - started_wall if decided else float("nan")
        own, worker_cpu, postgres, machine = (b - a for a, b in zip(cpu_before, cpu_after, strict=True))
        rate = count / seconds
        raw = (raw_before + raw_after) / 2
        print(f"raw accept rate after the worker: {raw_after:,.0f}/s minimal")
        print(f"\nreminder worker: {count:,} reminders decided and delivered in {seconds:.2f} s = {rate:,.0f} "
              f"reminders/s (one mail each; {extra} more arrived)")
        print(f"    decided (reminders, notifications and mails in the outbox, {sum(c for _, c in decided):,} in "
              f"{len(decided)} cycle(s)): {decided_seconds:.2f} s after the commit "
              f"({count / decided_seconds:,.0f}/s)")
        print(f"    delivered: the remaining {seconds - decided_seconds:.2f} s "
              f"({count / (seconds - decided_seconds):,.0f} mails/s, one transaction each)")
        print(f"    outbox: {reminders:,} reminders, {mails:,} mails, {sent:,} marked sent")
        capacity = seconds * (os.cpu_count() or 1)
        print(f"    CPU in the window: worker {worker_cpu:.1f} s, PostgreSQL {postgres:.1f} s, "
              f"SMTP server (this process) {own:.1f} s, machine {machine:.1f} s of {capacity:.1f}")
        print("\nsummary")
        print(f"  raw accept rate   {raw:,.0f} messages/s (mean of before {raw_before:,.0f} and after "
              f"{raw_after:,.0f}; minimal messages, one connection)")
        print(f"  reminder worker   {rate:,.0f} reminders/s")
        print(f"  ratio             {rate / raw:.2f} of the raw accept rate "
              f"({rate / raw_sized:.2f} of the reminder-sized rate)")
        ok = reminders == count and mails == sent == count and extra == 0
        print(f"  exactly once      {'yes' if ok else 'NO'}: {reminders:,} reminders, {sent:,} mails sent")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reminders", type=int, default=10_000, help="due check-ins, so reminders and mails")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for every mail")
    parser.add_argument("--raw-client", nargs=3, metavar=("HOST", "PORT", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.raw_client:
        host, port, count = args.raw_client
        raw_client(host, int(port), int(count))
        return 0
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: sys.exit(128 + received))
    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-bench-"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
