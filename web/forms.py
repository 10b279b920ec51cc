"""The command forms of the household (issue 11 §2.5-2.6): what a form is, how what was typed becomes the
command's keyword arguments, and how errors become Dutch next to their field.

A form is declared once (web/command_forms.py): its fields, the application-service method it calls and the
request body of the JSON API it shares (api/schemas/commands.py), so a page accepts exactly what the API
accepts. web/routes/commands.py serves every form at the household's path that mirrors the API's
(`/households/{id}/goals` beside `/api/households/{id}/goals`), so the access log names the same action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from domain.values import FUTURE_TOLERANCE, LOCAL_TZ, Intensity, LifeDomain, Phase
from web.common import parse_local
from web.plan_read import parse_date

Choices = tuple[tuple[str, str], ...]
WHEN = "occurred_at"  # every command may say when it happened; left empty it happened now


@dataclass(frozen=True)
class Scene:
    """What a form is opened on: the household (aggregate), its plan (projections/plan.py, folded from its
    events), the item the form acts on (a goal, a member; None for a form that adds one) and the staff."""

    household: Any
    plan: dict[str, Any]
    item_id: str | None = None
    item: dict[str, Any] | None = None
    staff: tuple[Any, ...] = ()
    consents: tuple[dict[str, Any], ...] = ()  # web/plan_read.consents, for the forms that need them


@dataclass(frozen=True)
class Field:
    name: str  # the command's keyword argument (and the API body's field)
    label: str
    kind: str = "text"  # text textarea select radio date number checkbox domains scores phases cadence
    required: bool = False
    hint: str = ""
    choices: Choices | Callable[[Scene], Choices] = ()
    max_length: int | None = None
    default: Callable[[Scene], Any] | None = None  # the value a new form starts with
    missing: str = ""  # what to say when a required choice was not made ("Kies een leefgebied.")

    def options(self, scene: Scene) -> Choices:
        return self.choices(scene) if callable(self.choices) else self.choices


def _no_change(event: Any, fields: dict[str, Any], item_id: str | None) -> bool:
    return False


@dataclass(frozen=True)
class CommandForm:
    path: str  # after /households/{household_id}/, as the API names it: "goals", "goals/{goal_id}/revise"
    title: str
    method: str  # of domain.application.Households
    schema: type[BaseModel]
    fields: tuple[Field, ...]
    done: str  # the confirmation on the household page
    anchor: str = "plan"  # the household page's section the user returns to
    intro: str = ""
    button: str = "Opslaan"
    item: str | None = None  # the plan's collection the path's item is in: "goals", "members"
    offered: Callable[[Scene], bool] = lambda scene: True  # whether the form applies (reopen: once closed)
    # Does an event someone else saved meanwhile change what this form decides? Then the user sees it first.
    touches: Callable[[Any, dict[str, Any], str | None], bool] = _no_change
    created: bool = False
    extra: tuple[str, ...] = field(default=())  # templates with more to read above the fields

    @property
    def name(self) -> str:
        return self.path.replace("/{", "-").replace("}", "").replace("/", "-")

    @property
    def item_param(self) -> str | None:
        start = self.path.find("{")
        return self.path[start + 1:self.path.find("}")] if start >= 0 else None


class Parsed:
    """A submitted form: `values` as typed (shown back on any error), `fields` the command's keywords,
    `errors` field -> Dutch message."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.fields: dict[str, Any] = {}
        self.errors: dict[str, str] = {}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse(spec: CommandForm, form: FormData) -> Parsed:
    """What was typed, as the command's keyword arguments; a value that is no date or number is an error here,
    everything else is the request body's to judge (`validate`)."""
    parsed = Parsed()
    for f in spec.fields:
        if f.kind == "checkbox":
            parsed.values[f.name] = parsed.fields[f.name] = f.name in form
        elif f.kind == "domains":
            chosen = [str(v) for v in form.getlist(f.name)]
            parsed.values[f.name] = chosen
            parsed.fields[f.name] = chosen
        elif f.kind == "scores":
            typed = {d.value: _text(form, f"{f.name}.{d.value}") for d in LifeDomain}
            parsed.values[f.name] = typed
            scores: dict[str, Any] = {}
            for domain, raw in typed.items():
                if raw:
                    scores[domain] = int(raw) if raw.isdigit() and len(raw) < 3 else raw
            parsed.fields[f.name] = scores
        elif f.kind == "cadence":
            typed = {level.value: _text(form, f"{f.name}.{level.value}") for level in Intensity}
            parsed.values[f.name] = typed
            days: dict[str, Any] = {}
            for level, raw in typed.items():
                if raw and not (raw.isdigit() and len(raw) < 5):
                    parsed.errors[f.name] = "Vul bij elke intensiteit een aantal dagen in (een heel getal)."
                elif raw:
                    days[level] = int(raw)
            parsed.fields[f.name] = days
        elif f.kind == "phases":
            typed = {f"{p.value}.{part}": _text(form, f"{f.name}.{p.value}.{part}")
                     for p in Phase for part in ("signs", "actions")}
            parsed.values[f.name] = typed
            parsed.fields[f.name] = {p.value: {"signs": _lines(typed[f"{p.value}.signs"]),
                                               "actions": _lines(typed[f"{p.value}.actions"])}
                                     for p in Phase if typed[f"{p.value}.signs"] or typed[f"{p.value}.actions"]}
        else:
            raw = _text(form, f.name)
            parsed.values[f.name] = raw
            if f.kind == "date":
                day = parse_date(raw) if raw else None
                if raw and day is None:
                    parsed.errors[f.name] = "Vul een datum in, zoals 21-10-2026."
                parsed.fields[f.name] = day
            elif f.kind == "number":
                if raw and not (raw.isdigit() and len(raw) < 6):
                    parsed.errors[f.name] = "Vul een heel getal in."
                parsed.fields[f.name] = int(raw) if raw.isdigit() and len(raw) < 6 else None
            elif f.kind == "select" and not f.required:
                parsed.fields[f.name] = raw or None
            else:
                parsed.fields[f.name] = raw
    when = _text(form, WHEN)
    if any(f.name == WHEN for f in spec.fields):  # a form of its own moment (a correction of one)
        return parsed
    parsed.values[WHEN] = when
    if when:
        moment = parse_moment(when)
        if moment is None:
            parsed.errors[WHEN] = "Vul een datum en tijd in, zoals 21-10-2026 14:30."
        elif moment > datetime.now(UTC) + FUTURE_TOLERANCE:
            parsed.errors[WHEN] = "Dit moment ligt in de toekomst. Vul in wanneer het gebeurde, of laat het leeg."
        else:
            parsed.fields[WHEN] = moment
    return parsed


