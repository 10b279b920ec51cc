"""How many PostgreSQL connections each process takes, and whether the server has them (issue 10).

Every process has one pool (waakvlam/pool.py) that never grows past its size, and a few connections
of its own that live as long as the process: the API's access-log writer, the projection worker's
LISTEN and its leases, the reminder worker's two mail connections; and at most one short-lived one
(creating tables at start-up, the worker's look at which projection versions are active).
The sums are upper bounds: pg_stat_activity never shows more of a process than its budget.
`waakvlam run` checks them against the server before it starts anything, so a server that is
too small is a clear message at start-up, not 503s later.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from waakvlam.settings import Settings

REMINDER_POOL = 2  # the reminder worker's pool: its application's reads
LISTEN = 1  # a process's one LISTEN connection for all its subscriptions (waakvlam/listener.py)
ACCESS_LOG = 1  # the API's access-log writer (waakvlam/access_log.py)
CONTROL = 1  # one short-lived connection at a time: tables at start-up, the worker's look at the active versions
LEASES = 1  # the projection worker holds every lease on one session (workers/lease.py)
MAIL = 2  # the reminder worker's decision and delivery connections (workers/reminders.py)
# Left free for what an operator runs beside the service: `waakvlam projections`, `verify`,
# `rebuild`, `retention` (a pool of their own, at most WAAKVLAM_POOL_SIZE) and a psql or two.
COMMANDS = 2


@dataclass(frozen=True)
class Budget:
    api: int
    projection_worker: int
    reminder_worker: int
    commands: int

    @property
    def service(self) -> int:
        """What `waakvlam run` itself holds at most: one process of each."""
        return self.api + self.projection_worker + self.reminder_worker

    @property
    def total(self) -> int:
        return self.service + self.commands

    def lines(self) -> list[str]:
        return [f"  API process          {self.api:>3}  (WAAKVLAM_POOL_SIZE + {ACCESS_LOG} access-log writer"
                f" + {CONTROL} short-lived)",
                f"  projection worker    {self.projection_worker:>3}  (WAAKVLAM_WORKER_POOL_SIZE + {LISTEN} LISTEN"
                f" + {LEASES} for its leases + {CONTROL} short-lived)",
                f"  reminder worker      {self.reminder_worker:>3}  ({REMINDER_POOL} pool + {MAIL} for mail)",
                f"  commands and psql    {self.commands:>3}  (waakvlam projections/verify/rebuild, psql)",
                f"  together             {self.total:>3}"]


def budget(settings: Settings) -> Budget:
    return Budget(api=settings.pool_size + ACCESS_LOG + CONTROL,
                  projection_worker=settings.worker_pool_size + LISTEN + LEASES + CONTROL,
                  reminder_worker=REMINDER_POOL + MAIL,
                  commands=settings.pool_size + COMMANDS)


def usable_connections(conninfo: str) -> tuple[int, int]:
    """The server's max_connections and how many of them are not reserved for superusers."""
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as conn:
        settings = dict(conn.execute(
            "SELECT name, setting::int FROM pg_settings WHERE name IN"
            " ('max_connections', 'superuser_reserved_connections', 'reserved_connections')").fetchall())
    most = settings["max_connections"]
    return most, most - settings.get("superuser_reserved_connections", 0) - settings.get("reserved_connections", 0)


def shortfall(settings: Settings, conninfo: str) -> str | None:
    """Why the server cannot carry `waakvlam run` at these settings, or None when it can."""
    wanted = budget(settings)
    most, usable = usable_connections(conninfo)
    if wanted.total <= usable:
        return None
    return "\n".join([
        f"Waakvlam does not start: PostgreSQL allows {usable} connections (max_connections = {most}, less those "
        f"reserved for superusers), and this start needs {wanted.total}:", *wanted.lines(),
        "Raise max_connections (ALTER SYSTEM SET max_connections = ...; then restart PostgreSQL), or lower "
        "WAAKVLAM_POOL_SIZE / WAAKVLAM_WORKER_POOL_SIZE. See 'Connections' in the README."])
