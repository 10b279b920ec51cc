"""One connection pool per process: every application and view of a process draws from it.

The `eventsourcing` library gives each application and each view its own datastore, and so its
own pool: an API process with seven views held seven pools, and a projection worker two pools
per projection, which exhausted PostgreSQL's connections at the defaults (issue 10). Here the
library's factory is kept, but the datastore it makes is swapped for a handle on the process's
one datastore for that database and schema. A handle's `close()` lets go of its share; the pool
closes with the last handle.

The pool's size is the process's budget (`WAAKVLAM_POOL_SIZE`): a request or a batch waits up to
`POSTGRES_CONNECT_TIMEOUT` seconds for a free connection, then fails with `PoolTimeout`, which the
API answers with 503 and Retry-After (api/problems.py). Connections that must stay open for the
life of something (the process's LISTEN, its leases) are not taken from the pool: `conninfo_of()`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

RECONNECT_DELAY_CAP = 5.0  # seconds between a pool's attempts to reconnect, at most


def _capped_backoff() -> None:
    """psycopg_pool doubles the wait between its attempts to reconnect without a cap (1, 2, 4 ... 128 s), so a process
    could answer 503 for two minutes after its database came back. At most RECONNECT_DELAY_CAP: it is back within
    seconds. (The pool has no option for it; this wraps its backoff's one method.)"""
    update_delay = AttemptWithBackoff.update_delay
    if getattr(update_delay, "capped", False):
        return

    def capped(self: AttemptWithBackoff, now: float) -> None:
        update_delay(self, now)
        self.delay = min(self.delay, RECONNECT_DELAY_CAP)

    capped.capped = True  # type: ignore[attr-defined]
    AttemptWithBackoff.update_delay = capped  # type: ignore[method-assign]


_capped_backoff()
_lock = threading.Lock()
_shared: dict[tuple[str, ...], _Entry] = {}


class _Entry:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.handles = 0


class SharedDatastore(PostgresDatastore):
    """A share of a process-wide datastore: the same pool, schema and settings; closing it closes the
    pool only when it is the last share."""

    _key: tuple[str, ...]
    _closed: bool

    def close(self) -> None:
        with _lock:
            if getattr(self, "_closed", True):
                return
            self._closed = True
            entry = _shared.get(self._key)
            if entry is None:
                return
            entry.handles -= 1
            if entry.handles == 0:
                del _shared[self._key]
                entry.datastore.close()

    def __del__(self) -> None:
        self.close()

    @contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[Any]]:
        """The library's, except that a pool that waited in vain for a connection raises psycopg's `PoolTimeout`
        itself: the library's recorders retry its `OperationalError` ten times, and ten waits of the pool's timeout
        made a request wait 50 s while the database was away, where it should answer 503 after one (issue 10)."""
        try:
            with super().get_connection() as conn:
                yield conn
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                raise error.__cause__ from None
            raise


def _key(datastore: PostgresDatastore) -> tuple[str, ...]:
    kwargs = datastore.pool.kwargs
    return (str(kwargs.get("host")), str(kwargs.get("port")), str(kwargs.get("dbname")), str(kwargs.get("user")),
            datastore.schema)


def share(datastore: PostgresDatastore) -> SharedDatastore:
    """A share of the process's datastore for `datastore`'s database and schema (which becomes it, the
    first time; a later one is dropped unopened)."""
    key = _key(datastore)
    with _lock:
        entry = _shared.get(key)
        if entry is None:
            entry = _shared[key] = _Entry(datastore)
        elif entry.datastore is not datastore:
            datastore.pool.close()  # never opened: it holds no connection
        entry.handles += 1
        handle = SharedDatastore.__new__(SharedDatastore)
        handle.__dict__.update(entry.datastore.__dict__)  # the same pool and type caches, by reference
        handle._key, handle._closed = key, False
        return handle


class SharedPoolFactory(PostgresFactory):
    """The library's PostgreSQL factory, on the process's one pool (PERSISTENCE_MODULE names it)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.datastore = share(self.datastore)


def datastore_for(env: dict[str, str]) -> SharedDatastore:
    """A share of the process's datastore for the database and schema `env` names (for code that is
    no application or view of the library, such as the local accounts and the access log's reads)."""
    from eventsourcing.utils import Environment

    return SharedPoolFactory(Environment("", {**os.environ, **env})).datastore


@contextmanager
def borrowed(store: PostgresDatastore) -> Iterator[psycopg.Connection[Any]]:
    """A connection of the store's pool (autocommit), with psycopg's plain tuple rows while it is held."""
    store.pool.open(wait=False)
    with store.pool.connection() as conn:
        conn.row_factory = tuple_row
        try:
            yield conn
        finally:
            conn.row_factory = dict_row  # as the library's recorders expect it


def connection_name(purpose: str) -> str:
    """`application_name` for a connection outside the pool: the process's name (PGAPPNAME, which the
    pool's connections carry as they are) and what the connection is for, so pg_stat_activity shows
    whose every connection is."""
    return f"{os.environ.get('PGAPPNAME', 'waakvlam')} {purpose}"


def conninfo_of(datastore: PostgresDatastore) -> str:
    """The connection string of the datastore's database, for a connection outside its pool."""
    kwargs = datastore.pool.kwargs
    return make_conninfo(**{k: v for k, v in kwargs.items() if k != "row_factory" and v not in (None, "")})
