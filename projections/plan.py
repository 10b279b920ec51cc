"""The integrated plan: one document per household.

`fold(doc, event)` is pure and JSON-in, JSON-out. The live view stores its result
per household; `plan_as_of` answers "the plan as it stood at D, as we knew it at K"
by replaying the same fold over the household's events, so the live view and
the historical view cannot disagree. `present` turns a document into what a
coordinator reads (trends, the support ladder's shares, time at each intensity).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from projections import ViewProjection
from projections.versions import table_name

Doc = dict[str, Any]
FOLD = 2  # the fold's version: 2 keeps the assessments and consents (web/plan_read.py reads them)
PAGE_ONLY = ("assessments", "consents", "fold")  # not part of the plan the API presents


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def _new(event: Any) -> Doc:
    return {
        "household_id": str(event.originator_id), "label": event.label, "team": event.team,
        "registered_at": _iso(event.occurred_at), "status": "open", "closure": None,
        "coordinator": None, "coordinators": [], "members": {}, "network": {},
        "intensity": event.intensity,
        "intensity_history": [{"level": event.intensity, "from": _iso(event.occurred_at), "reason": "registered",
                               "by": event.actor}],
        "cadence": dict(event.cadence), "domains": {}, "goals": {}, "agreements": {}, "interventions": {},
        "signaleringsplan": {}, "next_check_in": None, "last_contact_at": None, "contacts": 0, "signals": 0,
        "version": event.originator_version,
        # What the household page shows beside the plan, so that it reads no events: every assessment (per
        # version of its event, corrections applied) and every consent. `fold` marks documents that hold them
        # from the start; one folded before they existed is read from the events (web/plan_read.py).
        "assessments": {}, "consents": {}, "fold": FOLD,
    }


def fold(doc: Doc | None, event: Any) -> Doc | None:
    """The plan after `event` (a new dict; `doc` is not changed)."""
    kind = type(event).__name__
    if kind == "Registered":
        return _new(event)
    if doc is None or kind == "Forgotten":  # a forgotten household has no plan
        return None
    doc = {**doc, "version": event.originator_version}
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(doc, event, _iso(getattr(event, "occurred_at", None)))
    return doc


def _put(doc: Doc, key: str, item_id: str, item: dict[str, Any]) -> None:
    doc[key] = {**doc[key], item_id: item}


def _update(doc: Doc, key: str, item_id: str, **changes: Any) -> None:
    if item_id in doc[key]:
        _put(doc, key, item_id, {**doc[key][item_id], **changes})


def _remove(doc: Doc, key: str, item_id: str) -> None:
    doc[key] = {k: v for k, v in doc[key].items() if k != item_id}


def _goal_link(doc: Doc, goal_id: str | None, field: str, item_id: str) -> None:
    if goal_id and goal_id in doc["goals"]:
        goal = doc["goals"][goal_id]
        _put(doc, "goals", goal_id, {**goal, field: [*goal[field], item_id]})


def _level(doc: Doc, event: Any, at: str) -> None:
    doc["intensity"] = event.to_level
    doc["intensity_history"] = [*doc["intensity_history"],
                                {"level": event.to_level, "from": at, "reason": event.reason, "by": event.actor}]


def _coordinator(doc: Doc, e: Any, at: str) -> None:
    doc["coordinator"] = e.coordinator
    doc["coordinators"] = [*doc["coordinators"], {"coordinator": e.coordinator, "from": at, "previous": e.previous,
                                                  "handover_note": e.handover_note, "by": e.actor}]


def _contact(doc: Doc, e: Any, at: str) -> None:
    doc["contacts"] += 1
    if doc["last_contact_at"] is None or at > doc["last_contact_at"]:
        doc["last_contact_at"] = at


def _assessment(doc: Doc, e: Any, at: str) -> None:
    domains = dict(doc["domains"])
    for domain, score in e.scores.items():
        before = domains.get(domain, {})
        domains[domain] = {"score": score, "previous": before.get("score"), "assessed_at": at}
    doc["domains"] = domains
    if "assessments" in doc:
        doc["assessments"] = {**doc["assessments"], str(e.originator_version): {"at": at, "scores": dict(e.scores)}}


def _consent(doc: Doc, e: Any, at: str) -> None:
    if "consents" in doc:
        _put(doc, "consents", e.consent_id, {"given_by": e.given_by, "party": e.party, "purpose": e.purpose,
                                             "until": _iso(e.until), "given": at, "status": "open",
                                             "withdrawn": None, "reason": ""})


def _consent_withdrawn(doc: Doc, e: Any, at: str) -> None:
    if "consents" in doc:
        _update(doc, "consents", e.consent_id, status="withdrawn", withdrawn=at, reason=e.reason)


def _goal_set(doc: Doc, e: Any, at: str) -> None:
    _put(doc, "goals", e.goal_id, {"life_domain": e.life_domain, "description": e.description, "status": "open",
                                   "set_at": at, "closed_at": None, "note": "", "agreements": [],
                                   "interventions": []})


def _agreement(doc: Doc, e: Any, at: str) -> None:
    _put(doc, "agreements", e.agreement_id, {"goal_id": e.goal_id, "who": e.who, "what": e.what,
                                             "due": _iso(e.due), "status": "open", "made_at": at})
    _goal_link(doc, e.goal_id, "agreements", e.agreement_id)


def _intervention(doc: Doc, e: Any, at: str) -> None:
    _put(doc, "interventions", e.intervention_id, {
        "goal_id": e.goal_id, "support_level": e.support_level, "provider": e.provider,
        "description": e.description, "handover_note": e.handover_note, "status": "open",
        "started_at": at, "ended_at": None, "outcome": ""})
    _goal_link(doc, e.goal_id, "interventions", e.intervention_id)


def _check_in(doc: Doc, e: Any, at: str) -> None:
    doc["next_check_in"] = {"id": e.check_in_id, "due": _iso(e.due)}


def _check_in_done(doc: Doc, e: Any, at: str) -> None:
    if doc["next_check_in"] and doc["next_check_in"]["id"] == e.check_in_id:
        doc["next_check_in"] = None


def _closed(doc: Doc, e: Any, at: str) -> None:
    doc["status"] = "closed"
    doc["closure"] = {"reason_code": e.reason_code, "note": e.note, "at": at, "by": e.actor}


def _reopened(doc: Doc, e: Any, at: str) -> None:
    doc["status"], doc["closure"] = "open", None
    if e.intensity != doc["intensity"]:
        doc["intensity"] = e.intensity
        doc["intensity_history"] = [*doc["intensity_history"],
                                    {"level": e.intensity, "from": at, "reason": e.reason, "by": e.actor}]


# Corrections change the item the corrected event made, in the same document.
_CORRECTED_COLLECTION = {"MemberAdded": "members", "NetworkPersonAdded": "network", "GoalSet": "goals",
                         "AgreementMade": "agreements", "InterventionStarted": "interventions"}


def _corrected(doc: Doc, e: Any, at: str) -> None:
    changes = _iso(e.changes)
    if e.target_kind == "Registered":
        doc.update(changes)
    elif e.target_kind in _CORRECTED_COLLECTION:
        _update(doc, _CORRECTED_COLLECTION[e.target_kind], e.item_id, **changes)
    elif e.target_kind == "AssessmentRecorded" and "scores" in changes:
        domains = dict(doc["domains"])
        for domain, score in changes["scores"].items():
            domains[domain] = {**domains.get(domain, {"previous": None, "assessed_at": at}), "score": score}
        doc["domains"] = domains
    if e.target_kind == "AssessmentRecorded" and str(e.target_version) in doc.get("assessments", {}):
        # as the ZRM history reads a correction: the scores it gives replace the recorded ones
        assessment = doc["assessments"][str(e.target_version)]
        _put(doc, "assessments", str(e.target_version), {
            "at": changes.get("occurred_at", assessment["at"]), "scores": dict(changes.get("scores",
                                                                                        assessment["scores"]))})


_HANDLERS = {
    "MemberAdded": lambda d, e, at: _put(d, "members", e.member_id,
                                         {"name": e.name, "role": e.role, "birth_year": e.birth_year}),
    "MemberRemoved": lambda d, e, at: _remove(d, "members", e.member_id),
    "NetworkPersonAdded": lambda d, e, at: _put(d, "network", e.person_id, {
        "name": e.name, "relation": e.relation, "notices_decline": e.notices_decline}),
    "NetworkPersonRemoved": lambda d, e, at: _remove(d, "network", e.person_id),
    "CoordinatorAssigned": _coordinator,
    "SignalRecorded": lambda d, e, at: d.update(signals=d["signals"] + 1),
    "ContactRecorded": _contact,
    "AssessmentRecorded": _assessment,
    "GoalSet": _goal_set,
    "GoalRevised": lambda d, e, at: _update(d, "goals", e.goal_id, description=e.description),
    "GoalAchieved": lambda d, e, at: _update(d, "goals", e.goal_id, status="achieved", closed_at=at, note=e.note),
    "GoalDropped": lambda d, e, at: _update(d, "goals", e.goal_id, status="dropped", closed_at=at, note=e.reason),
    "AgreementMade": _agreement,
    "AgreementCompleted": lambda d, e, at: _update(d, "agreements", e.agreement_id, status="completed"),
    "AgreementCancelled": lambda d, e, at: _update(d, "agreements", e.agreement_id, status="cancelled"),
    "InterventionStarted": _intervention,
    "InterventionEnded": lambda d, e, at: _update(d, "interventions", e.intervention_id, status="ended",
                                                  ended_at=at, outcome=e.outcome),
    "Escalated": _level,
    "DeEscalated": _level,
    "CadenceSet": lambda d, e, at: d.update(cadence=dict(e.cadence)),
    "CheckInScheduled": _check_in,
    "CheckInRescheduled": _check_in,
    "CheckInCompleted": _check_in_done,
    "CheckInCancelled": _check_in_done,
    "SignaleringsplanAgreed": lambda d, e, at: d.update(signaleringsplan=_iso(e.phases)),
    "Closed": _closed,
    "Reopened": _reopened,
    "Corrected": _corrected,
    "ConsentRecorded": _consent,
    "ConsentWithdrawn": _consent_withdrawn,
}


def replay(events: Iterable[Any]) -> Doc | None:
    doc = None
    for event in events:
        doc = fold(doc, event)
    return doc


def plan_as_of(events: Iterable[Any], *, as_of: datetime | None = None, known_at: datetime | None = None) -> Doc | None:
    """The plan from the events that occurred by `as_of` (world time) and were
    recorded by `known_at` (record time). A correction counts once it was
    recorded; the moment it corrects decides whether that fact had occurred."""
    events = list(events)
    if any(type(e).__name__ == "Forgotten" for e in events):
        return None  # a forgotten household has no plan, at any moment
    recorded = [e for e in events if known_at is None or e.timestamp <= known_at]
    moment = {e.originator_version: e.occurred_at for e in recorded}
    for e in recorded:
        if type(e).__name__ == "Corrected" and "occurred_at" in e.changes:
            moment[e.target_version] = e.changes["occurred_at"]
    if as_of is not None:
        recorded = [e for e in recorded if (moment[e.target_version] if type(e).__name__ == "Corrected"
                                            else moment[e.originator_version]) <= as_of]
    return replay(recorded)


def present(doc: Doc, at: datetime) -> Doc:
    """What a coordinator reads: per life domain the score, the previous one and
    the trend with its goals, agreements and interventions; the support ladder
    with each level's share; time spent at each intensity up to `at`."""
    agreements, interventions = doc["agreements"], doc["interventions"]

    def goal_view(goal_id: str, goal: dict[str, Any]) -> dict[str, Any]:
        return {"id": goal_id, **goal,
                "agreements": [{"id": a, **agreements[a]} for a in goal["agreements"] if a in agreements],
                "interventions": [{"id": i, **interventions[i]} for i in goal["interventions"] if i in interventions]}

    life_domains: dict[str, Any] = {}
    for domain, scored in doc["domains"].items():
        life_domains[domain] = {**scored, "trend": _trend(scored.get("score"), scored.get("previous")), "goals": []}
    for goal_id, goal in doc["goals"].items():
        entry = life_domains.setdefault(goal["life_domain"], {"score": None, "previous": None, "assessed_at": None,
                                                              "trend": None, "goals": []})
        entry["goals"].append(goal_view(goal_id, goal))

    levels = ["eigen_kracht", "netwerk", "vrijwillig", "collectief", "eerstelijns", "specialistisch"]
    total = len(interventions)
    ladder = [{"level": level,
               "count": sum(1 for i in interventions.values() if i["support_level"] == level),
               "open": sum(1 for i in interventions.values() if i["support_level"] == level and i["status"] == "open")}
              for level in levels]
    for step in ladder:
        step["share"] = round(step["count"] / total, 3) if total else 0.0

    history = doc["intensity_history"]
    periods = []
    for n, period in enumerate(history):
        until = history[n + 1]["from"] if n + 1 < len(history) else None
        end = datetime.fromisoformat(until) if until else at
        periods.append({**period, "until": until,
                        "days": max(0.0, round((end - datetime.fromisoformat(period["from"])).total_seconds()
                                               / 86400, 1))})

    plain = {k: v for k, v in doc.items() if k not in ("domains", "goals", "agreements", "interventions",
                                                        "intensity_history", *PAGE_ONLY)}
    return {**plain, "life_domains": life_domains, "support_ladder": ladder, "intensity_history": periods,
            "interventions": [{"id": i, **v} for i, v in interventions.items()],
            "open_agreements": [{"id": a, **v} for a, v in agreements.items() if v["status"] == "open"]}


