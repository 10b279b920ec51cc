"""Where each projection stands: its active version, its position, how far behind
the store it is, and whether a worker holds its lease (is actively running it)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import Households
from projections import versions
from workers.lease import lease_name
from workers.projections import PROJECTIONS, table_of


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int | None  # None: not versioned (the hash chain)
    position: int | None
    head: int | None
    lag: int  # events recorded in the store that this projection has not processed
    active: bool  # a worker holds its lease

    def __str__(self) -> str:
        state = "active" if self.active else "no worker"
        version = f"v{self.version}" if self.version else "-"
        return (f"{self.name:<10} {version:<4} position {self.position or 0:>10}  head {self.head or 0:>10}"
                f"  lag {self.lag:>8}  {state}")


def projection_status(env: dict[str, str]) -> list[ProjectionStatus]:
    schema = Identifier(env.get("POSTGRES_SCHEMA") or "public")
    events = SQL("{0}.{1}").format(schema, Identifier(f"{Households.name.lower()}_events"))
    active_versions = versions.active_versions(env)
    statuses = []
    with versions.connect(env) as conn:
        (head,) = conn.execute(SQL("SELECT max(notification_id) FROM {0}").format(events)).fetchone()
        for projection, view in PROJECTIONS:
            version = active_versions.get(projection.name) if versions.versioned(view) else None
            table = table_of(projection.name, version)
            tracking = SQL("{0}.{1}").format(schema, Identifier(f"{table}_tracking"))
            try:
                (position,) = conn.execute(SQL("SELECT max(notification_id) FROM {0} WHERE application_name = %s"
                                               ).format(tracking), (Households.name,)).fetchone()
            except psycopg.errors.UndefinedTable:
                position = None
            (lag,) = conn.execute(SQL("SELECT count(*) FROM {0} WHERE notification_id > %s").format(events),
                                  (position or 0,)).fetchone()
            (active,) = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended(%s, 0))",
                (lease_name(env, table),)).fetchone()
            statuses.append(ProjectionStatus(projection.name, version, position, head, lag, active))
    return statuses
