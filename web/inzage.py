"""The subject-access export (projections/export.py `subject_access`, as the API's `GET .../export` answers it)
made into what a citizen reads: every section in Dutch words, moments in Dutch local time, no internal fields.
Used by the page `/households/{id}/inzage` and by the API's `export.html` (the same template)."""

from __future__ import annotations

from typing import Any

from projections.timeline import PARTNER_NL, URGENCY_NL
from web import dutch, plan_read
from web.privacy_nl import event_kind, fields, text, yes_no

WHAT_NL = {"uitgevoerd": "het hele dossier opgevraagd"}
GOAL_NL = {"open": "lopend", "achieved": "bereikt", "dropped": "losgelaten"}


def _domains(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for domain, entry in plan_read.ordered_domains(plan.get("life_domains") or {}).items():
        score = entry.get("score")
        found.append({
            "name": dutch.domain(domain),
            "score": f"{score}: {dutch.SCORE_NL.get(score, '')}" if score else "nog niet gemeten",
            "assessed": dutch.day(entry.get("assessed_at")) if entry.get("assessed_at") else "",
            "goals": [{"description": g.get("description") or "", "status": GOAL_NL.get(g.get("status"), "lopend"),
                       "agreements": [f"{a.get('who') or ''}: {a.get('what') or ''}" for a in g.get("agreements", [])],
                       "interventions": [f"{dutch.support(i.get('support_level') or '')}"
                                         + (f" door {i['provider']}" if i.get("provider") else "")
                                         + (f": {i['description']}" if i.get("description") else "")
                                         for i in g.get("interventions", [])]}
                      for g in entry.get("goals", [])]})
    return found


def _facts(plan: dict[str, Any], status: str | None) -> list[tuple[str, str]]:
    check_in = plan.get("next_check_in") or {}
    facts = [("Wijkteam", plan.get("team") or "—"), ("Regisseur", plan.get("coordinator") or "nog niet toegewezen"),
             ("Intensiteit", dutch.INTENSITY_NL.get(plan.get("intensity"), plan.get("intensity") or "—")),
             ("Stand", "afgesloten" if status == "closed" else "lopend"),
             ("Aangemeld op", dutch.day(plan.get("registered_at")) or "—")]
    if check_in.get("due"):
        facts.append(("Volgend waakvlam\u00adcontact", dutch.day(check_in["due"])))
    return facts


def _signaleringsplan(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"phase": phase, "signs": content.get("signs", []), "actions": content.get("actions", [])}
            for phase, content in (plan.get("signaleringsplan") or {}).items()]


def document(export: dict[str, Any]) -> dict[str, Any]:
    """What the inzage page shows, in Dutch, from the API's export."""
    plan = export.get("plan") or {}
    forgotten = export.get("status") == "forgotten"
    return {
        "label": plan.get("label") or "dit huishouden",
        "exported_at": dutch.moment(export["exported_at"]),
        "forgotten": forgotten,
        "facts": [] if forgotten or not plan else _facts(plan, export.get("status")),
        "members": [{"name": m.get("name") or "", "role": m.get("role") or "",
                     "birth_year": m.get("birth_year") or ""} for m in (plan.get("members") or {}).values()],
        "network": [{"name": p.get("name") or "", "relation": p.get("relation") or "",
                     "notices": yes_no(p.get("notices_decline"))} for p in (plan.get("network") or {}).values()],
        "domains": [] if forgotten else _domains(plan),
        "signaleringsplan": _signaleringsplan(plan),
        "timeline": [{"when": dutch.moment(r["occurred_at"]), "what": r["summary"], "kind": event_kind(r["kind"]),
                      "by": r.get("actor") or ""} for r in reversed(export.get("timeline") or [])],
        "signals": [{"when": dutch.moment(s.get("occurred_at")), "source": PARTNER_NL.get(s.get("source"), s.get(
            "source") or ""), "reporter": s.get("reporter_name") or "", "about": " ".join(
            x for x in (s.get("about_name"), s.get("about_address")) if x), "what": s.get("description") or "",
            "urgency": URGENCY_NL.get(s.get("urgency"), "")} for s in export.get("signals") or []],
        "accesses": [{"when": dutch.moment(a["wanneer"]), "who": a["wie"], "role": a["functie"],
                      "what": WHAT_NL.get(a["wat"], a["wat"]),
                      "emergency": yes_no(a["noodtoegang"])} for a in reversed(export.get("access_log") or [])],
        "events": [{"kind": event_kind(e["kind"]), "when": dutch.moment(e.get("occurred_at") or e["recorded_at"]),
                    "recorded": dutch.moment(e["recorded_at"]), "by": e.get("actor") or "",
                    "fields": fields(e.get("fields") or {})} for e in export.get("events") or []],
        "text": text,
    }


def as_page(export: dict[str, Any]) -> str:
    """The export as a standalone Dutch page (the API's `export.html`): the inzage page without the werkplek."""
    from web.common import templates  # web.common imports the API's modules: only when asked

    return templates.get_template("privacy/inzage_document.html").render(doc=document(export))