def _trend(score: int | None, previous: int | None) -> str | None:
    if score is None or previous is None:
        return None
    return "improving" if score > previous else "declining" if score < previous else "stable"


class PlanView(PostgresTrackingRecorder):
    """One plan document per household, written with the tracking position in one transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(table_name(self)))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} ("
            " household_id uuid PRIMARY KEY, version integer NOT NULL, doc jsonb NOT NULL)"
        ).format(self.table))
        self._select = SQL("SELECT doc FROM {0} WHERE household_id = %s").format(self.table)
        self._select_many = SQL("SELECT household_id, doc FROM {0} WHERE household_id = ANY(%s) FOR UPDATE").format(
            self.table)
        self._delete = SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.table)
        self._upsert = SQL("INSERT INTO {0} (household_id, version, doc) VALUES (%s, %s, %s) "
                           "ON CONFLICT (household_id) DO UPDATE SET version = EXCLUDED.version, doc = EXCLUDED.doc"
                           ).format(self.table)

    def apply(self, event: Any, tracking: Tracking) -> None:
        self.apply_batch([(event, tracking)])

    def apply_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Fold a batch of events into the plans they touch; one transaction, ending at the last position."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._select_many, (list({event.originator_id for event, _ in batch}),), prepare=True)
            docs: dict[UUID, Doc | None] = {r["household_id"]: r["doc"] for r in curs.fetchall()}
            touched: set[UUID] = set()
            dropped: set[UUID] = set()
            for event, _ in batch:
                doc = fold(docs.get(event.originator_id), event)
                if doc is not None:
                    docs[event.originator_id] = doc
                    touched.add(event.originator_id)
                elif docs.pop(event.originator_id, None) is not None:  # forgotten
                    touched.discard(event.originator_id)
                    dropped.add(event.originator_id)
            if touched:
                curs.executemany(self._upsert, [(key, docs[key]["version"], Jsonb(docs[key])) for key in touched])
            if dropped:
                curs.execute(self._delete, (list(dropped),))
            self._insert_tracking(curs, batch[-1][1])

    def get(self, household_id: UUID) -> Doc | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select, (household_id,), prepare=True)
            found = curs.fetchone()
        return found["doc"] if found else None


class PlanProjection(ViewProjection):
    name = "plan"
