"""Local accounts for the embedded and demo mode: argon2-hashed passwords, opaque
session tokens and a login rate limit, all in PostgreSQL (in the configured schema),
so that several API processes share them.

- A session token is random (256 bits) and only its SHA-256 is stored, with its expiry.
- Failed logins are counted per user name and per client address over a window; the
  keys are stored hashed (a user name field may hold a mistyped password, an address
  is personal data). A login of an unknown user verifies a dummy hash, so it takes as
  long as a wrong password.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

from waakvlam import demo_users
from waakvlam.demo_users import DEMO_PASSWORD
from waakvlam.pool import SharedDatastore, borrowed, datastore_for

SESSION_PREFIX = "wvs_"
LIVE_SESSIONS = 10_000  # the sessions a process remembers having read (the oldest is forgotten first)
EXTERNAL = "!external"  # the password hash of an account the issuer vouches for: not a hash, never verifies
UNAVAILABLE = (psycopg.OperationalError, PoolTimeout)  # the accounts' database is not reachable
# The demo users (waakvlam/demo_users.py): their names, roles and teams.
DEMO_USERS: dict[str, tuple[str, str | None]] = {user.name: (user.role, user.team) for user in demo_users.DEMO_USERS}


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    team: str | None


@dataclass(frozen=True)
class Session:
    token: str
    account: Account
    expires_at: datetime


class LoginRefused(Exception):
    """Wrong user name or password (which one is not said)."""


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Accounts:
    def __init__(self, env: dict[str, str], *, session_hours: float = 10.0, max_failures: int = 5,
                 max_failures_per_address: int = 20, window_seconds: int = 900,
                 hasher: PasswordHasher | None = None, session_recheck: float = 0.0) -> None:
        self.env = env
        self.schema = Identifier(env.get("POSTGRES_SCHEMA") or "public")
        self.session_ttl = timedelta(hours=session_hours)
        self.max_failures = max_failures
        self.max_failures_per_address = max_failures_per_address
        self.window = timedelta(seconds=window_seconds)
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None  # made on first use: hashing costs time and memory
        self._store: SharedDatastore | None = None  # a share of the process's pool, opened on first use
        self._lock = Lock()
        # Live sessions this process read lately: token hash -> (account, expiry, when read). Every page asks
        # for its session; a page within `session_recheck` seconds of the last read is answered from here.
        self.session_recheck = session_recheck
        self._live: OrderedDict[str, tuple[Account, datetime, float]] = OrderedDict()
        self._live_lock = Lock()

    # ---- plumbing -------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A connection of the process's pool (waakvlam/pool.py), with plain tuple rows while we hold it."""
        with self._lock:
            if self._store is None:
                store = datastore_for(self.env)
                try:
                    with borrowed(store) as conn:
                        self._create_tables(conn)
                except BaseException:
                    store.close()
                    raise
                self._store = store
        with borrowed(self._store) as conn:
            yield conn

    def _sql(self, text: str) -> Any:
        return SQL(text).format(schema=self.schema)

    def _create_tables(self, conn: Any) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                         (f"{self.env.get('POSTGRES_SCHEMA')}.accounts",))
            conn.execute(self._sql(
                "CREATE TABLE IF NOT EXISTS {schema}.accounts (username text PRIMARY KEY, password_hash text NOT NULL,"
                " role text NOT NULL, team text, disabled boolean NOT NULL DEFAULT false,"
                " created_at timestamptz NOT NULL DEFAULT now())"))
            conn.execute(self._sql(
                "CREATE TABLE IF NOT EXISTS {schema}.account_sessions (token_hash text PRIMARY KEY,"
                " username text NOT NULL REFERENCES {schema}.accounts (username) ON DELETE CASCADE,"
                " created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL)"))
            conn.execute(self._sql(
                "CREATE TABLE IF NOT EXISTS {schema}.login_failures (key_hash text NOT NULL,"
                " failed_at timestamptz NOT NULL DEFAULT now())"))
            conn.execute(self._sql(
                "CREATE INDEX IF NOT EXISTS login_failures_key ON {schema}.login_failures (key_hash, failed_at)"))

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    # ---- accounts -------------------------------------------------------------------

    def set_password(self, username: str, password: str, role: str, team: str | None = None) -> Account:
        """Create the account, or give an existing one this password, role and team."""
        with self._connection() as conn:
            conn.execute(self._sql(
                "INSERT INTO {schema}.accounts (username, password_hash, role, team) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
                " role = EXCLUDED.role, team = EXCLUDED.team, disabled = false"),
                (username, self.hasher.hash(password), role, team))
        self._forget_sessions(username=username)
        return Account(username, role, team)

    def ensure_demo_accounts(self, password: str = DEMO_PASSWORD) -> list[str]:
        """The demo users, each with the demo password; existing accounts are left alone. Answers those created."""
        created = []
        with self._connection() as conn:
            for username, (role, team) in DEMO_USERS.items():
                row = conn.execute(self._sql(
                    "INSERT INTO {schema}.accounts (username, password_hash, role, team) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (username) DO NOTHING RETURNING username"),
                    (username, self.hasher.hash(password), role, team)).fetchone()
                if row:
                    created.append(username)
        return created

    # ---- logging in -----------------------------------------------------------------

    def login(self, username: str, password: str, address: str | None) -> Session:
        """A new session for these credentials; `LoginRefused` or `TooManyAttempts`. Attempts for one user name
        and one address are serialised, so that simultaneous guesses cannot slip past the limit."""
        user_key, address_key = _digest("user:" + username.strip().lower()), _digest("addr:" + (address or "?"))
        limits = {user_key: self.max_failures, address_key: self.max_failures_per_address}
        with self._connection() as conn:
            with conn.transaction():
                session = self._login(conn, limits, username, password)
            if session is None:  # the failure is committed with the transaction; now say so
                raise LoginRefused("wrong user name or password")
            return session

    def _login(self, conn: Any, limits: dict[str, int], username: str, password: str) -> Session | None:
        keys = sorted(limits)
        for key in keys:
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        self._refuse_when_limited(conn, limits)
        row = conn.execute(self._sql(
            "SELECT password_hash, role, team FROM {schema}.accounts WHERE username = %s AND NOT disabled"),
            (username,)).fetchone()
        if not self._verify(row[0] if row else self._dummy_hash(), password) or row is None:
            # Our clock, not the database's: expiry and windows are computed and compared on one clock.
            conn.execute(self._sql("INSERT INTO {schema}.login_failures (key_hash, failed_at)"
                                   " SELECT unnest(%s::text[]), %s"), (keys, datetime.now(UTC)))
            return None
        if self.hasher.check_needs_rehash(row[0]):
            conn.execute(self._sql("UPDATE {schema}.accounts SET password_hash = %s WHERE username = %s"),
                         (self.hasher.hash(password), username))
        conn.execute(self._sql("DELETE FROM {schema}.login_failures WHERE key_hash = %s"),
                     (_digest("user:" + username.strip().lower()),))
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + self.session_ttl
        conn.execute(self._sql(
            "INSERT INTO {schema}.account_sessions (token_hash, username, expires_at) VALUES (%s, %s, %s)"),
            (_digest(token), username, expires_at))
        return Session(token, Account(username, row[1], row[2]), expires_at)

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _refuse_when_limited(self, conn: Any, limits: dict[str, int]) -> None:
        now, keys = datetime.now(UTC), list(limits)
        conn.execute(self._sql("DELETE FROM {schema}.login_failures WHERE key_hash = ANY(%s) AND failed_at < %s"),
                     (keys, now - self.window))
        rows = conn.execute(self._sql(
            "SELECT key_hash, count(*), min(failed_at) FROM {schema}.login_failures"
            " WHERE key_hash = ANY(%s) AND failed_at >= %s GROUP BY key_hash"), (keys, now - self.window)).fetchall()
        waits = []
        for key, count, oldest in rows:
            if count >= limits[key]:
                waits.append(max(1, int((oldest + self.window - now).total_seconds()) + 1))
        if waits:
            raise TooManyAttempts(max(waits))

    # ---- sessions -------------------------------------------------------------------

    def start_session(self, username: str, role: str, team: str | None) -> Session | None:
        """A session for a user the issuer vouched for (web/oidc.py): the same kind of session as a login's. A user
        without an account gets one without a password (`EXTERNAL`, which never verifies, so it cannot log in
        locally); an existing account keeps its password, role and team. None when the account is disabled."""
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + self.session_ttl
        with self._connection() as conn, conn.transaction():
            conn.execute(self._sql(
                "INSERT INTO {schema}.accounts (username, password_hash, role, team) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, team = EXCLUDED.team"
                " WHERE {schema}.accounts.password_hash = %s"), (username, EXTERNAL, role, team, EXTERNAL))
            row = conn.execute(self._sql("SELECT role, team, disabled FROM {schema}.accounts WHERE username = %s"),
                               (username,)).fetchone()
            if row is None or row[2]:
                return None
            conn.execute(self._sql(
                "INSERT INTO {schema}.account_sessions (token_hash, username, expires_at) VALUES (%s, %s, %s)"),
                (_digest(token), username, expires_at))
        return Session(token, Account(username, row[0], row[1]), expires_at)

    def session(self, token: str) -> Account | None:
        """The account of a live session token, or None."""
        if not token.startswith(SESSION_PREFIX):
            return None
        digest, now = _digest(token), datetime.now(UTC)
        with self._live_lock:
            found = self._live.get(digest)
        if found is not None and found[1] > now and time.monotonic() - found[2] < self.session_recheck:
            return found[0]
        with self._connection() as conn:
            row = conn.execute(self._sql(
                "SELECT a.username, a.role, a.team, s.expires_at FROM {schema}.account_sessions s"
                " JOIN {schema}.accounts a USING (username)"
                " WHERE s.token_hash = %s AND s.expires_at > %s AND NOT a.disabled"),
                (digest, now)).fetchone()
        account = Account(*row[:3]) if row else None
        with self._live_lock:
            if account is None:
                self._live.pop(digest, None)
            elif self.session_recheck > 0:
                self._live[digest] = (account, row[3], time.monotonic())
                self._live.move_to_end(digest)
                while len(self._live) > LIVE_SESSIONS:
                    self._live.popitem(last=False)
        return account

    def _forget_sessions(self, username: str | None = None, digest: str | None = None) -> None:
        """Read the next request's session from the database again (after a logout, a new password or role)."""
        with self._live_lock:
            for key, (account, _, _) in list(self._live.items()):
                if key == digest or account.username == username:
                    self._live.pop(key, None)

    def logout(self, token: str) -> bool:
        if not token.startswith(SESSION_PREFIX):
            return False
        self._forget_sessions(digest=_digest(token))
        with self._connection() as conn:
            deleted = conn.execute(self._sql("DELETE FROM {schema}.account_sessions WHERE token_hash = %s"),
                                   (_digest(token),)).rowcount
            conn.execute(self._sql("DELETE FROM {schema}.account_sessions WHERE expires_at < %s"), (datetime.now(UTC),))
        return deleted > 0
