"""One active runner per projection, across processes and machines.

A runner may only run while it holds a PostgreSQL session-level advisory lock
named after its projection (and schema). The lock lives as long as the session:
when a worker dies, PostgreSQL ends its session and releases the lock, and a
standby that keeps trying takes over. A lease whose connection is lost is given
up at once, so two runners never write one view.
"""

from __future__ import annotations

import psycopg


def lease_name(env: dict[str, str], table: str) -> str:
    """The lease of whoever writes `table` (in the environment's schema)."""
    return f"{env.get('POSTGRES_SCHEMA') or 'public'}.{table}"


class Lease:
    def __init__(self, database_url: str, name: str) -> None:
        self.database_url = database_url
        self.name = name
        self._conn: psycopg.Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when we hold it now."""
        if self._conn is not None:
            return True
        try:
            conn = psycopg.connect(self.database_url, autocommit=True, connect_timeout=5,
                                   application_name=f"waakvlam lease {self.name}")
        except psycopg.OperationalError:
            return False
        (acquired,) = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (self.name,)).fetchone()
        if acquired:
            self._conn = conn
        else:
            conn.close()
        return bool(acquired)

    def still_held(self) -> bool:
        """False (and released) when the lease's session is gone."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # ending the session releases the lock
            finally:
                self._conn = None
