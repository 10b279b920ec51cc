"""The NEN 7513 access log: who read or changed which household's file, when, from where, and on what grounds.

Every request on household data (api/authz.py) writes one entry: the action (create, read, update, delete,
execute), the time to the second, the user and on whose behalf (their role), the household and the persons
concerned (the member or network person the request names; none: the household as a whole), the access
point (client address, user agent, method and route), and the four results NEN 7513 asks for:

    authorised         was the access allowed (denied attempts are logged too)
    care_relationship  is the user in the household's team, or its coordinator
    consent            for a care worker: whether the household had consented, at the moment of the access, to
                       sharing its data with the party the user acted for (their team): given by then, not
                       withdrawn by then, not past its last day; from the consents read model
                       (projections/consents.py) when the entry is written; true or false.
                       Null where no party is acted for (privacy officer, administrator, partner), for a
                       household that does not exist, or while the read model is not there yet. A wijkteam's
                       own access rests on its legal task, so false is the common, lawful case; consent
                       matters for access from outside the care relationship
    emergency          access outside the care relationship by "break the glass", with its reason

The reason is free text that may name people, so it is kept sealed (AES-256-GCM) with the household's own
data key (domain/erasure.py), as the personal fields of its events are: forgetting the household destroys
the key and with it every reason given for opening its file, while the entry itself (who, when, what, that it
was an emergency) stays. The chain covers the entry as stored, sealed reason included, so it still verifies
after an erasure. The readers (`AccessLog.entries`) open it while the key exists and show `[gewist]` after.
An emergency access to a household without a key (forgotten already, or none by that id) keeps no reason.

The log is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained like the event
history (projections/chain.py): entry n's hash is SHA-256(hash of n-1 || canonical bytes of n), and the
sequence numbers have no gaps, so a changed, removed or inserted entry breaks the chain at that entry;
`verify` finds the first break.

No answer leaves the server before its entry is committed (group commit). `record()` puts the entry in the
batch being filled and hands back that batch's future; one writer thread per process takes the whole batch
and appends it in ONE statement (the `access_log_append` function: under a transaction-level advisory lock
per schema it reads the last (seq, hash), chains the entries with sha256() and inserts them), so entries
that arrive while a batch is being written go into the next one and a busy server commits many requests'
entries per round trip. In a request, the future is kept on the request's receipts (`RECEIPTS`, set by
api/committed.py); before the answer's first byte the request awaits its futures, off the event loop, and
when the log could not be written (or not in `COMMIT_TIMEOUT`) the answer is replaced by a 503: a read is
refused, never served unlogged. The entry is written early in the request (on authorisation) and commits
while the route reads its data, so the wait is mostly hidden. A process killed at any moment has not
answered the requests whose entries it had not committed.

An entry for a change (create, update, delete, authorised) is held on the receipts instead, and the event
store writes it in the transaction of the change's events (waakvlam/store.py calls `held_rows`): the change
and its entry commit together or not at all. An entry whose request wrote no events (a refusal, a broken
rule, an idempotent replay) goes to the writer at the answer, like a read's.

Writers in several processes (API replicas) serialise per batch on the advisory lock, never per request.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg.sql import SQL, Identifier, Literal

from domain.erasure import REDACTED, Sealer, seal, unseal
from domain.staff import CARE_ROLES
from projections.consents import consented, consents_of
from projections.versions import connect
from waakvlam.pool import borrowed, datastore_for
from waakvlam.store import KEYS_TABLE

TABLE = "access_log"
GENESIS = b"\x00" * 32
BATCH = 500  # entries per statement
COMMIT_TIMEOUT = 5.0  # seconds a request waits for its entries before it is refused (503)
CHANGES = ("create", "update", "delete")  # actions whose entry goes with the change's events
ACTIONS = ("create", "read", "update", "delete", "execute")
SEALED_REASON = "aesgcm:"  # a stored emergency reason that is sealed: this, then base64(nonce || ciphertext)
SETTING = "WAAKVLAM_ACCESS_LOG"  # "off" turns logging off: for the benchmark's baseline, in demo mode only

log = logging.getLogger("waakvlam.access_log")


@dataclass(frozen=True)
class Entry:
    action: str
    user_id: str
    role: str | None
    household_id: UUID | None
    authorised: bool
    care_relationship: bool
    emergency: bool
    at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    on_behalf_of: str | None = None  # whom the user acts for (their team, or the organisation for the others)
    persons: tuple[str, ...] = ()
    consent: bool | None = None
    emergency_reason: str | None = None
    method: str = ""
    route: str = ""
    client_address: str | None = None
    user_agent: str | None = None
    # A list (caseload, schedule, inbox, notifications, calendar feed): the households it showed, each of them
    # a person concerned. One entry per list, not one per row, so the log grows with requests, not rows.
    listed: tuple[UUID, ...] = ()
    # The exact moment, for the consent result (was a consent withdrawn before or after this access); not
    # stored or chained: the log keeps `at`, to the second, as NEN 7513 asks.
    moment: datetime | None = field(default_factory=lambda: datetime.now(UTC), compare=False, repr=False)

    def __post_init__(self) -> None:
        # PostgreSQL's jsonb and text hold no NUL: a NUL a request carried (in a path, a header) would make the
        # entry unwritable and so the answer a 503. Stored, and chained, as U+FFFD instead.
        for name in ("user_id", "role", "on_behalf_of", "emergency_reason", "method", "route", "client_address",
                     "user_agent"):
            value = getattr(self, name)
            if value and "\x00" in value:
                object.__setattr__(self, name, value.replace("\x00", "\ufffd"))
        if any("\x00" in person for person in self.persons):
            object.__setattr__(self, "persons", tuple(p.replace("\x00", "\ufffd") for p in self.persons))

    def canonical(self) -> bytes:
        """The bytes the chain covers: every field but `moment`, in a fixed order and form."""
        data = {name: getattr(self, name) for name in _CHAINED}  # not asdict: it deep-copies every listed UUID
        data["at"] = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        data["household_id"] = str(self.household_id) if self.household_id else None
        data["persons"] = list(self.persons)
        if self.listed:  # a digest of the households' ids in their order (cheap for a list of hundreds)
            data["listed"] = hashlib.sha256(b"".join(h.bytes for h in self.listed)).hexdigest()
        else:  # entries chained before lists were logged have no such field
            del data["listed"]
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_CHAINED = [f.name for f in fields(Entry) if f.name != "moment"]
COLUMNS = ("action", "user_id", "role", "household_id", "authorised", "care_relationship", "emergency", "at",
           "on_behalf_of", "persons", "consent", "emergency_reason", "method", "route", "client_address",
           "user_agent", "listed")


def link(previous: bytes, entry: Entry) -> bytes:
    return hashlib.sha256(previous + entry.canonical()).digest()


def _table(schema: str) -> psycopg.sql.Composed:
    return SQL("{0}.{1}").format(Identifier(schema), Identifier(TABLE))


def create_tables(conn: psycopg.Connection[Any], schema: str) -> None:
    """The table, its index and the append-only triggers (idempotent; serialised across processes)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{schema}.{TABLE}",))
        conn.execute(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (seq bigint PRIMARY KEY, at timestamptz NOT NULL, action text NOT NULL,"
            " user_id text NOT NULL, role text, on_behalf_of text, household_id uuid, persons text[] NOT NULL,"
            " authorised boolean NOT NULL, care_relationship boolean NOT NULL, consent boolean,"
            " emergency boolean NOT NULL, emergency_reason text, method text NOT NULL, route text NOT NULL,"
            " client_address text, user_agent text, hash bytea NOT NULL)").format(_table(schema)))
        conn.execute(SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (household_id, at)").format(
            _table(schema), Identifier(f"{TABLE}_household_idx")))
        conn.execute(SQL("ALTER TABLE {0} ADD COLUMN IF NOT EXISTS listed uuid[] NOT NULL DEFAULT '{{}}'").format(
            _table(schema)))
        conn.execute(SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} USING gin (listed)").format(
            _table(schema), Identifier(f"{TABLE}_listed_idx")))
        function = SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{TABLE}_append_only"))
        conn.execute(SQL("CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                         " RAISE EXCEPTION 'the access log is append-only'; END $$").format(function))
        conn.execute(SQL("CREATE OR REPLACE TRIGGER {1} BEFORE UPDATE OR DELETE ON {0} FOR EACH ROW"
                         " EXECUTE FUNCTION {2}()").format(_table(schema), Identifier(f"{TABLE}_no_change"),
                                                           function))
        conn.execute(SQL("CREATE OR REPLACE TRIGGER {1} BEFORE TRUNCATE ON {0} FOR EACH STATEMENT"
                         " EXECUTE FUNCTION {2}()").format(_table(schema), Identifier(f"{TABLE}_no_truncate"),
                                                           function))
        # One statement appends a batch: the lock, the last (seq, hash), the chain and the rows in one round trip.
        # The chain is the one `link` computes (sha256 of the previous hash and the entry's canonical bytes);
        # each statement of a plpgsql function takes a fresh snapshot, so the last row read is the one
        # committed before the lock was granted. The event store calls it inside its own insert function.
        names = SQL(", ").join(map(Identifier, COLUMNS))
        conn.execute(SQL(
            "CREATE OR REPLACE FUNCTION {function}(batch jsonb, canonical bytea[]) RETURNS bigint"
            " LANGUAGE plpgsql AS $BODY$ "
            "DECLARE last_seq bigint; last_hash bytea; hashes bytea[] := '{{}}'; "
            "BEGIN "
            " PERFORM pg_advisory_xact_lock(hashtextextended({lock}, 0)); "
            " SELECT seq, hash INTO last_seq, last_hash FROM {table} ORDER BY seq DESC LIMIT 1; "
            " IF last_seq IS NULL THEN last_seq := 0; last_hash := {genesis}; END IF; "
            " FOR i IN 1 .. coalesce(array_length(canonical, 1), 0) LOOP"
            "  last_hash := sha256(last_hash || canonical[i]); hashes := hashes || last_hash;"
            " END LOOP; "
            " INSERT INTO {table} (seq, {names}, hash)"
            "  SELECT last_seq + r.ordinality, {picked}, hashes[r.ordinality]"
            "  FROM jsonb_populate_recordset(NULL::{table}, batch) WITH ORDINALITY AS r; "
            " RETURN last_seq + coalesce(array_length(canonical, 1), 0); "
            "END; $BODY$").format(
                function=append_function(schema), table=_table(schema), names=names,
                picked=SQL(", ").join(SQL("r.{0}").format(Identifier(c)) for c in COLUMNS),
                lock=Literal(f"{schema}.{TABLE}"), genesis=Literal(GENESIS)))


def append_function(schema: str) -> psycopg.sql.Composed:
    return SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{TABLE}_append"))


def rows(entries: Sequence[Entry]) -> tuple[str, list[bytes]]:
    """The arguments of `access_log_append` for `entries` (consent and sealed reason already filled in):
    the rows as JSON, and each entry's canonical bytes, which the chain covers."""
    batch = [{"action": e.action, "user_id": e.user_id, "role": e.role,
              "household_id": str(e.household_id) if e.household_id else None, "authorised": e.authorised,
              "care_relationship": e.care_relationship, "emergency": e.emergency, "at": e.at.isoformat(),
              "on_behalf_of": e.on_behalf_of, "persons": list(e.persons), "consent": e.consent,
              "emergency_reason": e.emergency_reason, "method": e.method, "route": e.route,
              "client_address": e.client_address, "user_agent": e.user_agent,
              "listed": [str(h) for h in e.listed]} for e in entries]
    return json.dumps(batch, separators=(",", ":"), ensure_ascii=False), [e.canonical() for e in entries]


def with_consent(conn: psycopg.Connection[Any], schema: str, entries: Sequence[Entry]) -> list[Entry]:
    """`entries` with the consent result of each care worker's access filled in (one query)."""
    asked = [e for e in entries if e.consent is None and e.household_id and e.role in CARE_ROLES and e.on_behalf_of]
    if not asked:
        return list(entries)
    try:
        with conn.cursor() as curs:
            given = consents_of(curs, schema, list({e.household_id for e in asked if e.household_id}))
    except psycopg.errors.UndefinedTable:  # no projection worker has made the view yet: not known
        return list(entries)
    ids = {id(e) for e in asked}
    return [replace(e, consent=consented(given.get(e.household_id, ()), str(e.on_behalf_of), e.moment or e.at))  # type: ignore[arg-type]
            if id(e) in ids else e for e in entries]


def _reason_aad(household_id: UUID, at: datetime, user_id: str) -> bytes:
    """Binds a sealed reason to its entry: it opens in no other household's, moment's or user's entry."""
    return f"access_log:{household_id}:{at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}:{user_id}".encode()


def _wrapped_keys(conn: psycopg.Connection[Any], schema: str, household_ids: Sequence[UUID]
                  ) -> dict[UUID, bytes | None]:
    """The households' data keys as stored (wrapped; None once destroyed); no row: no key was ever made."""
    keys = SQL("{0}.{1}").format(Identifier(schema), Identifier(KEYS_TABLE))
    try:
        with conn.transaction(), conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(SQL("SELECT originator_id, wrapped FROM {0} WHERE originator_id = ANY(%s)").format(keys),
                         (list(household_ids),))
            return {row[0]: row[1] for row in curs.fetchall()}
    except psycopg.errors.UndefinedTable:  # no event store in this schema yet: no household, no key
        return {}


def with_sealed_reasons(conn: psycopg.Connection[Any], schema: str, sealer: Sealer,
                        entries: Sequence[Entry]) -> list[Entry]:
    """`entries` with each emergency reason sealed with its household's data key (one query); without a
    live key (the household was forgotten, or does not exist) the reason is not kept."""
    asked = [e for e in entries if e.emergency_reason is not None]
    if not asked:
        return list(entries)
    wrapped = _wrapped_keys(conn, schema, list({e.household_id for e in asked if e.household_id}))
    found: list[Entry] = []
    for entry in entries:
        if entry.emergency_reason is not None:
            key = sealer.key(entry.household_id, wrapped.get(entry.household_id)) if entry.household_id else None
            reason = REDACTED if key is None else SEALED_REASON + base64.b64encode(seal(
                key, entry.emergency_reason.encode(), _reason_aad(entry.household_id, entry.at, entry.user_id),  # type: ignore[arg-type]
            )).decode()
            entry = replace(entry, emergency_reason=reason)
        found.append(entry)
    return found


def opened_reasons(conn: psycopg.Connection[Any], schema: str, sealer: Sealer,
                   rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as stored, with each sealed emergency reason opened: `[gewist]` once its key is destroyed."""
    sealed = [r for r in rows if (r.get("emergency_reason") or "").startswith(SEALED_REASON)]
    if not sealed:
        return rows
    wrapped = _wrapped_keys(conn, schema, list({r["household_id"] for r in sealed if r["household_id"]}))
    for row in sealed:
        household_id = row["household_id"]
        key = sealer.key(household_id, wrapped.get(household_id)) if household_id else None
        try:
            blob = base64.b64decode(row["emergency_reason"][len(SEALED_REASON):], validate=True)
        except ValueError:
            blob = b""
        opened = unseal(key, blob, _reason_aad(household_id, row["at"], row["user_id"])) if household_id else None
        row["emergency_reason"] = opened.decode() if opened is not None else REDACTED
    return rows


def append(conn: psycopg.Connection[Any], schema: str, entries: Sequence[Entry]) -> None:
    """Chain and insert `entries` in one statement, serialised with every other writer of this schema."""
    batch, canonical = rows(entries)
    conn.execute(SQL("SELECT {0}(%s::jsonb, %s)").format(append_function(schema)), (batch, canonical),
                 prepare=True)


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(**{c: row[c] for c in COLUMNS if c not in ("persons", "listed")}, persons=tuple(row["persons"]),
                 listed=tuple(row["listed"] or ()), moment=None)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_hash: str | None
    broken_seq: int | None = None
    reason: str | None = None  # changed, deleted, inserted; rewritten: a checkpoint's hash is not in the log
    head_seq: int | None = None  # the last entry verified, when ok

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(conn: psycopg.Connection[Any], schema: str, *, since: tuple[int, bytes] | None = None,
           anchors: Sequence[tuple[int, bytes]] = ()) -> VerifyResult:
    """Walk the log in sequence order and recompute every hash; the first broken entry, if any. `since` (a
    checkpoint's seq and hash) starts the walk there; `anchors` are checkpoints' (seq, hash) the log must hold."""
    anchors = sorted({*anchors, *([since] if since else [])})
    previous, expected, checked = (since[1], since[0] + 1, 0) if since else (GENESIS, 1, 0)
    with conn.transaction(), conn.cursor(row_factory=dict_row) as curs:
        curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        curs.execute("SELECT to_regclass(%s)", (f'"{schema}"."{TABLE}"',))
        if (curs.fetchone() or {}).get("to_regclass") is None:
            return VerifyResult(ok=not anchors, checked=0, head_hash=None,
                                broken_seq=anchors[0][0] if anchors else None,
                                reason="rewritten" if anchors else None)
        if anchors:
            curs.execute(SQL("SELECT seq, hash FROM {0} WHERE seq = ANY(%s)").format(_table(schema)),
                         ([seq for seq, _ in anchors],))
            stored = {row["seq"]: bytes(row["hash"]) for row in curs.fetchall()}
            for seq, digest in anchors:
                if stored.get(seq) != digest:  # rewritten and re-chained since the checkpoint
                    return VerifyResult(False, 0, None, seq, "rewritten")
        curs.execute(SQL("SELECT * FROM {0} WHERE seq >= %s ORDER BY seq").format(_table(schema)), (expected,))
        for row in curs:
            if row["seq"] != expected:
                reason = "deleted" if row["seq"] > expected else "inserted"
                return VerifyResult(False, checked, previous.hex(), expected, reason)
            previous = link(previous, _entry(row))
            if previous != bytes(row["hash"]):
                return VerifyResult(False, checked, None, row["seq"], "changed")
            expected += 1
            checked += 1
    return VerifyResult(ok=True, checked=checked, head_hash=previous.hex() if checked or since else None,
                        head_seq=expected - 1 if checked or since else None)


def logging_enabled(demo: bool) -> bool:
    """Whether to log; `WAAKVLAM_ACCESS_LOG=off` is for the benchmark's baseline and refused outside demo mode."""
    value = os.environ.get(SETTING, "on").strip().lower()
    if value in ("", "on", "1", "true", "yes"):
        return True
    if value not in ("off", "0", "false", "no"):
        raise ValueError(f"{SETTING} must be on or off, got {value!r}")
    if not demo:
        raise ValueError(f"{SETTING}=off is for benchmarks in demo mode only: NEN 7513 logs every access")
    return False


class NotLogged(Exception):
    """The access log could not be written: the answer that needed the entry is refused (503)."""


class Receipts:
    """One request's access-log entries: the futures of the batches its entries are in, and the entries
    of a change held for the transaction of its events. Set per request (api/committed.py) in `RECEIPTS`;
    the request's threads see the same object (a copied context refers to it)."""

    def __init__(self) -> None:
        self.futures: list[Future[int]] = []
        self.held: list[Entry] = []
        self.log: AccessLog | None = None

    def __bool__(self) -> bool:
        return bool(self.futures or self.held)

    def outstanding(self) -> list[Future[int]]:
        """The futures to wait for before answering; held entries no event insert took go to the writer now."""
        if self.held and self.log is not None:
            held, self.held = self.held, []
            self.futures.append(self.log.submit(held))
        return self.futures


RECEIPTS: ContextVar[Receipts | None] = ContextVar("waakvlam_access_log_receipts", default=None)


class AccessLog:
    """The process's writer: `record()` adds an entry to the batch being filled; a background thread appends
    each batch in one statement and resolves its future (group commit)."""

    def __init__(self, env: dict[str, str], *, enabled: bool = True) -> None:
        self.env = env
        self.schema = env.get("POSTGRES_SCHEMA") or "public"
        self.enabled = enabled
        self._lock = threading.Lock()
        self._filling: list[Entry] = []
        self._filled: Future[int] = Future()  # resolved when the batch being filled is committed
        self._writing: Future[int] | None = None
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._sealer = Sealer.of(env)  # emergency reasons are sealed with the household's data key
        self._store = datastore_for(env)  # reads borrow from the process's pool; the writer has its own connection
        with connect(env) as conn:
            create_tables(conn, self.schema)
        if enabled:
            self._thread = threading.Thread(target=self._write, name="access-log", daemon=True)
            self._thread.start()

    def record(self, entry: Entry) -> None:
        """Log `entry`. In a request the answer waits for it (see `Receipts`); an authorised change's entry
        is held for its events' transaction."""
        if not self.enabled:
            return
        receipts = RECEIPTS.get()
        if receipts is None:
            self.submit([entry])
            return
        receipts.log = self
        if entry.action in CHANGES and entry.authorised:
            receipts.held.append(entry)
        else:
            receipts.futures.append(self.submit([entry]))

    def submit(self, entries: Sequence[Entry]) -> Future[int]:
        """Put `entries` in the batch being filled; the future resolves when that batch is committed."""
        with self._lock:
            if self._stopping and self._thread is None:
                raise NotLogged("the access log is closed")
            self._filling.extend(entries)
            self._wake.set()
            return self._filled

    def held_rows(self, conn: psycopg.Connection[Any]) -> tuple[tuple[str, list[bytes]] | None, Any]:
        """For the event store (waakvlam/store.py): the arguments of `access_log_append` for the current
        request's held entries, to go in the events' transaction, and what to call once that committed
        (None, None: nothing held)."""
        receipts = RECEIPTS.get()
        if not self.enabled or receipts is None or not receipts.held:
            return None, None
        held = list(receipts.held)
        factory, conn.row_factory = conn.row_factory, tuple_row  # the store's connections give dicts
        try:
            entries = with_consent(conn, self.schema, with_sealed_reasons(conn, self.schema, self._sealer, held))
        finally:
            conn.row_factory = factory

        def committed() -> None:
            receipts.held = [e for e in receipts.held if all(e is not h for h in held)]

        return rows(entries), committed

    def flush(self) -> None:
        """Wait until everything recorded so far is written (or failed)."""
        if not self.enabled:
            return
        with self._lock:
            waiting = [f for f in (self._writing, self._filled if self._filling else None) if f is not None]
        for future in waiting:
            with contextlib.suppress(Exception):
                future.result(timeout=60)

    def close(self) -> None:
        if self._thread is not None:
            with self._lock:
                self._stopping = True
                self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None
        self._store.close()

    def _write(self) -> None:
        """Take the batch that filled while the previous one was written, append it, resolve its future."""
        conn: psycopg.Connection[Any] | None = None
        while True:
            self._wake.wait()
            with self._lock:
                self._wake.clear()
                batch, done = self._filling, self._filled
                self._filling, self._filled = [], Future()
                self._writing = done if batch else None
                stopping = self._stopping
            if batch:
                conn = self._append(conn, batch, done)
                with self._lock:
                    self._writing = None
            if stopping:
                with self._lock:
                    if not self._filling:
                        break
        if conn is not None:
            conn.close()

    def _append(self, conn: psycopg.Connection[Any] | None, batch: list[Entry],
                done: Future[int]) -> psycopg.Connection[Any] | None:
        """Append `batch` (in parts of BATCH); once more on a new connection when the first attempt fails (a
        connection the database dropped while idle). A retry after a commit whose answer was lost writes
        those entries twice: a log may hold an access twice, never miss one."""
        error: Exception | None = None
        written = 0
        for _ in range(2):
            try:
                if conn is None or conn.closed:
                    conn = connect(self.env)
                while written < len(batch):
                    part = with_sealed_reasons(conn, self.schema, self._sealer, batch[written:written + BATCH])
                    append(conn, self.schema, with_consent(conn, self.schema, part))
                    written += len(part)
                done.set_result(written)
                return conn
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName,
                    psycopg.errors.UndefinedFunction) as e:
                error = e  # the log's table (or schema) was dropped under us: recreating it would hide that
                break
            except Exception as e:  # the database, or a bug: a new connection, once
                error = e
                if conn is not None:
                    conn.close()
                conn = None
        log.error("the access log could not be written; %d entries refused their answers: %s", len(batch), error)
        done.set_exception(NotLogged(str(error)))
        return conn

    # ---- reading -----------------------------------------------------------

    def entries(self, household_id: UUID, since: datetime | None = None, until: datetime | None = None,
                limit: int | None = 1000) -> list[dict[str, Any]]:
        """The household's entries in the period, oldest first (after a flush: everything recorded so far),
        at most `limit` (None: all), each emergency reason opened (`[gewist]` once the household is forgotten)."""
        self.flush()
        where, params = [SQL("(household_id = %s OR listed @> ARRAY[%s]::uuid[])")], [household_id, household_id]
        if since is not None:
            where.append(SQL("at >= %s"))
            params.append(since)
        if until is not None:
            where.append(SQL("at < %s"))
            params.append(until)
        query = SQL("SELECT * FROM {0} WHERE {1} ORDER BY seq LIMIT %s").format(
            _table(self.schema), SQL(" AND ").join(where))
        with borrowed(self._store) as conn, conn.cursor(row_factory=dict_row) as curs:
            curs.execute(query, [*params, limit])
            return opened_reasons(conn, self.schema, self._sealer, curs.fetchall())
