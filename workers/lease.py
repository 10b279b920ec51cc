"""One active runner per projection, across processes and machines.

A runner may only run while it holds a PostgreSQL session-level advisory lock
named after its projection (and schema). The lock lives as long as the session:
when a worker dies, PostgreSQL ends its session and releases the lock, and a
standby that keeps trying takes over. A lease whose connection is lost is given
up at once, so two runners never write one view. A process holds all its leases
on one session (one connection), however many projections it runs.
"""

from __future__ import annotations

import threading

import psycopg

from waakvlam.pool import connection_name


def lease_name(env: dict[str, str], table: str) -> str:
    """The lease of whoever writes `table` (in the environment's schema)."""
    return f"{env.get('POSTGRES_SCHEMA') or 'public'}.{table}"


class _Session:
    """The process's one session for its leases: a session holds any number of advisory locks, so a worker
    needs one connection for all its projections' leases, not one each (issue 10: a bounded budget)."""

    _lock = threading.Lock()
    _sessions: dict[str, _Session] = {}

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.conn: psycopg.Connection | None = None
        self.held: set[str] = set()

    @classmethod
    def of(cls, database_url: str) -> _Session:
        with cls._lock:
            return cls._sessions.setdefault(database_url, cls(database_url))

    def try_acquire(self, name: str) -> bool:
        with self._lock:
            if name in self.held:
                return True
            try:
                if self.conn is None or self.conn.closed:
                    self._lost()
                    self.conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5,
                                                application_name=connection_name("leases"))
                (acquired,) = self.conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                                                (name,)).fetchone()
            except psycopg.Error:
                self._lost()
                return False
            if acquired:
                self.held.add(name)
            elif not self.held:
                self._lost()  # nothing held: no connection kept (a standby connects again to try)
            return bool(acquired)

    def still_held(self, name: str) -> bool:
        with self._lock:
            if name not in self.held or self.conn is None:
                return False
            try:
                self.conn.execute("SELECT 1")
                return True
            except psycopg.Error:
                self._lost()  # the session is gone, and with it every lease it held
                return False

    def release(self, name: str) -> None:
        with self._lock:
            if name not in self.held:
                return
            self.held.discard(name)
            try:
                assert self.conn is not None
                self.conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (name,))
            except psycopg.Error:
                self._lost()
                return
            if not self.held:
                self.conn.close()  # nothing held: no connection kept
                self.conn = None

    def _lost(self) -> None:
        self.held.clear()
        if self.conn is not None:
            self.conn.close()
        self.conn = None


class Lease:
    """`shared`: on the process's one lease session (the projection worker's many leases). Two shared
    leases of one name in one process are one lease: a lock is re-entrant within its session."""

    def __init__(self, database_url: str, name: str, *, shared: bool = False) -> None:
        self.name = name
        self._session = _Session.of(database_url) if shared else _Session(database_url)

    @property
    def held(self) -> bool:
        return self.name in self._session.held

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when we hold it now."""
        return self._session.try_acquire(self.name)

    def still_held(self) -> bool:
        """False (and released) when the lease's session is gone."""
        return self._session.still_held(self.name)

    def release(self) -> None:
        self._session.release(self.name)
