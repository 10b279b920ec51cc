"""What the household page reads beside the plan view: the ZRM scores over time, the consents, the time at
each intensity, a date typed in Dutch, and what differs between the plan on a date and the plan today.

All of it comes from the household's own events (`Households.history`, the same events the API's
`plan?as_of=` folds) and from the plan documents of projections/plan.py; nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from domain.values import LOCAL_TZ, LifeDomain
from projections.plan import FOLD
from projections.timeline import MONTHS_NL
from web import dutch

WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
INTENSITIES = ["waakvlam", "licht", "intensief", "crisis"]

# The kinds of event, as the timeline's filter offers them (in Dutch, in the order a worker thinks of them).
KIND_NL = {
    "ContactRecorded": "Contact", "SignalRecorded": "Signaal", "AssessmentRecorded": "Meting (ZRM)",
    "GoalSet": "Doel gesteld", "GoalRevised": "Doel bijgesteld", "GoalAchieved": "Doel bereikt",
    "GoalDropped": "Doel losgelaten", "AgreementMade": "Afspraak gemaakt", "AgreementCompleted": "Afspraak nagekomen",
    "AgreementCancelled": "Afspraak vervallen", "InterventionStarted": "Inzet gestart",
    "InterventionEnded": "Inzet beëindigd", "Escalated": "Opgeschaald", "DeEscalated": "Afgeschaald",
    "CheckInScheduled": "Waakvlamcontact gepland", "CheckInRescheduled": "Waakvlamcontact verzet",
    "CheckInCompleted": "Waakvlamcontact gehouden", "CheckInCancelled": "Waakvlamcontact geannuleerd",
    "CadenceSet": "Frequentie aangepast", "CoordinatorAssigned": "Regisseur toegewezen",
    "MemberAdded": "Gezinslid toegevoegd", "MemberRemoved": "Gezinslid verwijderd",
    "NetworkPersonAdded": "Netwerkpersoon toegevoegd", "NetworkPersonRemoved": "Netwerkpersoon verwijderd",
    "SignaleringsplanAgreed": "Signaleringsplan", "ConsentRecorded": "Toestemming gegeven",
    "ConsentWithdrawn": "Toestemming ingetrokken", "Corrected": "Correctie", "Closed": "Afgesloten",
    "Reopened": "Heropend", "Registered": "Aanmelding", "Forgotten": "Vergeten",
}


@dataclass(frozen=True)
class Facts:
    """What the top of the household page says, from the plan document (projections/plan.py), which the page
    reads anyway: no second read of the household's events for it."""

    label: str
    team: str
    coordinator: str | None
    intensity: str
    status: str
    last_contact_at: str | None
    next_check_in: dict[str, Any] | None


def facts(doc: dict[str, Any]) -> Facts:
    check_in = doc.get("next_check_in")
    if check_in:
        check_in = {"id": check_in["id"], "due": date.fromisoformat(str(check_in["due"])[:10])}
    return Facts(doc["label"], doc["team"], doc.get("coordinator"), doc["intensity"], doc["status"],
                 doc.get("last_contact_at"), check_in)


# ---- a date typed in Dutch ------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(\d{1,2}) ([a-z]+)\.? (\d{4})$")


def parse_date(text: str) -> date | None:
    """A date as a Dutch user types it: `21-10-2026`, `21/10/2026`, `21 oktober 2026` (a weekday before it is
    fine), or `2026-10-21` (what a date picker sends). None when it is no date."""
    value = " ".join(text.strip().lower().replace(",", " ").split())
    for weekday in WEEKDAYS_NL:
        if value.startswith(weekday + " "):
            value = value[len(weekday) + 1:]
    found = _NUMERIC.match(value)
    parts: tuple[int, int, int] | None = None
    if found:
        parts = (int(found.group(3)), int(found.group(2)), int(found.group(1)))
    elif found := _ISO.match(value):
        parts = (int(found.group(1)), int(found.group(2)), int(found.group(3)))
    elif found := _WORDS.match(value):
        month = next((n for n, name in enumerate(MONTHS_NL, 1)
                      if name == found.group(2) or (len(found.group(2)) >= 3 and name.startswith(found.group(2)))),
                     None)
        if month is not None:
            parts = (int(found.group(3)), month, int(found.group(1)))
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        return None


