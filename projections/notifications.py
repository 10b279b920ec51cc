"""In-app notifications: the table everyone's notifications are kept in, and the
projection that tells a coordinator of a new signal.

Notifications come from three places, and each is written exactly once:
  * the reminder worker (`workers/reminders.py`) decides `due_soon` and `overdue`
    reminders and inserts their notifications in the same transaction as the
    reminder itself;
  * `NotificationsProjection` (run by the projection worker) sees every new
    `SignalRecorded` on a household at waakvlam or licht and inserts a `signal`
    notification for its coordinator (its team lead when it has none) in the same
    transaction as its tracking position;
  * the API, on an emergency access (`api/emergency.py`): an `emergency_access`
    notification for the household's team lead and the privacy officers.
A notification's id is derived from what it is about and who it is for, so an
insert that is repeated for any reason is a no-op (ON CONFLICT DO NOTHING).

The projection is a pure fold of a little state per household (label, team,
coordinator, intensity) and per team (its lead, from `TeamPolicySet`), plus
`alerts(state, event, leads)`, the notifications an event calls for. It is not
versioned and never rebuilt: notifications are messages to people, not derived
data, and replaying them would send them again. For the same reason it alerts
only for events recorded after notifications were introduced in this store
(`notification_start`, set when its tables are first created): the signals of
years of history, or of the demo data, are history, not news. Those earlier
events are still folded, so the state is complete.

`NotificationsView` also keeps the calendar feeds' secrets (`calendar_feeds`,
see `api/routers/calendar.py`): stored as SHA-256 hashes, one per user.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier

from domain.team import SIGNAL_LEVELS, team_id
from projections import ViewProjection

NAME = "notifications"
DUE_SOON, OVERDUE, SIGNAL = "due_soon", "overdue", "signal"
URGENCY_NL = {"acute": "acuut", "high": "hoog", "normal": "normaal", "low": "laag"}
EVENTS_TABLE = "waakvlam_events"  # Households.name.lower() + "_events" (not imported: no application here)


def notification_id(source: str, recipient: str) -> UUID:
    """The id of the notification about `source` (e.g. `signal:<household>:<signal>`) for `recipient`."""
    return uuid5(NAMESPACE_URL, f"waakvlam:notification:{source}:{recipient}")


@dataclass(frozen=True)
class Notification:
    notification_id: UUID
    recipient: str
    kind: str  # due_soon | overdue | signal | emergency_access (api/emergency.py) | integrity | retention
    household_id: UUID | None  # None: about no one household (a checkpoint, the retention report)
    label: str
    title: str  # one line in Dutch
    check_in_id: str | None = None
    due: date | None = None
    signal_id: str | None = None
    created_at: datetime | None = None  # set by the database
    read_at: datetime | None = None


NOTIFICATION_COLUMNS = [f.name for f in fields(Notification)]
INSERTED_COLUMNS = NOTIFICATION_COLUMNS[:-2]


# ---- the pure part ---------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdState:
    household_id: UUID
    label: str
    team: str
    intensity: str
    coordinator: str | None = None


def _is(event: Any, aggregate: str, kind: str) -> bool:
    # By qualified name: other aggregates in the store (teams, signals) may use the same event names.
    return type(event).__qualname__ == f"{aggregate}.{kind}"


def fold(state: HouseholdState | None, event: Any) -> HouseholdState | None:
    """A household's state after `event` (pure). Events of other aggregates leave it as it was."""
    if _is(event, "Household", "Registered"):
        return HouseholdState(event.originator_id, event.label, event.team, event.intensity)
    if state is None or not type(event).__qualname__.startswith("Household."):
        return state
    kind = type(event).__name__
    if kind == "Forgotten":  # nothing of a forgotten household is kept
        return None
    if kind == "CoordinatorAssigned":
        return replace(state, coordinator=event.coordinator)
    if kind in ("Escalated", "DeEscalated"):
        return replace(state, intensity=event.to_level)
    if kind == "Reopened":
        return replace(state, intensity=event.intensity)
    if kind == "Corrected" and event.target_kind == "Registered" and "label" in event.changes:
        return replace(state, label=event.changes["label"])
    return state


