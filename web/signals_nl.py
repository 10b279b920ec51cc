"""What the signal screens share (issue 11 §2.7): the Dutch words for a signal's source, urgency and status,
the eropaf time in words, the teams one may report to, and the idempotent run of a command from a form."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.auth import Principal
from api.commands import CommandRunner
from web.common import templates

SOURCE_NL = {"home_care": "Thuiszorg", "housing_corporation": "Woningcorporatie", "gp": "Huisarts",
             "school": "School", "police": "Politie of wijkagent", "wijkambassadeur": "Wijkambassadeur",
             "neighbour": "Buren", "team": "Het wijkteam zelf"}
URGENCY_NL = {"acute": "Acuut: vandaag nog", "high": "Hoog: deze week", "normal": "Normaal",
              "low": "Laag: geen haast"}
STATUS_NL = {"new": "Nieuw", "linked": "Gekoppeld aan een huishouden", "dismissed": "Afgewezen"}
INTENSITY_TEXT = {
    "waakvlam": "Waakvlam: het gaat goed genoeg; het team houdt af en toe contact.",
    "licht": "Licht: wat steun nodig; regelmatig contact.",
    "intensief": "Intensief: veel steun nodig; vaak contact.",
    "crisis": "Crisis: direct en heel vaak contact.",
}


def duration(hours: float | None) -> str:
    """Hours in Dutch words: '2 dagen en 3 uur', '5 uur', '40 minuten'."""
    if hours is None:
        return ""
    minutes = max(0, round(hours * 60))
    if minutes < 60:
        return f"{minutes} {'minuut' if minutes == 1 else 'minuten'}"
    whole = round(minutes / 60)
    days, rest = divmod(whole, 24)
    parts = []
    if days:
        parts.append(f"{days} {'dag' if days == 1 else 'dagen'}")
    if rest or not days:
        parts.append(f"{rest} uur")
    return " en ".join(parts)


def since(moment: datetime | None) -> str:
    """How long ago `moment` was, in words."""
    if moment is None:
        return ""
    if datetime.now(UTC) - moment < timedelta(minutes=1):
        return "nog geen minuut"
    return duration((datetime.now(UTC) - moment).total_seconds() / 3600)


templates.env.filters.update({"bron": lambda v: SOURCE_NL.get(v, v), "urgentie": lambda v: URGENCY_NL.get(v, v),
                              "signaalstatus": lambda v: STATUS_NL.get(v, v), "duur": duration, "sinds": since})


def teams(request: Request) -> list[str]:
    """The wijkteams (the staff registry's teams, and in demo mode the demo users'), in name order."""
    households = request.app.state.households
    found = {m.team for m in households.staff() if getattr(m, "team", None)}
    found.update(team for _, team in households.demo_staff.values() if team)  # demo mode: the demo teams
    return sorted(found)


def run_once(request: Request, principal: Principal, key: str, sent: dict[str, Any],
             command: Callable[..., Any], *, created: bool = False, versioned: bool = False) -> JSONResponse:
    """Run a form's command as the API runs it: the form's key is its Idempotency-Key (a double submit is
    answered from the first), fingerprinted by what the user sent."""
    fingerprint = hashlib.sha256(
        f"POST {request.url.path}\n".encode() + json.dumps(sent, sort_keys=True, default=str).encode()).hexdigest()
    runner = CommandRunner(request.app.state.households, principal, key[:200] or None, fingerprint, None)
    return runner.run(command, created=created, versioned=versioned)