def period(values: dict[str, str]) -> tuple[dict[str, str], datetime | None, datetime | None]:
    """A period typed in Dutch as `van` and `tot` (tot en met): errors per field, its first moment and the
    first moment after it (Dutch days), either None when not given."""
    errors: dict[str, str] = {}
    since = end = None
    for field, word in (("van", "vanaf"), ("tot", "tot en met")):
        if values.get(field):
            day = parse_date(values[field])
            if day is None:
                errors[field] = f"Vul bij '{word}' een datum in, zoals 21-10-2026."
            elif field == "van":
                since = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
            else:
                end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    if since and end and since >= end:
        errors["tot"] = "De datum 'tot en met' ligt vóór de datum 'vanaf'."
    return errors, since, end


def typed(day: date | None) -> str:
    """A date as the form shows it back: `21-10-2026`."""
    return f"{day.day:02d}-{day.month:02d}-{day.year}" if day else ""


# ---- from the household's events -------------------------------------------------------------------------

def _corrections(events: Iterable[Any], kind: str) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        if type(event).__name__ == "Corrected" and event.target_kind == kind:
            found.setdefault(event.target_version, []).append(dict(event.changes))
    return found


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def zrm_history(events: tuple[Any, ...]) -> dict[str, list[dict[str, Any]]]:
    """Per life domain every score it had, oldest first: [{at, score}], corrections applied (a corrected score
    or moment counts as corrected)."""
    corrected = _corrections(events, "AssessmentRecorded")
    history: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if type(event).__name__ != "AssessmentRecorded":
            continue
        scores, at = dict(event.scores), _moment(event.occurred_at)
        for changes in corrected.get(event.originator_version, []):
            scores = dict(changes.get("scores", scores))
            at = _moment(changes.get("occurred_at", at))
        for domain, score in scores.items():
            history.setdefault(domain, []).append({"at": at, "score": score})
    for points in history.values():
        points.sort(key=lambda point: point["at"])
    return history


def consents(events: tuple[Any, ...]) -> list[dict[str, Any]]:
    """The household's consents, newest first: who gave it, to whom, for what, from when, until when, and
    whether it was withdrawn (and why)."""
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        kind = type(event).__name__
        if kind == "ConsentRecorded":
            found[event.consent_id] = {"id": event.consent_id, "given_by": event.given_by, "party": event.party,
                                       "purpose": event.purpose, "until": event.until, "given": event.occurred_at,
                                       "status": "open", "withdrawn": None, "reason": ""}
        elif kind == "ConsentWithdrawn" and event.consent_id in found:
            found[event.consent_id].update(status="withdrawn", withdrawn=event.occurred_at, reason=event.reason)
    return sorted(found.values(), key=lambda c: _moment(c["given"]), reverse=True)


# ---- from the plan document (projections/plan.py keeps the assessments and consents since FOLD 2) ----------

def from_document(doc: dict[str, Any]) -> bool:
    """Whether the document holds the assessments and consents (folded from the household's first event by a
    fold that keeps them); else the page reads them from the events, as `zrm_history` and `consents` do."""
    return int(doc.get("fold", 0)) >= FOLD


