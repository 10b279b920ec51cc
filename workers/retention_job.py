"""Retention runs by itself (issue 12 §4): once a day the reminder worker reports to the privacy officers which
households and signals have passed their retention term (workers/retention.py), and nothing is erased until a
privacy officer confirms that report (`POST /api/retention/reports/{id}/confirmation`, or the button on the
privacy page).

`daily_report` claims the day's job (workers/daily.py: whichever worker is first), reads what is due, and in
ONE transaction stores the report in `retention_reports`, writes its NEN 7513 access-log entry (the system
actor `retention` read these households' closing dates: the entry names each of them, `listed`, and each
signal as a person concerned) and, when anything is due, tells every privacy officer: an in-app notification
and a mail through the outbox (workers/officer_notice.py) that names ids, teams and dates, never a label or a
name. A report is stored every day, also when nothing is due (then nobody is told).

`confirm` erases the report's households and signals that are STILL due (each checked against a fresh
`due()`/`signals_due()`: one reopened, or erased by hand, meanwhile is left alone), by crypto-shredding, with
the officer as actor and the term as reason. The confirmation is claimed first (one UPDATE: a second
confirmation is refused, `AlreadyConfirmed`, 409) in the transaction that writes its access-log entry (action
delete, naming the households about to be erased); the counts are written when the erasure is done. An
erasure interrupted half-way leaves the report confirmed with no counts: what was not erased yet is in the
next day's report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import structlog
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from domain.application import Households
from domain.errors import NotFound
from domain.signal_erasure import forget_signal
from domain.staff import PRIVACY_OFFICER
from domain.values import local_date
from waakvlam import access_log
from waakvlam.settings import Settings
from workers import daily, retention
from workers.officer_notice import Notice, tell_privacy_officers

JOB = "retention_report"
TABLE = "retention_reports"
ROUTE = "/api/retention/reports/{report_id}/confirmation"
PROGRESS_EVERY = 100  # households or signals erased between two progress lines
KEPT = 30  # reports listed

log = structlog.get_logger("retention")


class AlreadyConfirmed(Exception):
    """The report was confirmed before (HTTP 409)."""


class NotAnOfficer(PermissionError):
    """Only a privacy officer confirms an erasure (HTTP 403)."""


@dataclass(frozen=True)
class Report:
    report_id: UUID
    day: date
    created_at: datetime
    households: list[dict[str, Any]]  # each Expired: household_id, team, closed_at, provision, years, erase_from
    signals: list[dict[str, Any]]  # each ExpiredSignal: signal_id, team, status, since, months, erase_from
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    erased_households: int | None = None
    erased_signals: int | None = None
    erased_at: datetime | None = None

    @property
    def household_ids(self) -> list[UUID]:
        return [UUID(h["household_id"]) for h in self.households]

    @property
    def signal_ids(self) -> list[UUID]:
        return [UUID(s["signal_id"]) for s in self.signals]


def _table(schema: str) -> psycopg.sql.Composed:
    return SQL("{0}.{1}").format(Identifier(schema), Identifier(TABLE))


def create_table(conn: psycopg.Connection[Any], schema: str) -> None:
    """The reports table (idempotent; serialised across processes), the daily jobs' and the access log's."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{schema}.{TABLE}",))
        conn.execute(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (report_id uuid PRIMARY KEY, day date NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now(), households jsonb NOT NULL, signals jsonb NOT NULL,"
            " confirmed_by text, confirmed_at timestamptz, erased_households int, erased_signals int,"
            " erased_at timestamptz)").format(_table(schema)))
        conn.execute(SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (created_at DESC)").format(
            _table(schema), Identifier(f"{TABLE}_created_idx")))
        daily.create_table(conn, schema)
    access_log.create_tables(conn, schema)


def _household(e: retention.Expired) -> dict[str, Any]:
    return {"household_id": str(e.household_id), "team": e.team, "closed_at": e.closed_at.isoformat(),
            "provision": e.provision, "years": e.years, "erase_from": e.erase_from.isoformat()}


