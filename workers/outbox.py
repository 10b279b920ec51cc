"""The reminder worker's outbox in PostgreSQL: which reminders were decided (once per check-in and kind)
and the mails to send, each sealed with its household's data key (workers/reminders.py says how they are
used). Created once per schema, one creator at a time."""

from __future__ import annotations

from uuid import UUID

from psycopg.sql import SQL, Composed, Identifier

from projections import versions
from projections.notifications import ddl_lock, notifications_ddl

SCHEDULE = "schedule"


def qualified(schema: str, table: str) -> Composed:
    return SQL("{0}.{1}").format(Identifier(schema), Identifier(table))


def outbox_ddl(schema: str) -> list[Composed]:
    reminders, mails = qualified(schema, "reminders"), qualified(schema, "outgoing_mail")
    return [
        SQL("CREATE TABLE IF NOT EXISTS {0} ("
            " check_in_id text NOT NULL,"
            " kind text NOT NULL CHECK (kind IN ('due_soon', 'overdue')),"
            " due date NOT NULL,"  # the due date it was about
            " household_id uuid NOT NULL,"
            " recipients text[] NOT NULL,"
            " decided_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (check_in_id, kind, due))").format(reminders),
        # Overdue: once per check-in, whatever its due date did.
        SQL("CREATE UNIQUE INDEX IF NOT EXISTS {1} ON {0} (check_in_id) WHERE kind = 'overdue'").format(
            reminders, Identifier("reminders_overdue_once")),
        SQL("CREATE TABLE IF NOT EXISTS {0} ("
            " mail_id uuid PRIMARY KEY,"
            " message_id text NOT NULL,"
            " recipient text NOT NULL,"
            " message bytea NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now(),"
            " attempts integer NOT NULL DEFAULT 0,"
            " next_attempt_at timestamptz NOT NULL DEFAULT now(),"
            " last_error text,"
            " sent_at timestamptz,"
            " failed_at timestamptz,"
            " household_id uuid,"  # the household it is about (NULL: queued before this was kept, and not found)
            " sealed boolean NOT NULL DEFAULT false)").format(mails),  # message sealed with the household's key
        # Outboxes made before mails were sealed get the columns (their mails stay as they are).
        SQL("ALTER TABLE {0} ADD COLUMN IF NOT EXISTS household_id uuid").format(mails),
        SQL("ALTER TABLE {0} ADD COLUMN IF NOT EXISTS sealed boolean NOT NULL DEFAULT false").format(mails),
        SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL"
            ).format(mails, Identifier("outgoing_mail_pending")),
        *(SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (household_id)").format(table, Identifier(f"{name}_household"))
          for table, name in ((mails, "outgoing_mail"), (reminders, "reminders"))),
        # Such older mails' household, from their check-in (in the clear in their header): so that they are
        # deleted, unsent, when the household is forgotten.
        SQL("UPDATE {0} m SET household_id = r.household_id FROM {1} r WHERE m.household_id IS NULL"
            " AND NOT m.sealed AND r.check_in_id = substring(convert_from(m.message, 'UTF8')"
            " FROM 'X-Waakvlam-Check-In: ([^\\r\\n]+)')").format(mails, reminders),
    ]


def mail_aad(mail_id: UUID, household_id: UUID) -> bytes:
    """Binds a sealed mail to its row: it opens as no other mail, and for no other household."""
    return b"outgoing_mail:" + mail_id.bytes + household_id.bytes


def create_tables(env: dict[str, str]) -> None:
    """The outbox and notifications tables, and the schedule's SQL view (its projection's version 1 if new)."""
    from projections.schedule import ScheduleView

    schema = env.get("POSTGRES_SCHEMA") or "public"
    versions.ensure(SCHEDULE, ScheduleView, env)
    with versions.connect(env) as conn, conn.transaction():
        # One creator at a time: CREATE ... IF NOT EXISTS races with itself.
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (ddl_lock(schema),))
        for statement in [*notifications_ddl(schema), *outbox_ddl(schema)]:
            conn.execute(statement)