def zrm_history_of(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """`zrm_history`, from the plan document."""
    history: dict[str, list[dict[str, Any]]] = {}
    for assessment in doc["assessments"].values():
        at = _moment(assessment["at"])
        for domain, score in assessment["scores"].items():
            history.setdefault(domain, []).append({"at": at, "score": score})
    for points in history.values():
        points.sort(key=lambda point: point["at"])
    return history


def consents_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """`consents`, from the plan document."""
    found = [{**consent, "id": consent_id, "given": _moment(consent["given"]),
              "withdrawn": _moment(consent["withdrawn"]) if consent["withdrawn"] else None,
              "until": date.fromisoformat(consent["until"]) if consent["until"] else None}
             for consent_id, consent in doc["consents"].items()]
    return sorted(found, key=lambda c: c["given"], reverse=True)


def intensity_totals(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Days at each intensity, in the order waakvlam ... crisis (only those the household has been at)."""
    days: dict[str, float] = {}
    for period in periods:
        days[period["level"]] = days.get(period["level"], 0.0) + period["days"]
    return [{"level": level, "days": round(days[level], 1)} for level in INTENSITIES if level in days]


def epoch(value: Any) -> int:
    return int(_moment(value).timestamp())


def chart_points(points: list[dict[str, Any]]) -> dict[str, str]:
    """The `data-x` (seconds since 1970) and `data-y` of a ZRM chart, read by /static/charts.js."""
    return {"x": ",".join(str(epoch(p["at"])) for p in points), "y": ",".join(str(p["score"]) for p in points)}


def intensity_points(periods: list[dict[str, Any]], now: datetime) -> dict[str, str]:
    """A step line: each period's start at its level (1 waakvlam ... 4 crisis), and now at the current level."""
    xs = [epoch(p["from"]) for p in periods]
    ys = [INTENSITIES.index(p["level"]) + 1 if p["level"] in INTENSITIES else 0 for p in periods]
    if periods:
        xs.append(int(now.timestamp()))
        ys.append(ys[-1])
    return {"x": ",".join(map(str, xs)), "y": ",".join(map(str, ys))}


def ordered_domains(life_domains: dict[str, Any]) -> dict[str, Any]:
    order = list(LifeDomain)
    return dict(sorted(life_domains.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99))


# ---- the plan on a date beside the plan today -------------------------------------------------------------

FIELD_NL = {"description": "omschrijving", "status": "status", "who": "wie", "what": "wat", "due": "uiterlijk",
            "support_level": "trede", "provider": "door", "name": "naam", "role": "rol", "relation": "relatie",
            "notices_decline": "merkt achteruitgang op", "life_domain": "leefgebied"}
COMPARED = {"goals": ("description", "status", "life_domain"), "agreements": ("who", "what", "due", "status"),
            "interventions": ("support_level", "provider", "description", "status"),
            "members": ("name", "role"), "network": ("name", "relation", "notices_decline")}
WHAT_NL = {"goals": "Doel", "agreements": "Afspraak", "interventions": "Inzet", "members": "Gezinslid",
           "network": "Netwerkpersoon"}


def _value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "niets"
    if field == "status":
        return dutch.STATUS_NL.get(value, value)
    if field == "support_level":
        return dutch.support(value)
    if field == "due":
        return dutch.day(value)
    if field == "life_domain":
        return dutch.domain(value)
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value)


def _describe(key: str, item: dict[str, Any]) -> str:
    if key == "goals":
        return f"{item['description']} ({dutch.domain(item['life_domain'])})"
    if key == "agreements":
        return f"{item['who']}: {item['what']}"
    if key == "interventions":
        provider = f" door {item['provider']}" if item.get("provider") else ""
        return f"{dutch.support(item['support_level'])}{provider}" + (
            f": {item['description']}" if item.get("description") else "")
    return str(item.get("name", ""))


def differences(then: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """What differs between the plan document on a date (`then`) and today's (`now`): per item of `then` that
    changed or is gone a mark {state, text}; the items added since; per life domain a changed score; and the
    facts (intensity, coordinator, status) that differ. Every mark has its text: nothing by colour alone."""
    marks: dict[str, dict[str, str]] = {}
    added: list[dict[str, str]] = []
    for key, fields in COMPARED.items():
        for item_id, item in then.get(key, {}).items():
            current = now.get(key, {}).get(item_id)
            if current is None:
                marks[item_id] = {"state": "removed", "word": "Niet meer in het plan",
                                  "text": "Vandaag staat dit niet meer in het plan."}
                continue
            changes = [f"{FIELD_NL[f]} is nu {_value(f, current.get(f))}" for f in fields
                       if current.get(f) != item.get(f)]
            if changes:
                marks[item_id] = {"state": "changed", "word": "Gewijzigd", "text": "Vandaag anders: "
                                  + "; ".join(changes) + "."}
        for item_id, item in now.get(key, {}).items():
            if item_id not in then.get(key, {}):
                added.append({"what": WHAT_NL[key], "text": _describe(key, item)})
    scores: dict[str, dict[str, str]] = {}
    then_domains, now_domains = then.get("domains", {}), now.get("domains", {})
    for domain in then_domains.keys() | now_domains.keys():
        before = (then_domains.get(domain) or {}).get("score")
        current = (now_domains.get(domain) or {}).get("score")
        if before != current:
            scores[domain] = {"state": "changed" if before is not None else "added",
                              "word": "Gewijzigd" if before is not None else "Nieuw gescoord",
                              "text": f"Vandaag {current}: {dutch.SCORE_NL.get(current, '')}." if current is not None
                              else "Vandaag geen score."}
    facts = []
    for field, word, show in (("intensity", "Intensiteit", dutch.INTENSITY_NL.get),
                              ("coordinator", "Regisseur", lambda v, d=None: v or "niemand"),
                              ("status", "Status", dutch.STATUS_NL.get)):
        if then.get(field) != now.get(field):
            facts.append({"field": field, "word": word, "then": show(then.get(field), then.get(field)),
                          "now": show(now.get(field), now.get(field))})
    return {"marks": marks, "added": added, "scores": scores, "facts": {f["field"]: f for f in facts},
            "count": len(marks) + len(added) + len(scores) + len(facts)}
