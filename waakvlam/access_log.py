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

Writing is cheap for the request: an entry is put on an in-memory queue and one background writer per
process inserts what has queued in ONE transaction per batch. The chain is computed there: under a
transaction-level advisory lock per schema the writer reads the last (seq, hash) and appends, so writers in
several processes (API replicas) serialise only per batch, never per request. The price is a window of at
most `FLUSH_SECONDS` in which a crashed process loses entries it had queued; `flush()` (used by the log's own
readers and on shutdown) closes that window on demand. A synchronous INSERT with the lock in each request would
serialise every read of every replica on one lock and cost a round trip per read.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg.sql import SQL, Identifier

from domain.erasure import REDACTED, Sealer, seal, unseal
from domain.staff import CARE_ROLES
from projections.consents import consented, consents_of
from projections.versions import connect
from waakvlam.pool import borrowed, datastore_for
from waakvlam.store import KEYS_TABLE

TABLE = "access_log"
GENESIS = b"\x00" * 32
FLUSH_SECONDS = 0.2  # the longest an entry waits on the queue
BATCH = 500  # entries per INSERT
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


# The stored types of ("seq", *COLUMNS, "hash"), for the binary COPY that appends entries.
COPY_TYPES = ["bigint", "text", "text", "text", "uuid", "boolean", "boolean", "boolean", "timestamptz", "text",
              "text[]", "boolean", "text", "text", "text", "text", "text", "uuid[]", "bytea"]


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
    """Chain and insert `entries` in one transaction, serialised with every other writer of this schema."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{schema}.{TABLE}",))
        last = conn.execute(SQL("SELECT seq, hash FROM {0} ORDER BY seq DESC LIMIT 1").format(_table(schema)))
        found = last.fetchone()
        seq, previous = (found[0], bytes(found[1])) if found else (0, GENESIS)
        # Binary COPY: adapting the values is most of the writer's CPU (in the API's own process, where it
        # competes with requests for the GIL), and COPY in binary costs a tenth of a multi-row INSERT.
        columns = SQL(", ").join(map(Identifier, ("seq", *COLUMNS, "hash")))
        with conn.cursor() as curs, curs.copy(SQL("COPY {0} ({1}) FROM STDIN (FORMAT BINARY)").format(
                _table(schema), columns)) as copy:
            copy.set_types(COPY_TYPES)
            for entry in entries:
                seq += 1
                previous = link(previous, entry)
                copy.write_row((seq, *(list(getattr(entry, c)) if c in ("persons", "listed") else getattr(entry, c)
                                       for c in COLUMNS), previous))


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(**{c: row[c] for c in COLUMNS if c not in ("persons", "listed")}, persons=tuple(row["persons"]),
                 listed=tuple(row["listed"] or ()), moment=None)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    head_hash: str | None
    broken_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def verify(conn: psycopg.Connection[Any], schema: str) -> VerifyResult:
    """Walk the log in sequence order and recompute every hash; the first broken entry, if any."""
    previous, expected, checked = GENESIS, 1, 0
    with conn.transaction(), conn.cursor(row_factory=dict_row) as curs:
        curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        curs.execute("SELECT to_regclass(%s)", (f'"{schema}"."{TABLE}"',))
        if (curs.fetchone() or {}).get("to_regclass") is None:
            return VerifyResult(ok=True, checked=0, head_hash=None)
        curs.execute(SQL("SELECT * FROM {0} ORDER BY seq").format(_table(schema)))
        for row in curs:
            if row["seq"] != expected:
                reason = "deleted" if row["seq"] > expected else "inserted"
                return VerifyResult(False, checked, previous.hex(), expected, reason)
            previous = link(previous, _entry(row))
            if previous != bytes(row["hash"]):
                return VerifyResult(False, checked, None, row["seq"], "changed")
            expected += 1
            checked += 1
    return VerifyResult(ok=True, checked=checked, head_hash=previous.hex() if checked else None)


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


class AccessLog:
    """The process's writer: `record()` queues an entry; a background thread chains and inserts batches."""

    def __init__(self, env: dict[str, str], *, enabled: bool = True) -> None:
        self.env = env
        self.schema = env.get("POSTGRES_SCHEMA") or "public"
        self.enabled = enabled
        self._queue: queue.Queue[Entry] = queue.Queue()
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
        if self.enabled:
            self._queue.put(entry)

    def flush(self) -> None:
        """Wait until everything recorded so far is written."""
        if self.enabled:
            self._wake.set()
            self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join(timeout=30)
            self._thread = None
        self._store.close()

    def _write(self) -> None:
        """Every FLUSH_SECONDS (or at once when asked to flush), write what has queued: the writer does not
        wake per entry, so a busy server's requests never hand the GIL to it one by one."""
        conn: psycopg.Connection[Any] | None = None
        while True:
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            stopping = self._stopping
            batch: list[Entry] = []
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._queue.get_nowait())
            for start in range(0, len(batch), BATCH):
                part = batch[start:start + BATCH]
                while True:
                    try:
                        if conn is None or conn.closed:
                            conn = connect(self.env)
                        entries = with_sealed_reasons(conn, self.schema, self._sealer, part)
                        append(conn, self.schema, with_consent(conn, self.schema, entries))
                        break
                    except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                        # The log's table (or schema) was dropped under us: recreating it would hide that.
                        log.error("the access log's table is gone; %d entries not written", len(part))
                        break
                    except Exception:  # a database or a bug: keep the entries, log, try again
                        log.exception("the access log could not be written; retrying")
                        if conn is not None:
                            conn.close()
                        conn = None
                        if self._stopping:  # shutting down with the database gone: nothing left to wait for
                            log.error("the access log lost %d entries at shutdown", len(part))
                            break
                        time.sleep(0.5)
            for _ in batch:
                self._queue.task_done()
            if stopping and self._queue.empty():
                break
        if conn is not None:
            conn.close()

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