def fold_leads(leads: dict[UUID, str | None], event: Any) -> dict[UUID, str | None]:
    """Team leads by team id, after `event` (pure)."""
    if _is(event, "Team", "TeamPolicySet"):
        return {**leads, event.originator_id: event.team_lead}
    return leads


def alerts(state: HouseholdState | None, event: Any, leads: Mapping[UUID, str | None]) -> list[Notification]:
    """The notifications `event` calls for, given the household's state before it (pure): a new
    signal on a household at waakvlam or licht, for its coordinator (its team lead when it has none)."""
    if state is None or not _is(event, "Household", "SignalRecorded") or state.intensity not in SIGNAL_LEVELS:
        return []
    recipient = state.coordinator or leads.get(team_id(state.team))
    if not recipient:
        return []
    urgency = URGENCY_NL.get(event.urgency, event.urgency)
    title = f"Nieuw signaal (urgentie {urgency}) bij {state.label}, nu op {state.intensity}: opschalen overwegen?"
    source = f"signal:{state.household_id}:{event.signal_id}"
    return [Notification(notification_id(source, recipient), recipient, SIGNAL, state.household_id, state.label,
                         title, signal_id=event.signal_id)]


# ---- the tables ------------------------------------------------------------------


def notifications_ddl(schema: str) -> list[Composed]:
    """The notifications table (created by whoever needs it first: the projection, the API, the reminder worker)."""
    table = SQL("{0}.{1}").format(Identifier(schema), Identifier(NAME))
    return [
        SQL("CREATE TABLE IF NOT EXISTS {0} ("
            " notification_id uuid PRIMARY KEY,"
            " recipient text NOT NULL,"
            " kind text NOT NULL,"
            " household_id uuid NOT NULL,"
            " label text NOT NULL,"
            " title text NOT NULL,"
            " check_in_id text,"
            " due date,"
            " signal_id text,"
            " created_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
            " read_at timestamptz)").format(table),
        # A notice to the privacy officers (workers/officer_notice.py) is about no one household.
        SQL("ALTER TABLE {0} ALTER COLUMN household_id DROP NOT NULL").format(table),
        SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (recipient, created_at DESC, notification_id DESC)").format(
            table, Identifier(f"{NAME}_recipient_idx")),
        SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (recipient, created_at DESC, notification_id DESC)"
            " WHERE read_at IS NULL").format(table, Identifier(f"{NAME}_unread_idx")),
    ]


def ddl_lock(schema: str) -> str:
    """The advisory lock whoever creates these tables holds (CREATE ... IF NOT EXISTS races with itself)."""
    return f"{schema}.notifications.ddl"


def insert_statement(schema: str) -> Composed:
    """Insert one notification (named parameters as in `Notification`); a repeat is a no-op."""
    return SQL("INSERT INTO {0}.{1} ({2}) VALUES ({3}) ON CONFLICT (notification_id) DO NOTHING").format(
        Identifier(schema), Identifier(NAME), SQL(", ").join(map(Identifier, INSERTED_COLUMNS)),
        SQL(", ").join(SQL("%({0})s").format(SQL(c)) for c in INSERTED_COLUMNS))


def as_params(notification: Notification) -> dict[str, Any]:
    return {c: getattr(notification, c) for c in INSERTED_COLUMNS}


def secret_hash(secret: str) -> bytes:
    """A feed secret as stored: its SHA-256 (a random 256-bit secret needs no slow hash)."""
    return hashlib.sha256(secret.encode()).digest()


