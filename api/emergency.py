"""Emergency access ("break the glass") is allowed, and it is told: the household's team lead and every
privacy officer get an in-app notification (`GET /api/notifications`, kind `emergency_access`) naming who
opened the file, from which team, and why, so the access is looked at while it still matters, not only at
the next audit of the access log.

One notification per user, household, recipient and Dutch day: a colleague who reads ten pages of the
file in one emergency raises one alert, not ten. Telling is best effort: the access log entry (written
for every emergency access) is the record; a failure to notify is logged and never refuses care.
"""

from __future__ import annotations

import logging
import time
import weakref
from datetime import UTC, datetime
from uuid import UUID

from domain.application import Households
from domain.erasure import REDACTED
from domain.household import FORGOTTEN
from domain.values import local_date
from projections.notifications import Notification, as_params, insert_statement, notification_id

EMERGENCY_ACCESS = "emergency_access"

log = logging.getLogger("waakvlam.emergency")


def recipients(team_lead: str | None, privacy_officers: list[str], user_id: str) -> list[str]:
    """Who hears of `user_id`'s emergency access: the team lead and the privacy officers, never the user."""
    return sorted({r for r in (team_lead, *privacy_officers) if r and r != user_id})


def alerts(*, user_id: str, user_team: str | None, household_id: UUID, label: str, reason: str,
           team_lead: str | None, privacy_officers: list[str], at: datetime) -> list[Notification]:
    """The notifications one emergency access calls for (pure)."""
    source = f"emergency:{household_id}:{user_id}:{local_date(at).isoformat()}"
    title = f"Noodtoegang door {user_id} ({user_team or 'geen team'}): {reason.strip()[:200]}"
    return [Notification(notification_id(source, recipient), recipient, EMERGENCY_ACCESS, household_id, label,
                         title) for recipient in recipients(team_lead, privacy_officers, user_id)]


OFFICERS_TTL = 60.0  # seconds the list of privacy officers is kept: reading it walks the whole registry
_officers: weakref.WeakKeyDictionary[Households, tuple[float, list[str]]] = weakref.WeakKeyDictionary()


def privacy_officers(households: Households) -> list[str]:
    """The registry's privacy officers; in demo mode also the demo's, as long as the registry lacks them."""
    cached = _officers.get(households)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = households.privacy_officers()
    _officers[households] = (time.monotonic() + OFFICERS_TTL, found)
    return found


def notify(households: Households, notifications_view: object, *, user_id: str, user_team: str | None,
           household_id: UUID, team: str, reason: str) -> None:
    """Tell the team lead and the privacy officers (blocking; never raises)."""
    try:
        household = households.get(household_id)
        if household.status == FORGOTTEN:  # nothing new is kept about a forgotten household: not the reason
            reason = REDACTED
        notifications = alerts(user_id=user_id, user_team=user_team, household_id=household_id,
                               label=household.label, reason=reason, team_lead=households.team_policy(team).team_lead,
                               privacy_officers=privacy_officers(households), at=datetime.now(UTC))
        if not notifications:
            return
        datastore = notifications_view.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=True) as curs:
            curs.executemany(insert_statement(datastore.schema), [as_params(n) for n in notifications])
    except Exception:  # the access goes on: the access log has it, flagged
        log.exception("emergency access by %s on household %s: nobody could be notified", user_id, household_id)
