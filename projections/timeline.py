"""The timeline: one row per event of a household, with a short summary in Dutch.

`to_row(event, position)` is pure: it turns one event into the row a coordinator
reads in the household's timeline (what happened, by whom, when it happened and
when it was recorded, which life domains it touched). `TimelineView` is the thin
writer that stores the row and the tracking position in one transaction, and
the keyset-paginated query that serves the timeline, newest first.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier

from projections import ViewProjection
from projections.versions import table_name

MAX_SUMMARY = 200

DOMAIN_NL = {
    "finances": "financiën", "work_education": "werk & opleiding", "daytime_activities": "dagbesteding",
    "housing": "huisvesting", "domestic_relations": "huiselijke relaties", "mental_health": "geestelijke gezondheid",
    "physical_health": "lichamelijke gezondheid", "substance_use": "middelengebruik", "basic_adl": "basale ADL",
    "instrumental_adl": "instrumentele ADL", "social_network": "sociaal netwerk",
    "community_participation": "maatschappelijke participatie", "justice": "justitie",
}
CONTACT_NL = {"keukentafelgesprek": "Keukentafelgesprek", "huisbezoek": "Huisbezoek",
              "telefonisch": "Telefonisch contact", "eropaf": "Eropaf-bezoek", "overleg": "Overleg",
              "digitaal": "Digitaal contact"}
SUPPORT_NL = {"eigen_kracht": "eigen kracht", "netwerk": "netwerk", "vrijwillig": "vrijwillige inzet",
              "collectief": "collectieve voorziening", "eerstelijns": "eerstelijnszorg",
              "specialistisch": "specialistische zorg"}
URGENCY_NL = {"low": "laag", "normal": "normaal", "high": "hoog", "acute": "acuut"}
PARTNER_NL = {"home_care": "de thuiszorg", "housing_corporation": "de woningcorporatie", "gp": "de huisarts",
              "school": "school", "police": "de politie", "wijkambassadeur": "de wijkambassadeur",
              "neighbour": "buren", "team": "het wijkteam"}  # a partner's signal, linked by triage
CLOSURE_NL = {"goals_achieved": "doelen bereikt", "handed_over": "overgedragen", "moved": "verhuisd",
              "declined": "wil geen ondersteuning meer", "no_contact": "geen contact meer mogelijk",
              "deceased": "overleden", "registered_in_error": "ten onrechte geregistreerd"}
KIND_NL = {"Registered": "registratie", "MemberAdded": "gezinslid", "NetworkPersonAdded": "netwerkpersoon",
           "SignalRecorded": "signaal", "ContactRecorded": "contact", "AssessmentRecorded": "ZRM-meting",
           "GoalSet": "doel", "AgreementMade": "afspraak", "InterventionStarted": "inzet"}
CHECK_IN_REASON_NL = {"registered": "na registratie", "completed": "na contact", "reopened": "na heropening",
                      "replaces cancelled": "ter vervanging", "escalated": "na opschaling",
                      "cadence changed": "nieuwe frequentie", "signal": "na signaal"}


def _clip(text: Any, limit: int = 80) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _tail(prefix: str, text: Any, limit: int = 80) -> str:
    """`prefix: text`, or just `prefix` when there is no text."""
    clipped = _clip(text, limit)
    return f"{prefix}: {clipped}" if clipped else prefix


MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")


def _day(value: Any) -> str:
    """`27 november 2026`: a date as a person writes it (the summaries are read by people, the inzage too)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {MONTHS_NL[value.month - 1]} {value.year}" if isinstance(value, date) else "onbekende datum"


def _domain(value: str) -> str:
    return DOMAIN_NL.get(value, value)


def _domains_text(values: Any) -> str:
    return ", ".join(_domain(v) for v in values or [])


def _check_in(e: Any) -> str:
    reason = CHECK_IN_REASON_NL.get(e.reason, _clip(e.reason, 60))
    text = f"Waakvlamcontact gepland op {_day(e.due)}"
    return f"{text} ({reason})" if reason else text


def _contact(e: Any) -> str:
    text = f"{CONTACT_NL.get(e.kind, e.kind.capitalize())} vastgelegd"
    if e.life_domains:
        text += f" ({_domains_text(e.life_domains)})"
    return _tail(text, e.summary)


def _correction(e: Any) -> str:
    changed = ", ".join(sorted(e.changes))
    what = KIND_NL.get(e.target_kind, e.target_kind) + (f": {_clip(changed, 60)}" if changed else "")
    return f"{_tail(f'Correctie op versie {e.target_version}', e.reason, 100)} ({what})"


