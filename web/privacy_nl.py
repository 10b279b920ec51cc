"""The privacy screens' words: an access-log entry and a subject-access export (projections/export.py) in Dutch,
for a citizen to read: life domains, support levels, kinds of contact and of events in words, moments in Dutch
local time, yes/no for true/false, and no internal fields (ids, topics, versions)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from projections.timeline import DOMAIN_NL, PARTNER_NL, URGENCY_NL
from web import dutch
from web.plan_read import KIND_NL

ACTION_NL = {"create": "aangemaakt", "read": "ingezien", "update": "gewijzigd", "delete": "verwijderd",
             "execute": "het hele dossier opgevraagd"}
# The fields of the household's events a person is shown, in Dutch (projections/history.py `fields`).
FIELD_NL = {
    "label": "naam van het huishouden", "team": "wijkteam", "intensity": "intensiteit", "cadence": "frequentie (dagen)",
    "name": "naam", "role": "rol in het gezin", "birth_year": "geboortejaar", "relation": "relatie",
    "notices_decline": "merkt achteruitgang op", "coordinator": "regisseur", "previous": "vorige regisseur",
    "handover_note": "overdracht", "coordinator_team": "team van de regisseur", "legal_basis": "wettelijke grondslag",
    "source": "gemeld door", "description": "omschrijving", "life_domains": "leefgebieden", "urgency": "urgentie",
    "kind": "soort", "summary": "wat er gebeurde", "participants": "wie erbij waren", "instrument": "meetinstrument",
    "scores": "scores", "life_domain": "leefgebied", "reason": "reden", "note": "toelichting", "who": "wie",
    "what": "wat", "due": "uiterlijk", "support_level": "soort steun", "provider": "aanbieder",
    "outcome": "resultaat", "given_by": "gegeven door", "party": "met wie gedeeld mag worden", "purpose": "doel",
    "until": "geldig tot en met", "from_level": "van", "to_level": "naar", "phases": "fasen",
    "reason_code": "reden van afsluiten", "original": "was", "changes": "wordt",
}
HIDDEN = re.compile(r"(^|_)id$|^originator_|^target_|_type$|^item_id$")
CLOSE_NL = {"goals_achieved": "doelen bereikt", "handed_over": "overgedragen aan een andere organisatie",
            "moved": "verhuisd buiten het werkgebied", "declined": "wil geen ondersteuning meer",
            "no_contact": "geen contact meer mogelijk", "deceased": "overleden",
            "registered_in_error": "ten onrechte geregistreerd"}
# The reasons the domain itself gives (a check-in scheduled or cancelled by what happened), in words.
REASON_NL = {"registered": "na de aanmelding", "completed": "na het vorige waakvlamcontact",
             "signal": "naar voren gehaald na een signaal", "escalated": "naar voren gehaald na opschalen",
             "cadence changed": "de frequentie is aangepast",
             "replaces cancelled": "in plaats van een geannuleerd contact",
             "household closed": "het huishouden is afgesloten", "reopened": "na het heropenen"}
PHASE_NL = {"signs": "signalen", "actions": "wat te doen"}
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def yes_no(value: bool | None) -> str:
    return "onbekend" if value is None else "ja" if value else "nee"


def text(key: str, value: Any) -> str:
    """One value in words (`key`: the field it is in, for the vocabularies)."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, datetime | date):
        return dutch.moment(value) if isinstance(value, datetime) else dutch.day(value)
    if isinstance(value, list):
        return "; ".join(text(key, v) for v in value)
    if isinstance(value, dict):
        if key == "scores":
            return "; ".join(f"{DOMAIN_NL.get(k, k)}: {v} ({dutch.SCORE_NL.get(v, '')})" for k, v in value.items())
        return "; ".join(f"{FIELD_NL.get(k) or PHASE_NL.get(k) or k}: {text(k, v)}"
                         for k, v in value.items() if not HIDDEN.search(str(k)))
    value_text = str(value)
    if key in ("life_domain", "life_domains"):
        return DOMAIN_NL.get(value_text, value_text)
    if key in ("support_level", "from_level", "to_level", "intensity"):
        return dutch.support(value_text) if key == "support_level" else dutch.INTENSITY_NL.get(value_text, value_text)
    if key == "kind":
        return dutch.contact_kind(value_text)
    if key == "source":
        return PARTNER_NL.get(value_text, value_text)
    if key == "urgency":
        return URGENCY_NL.get(value_text, value_text)
    if key == "reason" and value_text in REASON_NL:
        return REASON_NL[value_text]
    if key == "reason_code":
        return CLOSE_NL.get(value_text, value_text)
    if MOMENT.match(value_text):
        return dutch.moment(value_text)
    if DAY.match(value_text):
        return dutch.day(value_text)
    return value_text


def fields(found: dict[str, Any]) -> list[tuple[str, str]]:
    """An event's fields a person is shown, as (Dutch label, words); internal fields left out."""
    return [(FIELD_NL.get(key, key.replace("_", " ")), text(key, value)) for key, value in found.items()
            if not HIDDEN.search(key) and value not in (None, "", [], {})]


def event_kind(kind: str) -> str:
    return KIND_NL.get(kind, kind)


def via(route: str) -> str:
    """Where the access was made: the werkplek (pages), the API, or the calendar feed."""
    if route.startswith("/api/calendar") or route.startswith("/calendar"):
        return "agenda-koppeling"
    return "API (koppeling)" if route.startswith("/api/") else "werkplek"
