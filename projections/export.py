"""Subject access (AVG art. 15, inzage): everything held on one household, for a machine (JSON) and for a
person (a Dutch HTML page). Built from the event store itself, with the same pure folds as the read
models (the plan, the timeline's summaries, the signal inbox), so the export says what the store holds.

It also says who accessed the household's file (NEN 7513): the household's own view of its access log
(waakvlam/access_log.py), as `GET /api/households/{id}/access-log?view=household` gives it: when, who, in
what role, what they did, and whether it was by emergency access; given by the caller.

A forgotten household's export holds what is left: its redacted events and that it was forgotten (and who
accessed its file, which names staff, not the household)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from projections import signals as inbox
from projections.history import _plain
from projections.plan import plan_as_of, present
from projections.timeline import to_row

KIND_NL = {"Registered": "Aangemeld", "Forgotten": "Vergeten (gewist)"}


def subject_access(entries: list[dict[str, Any]], events: Iterable[Any], signal_events: Iterable[list[Any]],
                   at: datetime, access_log: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The export: `entries` (projections.history) and `events` are the household's events, oldest first;
    `signal_events` the events of each signal linked to it; `access_log` who accessed the file, oldest
    first, as the household's own view of the access log has it (wanneer, wie, functie, wat, noodtoegang)."""
    events = list(events)
    doc = plan_as_of(events)
    rows = [to_row(event, entry["position"]) for event, entry in zip(events, entries, strict=True)]
    signals = []
    for found in signal_events:
        row = None
        for event in found:
            row = inbox.fold(row, event)
        if row is not None:
            signals.append(_plain(asdict(row)))
    return {
        "household_id": entries[0]["household_id"] if entries else None,
        "exported_at": at.isoformat(),
        "status": "forgotten" if rows and rows[-1].kind == "Forgotten" else (doc or {}).get("status"),
        "plan": _plain(present(doc, at)) if doc is not None else None,
        "timeline": [{"version": r.version, "kind": r.kind, "summary": r.summary, "actor": r.actor,
                      "occurred_at": r.occurred_at.isoformat(), "recorded_at": r.recorded_at.isoformat()}
                     for r in rows],
        "signals": signals,
        "events": entries,
        "access_log": list(access_log),
    }


def linked_signals(events: Iterable[Any]) -> list[UUID]:
    """The partners' reports recorded on the household (a signal the team saw itself has no report)."""
    found = []
    for event in events:
        if type(event).__name__ == "SignalRecorded":
            try:
                found.append(UUID(event.signal_id))
            except ValueError:
                continue
    return found


# Autoescape on: every value is text, never markup, whoever typed it. `None` renders as nothing.
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True,
                        undefined=StrictUndefined, finalize=lambda value: "" if value is None else value,
                        auto_reload=False)


def as_html(export: dict[str, Any]) -> str:
    """The export as a page a person can read (in Dutch), rendered from `templates/subject_access.html`; every
    value escaped."""
    plan = export["plan"] or {}
    return TEMPLATES.get_template("subject_access.html").render(
        export=export, plan=plan, label=plan.get("label") or "huishouden", kinds=KIND_NL)