class NotificationsView(PostgresTrackingRecorder):
    """The notifications table and the signal projection's state, written with its tracking
    position in one transaction; and the reads and marks of the notifications API."""

    versioned = False

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.schema = datastore.schema
        name = lambda table: SQL("{0}.{1}").format(Identifier(self.schema), Identifier(table))  # noqa: E731
        self.table = name(NAME)
        self.households = name("notification_households")
        self.teams = name("notification_teams")
        self.start = name("notification_start")
        self.feeds = name("calendar_feeds")
        self.events = name(EVENTS_TABLE)
        self.sql_create_statements.extend([
            *notifications_ddl(self.schema),
            SQL("CREATE TABLE IF NOT EXISTS {0} ("
                " household_id uuid PRIMARY KEY, label text NOT NULL, team text NOT NULL,"
                " intensity text NOT NULL, coordinator text)").format(self.households),
            SQL("CREATE TABLE IF NOT EXISTS {0} (team_id uuid PRIMARY KEY, team_lead text)").format(self.teams),
            SQL("CREATE TABLE IF NOT EXISTS {0} (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
                " position bigint NOT NULL, since timestamptz NOT NULL DEFAULT now())").format(self.start),
            SQL("CREATE TABLE IF NOT EXISTS {0} (user_id text PRIMARY KEY, secret_hash bytea NOT NULL UNIQUE,"
                " created_at timestamptz NOT NULL DEFAULT now())").format(self.feeds),
        ])
        self._insert = insert_statement(self.schema)
        self._state_columns = [f.name for f in fields(HouseholdState)]
        self._select_households = SQL("SELECT {1} FROM {0} WHERE household_id = ANY(%s) FOR UPDATE").format(
            self.households, SQL(", ").join(map(Identifier, self._state_columns)))
        self._upsert_household = SQL(
            "INSERT INTO {0} ({1}) VALUES ({2}) ON CONFLICT (household_id) DO UPDATE SET {3}").format(
            self.households, SQL(", ").join(map(Identifier, self._state_columns)),
            SQL(", ").join(SQL("%({0})s").format(SQL(c)) for c in self._state_columns),
            SQL(", ").join(SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in self._state_columns[1:]))
        self._upsert_lead = SQL("INSERT INTO {0} (team_id, team_lead) VALUES (%s, %s)"
                                " ON CONFLICT (team_id) DO UPDATE SET team_lead = EXCLUDED.team_lead").format(
            self.teams)
        self._columns = SQL(", ").join(map(Identifier, NOTIFICATION_COLUMNS))

    def _create_table(self, curs: Any) -> None:
        """Create the tables (one creator at a time: the API, the projection worker and the reminder worker
        may start together); the first time, remember the store's head: alerts are for what comes after it."""
        curs.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (ddl_lock(self.schema),))
        super()._create_table(curs)
        curs.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (f'"{self.schema}"."{EVENTS_TABLE}"',))
        head = SQL("(SELECT max(notification_id) FROM {0})").format(self.events) if curs.fetchone()["found"] \
            else SQL("NULL")
        curs.execute(SQL("INSERT INTO {0} (position) SELECT COALESCE({1}, 0) ON CONFLICT DO NOTHING").format(
            self.start, head))

    # ---- writing (the projection) ----------------------------------------------

    def apply(self, event: Any, tracking: Tracking) -> None:
        self.apply_batch([(event, tracking)])

    def apply_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("SELECT position FROM {0}").format(self.start), prepare=True)
            found = curs.fetchone()
            start = found["position"] if found else 0
            ids = list({event.originator_id for event, _ in batch if type(event).__qualname__.startswith("Household.")})
            curs.execute(self._select_households, (ids,), prepare=True)
            before = {r["household_id"]: HouseholdState(**r) for r in curs.fetchall()}
            curs.execute(SQL("SELECT team_id, team_lead FROM {0}").format(self.teams), prepare=True)
            leads_before: dict[UUID, str | None] = {r["team_id"]: r["team_lead"] for r in curs.fetchall()}
            states, leads, new, forgotten = dict(before), dict(leads_before), [], []
            for event, tracking in batch:
                state = states.get(event.originator_id)
                if tracking.notification_id > start:
                    new.extend(alerts(state, event, leads))
                state = fold(state, event)
                if state is not None:
                    states[event.originator_id] = state
                elif states.pop(event.originator_id, None) is not None:
                    forgotten.append(event.originator_id)
                leads = fold_leads(leads, event)
            changed = [asdict(s) for key, s in states.items() if before.get(key) != s]
            if changed:
                curs.executemany(self._upsert_household, changed)
            changed_leads = [(key, lead) for key, lead in leads.items() if leads_before.get(key, "-") != lead]
            if changed_leads:
                curs.executemany(self._upsert_lead, changed_leads)
            if new:
                curs.executemany(self._insert, [as_params(n) for n in new])
            if forgotten:  # a forgotten household's state and notifications go
                curs.execute(SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.households), (forgotten,))
                curs.execute(SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.table), (forgotten,))
            self._insert_tracking(curs, batch[-1][1])

    # ---- reading and marking (the API) -----------------------------------------

    def page(self, recipient: str, *, unread: bool = False, cursor: str | None = None,
             limit: int = 50) -> tuple[list[Notification], str | None]:
        """One's notifications, newest first, keyset-paginated. Raises ValueError for a foreign cursor."""
        where: list[Composed | SQL] = [SQL("recipient = %s")]
        params: list[Any] = [recipient]
        if unread:
            where.append(SQL("read_at IS NULL"))
        if cursor is not None:
            created_at, last_id = decode_cursor(cursor)
            where.append(SQL("(created_at, notification_id) < (%s, %s)"))
            params.extend([created_at, last_id])
        query = SQL("SELECT {1} FROM {0} WHERE {2} ORDER BY created_at DESC, notification_id DESC LIMIT %s").format(
            self.table, self._columns, SQL(" AND ").join(where))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, [*params, limit + 1])
            found = [Notification(**r) for r in curs.fetchall()]
        next_cursor = None
        if len(found) > limit:
            last = found[limit - 1]
            assert last.created_at is not None
            next_cursor = encode_cursor(last.created_at, last.notification_id)
        return found[:limit], next_cursor

    def unread_count(self, recipient: str) -> int:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT count(*) AS n FROM {0} WHERE recipient = %s AND read_at IS NULL").format(
                self.table), (recipient,))
            return curs.fetchone()["n"]

    def mark_read(self, recipient: str, notification: UUID) -> Notification | None:
        """Mark one of `recipient`'s notifications read (once: a second mark keeps the first moment).
        None when there is no such notification for them."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("UPDATE {0} SET read_at = COALESCE(read_at, now())"
                             " WHERE notification_id = %s AND recipient = %s RETURNING {1}").format(
                self.table, self._columns), (notification, recipient))
            found = curs.fetchone()
        return Notification(**found) if found else None

    def mark_all_read(self, recipient: str) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("UPDATE {0} SET read_at = now() WHERE recipient = %s AND read_at IS NULL").format(
                self.table), (recipient,))
            return curs.rowcount

    def for_recipient(self, recipient: str) -> list[Notification]:
        return self.page(recipient, limit=10_000)[0]

    # ---- calendar feed secrets ---------------------------------------------------

    def new_feed_secret(self, user_id: str) -> str:
        """A new secret for `user_id`'s calendar feed; the previous one stops working."""
        secret = secrets.token_urlsafe(32)
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("INSERT INTO {0} (user_id, secret_hash) VALUES (%s, %s) ON CONFLICT (user_id)"
                             " DO UPDATE SET secret_hash = EXCLUDED.secret_hash, created_at = now()").format(
                self.feeds), (user_id, secret_hash(secret)))
        return secret

    def revoke_feed(self, user_id: str) -> bool:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("DELETE FROM {0} WHERE user_id = %s").format(self.feeds), (user_id,))
            return curs.rowcount > 0

    def feed_made_at(self, user_id: str) -> datetime | None:
        """When `user_id`'s current calendar feed address was made; None when they have none."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT created_at FROM {0} WHERE user_id = %s").format(self.feeds), (user_id,))
            found = curs.fetchone()
        return found["created_at"] if found else None

    def feed_owner(self, secret: str) -> str | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT user_id FROM {0} WHERE secret_hash = %s").format(self.feeds),
                         (secret_hash(secret),))
            found = curs.fetchone()
        return found["user_id"] if found else None


def encode_cursor(created_at: datetime, last_id: UUID) -> str:
    raw = f"{created_at.isoformat()}|{last_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError for a cursor this service did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, last_id = raw.split("|")
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, UUID(last_id)
    except Exception as error:
        raise ValueError("not a cursor of this list") from error


class NotificationsProjection(ViewProjection):
    name = NAME
