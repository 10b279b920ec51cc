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
from html import escape
from typing import Any
from uuid import UUID

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


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "<ul>" + "".join(f"<li>{_e(k)}: {_value(v)}</li>" for k, v in value.items()) + "</ul>" if value else "—"
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{_value(v)}</li>" for v in value) + "</ul>" if value else "—"
    return _e(value) if value not in (None, "") else "—"


def as_html(export: dict[str, Any]) -> str:
    """The export as a page a person can read (in Dutch); every value escaped."""
    plan = export["plan"] or {}
    label = plan.get("label") or "huishouden"
    parts = [
        "<!doctype html>", '<html lang="nl"><head><meta charset="utf-8">',
        f"<title>Inzage: {_e(label)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem;text-align:left;"
        "vertical-align:top}</style></head><body>",
        f"<h1>Inzage in het dossier van {_e(label)}</h1>",
        f"<p>Dit overzicht bevat alles wat het sociaal wijkteam over dit huishouden heeft vastgelegd, "
        f"opgesteld op {_e(export['exported_at'][:16].replace('T', ' '))} (UTC).</p>",
    ]
    if export["status"] == "forgotten":
        parts.append("<p><strong>De persoonsgegevens van dit huishouden zijn gewist.</strong> "
                     "Wat overblijft is dat er een dossier was, en wanneer en waarom het is gewist.</p>")
    if plan:
        parts += ["<h2>Het plan</h2>", "<table><tr><th>Team</th><th>Regisseur</th><th>Intensiteit</th></tr>",
                  f"<tr><td>{_e(plan.get('team'))}</td><td>{_e(plan.get('coordinator'))}</td>"
                  f"<td>{_e(plan.get('intensity'))}</td></tr></table>"]
        for domain, found in (plan.get("life_domains") or {}).items():
            goals = "".join(f"<li>{_e(g.get('description'))} ({_e(g.get('status'))})</li>" for g in found["goals"])
            parts.append(f"<h3>{_e(domain)}</h3><p>Score: {_e(found.get('score'))}</p>"
                         + (f"<ul>{goals}</ul>" if goals else ""))
    parts += ["<h2>Tijdlijn</h2>", "<table><tr><th>Wanneer</th><th>Wat</th><th>Door</th></tr>"]
    parts += [f"<tr><td>{_e(r['occurred_at'][:10])}</td><td>{_e(r['summary'])}</td><td>{_e(r['actor'])}</td></tr>"
              for r in reversed(export["timeline"])]
    parts.append("</table>")
    if export["signals"]:
        parts += ["<h2>Signalen van partners</h2>",
                  "<table><tr><th>Gezien</th><th>Melder</th><th>Over</th><th>Wat</th></tr>"]
        parts += [f"<tr><td>{_e(s['occurred_at'][:10])}</td><td>{_e(s['reporter_name'] or s['source'])}</td>"
                  f"<td>{_e(s['about_name'])} {_e(s['about_address'])}</td><td>{_e(s['description'])}</td></tr>"
                  for s in export["signals"]]
        parts.append("</table>")
    parts += ["<h2>Wie heeft het dossier ingezien</h2>",
              "<p>Elke keer dat iemand het dossier inzag, wijzigde of uitvoerde, met wanneer, wie, in welke functie "
              "en of het in een noodsituatie was (noodtoegang: iemand buiten het eigen wijkteam).</p>",
              "<table><tr><th>Wanneer (UTC)</th><th>Wie</th><th>Functie</th><th>Wat</th><th>Noodtoegang</th></tr>"]
    parts += [f"<tr><td>{_e(str(a['wanneer'])[:19].replace('T', ' '))}</td><td>{_e(a['wie'])}</td>"
              f"<td>{_e(a['functie'])}</td><td>{_e(a['wat'])}</td><td>{'ja' if a['noodtoegang'] else 'nee'}</td></tr>"
              for a in reversed(export.get("access_log") or [])]
    parts.append("</table>")
    parts += ["<h2>Alle vastgelegde gegevens</h2>",
              "<table><tr><th>Versie</th><th>Soort</th><th>Vastgelegd</th><th>Gegevens</th></tr>"]
    parts += [f"<tr><td>{_e(e['version'])}</td><td>{_e(KIND_NL.get(e['kind'], e['kind']))}</td>"
              f"<td>{_e(e['recorded_at'][:16].replace('T', ' '))} door {_e(e['actor'])}</td>"
              f"<td>{_value(e['fields'])}</td></tr>" for e in export["events"]]
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)
