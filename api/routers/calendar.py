"""A coordinator's check-ins as an iCalendar feed that calendar programs subscribe to.

Calendar programs cannot send a bearer token, so the feed's URL carries a secret:
`POST /api/calendar` makes one for the caller (random, 256 bits; only its SHA-256
is stored) and answers the URL; posting again makes a new one and the old URL
stops working, as does `DELETE /api/calendar`. `GET /api/calendar/{secret}.ics`
answers one all-day event per open check-in of the secret's owner, on its due date
(an overdue one on its past date, marked "over tijd"): the household's label, team
and intensity, never a note. The event's title names the intensity: a waakvlam
household's check-in is a "Waakvlamcontact", a licht one's a "Contactmoment (licht)".
The `icalendar` library writes it (RFC 5545: CRLF line ends, lines folded at 75
octets, text escaped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from api.authz import record_feed
from api.deps import PrincipalDep, ScheduleDep, SettingsDep
from api.routers.common import problems
from api.routers.notifications import SIGNED_IN, NotificationsDep
from domain.errors import NotFound
from domain.values import Intensity, local_date
from waakvlam.mail import dutch_date, household_link, when_due

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
# The icalendar library writes the feed: escaping, CRLF line ends and folding at 75 octets (never inside a
# UTF-8 character) are its business.


def title(intensity: str) -> str:
    """What a check-in is called in the feed: a `waakvlam` household's is a waakvlamcontact; any other's is a
    contactmoment that names its intensity (`Contactmoment (licht)`), as a `licht` household is not on a pilot
    light."""
    if intensity == Intensity.WAAKVLAM:
        return "Waakvlamcontact"
    return f"Contactmoment ({intensity})"


def event(row: Any, *, today: date, host: str, stamp: datetime, base_url: str) -> icalendar.Event:
    """One all-day VEVENT for an open check-in (a `ScheduleRow`) on its own due date, also when that date has
    passed: then the summary and the description say it is over tijd. The UID is stable per check-in."""
    link = household_link(base_url, row.household_id)
    kind = title(row.intensity)
    overdue = row.due < today
    summary = f"{kind}: {row.label}" + (" (over tijd)" if overdue else "")
    description = f"{kind} met {row.label} ({row.team}, intensiteit {row.intensity})."
    if overdue:
        description += f"\nOver tijd: gepland op {dutch_date(row.due)} ({when_due(row.due, today)})."
    found = icalendar.Event()
    found.add("uid", f"waakvlam-check-in-{row.check_in_id}@{host}")
    found.add("dtstamp", stamp)
    found.add("dtstart", row.due)  # a date: VALUE=DATE, an all-day event
    found.add("dtend", row.due + timedelta(days=1))
    found.add("summary", summary)
    found.add("description", f"{description}\n{link}")
    found.add("url", link)
    found.add("categories", ["Waakvlam"] + (["Over tijd"] if overdue else []))
    found.add("transp", "TRANSPARENT")
    return found


def calendar(rows: Iterable[Any], owner: str, *, now: datetime, base_url: str) -> bytes:
    """The feed: one all-day VEVENT per open check-in (`ScheduleRow`s), each on its due date; past due dates
    are compared with today's Dutch date."""
    host = urlsplit(base_url).hostname or "waakvlam"
    name = f"Waakvlamcontacten van {owner}"
    feed = icalendar.Calendar()
    feed.add("version", "2.0")
    feed.add("prodid", PRODID)
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("name", name)
    feed.add("x-wr-calname", name)
    feed.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    feed.add("x-published-ttl", "PT1H")
    today, stamp = local_date(now), now.astimezone(UTC)
    for row in rows:
        feed.add_component(event(row, today=today, host=host, stamp=stamp, base_url=base_url))
    return feed.to_ical()
