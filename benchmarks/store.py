"""A large, realistic and valid event store for read and rebuild benchmarks, filled fast.

The events are made by the real domain code: `waakvlam.demo.load_demo` tells household stories
(about 77 events each) command by command through `Households` on the in-memory store, and one
household gets a long history of exactly `long_history` events (for `as_of` benchmarks). The
stored events are then bulk-loaded with COPY into the `Households` application's tables in a
PostgreSQL schema, the snapshots too, so that `Households(env).repository.get(id)` on PostgreSQL
replays every household as if the commands had been sent to it.

Fast, because:
  * generation keeps each household in the aggregate cache and does not deep-copy it per command
    (`DEEPCOPY_FROM_AGGREGATE_CACHE=n`): the copy only protects the cache from a refused command
    that changed the aggregate halfway, and the demo sends no refused commands (one would end the
    fill with its error), so the events are the same as with the copy, at twice the speed;
  * large stores are generated in one process per core (household slices with their own seeds);
  * the events go in with one COPY (binary) in one transaction.

Realistic order: the events are written in the order they happened (`occurred_at`; the workers'
streams merged), not household after household, so a household's events are spread over the log
and the table as in a store that grew over two years. A household's events always keep their
version order in notification order, so projections can rebuild from the log. When it happened
(`occurred_at`) spans two years (the long household: LONG_SPAN); when it was recorded (the event's
`timestamp`) is the moment of the fill, as if all of it had been typed in today. The same seed and
the same day give the same stories (only the ids differ).

    .venv/bin/python benchmarks/store.py --events 1000000 --schema bench_big
    .venv/bin/python benchmarks/store.py --events 10000               # small; schema bench_store

It uses DATABASE_URL when set, else an embedded PostgreSQL (pgserver) in a temporary directory,
deleted at the end (then the figures are all that remains). From code:

    from benchmarks.store import fill
    info = fill(url, "bench_big", events=1_000_000)   # StoreInfo(events, households, long_household, ...)
"""

from __future__ import annotations

import argparse
import heapq
import math
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from domain.application import Households, Outcome
from domain.values import SupportLevel, shares_outside_the_team
from waakvlam.database import eventsourcing_env
from waakvlam.demo import (
    AGREEMENTS,
    CO,
    CONSENT_PURPOSE,
    EK,
    GOALS,
    GOING_BADLY,
    GOING_WELL,
    INTENS,
    INTERVENTIONS,
    LICHT,
    NW,
    SMALL_SIGNALS,
    VR,
    load_demo,
)
from waakvlam.settings import Settings

EVENTS_PER_HOUSEHOLD = 78  # what load_demo makes on average (78.2 measured over 200 households)
PARALLEL_FROM = 50_000  # fewer events are generated in this process: starting workers costs more
LONG_SPAN = timedelta(days=700)  # the long household's history ends now and starts this long ago
LONG_TEAM, LONG_COORDINATOR, LONG_GENERALISTS = "Wijkteam Noord", "bram", ("anna", "joost")
VERIFY_SAMPLE = 20  # households replayed from PostgreSQL at the end of every fill (and the long one)
# The in-memory store the events are made on; see the module's docstring for the cache settings.
class Unsealed(Households):
    """The households, writing their events unsealed (domain/erasure.py): the keys of an in-memory store do not
    travel with its copied events, and events without a sealed part read as they are. So the benchmark store
    holds no personal data sealed, and reads of it skip decryption (benchmarks/encryption.py measures that)."""

    def construct_mapper(self) -> Any:
        return self.factory.mapper(transcoder=self.construct_transcoder())


MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo", "AGGREGATE_CACHE_MAXSIZE": "256",
          "DEEPCOPY_FROM_AGGREGATE_CACHE": "n"}
OCCURRED_AT = b'"occurred_at":{"_type_":"datetime_iso","_data_":"'
COLUMNS = SQL("(originator_id, originator_version, topic, state)")
COPY_TYPES = ["uuid", "int8", "text", "bytea"]