SUMMARIES: dict[str, Callable[[Any], str]] = {
    "Registered": lambda e: f"Huishouden {_clip(e.label, 60)} aangemeld bij {_clip(e.team, 60)} ({e.intensity})",
    "MemberAdded": lambda e: f"Gezinslid {_clip(e.name, 60)} toegevoegd" + (f" ({_clip(e.role, 40)})" if e.role
                                                                             else ""),
    "MemberRemoved": lambda e: _tail("Gezinslid verwijderd", e.reason),
    "NetworkPersonAdded": lambda e: f"Netwerkpersoon {_clip(e.name, 60)} toegevoegd"
                                    + (f" ({_clip(e.relation, 40)})" if e.relation else ""),
    "NetworkPersonRemoved": lambda e: _tail("Netwerkpersoon verwijderd", e.reason),
    "CoordinatorAssigned": lambda e: f"Regisseur {_clip(e.coordinator, 60)} toegewezen"
                                     + (f" (was {_clip(e.previous, 60)})" if e.previous else ""),
    "SignalRecorded": lambda e: _tail(f"Signaal van {_clip(PARTNER_NL.get(e.source, e.source), 50) or 'onbekend'}"
                                      f" ({URGENCY_NL.get(e.urgency, e.urgency)})", e.description),
    "ContactRecorded": _contact,
    "AssessmentRecorded": lambda e: "ZRM-meting: " + _clip(
        ", ".join(f"{_domain(d)} {s}" for d, s in sorted(e.scores.items())), 150),
    "GoalSet": lambda e: _tail(f"Doel gesteld ({_domain(e.life_domain)})", e.description),
    "GoalRevised": lambda e: _tail("Doel bijgesteld", e.description),
    "GoalAchieved": lambda e: _tail("Doel bereikt", e.note),
    "GoalDropped": lambda e: _tail("Doel losgelaten", e.reason),
    "AgreementMade": lambda e: f"Afspraak met {_clip(e.who, 40)}: {_clip(e.what, 80)}"
                               + (f" (vóór {_day(e.due)})" if e.due else ""),
    "AgreementCompleted": lambda e: _tail("Afspraak nagekomen", e.note),
    "AgreementCancelled": lambda e: _tail("Afspraak vervallen", e.reason),
    "InterventionStarted": lambda e: _tail(f"Inzet gestart: {SUPPORT_NL.get(e.support_level, e.support_level)}"
                                           + (f" ({_clip(e.provider, 50)})" if e.provider else ""), e.description),
    "InterventionEnded": lambda e: _tail("Inzet beëindigd", e.outcome),
    "Escalated": lambda e: _tail(f"Opgeschaald van {e.from_level} naar {e.to_level}", e.reason),
    "DeEscalated": lambda e: _tail(f"Afgeschaald van {e.from_level} naar {e.to_level}", e.reason),
    "CadenceSet": lambda e: "Frequentie aangepast: " + (
        ", ".join(f"{level} elke {days} dagen" for level, days in sorted(e.cadence.items())) or "standaard"),
    "CheckInScheduled": _check_in,
    "CheckInRescheduled": lambda e: _tail(f"Waakvlamcontact verzet naar {_day(e.due)}",
                                          CHECK_IN_REASON_NL.get(e.reason, e.reason)),
    "CheckInCompleted": lambda e: "Waakvlamcontact gehouden",
    "CheckInCancelled": lambda e: _tail("Waakvlamcontact geannuleerd",
                                        "huishouden afgesloten" if e.reason == "household closed" else e.reason),
    "SignaleringsplanAgreed": lambda e: "Signaleringsplan afgesproken ("
                                        + ", ".join(p for p, c in e.phases.items() if c["signs"] or c["actions"])
                                        + ")",
    "Closed": lambda e: _tail(f"Huishouden afgesloten ({CLOSURE_NL.get(e.reason_code, e.reason_code)})", e.note),
    "Reopened": lambda e: _tail(f"Heropend ({e.intensity})", e.reason),
    "Corrected": _correction,
    "ConsentRecorded": lambda e: f"Toestemming gegeven voor delen met {_clip(e.party, 60)}"
                                 + (f" tot en met {_day(e.until)}" if e.until else ""),
    "ConsentWithdrawn": lambda e: _tail("Toestemming ingetrokken", e.reason),
    "Forgotten": lambda e: _tail("Huishouden vergeten: persoonsgegevens gewist", e.reason),
}

KINDS = frozenset(SUMMARIES)
EventKind = StrEnum("EventKind", {kind: kind for kind in sorted(KINDS)})  # type: ignore[misc]
EventKind.__doc__ = "The kinds of event a household's timeline holds."


def summary(event: Any) -> str:
    """What happened, in Dutch, in at most 200 characters."""
    kind = type(event).__name__
    make = SUMMARIES.get(kind)
    return _clip(make(event) if make else kind, MAX_SUMMARY)


def life_domains(event: Any) -> list[str]:
    """The life domains an event touches: from its life_domains, life_domain or scores."""
    found: set[str] = set()
    sources = [event.__dict__]
    if type(event).__name__ == "Corrected":
        sources.append(event.changes)
    for source in sources:
        found.update(source.get("life_domains") or [])
        if source.get("life_domain"):
            found.add(source["life_domain"])
        found.update((source.get("scores") or {}).keys())
    return sorted(found)


@dataclass(frozen=True)
class TimelineRow:
    household_id: UUID
    version: int
    position: int
    kind: str
    summary: str
    actor: str
    occurred_at: datetime
    recorded_at: datetime
    life_domains: list[str]


