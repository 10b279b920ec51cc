"""A coordinator's check-ins as an iCalendar feed that calendar programs subscribe to.

Calendar programs cannot send a bearer token, so the feed's URL carries a secret:
`POST /api/calendar` makes one for the caller (random, 256 bits; only its SHA-256
is stored) and answers the URL; posting again makes a new one and the old URL
stops working, as does `DELETE /api/calendar`. `GET /api/calendar/{secret}.ics`
answers one all-day event per open check-in of the secret's owner: the household's
label, team and intensity and the date, never a note (RFC 5545: CRLF line ends,
lines folded at 75 octets, text escaped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.authz import record_feed
from api.deps import PrincipalDep, ScheduleDep, SettingsDep
from api.routers.common import problems
from api.routers.notifications import SIGNED_IN, NotificationsDep
from domain.errors import NotFound
from waakvlam.mail import household_link

router = APIRouter(prefix="/api/calendar", tags=["calendar"])

CALENDAR = "text/calendar; charset=utf-8"
SECRET = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
PRODID = "-//Waakvlam//Waakvlamcontacten 1.0//NL"


class CalendarFeed(BaseModel):
    url: str = Field(description="The feed's address (https); keep it to yourself: it is the key to the feed.")
    webcal_url: str = Field(description="The same address as `webcal://`, which opens a calendar program.")


@router.post("", status_code=201, response_model=CalendarFeed, responses=SIGNED_IN,
             summary="Make (or renew) the secret address of your calendar feed; a previous address stops working")
def create_calendar_feed(principal: PrincipalDep, view: NotificationsDep, settings: SettingsDep) -> CalendarFeed:
    """Makes a new secret address for your calendar feed (256 random bits; only a hash is stored) and answers it, as
    https and as webcal. Subscribe to it in a calendar program, which cannot send a bearer token: the address is the
    key, so keep it to yourself. Posting again makes a new address and the old one stops working."""
    secret = view.new_feed_secret(principal.user_id)
    url = f"{settings.base_url.rstrip('/')}/api/calendar/{secret}.ics"
    return CalendarFeed(url=url, webcal_url="webcal://" + url.split("://", 1)[-1])


@router.delete("", status_code=204, responses=SIGNED_IN,
               summary="Revoke the address of your calendar feed (it answers 404 from now on)")
def revoke_calendar_feed(principal: PrincipalDep, view: NotificationsDep) -> Response:
    """Revokes the secret address of your calendar feed: from now on it answers 404. Answers 204, also when you had
    none."""
    view.revoke_feed(principal.user_id)
    return Response(status_code=204)


@router.get("/{secret}.ics", response_class=Response,
            responses={200: {"description": "An iCalendar (RFC 5545) with one all-day event per open check-in",
                             "content": {"text/calendar": {"schema": {"type": "string"}}}},
                       **problems(described={404: "No feed at this address (never made, renewed or revoked)",
                                             503: "Database unavailable; see Retry-After"})},
            summary="Your open check-ins as a calendar feed (no token: the secret address is the key)")
def calendar_feed(secret: str, request: Request, view: NotificationsDep, schedule: ScheduleDep,
                  settings: SettingsDep) -> Response:
    """The open check-ins of the address's owner as an iCalendar (RFC 5545) feed: one all-day event per check-in, with
    the household's label, team and intensity, never a note. No bearer token: the secret address is the key (`POST
    /api/calendar` makes it); an unknown, renewed or revoked address answers 404. Calendar programs may cache it for
    five minutes."""
    owner = view.feed_owner(secret) if SECRET.match(secret) else None
    if owner is None:
        raise NotFound("there is no calendar feed at this address")
    rows = [row for row in schedule.open_for(owner) if row.check_in_id and row.due]
    # NEN 7513: the feed names the owner's households; their calendar program reads it in their name.
    record_feed(request, owner, [row.household_id for row in rows])
    body = calendar(rows, owner, now=datetime.now(UTC), base_url=settings.base_url)
    return Response(body, media_type=CALENDAR, headers={
        "Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="waakvlam.ics"'})


# ---- RFC 5545 ---------------------------------------------------------------------------


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets (RFC 5545 3.1), never inside a UTF-8 character;
    continuation lines start with one space."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current, size, limit = [], [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74  # the leading space counts
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def calendar(rows: Iterable[Any], owner: str, *, now: datetime, base_url: str) -> str:
    """The feed: one all-day VEVENT per open check-in (`ScheduleRow`s), UID stable per check-in."""
    host = urlsplit(base_url).hostname or "waakvlam"
    name = escape(f"Waakvlamcontacten van {owner}")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"NAME:{name}", f"X-WR-CALNAME:{name}", "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H"]
    for row in rows:
        link = household_link(base_url, row.household_id)
        summary = escape(f"Waakvlamcontact: {row.label}")
        description = escape(f"Waakvlamcontact met {row.label} ({row.team}, {row.intensity}).\n{link}")
        lines += [
            "BEGIN:VEVENT",
            f"UID:waakvlam-check-in-{row.check_in_id}@{host}",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART;VALUE=DATE:{_day(row.due)}",
            f"DTEND;VALUE=DATE:{_day(row.due + timedelta(days=1))}",
            f"SUMMARY:{summary}",
            f"DESCRIPTION:{description}",
            f"URL:{link}",
            "CATEGORIES:Waakvlam",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
