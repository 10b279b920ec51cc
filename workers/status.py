"""Where each projection stands: its position, how far behind the store it is,
and whether a worker holds its lease (is actively running it)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import Households
from workers.projections import PROJECTIONS, lease_name


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int | None
    head: int | None
    lag: int  # events recorded in the store that this projection has not processed
    active: bool  # a worker holds its lease

    def __str__(self) -> str:
        state = "active" if self.active else "no worker"
        return (f"{self.name:<10} position {self.position or 0:>10}  head {self.head or 0:>10}"
                f"  lag {self.lag:>8}  {state}")


def projection_status(url: str, schema: str) -> list[ProjectionStatus]:
    events = SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{Households.name.lower()}_events"))
    statuses = []
    with psycopg.connect(url, autocommit=True) as conn:
        (head,) = conn.execute(SQL("SELECT max(notification_id) FROM {0}").format(events)).fetchone()
        for projection, _ in PROJECTIONS:
            tracking = SQL("{0}.{1}").format(Identifier(schema), Identifier(f"{projection.name}_tracking"))
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
                (lease_name(schema, projection.name),)).fetchone()
            statuses.append(ProjectionStatus(projection.name, position, head, lag, active))
    return statuses
