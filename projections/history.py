"""The audit history of one household, read straight from the event store.

Not a projection: every stored event of the household, in version order, with
its store position (notification id), who recorded it, when it happened, when
it was recorded, and every field it holds. Because nothing derived sits in
between, this is the source an auditor can hold the other views to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

# Attributes every event has; they are named at the top of a history entry.
_META = ("originator_id", "originator_version", "timestamp", "actor", "occurred_at")


def _plain(value: Any) -> Any:
    """`value` as JSON can hold it (ISO 8601 moments and dates, UUIDs as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def entry(event: Any, position: int) -> dict[str, Any]:
    """One history entry: the event's metadata at the top, its own fields under `fields`
    (nested, because an event may have a field named like the metadata, e.g. a contact's `kind`)."""
    return {
        "kind": type(event).__name__,
        "household_id": str(event.originator_id),
        "version": event.originator_version,
        "position": position,
        "actor": getattr(event, "actor", None),
        "occurred_at": _plain(getattr(event, "occurred_at", None)),
        "recorded_at": event.timestamp.isoformat(),
        "fields": {k: _plain(v) for k, v in vars(event).items() if k not in _META},
    }


def household_history(households: Any, household_id: UUID) -> list[dict[str, Any]]:
    """Every event of a household as a history entry, oldest first; [] when it has none.

    `households` is the application on PostgreSQL: its recorder's datastore holds
    the events table, whose notification_id is the event's store position."""
    recorder = households.recorder
    datastore = recorder.datastore
    query = SQL("SELECT notification_id, originator_version, topic, state FROM {0}.{1} "
                "WHERE originator_id = %s ORDER BY originator_version").format(
        Identifier(datastore.schema), Identifier(recorder.events_table_name))
    with datastore.transaction(commit=False) as curs:
        curs.execute(query, (household_id,), prepare=True)
        found = curs.fetchall()
    entries = []
    for row in found:
        stored = StoredEvent(originator_id=household_id, originator_version=row["originator_version"],
                             topic=row["topic"], state=bytes(row["state"]))
        entries.append(entry(households.mapper.to_domain_event(stored), row["notification_id"]))
    return entries


def json_lines(entries: list[dict[str, Any]]) -> Iterator[bytes]:
    for item in entries:
        yield json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