def _signal(e: retention.ExpiredSignal) -> dict[str, Any]:
    return {"signal_id": str(e.signal_id), "team": e.team, "status": e.status, "since": e.since.isoformat(),
            "months": e.months, "erase_from": e.erase_from.isoformat()}


def _report(row: dict[str, Any]) -> Report:
    return Report(**row)


def title(households: int, signals: int) -> str:
    """The notice's line, in Dutch: "Bewaartermijn: 3 huishoudens en 2 signalen kunnen worden gewist"."""
    parts = [f"{households} {'huishouden' if households == 1 else 'huishoudens'}" if households else "",
             f"{signals} {'signaal' if signals == 1 else 'signalen'}" if signals else ""]
    return f"Bewaartermijn: {' en '.join(p for p in parts if p)} {'kan' if households + signals == 1 else 'kunnen'}" \
           " worden gewist"


def notice(report: Report, settings: Settings) -> Notice:
    """What the privacy officers are told: ids, teams and dates only (no label, no name)."""
    lines = [f"Het dagelijkse bewaartermijnrapport van {report.day.isoformat()}: deze gegevens zijn over hun "
             "bewaartermijn. Er wordt niets gewist voordat u het rapport bevestigt.", ""]
    if report.households:
        lines.append("Huishoudens (VNG selectielijst):")
        lines += [f"- {h['household_id']}  {h['team']}  afgesloten {h['closed_at'][:10]}  {h['years']} jaar"
                  f" ({'met' if h['provision'] else 'zonder'} voorziening)  te wissen vanaf {h['erase_from']}"
                  for h in report.households]
        lines.append("")
    if report.signals:
        lines.append("Signalen die tot niets leidden (teambeleid):")
        lines += [f"- {s['signal_id']}  {s['team'] or '(geen team)'}"
                  f"  {'afgewezen' if s['status'] == 'dismissed' else 'nooit beoordeeld'} sinds {s['since'][:10]}"
                  f"  {s['months']} maanden  te wissen vanaf {s['erase_from']}" for s in report.signals]
        lines.append("")
    lines.append(f"Bekijken en wissen bevestigen: {settings.base_url.rstrip('/')}/privacy#bewaarrapport")
    line = title(len(report.households), len(report.signals))
    return Notice(kind="retention", source=f"retention:{report.report_id}", title=line, subject=line,
                  body="\n".join(lines) + "\n")


def daily_report(conn: psycopg.Connection[Any], schema: str, settings: Settings, households: Households,
                 day: date, *, with_mail: bool | None = None) -> Report | None:
    """The day's report, when this caller is the first to make it today (else None): stored, in the access
    log, and (anything due) told to the privacy officers, all in one transaction."""
    with conn.cursor(row_factory=dict_row) as curs:
        done = curs.execute(SQL("SELECT 1 FROM {0}.{1} WHERE job = %s AND day = %s").format(
            Identifier(schema), Identifier(daily.TABLE)), (JOB, day)).fetchone()
    if done:
        return None  # the common case, every cycle but the day's first: no walk through the store
    expired, signals = retention.due(households, day), retention.signals_due(households, day)
    with conn.transaction():
        if not daily.claim(conn, schema, JOB, day):
            return None  # another worker was first (it waited for our check, we for its commit)
        with conn.cursor(row_factory=dict_row) as curs:
            row = curs.execute(SQL("INSERT INTO {0} (report_id, day, households, signals) VALUES (%s, %s, %s, %s)"
                                   " RETURNING *").format(_table(schema)),
                               (uuid4(), day, json.dumps([_household(e) for e in expired]),
                                json.dumps([_signal(e) for e in signals]))).fetchone()
        report = _report(row)  # type: ignore[arg-type]
        if expired or signals:  # a report that names no one read nothing of anyone
            access_log.append(conn, schema, [access_log.Entry(
                action="read", user_id=retention.ACTOR, role="system", on_behalf_of="retention_report",
                household_id=None, authorised=True, care_relationship=False, emergency=False,
                persons=tuple(f"signaal:{s}" for s in report.signal_ids), method="WORKER", route=JOB,
                listed=tuple(report.household_ids))])
        told = (tell_privacy_officers(conn, schema, settings, households, notice(report, settings),
                                      with_mail=with_mail) if expired or signals else [])
    log.info("retention.reported", day=day.isoformat(), households=len(expired), signals=len(signals),
             told=len(told))
    return report