def is_household_event(event: Any) -> bool:
    """Whether an event is a household's: the store also holds teams' and signals' events,
    which have no timeline (a signal shows on the household as its `SignalRecorded`)."""
    return type(event).__qualname__.startswith("Household.")


def to_row(event: Any, position: int) -> TimelineRow:
    """The timeline row of one household event, at its store position (pure)."""
    return TimelineRow(
        household_id=event.originator_id, version=event.originator_version, position=position,
        kind=type(event).__name__, summary=summary(event), actor=getattr(event, "actor", ""),
        occurred_at=getattr(event, "occurred_at", event.timestamp), recorded_at=event.timestamp,
        life_domains=life_domains(event),
    )


COLUMNS = [f.name for f in fields(TimelineRow)]


def encode_cursor(occurred_at: datetime, version: int) -> str:
    raw = f"{occurred_at.isoformat()}|{version}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raises ValueError for a cursor this service did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, version = raw.split("|")
        occurred_at = datetime.fromisoformat(moment)
        if occurred_at.tzinfo is None or not version.isascii() or not version.isdigit():
            raise ValueError(raw)
        return occurred_at, int(version)
    except Exception as error:
        raise ValueError("not a cursor of this timeline") from error


class TimelineView(PostgresTrackingRecorder):
    """The timeline table, written with the tracking position in one transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        name = table_name(self)
        self.table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(name))
        self.sql_create_statements.extend([
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                " household_id uuid NOT NULL,"
                " version integer NOT NULL,"
                " position bigint NOT NULL,"
                " kind text NOT NULL,"
                " summary text NOT NULL,"
                " actor text NOT NULL,"
                " occurred_at timestamptz NOT NULL,"
                " recorded_at timestamptz NOT NULL,"
                " life_domains text[] NOT NULL,"
                " PRIMARY KEY (household_id, version))"
            ).format(self.table),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (household_id, occurred_at DESC, version DESC)").format(
                self.table, Identifier(f"{name}_newest_idx")),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (household_id, kind, occurred_at DESC, version DESC)").format(
                self.table, Identifier(f"{name}_kind_idx")),
        ])
        self._copy = SQL("COPY {0} ({1}) FROM STDIN").format(self.table, SQL(", ").join(map(Identifier, COLUMNS)))
        self._columns = SQL(", ").join(map(Identifier, COLUMNS))
        self._delete = SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.table)

    def apply(self, event: Any, tracking: Tracking) -> None:
        self.apply_batch([(event, tracking)])

    def apply_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """One row per household event; one transaction, ending at the last position."""
        with self.datastore.transaction(commit=True) as curs:
            # COPY: a row per event, never one twice (the rows and the position commit together).
            forgotten = []
            with curs.copy(self._copy) as copy:
                for event, tracking in batch:
                    if not is_household_event(event):
                        continue
                    if type(event).__name__ == "Forgotten":
                        forgotten.append(event.originator_id)
                    row = to_row(event, tracking.notification_id)
                    copy.write_row([getattr(row, column) for column in COLUMNS])
            if forgotten:  # a forgotten household has no timeline: its rows go (this batch's too)
                curs.execute(self._delete, (forgotten,))
            self._insert_tracking(curs, batch[-1][1])

    def rows(self, household_id: UUID) -> list[TimelineRow]:
        """Every row of a household, oldest first (by version)."""
        query = SQL("SELECT {1} FROM {0} WHERE household_id = %s ORDER BY version").format(self.table, self._columns)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, (household_id,))
            return [TimelineRow(**r) for r in curs.fetchall()]

    def page(self, household_id: UUID, *, domain: str | None = None, kind: str | None = None,
             actor: str | None = None, since: datetime | None = None, until: datetime | None = None,
             cursor: str | None = None, limit: int = 50) -> tuple[list[TimelineRow], str | None]:
        """One page of a household's timeline, newest first (occurred_at, then version);
        `since` is inclusive, `until` exclusive. Raises ValueError for a foreign cursor."""
        where: list[Composed | SQL] = [SQL("household_id = %s")]
        params: list[Any] = [household_id]
        for clause, value in ((SQL("kind = %s"), kind), (SQL("actor = %s"), actor),
                              (SQL("%s = ANY(life_domains)"), domain), (SQL("occurred_at >= %s"), since),
                              (SQL("occurred_at < %s"), until)):
            if value is not None:
                where.append(clause)
                params.append(str(value) if isinstance(value, StrEnum) else value)
        if cursor is not None:
            where.append(SQL("(occurred_at, version) < (%s, %s)"))
            params.extend(decode_cursor(cursor))
        query = SQL("SELECT {1} FROM {0} WHERE {2} ORDER BY occurred_at DESC, version DESC LIMIT %s").format(
            self.table, self._columns, SQL(" AND ").join(where))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, [*params, limit + 1], prepare=True)  # the household page asks it on every view
            found = curs.fetchall()
        rows = [TimelineRow(**r) for r in found[:limit]]
        next_cursor = encode_cursor(rows[-1].occurred_at, rows[-1].version) if len(found) > limit else None
        return rows, next_cursor


class TimelineProjection(ViewProjection):
    name = "timeline"
