"""What may be corrected, and the form of a corrected value.

A correction never changes the event it corrects: it is a new event holding the
original values, the corrected ones and the reason. Only recorded facts are
correctable; decisions (an escalation, a closure) are undone by a new decision.

Here each corrected value is checked for its form, as the command's request body is
(InvalidInput, HTTP 422); then the corrected event is checked by the rules of its
command, as if it had been recorded in its place (domain/rules.py, Household.correct).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from domain.errors import InvalidInput, RuleViolation
from domain.values import MAX_SCORE, MIN_SCORE, ContactKind, LifeDomain, Urgency


def _text(value: Any) -> str:
    """A text that says something (a signal's source, a goal): recorded as the command records it."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty text")
    return value


def _name(value: Any) -> str:
    """A text the command requires (label, name, who, what): that it says something is the command's
    rule, refused as the command refuses it (domain/rules.py)."""
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty text")
    return value


def _free_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a text")
    return value


def _domain(value: Any) -> str:
    return str(LifeDomain(value))


def _domains(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("must be a list of life domains")
    return sorted({_domain(v) for v in value})


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of texts")
    return value


def _moment(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("needs a UTC offset")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("lies outside the supported calendar") from None


def _date(value: Any) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def _year(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or not 1900 <= value <= 2100:
        raise ValueError("must be a year")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _scores(value: Any) -> dict[str, int]:
    if not isinstance(value, dict) or not value:
        raise ValueError("must score at least one life domain")
    checked = {}
    for domain, score in value.items():
        if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
            raise ValueError(f"{domain}: a ZRM score is 1 to 5")
        checked[_domain(domain)] = score
    return checked


Check = Callable[[Any], Any]


def _at_most(check: Check, characters: int, items: int | None = None) -> Check:
    """`check`, and no longer than the command's request body allows (api/schemas/commands.py): a correction
    cannot record a text the command would refuse as too long (issue 10, item 5)."""
    def bounded(value: Any) -> Any:
        checked = check(value)
        texts = checked if isinstance(checked, list) else [checked]
        if items is not None and len(texts) > items:
            raise ValueError(f"at most {items} entries")
        if any(isinstance(text, str) and len(text) > characters for text in texts):
            raise ValueError(f"at most {characters} characters")
        return checked
    return bounded


NAME, SHORT, LINE, PARAGRAPH, TEXT = 200, 100, 200, 2_000, 10_000

# Event kind -> (the field naming the item it created, {field: check}).
CORRECTABLE: dict[str, tuple[str | None, dict[str, Check]]] = {
    "Registered": (None, {"label": _at_most(_name, NAME)}),
    "MemberAdded": ("member_id", {"name": _at_most(_name, NAME), "role": _at_most(_free_text, SHORT),
                                  "birth_year": _year}),
    "NetworkPersonAdded": ("person_id", {"name": _at_most(_name, NAME), "relation": _at_most(_free_text, SHORT),
                                         "notices_decline": _bool}),
    "SignalRecorded": ("signal_id", {
        "source": _at_most(_text, SHORT), "description": _at_most(_free_text, TEXT), "life_domains": _domains,
        "urgency": lambda v: str(Urgency(v)), "occurred_at": _moment,
    }),
    "ContactRecorded": ("contact_id", {
        "kind": lambda v: str(ContactKind(v)), "summary": _at_most(_free_text, TEXT), "life_domains": _domains,
        "participants": _at_most(_texts, LINE, items=50), "occurred_at": _moment,
    }),
    "AssessmentRecorded": ("assessment_id", {"scores": _scores, "occurred_at": _moment}),
    "GoalSet": ("goal_id", {"life_domain": _domain, "description": _at_most(_text, PARAGRAPH)}),
    "AgreementMade": ("agreement_id", {"who": _at_most(_name, NAME), "what": _at_most(_name, PARAGRAPH),
                                       "due": _date}),
    # The legal basis too: a corrected provider without a consent of the household may rest on one (issue 10).
    "InterventionStarted": ("intervention_id", {"provider": _at_most(_free_text, LINE),
                                                "description": _at_most(_free_text, TEXT),
                                                "legal_basis": _at_most(_free_text, 500)}),
}


def item_field(kind: str) -> str | None:
    """The attribute of a correctable event that names the item it created."""
    return CORRECTABLE[kind][0] if kind in CORRECTABLE else None


def validate_changes(kind: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Check the corrected values of an event of `kind`; return them normalised."""
    if kind not in CORRECTABLE:
        raise RuleViolation("only recorded facts can be corrected", f"a {kind} event cannot be corrected")
    checks = CORRECTABLE[kind][1]
    if not changes:
        raise InvalidInput("changes", "a correction changes at least one field")
    checked: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in checks:
            raise InvalidInput(f"changes.{field}",
                               f"{kind} allows corrections of: {', '.join(sorted(checks))}")
        try:
            checked[field] = checks[field](value)
        except (ValueError, TypeError) as error:
            raise InvalidInput(f"changes.{field}", str(error)) from None
    return checked