def parse_moment(text: str) -> datetime | None:
    """A moment as a date field sends it (`2026-10-21T14:30`) or as a Dutch user types it (`21-10-2026 14:30`),
    in Dutch time."""
    found = parse_local(text)
    if found is not None:
        return found
    day_part, _, clock = text.strip().rpartition(" ")
    day = parse_date(day_part) if day_part else None
    hours, _, minutes = clock.replace(".", ":").partition(":")
    if day is None or not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
        return None
    return datetime(day.year, day.month, day.day, int(hours), int(minutes), tzinfo=LOCAL_TZ)


def validate(spec: CommandForm, parsed: Parsed) -> dict[str, Any] | None:
    """The command's keyword arguments as the API's request body makes them, or None with `parsed.errors`."""
    if parsed.errors:
        return None
    body = {k: v for k, v in parsed.fields.items() if v is not None}
    try:
        model = spec.schema(**body)
    except ValidationError as error:
        labels = {f.name: f for f in spec.fields}
        for problem in error.errors():
            loc = [str(part) for part in problem["loc"]]
            name = loc[0] if loc and (loc[0] in labels or loc[0] == WHEN) else ""
            f = labels.get(name)
            chosen = parsed.values.get(name)
            text = f.missing if f is not None and f.missing and chosen in ("", None, [], {}) else \
                message(problem, f)
            parsed.errors.setdefault(name or "", text)
        return None
    fields = getattr(model, "fields")()  # noqa: B009 - every request body of a command has fields()
    return {k: v for k, v in fields.items() if not (k == WHEN and v is None)}


def message(problem: Any, f: Field | None) -> str:
    """A pydantic error about a field, in Dutch."""
    kind = problem["type"]
    label = f.label.lower() if f else "dit veld"
    context = problem.get("ctx") or {}
    if kind in ("missing", "string_too_short") or (kind == "too_short" and f and f.kind == "text"):
        return f"Vul {label} in."
    if kind == "too_short" and f and f.kind == "scores":
        return "Vul bij minstens één leefgebied een score in."
    if kind == "too_short" and f and f.kind == "phases":
        return "Vul voor minstens één fase signalen of acties in."
    if kind == "too_short":
        return f"Vul {label} in."
    if kind in ("string_too_long", "too_long"):
        limit = context.get("max_length")
        return f"Schrijf hooguit {limit} tekens." if limit and kind == "string_too_long" else "Dit is te lang."
    if kind in ("enum", "literal_error"):
        return "Kies een van de mogelijkheden."
    if kind in ("greater_than_equal", "less_than_equal", "int_parsing", "int_type"):
        if f and f.kind == "scores":
            return "Een ZRM-score is 1, 2, 3, 4 of 5."
        return f"Vul bij {label} een geldig getal in."
    if kind == "string_pattern_mismatch":
        return "Kies een van de mogelijkheden."
    return "Deze waarde kan Waakvlam niet opslaan."


def first_value(spec: CommandForm, scene: Scene) -> dict[str, Any]:
    """What a form opened afresh shows: each field's default (empty where there is none)."""
    values: dict[str, Any] = {WHEN: ""}
    for f in spec.fields:
        if f.default is not None:
            values[f.name] = f.default(scene)
        elif f.kind == "checkbox":
            values[f.name] = False
        elif f.kind == "domains":
            values[f.name] = []
        elif f.kind in ("scores", "cadence", "phases"):
            values[f.name] = {}
        else:
            values[f.name] = ""
    return values