def reports(conn: psycopg.Connection[Any], schema: str, limit: int = KEPT) -> list[Report]:
    """The latest reports, newest first."""
    with conn.cursor(row_factory=dict_row) as curs:
        rows = curs.execute(SQL("SELECT * FROM {0} ORDER BY created_at DESC, day DESC LIMIT %s").format(
            _table(schema)), (limit,)).fetchall()
    return [_report(row) for row in rows]


def report(conn: psycopg.Connection[Any], schema: str, report_id: UUID) -> Report:
    with conn.cursor(row_factory=dict_row) as curs:
        row = curs.execute(SQL("SELECT * FROM {0} WHERE report_id = %s").format(_table(schema)),
                           (report_id,)).fetchone()
    if row is None:
        raise NotFound(f"retention report {report_id} does not exist")
    return _report(row)


def confirm(conn: psycopg.Connection[Any], schema: str, households: Households, report_id: UUID, officer: str,
            *, today: date | None = None, access: dict[str, Any] | None = None) -> Report:
    """Erase what the report names and is still due, on `officer`'s confirmation; the confirmed report.
    NotFound, AlreadyConfirmed, NotAnOfficer. `access`: the access-log entry's access point (method, route,
    client address, user agent)."""
    if officer not in households.privacy_officers():
        raise NotAnOfficer(f"{officer} is no privacy officer: only a privacy officer confirms an erasure")
    found = report(conn, schema, report_id)
    if found.confirmed_by is not None:
        raise AlreadyConfirmed(f"retention report {report_id} was confirmed by {found.confirmed_by}")
    today = today or local_date(datetime.now(UTC))
    wanted, wanted_signals = set(found.household_ids), set(found.signal_ids)
    expired = [e for e in retention.due(households, today) if e.household_id in wanted]
    signals = [e for e in retention.signals_due(households, today) if e.signal_id in wanted_signals]
    with conn.transaction():
        with conn.cursor(row_factory=dict_row) as curs:
            claimed = curs.execute(SQL("UPDATE {0} SET confirmed_by = %s, confirmed_at = now() WHERE report_id = %s"
                                       " AND confirmed_by IS NULL RETURNING report_id").format(_table(schema)),
                                   (officer, report_id)).fetchone()
        if claimed is None:
            raise AlreadyConfirmed(f"retention report {report_id} was confirmed meanwhile")
        access_log.append(conn, schema, [access_log.Entry(
            action="delete", user_id=officer, role=PRIVACY_OFFICER, on_behalf_of=PRIVACY_OFFICER, household_id=None,
            authorised=True, care_relationship=False, emergency=False,
            persons=tuple(f"signaal:{e.signal_id}" for e in signals),
            listed=tuple(e.household_id for e in expired), **{"method": "POST", "route": ROUTE, **(access or {})})])
    log.info("retention.confirmed", report_id=str(report_id), households=len(expired), signals=len(signals),
             skipped=len(wanted) + len(wanted_signals) - len(expired) - len(signals))
    total, done = len(expired) + len(signals), 0
    for item in expired:
        households.forget(item.household_id, actor=officer, reason=item.reason())
        done += 1
        if done % PROGRESS_EVERY == 0:
            log.info("retention.erasing", report_id=str(report_id), done=done, of=total)
    for signal in signals:
        forget_signal(households, signal.signal_id, actor=officer, reason=signal.reason())
        done += 1
        if done % PROGRESS_EVERY == 0:
            log.info("retention.erasing", report_id=str(report_id), done=done, of=total)
    with conn.cursor(row_factory=dict_row) as curs:
        row = curs.execute(SQL("UPDATE {0} SET erased_households = %s, erased_signals = %s, erased_at = now()"
                               " WHERE report_id = %s RETURNING *").format(_table(schema)),
                           (len(expired), len(signals), report_id)).fetchone()
    log.info("retention.erased", report_id=str(report_id), households=len(expired), signals=len(signals))
    return _report(row)  # type: ignore[arg-type]