@dataclass(frozen=True)
class StoreInfo:
    events: int  # rows in the events table
    households: int  # including the long one
    long_household: UUID
    seconds: float  # the whole fill: tables, generation, COPY, VACUUM ANALYZE and the replay check
    long_events: int = 0  # the long household's version (= its number of events)
    snapshots: int = 0  # rows in the snapshots table
    workers: int = 1
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase


Row = tuple[UUID, int, str, bytes]  # originator_id, originator_version, topic, state


@dataclass(frozen=True)
class _Job:
    """One worker's share: at least `households` demo households and `events` events."""

    seed: int
    households: int
    events: int  # of the demo households
    today: datetime
    long_history: int  # 0: this worker makes no long household


@dataclass
class _Made:
    events: list[tuple[bytes, Row]]  # in time order, each with its time
    snapshots: list[Row]
    versions: dict[UUID, int]  # household -> last version
    long_household: UUID | None
    seconds: float
    cpu: float  # CPU seconds of the worker's process


# ---- the fill ------------------------------------------------------------------


def fill(url: str, schema: str, *, events: int, seed: int = 2026, long_history: int = 2000,
         households: int = 0, workers: int | None = None) -> StoreInfo:
    """Fill `schema` (created when missing; its events table must be empty) with at least `events`
    events: demo households (at least `households` of them) and one household of exactly
    `long_history` events, whose id is returned as `long_household`."""
    if long_history < 10:
        raise ValueError("long_history is at least 10 events")
    started = time.perf_counter()
    phases: dict[str, float] = {}
    env = _pg_env(url, schema)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(schema)))
    app = Households(env=env)  # creates the tables, the insert function and the idempotency table
    try:
        events_table, snapshots_table = app.recorder.events_table_name, app.snapshots.recorder.events_table_name
    finally:
        app.close()
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute(SQL("SELECT EXISTS (SELECT FROM {0}.{1})").format(
                Identifier(schema), Identifier(events_table))).fetchone()[0]:
            raise ValueError(f"the events table of schema {schema!r} is not empty")

    demo_events = max(0, events - long_history)
    demo_households = max(households, math.ceil(demo_events / EVENTS_PER_HOUSEHOLD))
    if workers is None:
        workers = 1 if demo_events < PARALLEL_FROM else max(1, min(2, os.cpu_count() or 1))
    workers = max(1, min(workers, demo_households or 1))
    today = datetime.now(UTC)
    jobs = [_Job(seed=seed + 100_003 * n,
                 households=_share(demo_households, workers, n), events=_share(demo_events, workers, n),
                 today=today, long_history=long_history if n == 0 else 0) for n in range(workers)]
    mark = time.perf_counter()
    phases["tables"] = mark - started
    if workers == 1:
        made = [_generate(jobs[0])]
    else:
        # fork: a caller's script need not guard its main module (as spawn needs); nothing of ours holds a
        # thread or a connection here
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            made = list(pool.map(_generate, jobs))
    phases["generate (slowest worker)"] = max(m.seconds for m in made)
    phases["generate CPU (all workers)"] = sum(m.cpu for m in made)
    phases["generate, total"] = time.perf_counter() - mark

    # One COPY of all workers' events merged in time order: notification order, heap order and time
    # order agree, as in a store that grew over the years. One transaction: all events or none.
    mark = time.perf_counter()
    with psycopg.connect(url) as conn:
        _copy(conn, schema, events_table, (row for _, row in heapq.merge(*(m.events for m in made),
                                                                          key=itemgetter(0))))
        _copy(conn, schema, snapshots_table, (row for m in made for row in m.snapshots))
    phases["copy"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in (events_table, snapshots_table):
            conn.execute(SQL("VACUUM ANALYZE {0}.{1}").format(Identifier(schema), Identifier(table)))
        stored = conn.execute(SQL("SELECT count(*) FROM {0}.{1}").format(
            Identifier(schema), Identifier(events_table))).fetchone()[0]
    phases["vacuum analyze"] = time.perf_counter() - mark

    versions = {hid: version for m in made for hid, version in m.versions.items()}
    (long_household,) = (m.long_household for m in made if m.long_household is not None)
    generated = sum(len(m.events) for m in made)
    if stored != generated:
        raise AssertionError(f"{generated} events were made but the events table holds {stored}")
    mark = time.perf_counter()
    sample = random.Random(seed).sample(sorted(versions), min(VERIFY_SAMPLE, len(versions)))
    check_replay(env, {hid: versions[hid] for hid in [long_household, *sample]})
    phases["replay check"] = time.perf_counter() - mark
    return StoreInfo(events=stored, households=len(versions), long_household=long_household,
                     seconds=time.perf_counter() - started, long_events=versions[long_household],
                     snapshots=sum(len(m.snapshots) for m in made), workers=workers, phases=phases)


def check_replay(env: dict[str, str], versions: dict[UUID, int]) -> None:
    """Every household replays from PostgreSQL, from no cache, to the version it was made with."""
    app = Households(env={**env, "AGGREGATE_CACHE_MAXSIZE": ""})
    try:
        for household_id, version in versions.items():
            replayed = app.repository.get(household_id).version
            if replayed != version:
                raise AssertionError(f"household {household_id} replays to version {replayed}, not {version}")
    finally:
        app.close()


def _pg_env(url: str, schema: str) -> dict[str, str]:
    return eventsourcing_env(Settings(DATABASE_URL=url, POSTGRES_SCHEMA=schema, WAAKVLAM_POOL_SIZE=2), url)


def _share(total: int, parts: int, n: int) -> int:
    return total // parts + (1 if n < total % parts else 0)


# ---- one worker ----------------------------------------------------------------


def _generate(job: _Job) -> _Made:
    started, cpu = time.perf_counter(), time.process_time()
    app = Unsealed(env=MEMORY)
    try:
        ids = load_demo(app, seed=job.seed, households=job.households, today=job.today) if job.households else []
        batch = 0
        while (made := app.recorder.max_notification_id() or 0) < job.events:
            batch += 1  # load_demo's households vary in length: top up to the share of events
            missing = job.events - made
            ids += load_demo(app, seed=job.seed + batch, households=math.ceil(missing / EVENTS_PER_HOUSEHOLD) + 1,
                             today=job.today)
        long_household = None
        if job.long_history:
            long_household = tell_long_history(app, random.Random(job.seed), job.today, job.long_history)
            ids.append(long_household)
        events, versions = in_time_order(_notifications(app))
        snapshots = [(s.originator_id, s.originator_version, s.topic, s.state)
                     for hid in ids for s in app.snapshots.recorder.select_events(hid)]
    finally:
        app.close()
    return _Made(events, snapshots, versions, long_household, time.perf_counter() - started,
                 time.process_time() - cpu)


def _notifications(app: Households, page: int = 10_000) -> Iterator[Any]:
    start = 1
    while notifications := app.recorder.select_notifications(start, page):
        yield from notifications
        start = notifications[-1].id + 1


def in_time_order(notifications: Iterable[Any]) -> tuple[list[tuple[bytes, Row]], dict[UUID, int]]:
    """The events in the order they happened (`occurred_at`), each household's in version order
    (an event that says it happened earlier than the one before it keeps its place in its
    household), each with the time it is ordered by; and each household's last version."""
    latest: dict[UUID, bytes] = {}
    versions: dict[UUID, int] = {}
    keyed = []
    for n in notifications:
        at = n.state.find(OCCURRED_AT)
        key = n.state[at + len(OCCURRED_AT):n.state.find(b'"', at + len(OCCURRED_AT))] if at >= 0 else b""
        key = max(key, latest.get(n.originator_id, b""))  # all UTC, one ISO format: compares as text
        latest[n.originator_id] = key
        versions[n.originator_id] = n.originator_version
        keyed.append((key, n.id, (n.originator_id, n.originator_version, n.topic, n.state)))
    keyed.sort(key=lambda item: item[:2])
    return [(key, row) for key, _, row in keyed], versions


def _copy(conn: psycopg.Connection, schema: str, table: str, rows: Iterable[Row]) -> None:
    statement = SQL("COPY {0}.{1} {2} FROM STDIN (FORMAT BINARY)").format(Identifier(schema), Identifier(table),
                                                                         COLUMNS)
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(COPY_TYPES)
        for row in rows:
            copy.write_row(row)


# ---- the long household --------------------------------------------------------


def tell_long_history(app: Households, rng: random.Random, today: datetime, events: int) -> UUID:
    """A household of exactly `events` (>= 10) events over LONG_SPAN up to `today`: check-ins, contacts,
    assessments, signals, goals, agreements, interventions and changes of intensity, command by command."""
    first = today - LONG_SPAN
    moment = first

    def at(version: int) -> datetime:
        nonlocal moment
        planned = first + LONG_SPAN * (version / events)
        moment = min(today, max(moment + timedelta(minutes=rng.randint(2, 30)), planned))
        return moment.replace(second=0, microsecond=0)

    def actor() -> str:
        return rng.choice([LONG_COORDINATOR, LONG_COORDINATOR, *LONG_GENERALISTS])

    def contact(version: int, **fields: Any) -> dict[str, Any]:
        good = rng.random() < 0.6
        return {"actor": actor(), "kind": rng.choice(["huisbezoek", "telefonisch", "digitaal", "overleg"]),
                "summary": f"Contact: {rng.choice(GOING_WELL if good else GOING_BADLY)}.",
                "life_domains": rng.sample(sorted(GOALS), 2), "occurred_at": at(version), **fields}

    outcome = app.register(actor="carla", label="Fam. Langeveld", team=LONG_TEAM, intensity=INTENS,
                           occurred_at=at(1))
    hid = outcome.household_id
    outcome = app.assign_coordinator(hid, actor="carla", coordinator=LONG_COORDINATOR, occurred_at=at(3))
    for name, role, born in (("Petra Langeveld", "hoofdbewoner", 1984), ("Daan Langeveld", "kind", 2014)):
        outcome = app.add_member(hid, actor=LONG_COORDINATOR, name=name, role=role, birth_year=born,
                                 occurred_at=at(outcome.version + 1))
    goals: list[str] = []
    agreements: list[str] = []
    interventions: list[str] = []
    light = [i for i in INTERVENTIONS if i[0] in (EK, NW, VR, CO)]  # no handover needed
    consented: set[str] = set()  # the volunteer organisations the household consented to (until withdrawn)
    while (version := outcome.version) < events:
        roll = rng.random() if events - version > 4 else 0.5  # the last few: single-event contacts
        step = version + 1
        if roll < 0.40:  # three events: the contact, the check-in completed, the next one scheduled
            check_in = app.get(hid).next_check_in["id"]
            outcome = app.complete_check_in(hid, check_in, **contact(step))
        elif roll < 0.70:
            outcome = app.record_contact(hid, **contact(step))
        elif roll < 0.77:
            scores = {domain: rng.randint(1, 5) for domain in rng.sample(sorted(GOALS), 4)}
            outcome = app.record_assessment(hid, actor=LONG_COORDINATOR, scores=scores, occurred_at=at(step))
        elif roll < 0.82:
            source, description, domains, urgency = rng.choice(SMALL_SIGNALS)
            outcome = app.record_signal(hid, actor=actor(), source=source, description=description,
                                        life_domains=domains, urgency=urgency, occurred_at=at(step))
        elif roll < 0.87 and len(goals) >= 3:
            outcome = app.achieve_goal(hid, goals.pop(0), actor=LONG_COORDINATOR, note="Doel behaald.",
                                       occurred_at=at(step))
        elif roll < 0.87:
            domain = rng.choice(sorted(GOALS))
            outcome = app.set_goal(hid, actor=LONG_COORDINATOR, life_domain=domain,
                                   description=rng.choice(GOALS[domain]), occurred_at=at(step))
            goals.append(_item(outcome))
        elif roll < 0.93 and len(agreements) >= 3:
            outcome = app.complete_agreement(hid, agreements.pop(0), actor=LONG_COORDINATOR, note="Gedaan.",
                                             occurred_at=at(step))
        elif roll < 0.93:
            _, who, what = rng.choice(AGREEMENTS)
            name = {"hh": "Petra Langeveld", "net": "Oma Langeveld", "coord": LONG_COORDINATOR}.get(who, "anna")
            when = at(step)
            outcome = app.make_agreement(hid, actor=LONG_COORDINATOR, who=name, what=what,
                                         due=(when + timedelta(days=rng.randint(7, 42))).date(), occurred_at=when)
            agreements.append(_item(outcome))
        elif roll < 0.96 and len(interventions) >= 2:
            outcome = app.end_intervention(hid, interventions.pop(0), actor=LONG_COORDINATOR,
                                           outcome="Afgerond; doel bereikt", occurred_at=at(step))
        elif roll < 0.96:
            support, _, description, provider = rng.choice(light)
            if shares_outside_the_team(SupportLevel(support), provider) and provider not in consented:
                # the volunteer organisation gets the household's data: its consent first, the help a later turn
                outcome = app.record_consent(hid, actor=LONG_COORDINATOR, given_by="Petra Langeveld", party=provider,
                                             purpose=CONSENT_PURPOSE[support], occurred_at=at(step))
                consented.add(provider)
            else:
                outcome = app.start_intervention(hid, actor=LONG_COORDINATOR, support_level=support,
                                                 description=description.format(net="Oma Langeveld"),
                                                 provider=provider, occurred_at=at(step))
                interventions.append(_item(outcome))
        elif app.get(hid).intensity == INTENS:
            outcome = app.de_escalate(hid, actor=LONG_COORDINATOR, to_level=LICHT,
                                      reason="Situatie stabieler, afspraken worden nagekomen.", occurred_at=at(step))
        else:  # up to two events: escalated, and the check-in brought forward
            outcome = app.escalate(hid, actor=LONG_COORDINATOR, to_level=INTENS,
                                   reason="Problemen stapelen zich op; wekelijks contact.", occurred_at=at(step))
    return hid


def _item(outcome: Outcome) -> str:
    assert outcome.item_id is not None
    return outcome.item_id


# ---- the command line ----------------------------------------------------------


def _other_load(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine over `seconds`, before the fill starts (from /proc/stat)."""

    def busy_and_total() -> tuple[float, float]:
        try:
            fields = [float(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0.0, 0.0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
        return sum(fields[:8]) - idle, sum(fields[:8])

    (busy_before, total_before) = busy_and_total()
    time.sleep(seconds)
    busy_after, total_after = busy_and_total()
    if total_after <= total_before:
        return 0.0
    return (os.cpu_count() or 1) * (busy_after - busy_before) / (total_after - total_before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="at least this many events (default 1000000)")
    parser.add_argument("--households", type=int, default=0, help="at least this many demo households")
    parser.add_argument("--schema", default="bench_store", help="PostgreSQL schema to fill (default bench_store)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--long-history", type=int, default=2000, help="events of the long household")
    parser.add_argument("--workers", type=int, help="generating processes (default: 1 for small stores, else 2)")
    parser.add_argument("--replace", action="store_true", help="drop the schema first, if it exists")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-store-"))
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from benchmarks.write_path import database  # the same database choice as the other benchmarks

        with database(workdir) as (url, where):
            if args.replace:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(args.schema)))
            busy = _other_load()
            print(f"filling schema {args.schema} ({where}) with at least {args.events:,} events; "
                  f"{os.cpu_count()} cores, other load before starting: {busy:.2f} cores busy"
                  + ("  <-- the machine is not idle: the time will be long and noisy" if busy > 0.2 else ""),
                  flush=True)
            info = fill(url, args.schema, events=args.events, seed=args.seed, long_history=args.long_history,
                        households=args.households, workers=args.workers)
            print(f"events:         {info.events:,} in {info.seconds:.1f} s = {info.events / info.seconds:,.0f}/s "
                  f"({info.workers} worker(s))")
            print(f"households:     {info.households:,} (avg {info.events / info.households:.1f} events)")
            print(f"long household: {info.long_household} with {info.long_events:,} events")
            print(f"snapshots:      {info.snapshots:,}")
            print("phases:         " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in info.phases.items()))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
