"""In-app notifications: one's own reminders (`due_soon`, `overdue`, from the reminder
worker) and signal alerts (`signal`: a new signal on a household at waakvlam or licht,
a possible reason to escalate), newest first; and marking them read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from api.authz import record_listed
from api.deps import AfterQuery, PrincipalDep, SettingsDep, wait_for
from api.routers.common import problems
from domain.errors import NotFound
from projections.notifications import Notification, NotificationsView
from waakvlam.mail import household_link

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


PARTNER_403 = "A partner account: it may only report signals and follow its own reports"
SIGNED_IN = problems(401, described={403: PARTNER_403, 503: "Database unavailable; see Retry-After"})
LIST_RESPONSES = problems(401, 422, described={
    403: PARTNER_403, 503: "Database unavailable, or the signal alerts did not catch up with `after` in time"})
MARK_RESPONSES = problems(401, 422, described={
    403: PARTNER_403, 404: "No such notification of yours", 503: "Database unavailable; see Retry-After"})


async def _notifications(request: Request) -> NotificationsView:
    return request.app.state.notifications


NotificationsDep = Annotated[NotificationsView, Depends(_notifications)]


class NotificationItem(BaseModel):
    id: UUID
    kind: Literal["due_soon", "overdue", "signal", "emergency_access", "integrity", "retention"] = Field(
        description="`due_soon`: a check-in is due soon; `overdue`: it is over time (also sent to the team lead); "
                    "`signal`: a new signal on a household at waakvlam or licht, a possible reason to escalate; "
                    "`emergency_access`: someone outside the team opened the household's file by emergency access "
                    "(to its team lead and the privacy officers); `integrity`: a signed checkpoint of the history was "
                    "made, or the history does not verify; `retention`: the daily retention report (both to the "
                    "privacy officers).")
    title: str = Field(description="One line in Dutch.")
    household_id: UUID | None = Field(description="The household it is about; null for a notice to the privacy "
                                                  "officers about no one household (`integrity`, `retention`).")
    label: str
    link: str = Field(description="Where the household (or, for a notice, the privacy overview) is in Waakvlam.")
    check_in_id: str | None = None
    due: date | None = None
    signal_id: str | None = None
    created_at: datetime
    read_at: datetime | None = None


class NotificationPage(BaseModel):
    items: list[NotificationItem]
    unread: int = Field(description="How many of your notifications are unread (all pages).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class MarkedRead(BaseModel):
    marked: int = Field(description="How many notifications were unread and are read now.")


def _item(notification: Notification, base_url: str) -> NotificationItem:
    return NotificationItem(
        id=notification.notification_id, kind=notification.kind, title=notification.title,  # type: ignore[arg-type]
        household_id=notification.household_id, label=notification.label,
        link=(household_link(base_url, notification.household_id) if notification.household_id is not None
              else base_url.rstrip("/") + "/privacy"), check_in_id=notification.check_in_id,
        due=notification.due, signal_id=notification.signal_id, created_at=notification.created_at,  # type: ignore[arg-type]
        read_at=notification.read_at)


@router.get("", response_model=NotificationPage, responses=LIST_RESPONSES,
            summary="Your notifications, newest first: reminders of check-ins and new signals")
def notifications(
    request: Request,
    principal: PrincipalDep,
    view: NotificationsDep,
    settings: SettingsDep,
    unread: Annotated[bool, Query(description="Only those not yet read.")] = False,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: AfterQuery = None,
) -> NotificationPage:
    """Your own notifications, newest first: reminders of your check-ins (`due_soon`, `overdue`), alerts of new signals
    on your households at waakvlam or licht (`signal`), and, for a team lead or privacy officer, emergency access to
    a household's file (`emergency_access`); with the number unread. The signal alerts are a projection: `after`
    reads your own write."""
    wait_for(view, after, settings.catch_up_timeout)  # signal alerts are a projection: read your own write
    try:
        found, next_cursor = view.page(principal.user_id, unread=unread, cursor=cursor, limit=limit)
    except ValueError as error:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error),
                                       "input": None}]) from None
    record_listed(request, principal, (n.household_id for n in found))  # NEN 7513: the households they name
    return NotificationPage(items=[_item(n, settings.base_url) for n in found],
                            unread=view.unread_count(principal.user_id), next_cursor=next_cursor)


@router.post("/read", response_model=MarkedRead, responses=SIGNED_IN, summary="Mark all your notifications read")
def mark_all_notifications_read(principal: PrincipalDep, view: NotificationsDep) -> MarkedRead:
    """Marks every unread notification of yours read; answers how many were unread."""
    return MarkedRead(marked=view.mark_all_read(principal.user_id))


@router.post("/{notification_id}/read", response_model=NotificationItem, responses=MARK_RESPONSES,
             summary="Mark one of your notifications read")
def mark_notification_read(notification_id: UUID, principal: PrincipalDep, view: NotificationsDep,
                           settings: SettingsDep) -> NotificationItem:
    """Marks one of your notifications read and answers it. Someone else's notification is not found (404) either."""
    found = view.mark_read(principal.user_id, notification_id)
    if found is None:  # someone else's is not found either: whose notifications exist is nobody else's business
        raise NotFound(f"you have no notification {notification_id}")
    return _item(found, settings.base_url)
