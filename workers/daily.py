"""Jobs that run once a day, whichever worker gets there first.

A worker that finds a job not yet done today (the Dutch date) claims it by inserting the row (job, day); the
insert that wins runs the job, every other worker and every later cycle of the same day does nothing. A worker
killed mid-job leaves the day claimed: the job runs again the next day (each job here is safe to miss once:
a checkpoint is made on demand too, the retention report is repeated daily)."""

from __future__ import annotations

from datetime import date

import psycopg
from psycopg.sql import SQL, Identifier

TABLE = "daily_jobs"


def create_table(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(SQL("CREATE TABLE IF NOT EXISTS {0}.{1} (job text NOT NULL, day date NOT NULL,"
                     " claimed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (job, day))").format(
        Identifier(schema), Identifier(TABLE)))


def claim(conn: psycopg.Connection, schema: str, job: str, day: date) -> bool:
    """Whether this caller is the one to run `job` on `day` (committed at once: autocommit connection)."""
    found = conn.execute(SQL("INSERT INTO {0}.{1} (job, day) VALUES (%s, %s) ON CONFLICT DO NOTHING"
                             " RETURNING job").format(Identifier(schema), Identifier(TABLE)), (job, day)).fetchone()
    return found is not None
