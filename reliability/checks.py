"""What a run is judged by, read from the database afterwards: each acknowledged write in the store exactly
once, every view equal to one built from scratch from the events, the hash chain intact."""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass

from psycopg.sql import SQL, Identifier

from domain.application import Households
from projections import versions
from reliability.load import Ledger
from reliability.services import Service
from waakvlam.database import eventsourcing_env
from waakvlam.settings import Settings
from workers.projections import PROJECTIONS
from workers.runner import catch_up

MARK = re.compile(r"rel-[0-9a-f]{32}")
FRESH_VERSION = 999  # the from-scratch build's tables: NAME_v999, dropped after the comparison


@dataclass
class Writes:
    acknowledged: int
    lost: int  # acknowledged, not in the store
    twice: int  # marks found more than once
    unacknowledged_stored: int  # in the store, never acknowledged (the client gave up or the run ended)
    events: int


def env_of(service: Service) -> dict[str, str]:
    return eventsourcing_env(Settings(_env_file=None, DATABASE_URL=service.database.url,
                                      POSTGRES_SCHEMA=service.schema, WAAKVLAM_KEK=service.env["WAAKVLAM_KEK"]))


def count_writes(service: Service, ledger: Ledger) -> Writes:
    """Every contact in the store (decrypted, as the application reads it), by the mark in its summary."""
    app = Households(env={**env_of(service), "POSTGRES_POOL_SIZE": "1"})
    found: collections.Counter[str] = collections.Counter()
    events = 0
    try:
        position = 0
        while notifications := app.recorder.select_notifications(start=position, limit=5000,
                                                                 inclusive_of_start=False):
            for notification in notifications:
                events += 1
                if notification.topic.endswith("ContactRecorded"):
                    summary = getattr(app.mapper.to_domain_event(notification), "summary", "") or ""
                    found.update(MARK.findall(summary))
            position = notifications[-1].id
    finally:
        app.close()
    acknowledged = set(ledger.acknowledged)
    return Writes(acknowledged=len(acknowledged), lost=len(acknowledged - set(found)),
                  twice=sum(1 for count in found.values() if count > 1),
                  unacknowledged_stored=len(set(found) - acknowledged), events=events)


def views_against_rebuild(service: Service) -> dict[str, int]:
    """For each rebuildable view, the rows that differ between the live one and one folded now from every event
    (rows of either not in the other, duplicates counted). The projection worker must have caught up."""
    env = env_of(service)
    schema = Identifier(service.schema)
    differences = {}
    for projection, view_class in PROJECTIONS:
        if not versions.versioned(view_class):
            continue  # the hash chain and the notifications: evidence and messages, extended only, never rebuilt
        name = projection.name
        active = versions.active_versions(env)[name]
        fresh_name = versions.physical(name, FRESH_VERSION)
        versions.drop(name, FRESH_VERSION, env)
        fresh = versions.construct(fresh_name, view_class, env, create=True)
        try:
            catch_up(projection, fresh, env)
        finally:
            fresh.datastore.close()
        live_name = versions.physical(name, active)
        with service.database.connect() as conn:
            tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s",
                                                 (service.schema,))]
            differing = 0
            for table in tables:
                if not (table == live_name or table.startswith(f"{live_name}_")) or table.endswith("_tracking"):
                    continue
                other = fresh_name + table.removeprefix(live_name)
                # Rows as text: a view may hold json, which has no equality operator of its own.
                (count,) = conn.execute(SQL(
                    "SELECT (SELECT count(*) FROM (SELECT t::text FROM {0}.{1} t EXCEPT ALL"
                    " SELECT t::text FROM {0}.{2} t) a) + (SELECT count(*) FROM (SELECT t::text FROM {0}.{2} t"
                    " EXCEPT ALL SELECT t::text FROM {0}.{1} t) b)").format(
                        schema, Identifier(table), Identifier(other))).fetchone()
                differing += count
        versions.drop(name, FRESH_VERSION, env)
        differences[name] = differing
    return differences


def chain_intact(service: Service) -> tuple[bool, str]:
    from waakvlam.integrity import verify_url

    result = verify_url(service.database.url, service.schema)
    return bool(result.ok), str(result)
