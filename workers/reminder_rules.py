"""What the reminder worker decides, as pure functions: which reminder a check-in
calls for on a day by its team's policy, who hears of it, and the notifications
and mails that say so. `workers/reminders.py` stores and delivers them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.team import TeamPolicy
from projections.notifications import DUE_SOON, OVERDUE, Notification, notification_id
from waakvlam import mail
from waakvlam.settings import Settings


@dataclass(frozen=True)
class Due:
    """An open check-in, as the schedule holds it."""

    check_in_id: str
    household_id: UUID
    label: str
    team: str
    coordinator: str | None
    due: date


def kind_due(check_in: Due, policy: TeamPolicy, day: date) -> str | None:
    """Which reminder a check-in calls for on `day` by its team's policy (None: none yet)."""
    if (day - check_in.due).days >= max(policy.overdue_days, 1):
        return OVERDUE
    if (check_in.due - day).days <= policy.remind_days_before:
        return DUE_SOON
    return None


def recipients(kind: str, coordinator: str | None, team_lead: str | None) -> list[tuple[str, bool]]:
    """Who hears of a reminder, each with whether they hear of it as team lead."""
    if kind == DUE_SOON:
        if coordinator:
            return [(coordinator, False)]
        return [(team_lead, True)] if team_lead else []
    found = [(coordinator, False)] if coordinator else []
    if team_lead and team_lead != coordinator:
        found.append((team_lead, True))
    return found


def reminder_source(kind: str, check_in_id: str, due: date) -> str:
    return f"{kind}:{check_in_id}:{due.isoformat()}" if kind == DUE_SOON else f"{kind}:{check_in_id}"


def in_app_title(kind: str, label: str, due: date) -> str:
    """An in-app title stays true while it is read days later: the date, not 'in 3 days'."""
    if kind == OVERDUE:
        return f"Waakvlamcontact over tijd (gepland op {mail.dutch_date(due)}): {label}"
    return f"Waakvlamcontact gepland op {mail.dutch_date(due)}: {label}"


@dataclass(frozen=True)
class Outgoing:
    mail_id: UUID
    message_id: str
    recipient: str  # the address
    message: bytes


@dataclass(frozen=True)
class Decision:
    kind: str
    check_in: Due
    notifications: list[Notification]
    mails: list[Outgoing]


def decide(check_in: Due, policy: TeamPolicy, day: date, settings: Settings, *, now: datetime,
           with_mail: bool) -> Decision | None:
    """The reminder a check-in calls for on `day`, with its notifications and mails (None: nothing yet,
    or nobody to tell)."""
    kind = kind_due(check_in, policy, day)
    if kind is None:
        return None
    told = recipients(kind, check_in.coordinator, policy.team_lead)
    if not told:
        return None
    source = reminder_source(kind, check_in.check_in_id, check_in.due)
    notifications, mails = [], []
    reminder = mail.Reminder(kind, check_in.household_id, check_in.label, check_in.team, check_in.due,
                             check_in.coordinator)
    for user, as_lead in told:
        notifications.append(Notification(
            notification_id(source, user), user, kind, check_in.household_id, check_in.label,
            in_app_title(kind, check_in.label, check_in.due), check_in_id=check_in.check_in_id, due=check_in.due))
        if with_mail:
            address = policy.address_of(user, settings.mail_domain)
            mail_id = uuid5(NAMESPACE_URL, f"waakvlam:mail:{source}:{address}")
            message = mail.compose(
                mail_id=mail_id, sender=settings.mail_from, to=address,
                subject=mail.reminder_title(check_in.label, check_in.due, day),
                body=mail.reminder_body(reminder, user, as_lead=as_lead, today=day, base_url=settings.base_url),
                domain=settings.mail_domain, sent_at=now,
                headers={"X-Waakvlam-Reminder": kind, "X-Waakvlam-Check-In": check_in.check_in_id})
            mails.append(Outgoing(mail_id, mail.message_id(mail_id, settings.mail_domain), address,
                                  message))
    return Decision(kind, check_in, notifications, mails)
