"""Telling the privacy officers something about no one household: a signed checkpoint of the history
(waakvlam/checkpoints.py), a history that does not verify, the daily retention report (workers/retention_job.py).

Each officer gets an in-app notification (`household_id` NULL, shown with a link to the privacy overview) and,
when mail is configured, a mail through the reminder worker's outbox (not sealed: it names no household; the
worker's delivery sends it like any other). Ids are derived from `source` and the recipient, so telling the same
thing twice (a retried job, two workers) queues it once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

import psycopg
from psycopg.sql import SQL

from domain.application import Households
from domain.team import TeamPolicy
from projections.notifications import Notification, as_params, insert_statement, notification_id
from waakvlam import mail
from waakvlam.settings import Settings
from workers.outbox import qualified


@dataclass(frozen=True)
class Notice:
    kind: str  # a notification kind: integrity | retention
    source: str  # what it is about, unique per thing told (e.g. "checkpoint:<position>")
    title: str  # the in-app line, in Dutch
    subject: str  # the mail's subject, in Dutch
    body: str  # the mail's text, in Dutch
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (file name, bytes, MIME type)


def address(households: Households, user: str, settings: Settings) -> str:
    """An officer's mail address: from their team's policy when they have a team, else at the mail domain."""
    member = households.staff_member(user)
    policy = households.team_policy(member.team) if member is not None and member.team else TeamPolicy()
    return policy.address_of(user, settings.mail_domain)


def tell_privacy_officers(conn: psycopg.Connection, schema: str, settings: Settings, households: Households,
                          notice: Notice, *, with_mail: bool | None = None,
                          recipients: Sequence[str] | None = None) -> list[str]:
    """Queue `notice` for every privacy officer (or `recipients`) in one transaction; those told."""
    told = list(recipients if recipients is not None else households.privacy_officers())
    with_mail = bool(settings.smtp_host) if with_mail is None else with_mail
    now = datetime.now(UTC)
    notifications = [as_params(Notification(notification_id(notice.source, user), user, notice.kind, None, "",
                                            notice.title)) for user in told]
    mails = []
    if with_mail:
        for user in told:
            to = address(households, user, settings)
            mail_id = uuid5(NAMESPACE_URL, f"waakvlam:mail:{notice.source}:{to}")
            message = mail.compose(mail_id=mail_id, sender=settings.mail_from, to=to, subject=notice.subject,
                                   body=notice.body, domain=settings.mail_domain, sent_at=now,
                                   headers={"X-Waakvlam-Notice": notice.kind}, attachments=notice.attachments)
            mails.append((mail_id, mail.message_id(mail_id, settings.mail_domain), to, message))
    with conn.transaction(), conn.cursor() as curs:
        if notifications:
            curs.executemany(insert_statement(schema), notifications)
        if mails:
            curs.executemany(SQL("INSERT INTO {0} (mail_id, message_id, recipient, message, household_id, sealed)"
                                 " VALUES (%s, %s, %s, %s, NULL, false) ON CONFLICT (mail_id) DO NOTHING").format(
                qualified(schema, "outgoing_mail")), mails)
    return told
