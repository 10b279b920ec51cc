"""Versioned read models: rebuild a projection while the old version keeps serving.

Each rebuildable projection NAME is stored in versioned tables, `NAME_vN` and
`NAME_vN_tracking`. Readers never see a version: they read the plain SQL views
`NAME` and `NAME_tracking`, which point at the active version. The table
`projection_versions` records which version is active.

A rebuild fills `NAME_vN+1` from the event store while version N keeps serving
and the worker keeps it current; when the new version has caught up, `switch()`
repoints both SQL views and the registry in one transaction. The worker sees
the new active version, moves over, and the old tables are dropped once no
worker holds their lease.
"""

from __future__ import annotations

import os
import re
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.conninfo import make_conninfo
from psycopg.sql import SQL, Identifier

from projections.chain import EVENTS_TABLE

REGISTRY = "projection_versions"
V = TypeVar("V", bound=PostgresTrackingRecorder)


def table_name(view: PostgresTrackingRecorder) -> str:
    """The view's own table: its tracking table's name without `_tracking`
    (`plan_v2_tracking` → `plan_v2`; a reader's `plan_tracking` → the SQL view `plan`)."""
    return view.tracking_table_name.removesuffix("_tracking")


def physical(name: str, version: int) -> str:
    return f"{name}_v{version}"


def store_head(view: PostgresTrackingRecorder) -> int:
    """The event store's last position, read through a view's connection (the events are in its database)."""
    datastore = view.datastore  # type: ignore[attr-defined]
    events = Identifier(EVENTS_TABLE)
    table = SQL("{0}.{1}").format(Identifier(datastore.schema), events) if datastore.schema else events
    with datastore.get_connection() as conn:
        row = conn.execute(SQL("SELECT coalesce(max(notification_id), 0) AS head FROM {0}").format(table)).fetchone()
    return int(row["head"])


def versioned(view_class: type) -> bool:
    return getattr(view_class, "versioned", True)


def conninfo(env: dict[str, str]) -> str:
    """The connection string of the database the environment names."""
    return make_conninfo(host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], dbname=env["POSTGRES_DBNAME"],
                         user=env["POSTGRES_USER"], password=env.get("POSTGRES_PASSWORD") or None)


def connect(env: dict[str, str]) -> psycopg.Connection[Any]:
    """A plain connection to that database (autocommit)."""
    return psycopg.connect(conninfo(env), connect_timeout=5, autocommit=True)


def construct(name: str, view_class: type[V], env: dict[str, str], *, create: bool) -> V:
    """A view object on the tables (or SQL views) called `name` and `name_tracking`."""
    settings = {**os.environ, **env, "CREATE_TABLE": "y" if create else "n"}
    return InfrastructureFactory.construct(Environment(name, settings)).tracking_recorder(view_class)


def _schema(env: dict[str, str]) -> Identifier:
    return Identifier(env.get("POSTGRES_SCHEMA") or "public")


def _lock(conn: psycopg.Connection[Any], env: dict[str, str]) -> None:
    """Serialise changes to the registry (within the caller's transaction)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{env.get('POSTGRES_SCHEMA')}.versions",))


def _create_registry(conn: psycopg.Connection[Any], env: dict[str, str]) -> None:
    conn.execute(SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (name text PRIMARY KEY, active integer NOT NULL,"
                     " switched_at timestamptz NOT NULL DEFAULT now())").format(_schema(env), Identifier(REGISTRY)))


def active_versions(env: dict[str, str]) -> dict[str, int]:
    with connect(env) as conn:
        try:
            rows = conn.execute(SQL("SELECT name, active FROM {0}.{1}").format(_schema(env), Identifier(REGISTRY)))
            return dict(rows.fetchall())
        except psycopg.errors.UndefinedTable:
            return {}


def _point(conn: psycopg.Connection[Any], env: dict[str, str], name: str, version: int) -> None:
    schema = _schema(env)
    for suffix in ("", "_tracking"):
        conn.execute(SQL("DROP VIEW IF EXISTS {0}.{1}").format(schema, Identifier(name + suffix)))
        conn.execute(SQL("CREATE VIEW {0}.{1} AS SELECT * FROM {0}.{2}").format(
            schema, Identifier(name + suffix), Identifier(physical(name, version) + suffix)))
    conn.execute(SQL("INSERT INTO {0}.{1} (name, active) VALUES (%s, %s) ON CONFLICT (name)"
                     " DO UPDATE SET active = EXCLUDED.active, switched_at = now()").format(
                         schema, Identifier(REGISTRY)), (name, version))


def ensure(name: str, view_class: type[V], env: dict[str, str]) -> int:
    """The active version of a projection, creating version 1 (tables and SQL views) the first time."""
    with connect(env) as conn, conn.transaction():
        _lock(conn, env)
        _create_registry(conn, env)
        found = conn.execute(SQL("SELECT active FROM {0}.{1} WHERE name = %s").format(
            _schema(env), Identifier(REGISTRY)), (name,)).fetchone()
        if found:
            return found[0]
        # Tables of an unversioned earlier release hold derived data only: drop them, version 1 rebuilds them.
        for suffix in ("", "_tracking"):
            if conn.execute("SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s",
                            (env.get("POSTGRES_SCHEMA") or "public", name + suffix)).fetchone():
                conn.execute(SQL("DROP TABLE {0}.{1}").format(_schema(env), Identifier(name + suffix)))
        construct(physical(name, 1), view_class, env, create=True).datastore.close()
        _point(conn, env, name, 1)
        return 1


def switch(name: str, version: int, env: dict[str, str]) -> None:
    """Make `version` the one readers see (both SQL views and the registry, in one transaction)."""
    with connect(env) as conn, conn.transaction():
        _lock(conn, env)
        _point(conn, env, name, version)


def stored_versions(name: str, env: dict[str, str]) -> list[int]:
    """The versions of a projection that have tables, active or not."""
    pattern = re.compile(rf"^{re.escape(name)}_v(\d+)$")
    with connect(env) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                            (env.get("POSTGRES_SCHEMA") or "public",)).fetchall()
    return sorted(int(m.group(1)) for (table,) in rows if (m := pattern.match(table)))


def drop(name: str, version: int, env: dict[str, str]) -> None:
    """Drop an inactive version's tables: `NAME_vN`, `NAME_vN_tracking`, and any other `NAME_vN_*`
    its view keeps beside them (the signal inbox keeps `signals_vN_contacts`)."""
    with connect(env) as conn, conn.transaction():
        _lock(conn, env)
        found = conn.execute(SQL("SELECT active FROM {0}.{1} WHERE name = %s").format(
            _schema(env), Identifier(REGISTRY)), (name,)).fetchone()
        if found and found[0] == version:
            raise ValueError(f"version {version} of {name} is active")
        table = physical(name, version)
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                              (env.get("POSTGRES_SCHEMA") or "public",)).fetchall()
        for each in [t for (t,) in tables if t == table or t.startswith(f"{table}_")]:
            conn.execute(SQL("DROP TABLE IF EXISTS {0}.{1}").format(_schema(env), Identifier(each)))


def open_reader(name: str, view_class: type[V], env: dict[str, str]) -> V:
    """The view readers use: the SQL views of the active version (or, for an
    unversioned view such as the hash chain, its one table)."""
    if not versioned(view_class):
        return construct(name, view_class, env, create=True)
    ensure(name, view_class, env)
    return construct(name, view_class, env, create=False)
