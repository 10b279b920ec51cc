"""Dates, times and the domain's vocabularies in Dutch, for the pages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.values import LOCAL_TZ, local_date
from projections.timeline import CONTACT_NL, DOMAIN_NL, SUPPORT_NL
from waakvlam.mail import dutch_date, when_due

INTENSITY_NL = {"waakvlam": "waakvlam", "licht": "licht", "intensief": "intensief", "crisis": "crisis"}
STATUS_NL = {"open": "lopend", "achieved": "bereikt", "dropped": "vervallen", "completed": "nagekomen",
             "cancelled": "vervallen", "ended": "beëindigd", "closed": "afgesloten"}
ROLE_NL = {"generalist": "generalist", "coordinator": "regisseur", "team_lead": "teamleider",
           "privacy_officer": "privacyfunctionaris", "administrator": "beheerder", "partner": "ketenpartner"}
TREND_NL = {"improving": "vooruit", "declining": "achteruit", "stable": "gelijk"}
# What each ZRM score means (zelfredzaamheid-matrix): 1 acute problematiek ... 5 volledig zelfredzaam.
SCORE_NL = {1: "acute problematiek", 2: "niet zelfredzaam", 3: "beperkt zelfredzaam", 4: "voldoende zelfredzaam",
            5: "volledig zelfredzaam"}
CONTACT_KINDS = list(CONTACT_NL.items())


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return local_date(value)
    if isinstance(value, date):
        return value
    text = str(value)
    if len(text) > 10:
        return local_date(datetime.fromisoformat(text))
    return date.fromisoformat(text)


def as_moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def day(value: Any) -> str:
    """`woensdag 21 oktober 2026`, the Dutch date (Europe/Amsterdam) of a date or moment."""
    found = as_date(value)
    return dutch_date(found) if found is not None else ""


def moment(value: Any) -> str:
    """`woensdag 21 oktober 2026 om 14:05`, in Europe/Amsterdam."""
    found = as_moment(value)
    if found is None:
        return ""
    local = found.astimezone(LOCAL_TZ)
    return f"{dutch_date(local.date())} om {local:%H:%M}"


def due_text(due: Any, today: date) -> str:
    """`over 3 dagen`, `vandaag`, `2 dagen over tijd`."""
    found = as_date(due)
    return when_due(found, today) if found is not None else ""


def days_late(due: Any, today: date) -> int:
    found = as_date(due)
    return max(0, (today - found).days) if found is not None else 0


def domain(value: str) -> str:
    text = DOMAIN_NL.get(value, value)
    return text[:1].upper() + text[1:]


def support(value: str) -> str:
    return SUPPORT_NL.get(value, value)


def contact_kind(value: str) -> str:
    return CONTACT_NL.get(value, value)


FILTERS = {"day": day, "moment": moment, "domain": domain, "support": support, "contact_kind": contact_kind,
           "intensity": lambda v: INTENSITY_NL.get(v, v), "status": lambda v: STATUS_NL.get(v, v),
           "role": lambda v: ROLE_NL.get(v, v or "geen rol"), "trend": lambda v: TREND_NL.get(v, v or ""),
           "score": lambda v: SCORE_NL.get(v, "")}
