"""The rules of each recorded fact, in one place.

The command that records a fact checks them (domain/household.py), and so does a correction of it: a
correction is checked as if the corrected event had been recorded in its place, so these rules are run on
the corrected values against the household as it was just before the fact (Household.correct). A correction
can therefore not record what the command may not.

Each rule takes that household (None before registration), when the fact happened, and the event's fields by
name; it answers the fields as the event records them (trimmed, normalised), or refuses with the
RuleViolation (HTTP 409) or InvalidInput (HTTP 422) the command gives. Whether the household is open and
whether the moment lies between its registration and the recording are checked by the caller: the command
against now, a correction against the moment the corrected event was recorded.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.errors import NotFound, RuleViolation
from domain.values import (
    ASSESSMENT_INSTRUMENT,
    MAX_SCORE,
    MIN_SCORE,
    ContactKind,
    Intensity,
    LifeDomain,
    SupportLevel,
    Urgency,
    choice,
    local_date,
    shares_outside_the_team,
    validate_cadence,
)

OPEN = "open"
SHARING_NEEDS_CONSENT = "sharing with a provider outside the team needs consent or a legal basis"

Fields = dict[str, Any]


def registered(household: Any, when: datetime, *, label: str, team: str, intensity: str,
               cadence: dict[str, int] | None) -> Fields:
    if not label.strip() or not team.strip():
        raise RuleViolation("a household has a label and a team")
    return {"label": label.strip(), "team": team.strip(), "intensity": str(choice(Intensity, intensity, "intensity")),
            "cadence": validate_cadence(cadence or {})}


def member_added(household: Any, when: datetime, *, name: str, role: str, birth_year: int | None) -> Fields:
    if not name.strip():
        raise RuleViolation("a member has a name")
    return {"name": name.strip(), "role": role, "birth_year": birth_year}


def network_person_added(household: Any, when: datetime, *, name: str, relation: str,
                         notices_decline: bool) -> Fields:
    if not name.strip():
        raise RuleViolation("a network person has a name")
    return {"name": name.strip(), "relation": relation, "notices_decline": notices_decline}


def signal_recorded(household: Any, when: datetime, *, source: str, description: str, life_domains: list[str],
                    urgency: str) -> Fields:
    return {"source": source, "description": description, "life_domains": domains(life_domains),
            "urgency": str(choice(Urgency, urgency, "urgency"))}


def contact_recorded(household: Any, when: datetime, *, kind: str, summary: str, life_domains: list[str],
                     participants: list[str]) -> Fields:
    return {"kind": str(choice(ContactKind, kind, "kind")), "summary": summary,
            "life_domains": domains(life_domains), "participants": list(participants)}


def assessment_recorded(household: Any, when: datetime, *, instrument: str, scores: dict[str, int]) -> Fields:
    if instrument != ASSESSMENT_INSTRUMENT:
        raise RuleViolation("assessments use the ZRM 2017", f"unknown instrument {instrument!r}")
    if not scores:
        raise RuleViolation("an assessment scores at least one life domain")
    checked = {}
    for domain, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
            raise RuleViolation("a ZRM score is 1 to 5", f"{domain}: {score!r}")
        checked[str(choice(LifeDomain, domain, "scores"))] = score
    return {"instrument": instrument, "scores": checked}


def goal_set(household: Any, when: datetime, *, life_domain: str, description: str) -> Fields:
    return {"life_domain": str(choice(LifeDomain, life_domain, "life_domain")), "description": description}


def agreement_made(household: Any, when: datetime, *, goal_id: str | None, who: str, what: str,
                   due: Any) -> Fields:
    if goal_id is not None:
        check_open_item(household.goals, goal_id, "goal")
    if not who.strip() or not what.strip():
        raise RuleViolation("an agreement says who does what")
    return {"goal_id": goal_id, "who": who.strip(), "what": what.strip(), "due": due}


def intervention_started(household: Any, when: datetime, *, goal_id: str | None, support_level: str,
                         provider: str, description: str, handover_note: str, legal_basis: str = "") -> Fields:
    """Support by a provider outside the team (vrijwillig, eerstelijns, specialistisch; see
    `shares_outside_the_team`) shares the household's data with that provider: it needs the household's
    consent for that provider, valid on the day it starts, or a recorded legal basis."""
    level = choice(SupportLevel, support_level, "support_level")
    if goal_id is not None:
        check_open_item(household.goals, goal_id, "goal")
    if level == SupportLevel.SPECIALISTISCH and not handover_note.strip():
        raise RuleViolation("specialist care starts with a warm handover",
                            "a specialist intervention needs a warm-handover note")
    if level in (SupportLevel.EERSTELIJNS, SupportLevel.SPECIALISTISCH) and not provider.strip():
        raise RuleViolation("formal care names its provider")
    on = local_date(when)
    if shares_outside_the_team(level, provider) and not legal_basis.strip() and not household.has_consent(provider, on):
        party = provider.strip()
        raise RuleViolation(SHARING_NEEDS_CONSENT,
                            f"{level} support by {party} shares the household's data outside the team, and "
                            f"on {on.isoformat()} the household has no valid consent for {party} and no legal "
                            f"basis was given: record the household's consent for {party}, or give the "
                            f"legal_basis for sharing")
    return {"goal_id": goal_id, "support_level": str(level), "provider": provider.strip(),
            "description": description, "handover_note": handover_note, "legal_basis": legal_basis.strip()}


Rule = Callable[..., Fields]

# Event kind -> the rules of the command that records it (the recorded facts: those a correction may correct).
RULES: dict[str, Rule] = {
    "Registered": registered,
    "MemberAdded": member_added,
    "NetworkPersonAdded": network_person_added,
    "SignalRecorded": signal_recorded,
    "ContactRecorded": contact_recorded,
    "AssessmentRecorded": assessment_recorded,
    "GoalSet": goal_set,
    "AgreementMade": agreement_made,
    "InterventionStarted": intervention_started,
}


def fields_of(rule: Rule) -> dict[str, Any]:
    """The event fields a rule checks, each with its default (`inspect.Parameter.empty` for none): a field
    added later has a default, which an event recorded before it existed is read with."""
    return {p.name: p.default for p in inspect.signature(rule).parameters.values() if p.kind is p.KEYWORD_ONLY}


def domains(life_domains: list[str]) -> list[str]:
    """Life domains as an event records them: each once, sorted; InvalidInput for one the ZRM does not have."""
    return sorted({str(choice(LifeDomain, d, "life_domains")) for d in life_domains})


def check_open_item(items: dict[str, str], item_id: str, what: str) -> None:
    status = items.get(item_id)
    if status is None:
        raise NotFound(f"{what} {item_id} does not exist in this household")
    if status != OPEN:
        raise RuleViolation(f"a finished {what} cannot be acted on", f"{what} {item_id} is already {status}")
