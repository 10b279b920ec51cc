"""The waakvlam schedule at 100,000 households: GET /api/schedule, due/overdue first.

    store    100,000 households told by the real domain code on the in-memory store (one process per
             core): registered over the last months at a mix of intensities, 40 teams of 10
             coordinators, about a third seen once since, one in twenty closed. The events are
             bulk-loaded (COPY) into a fresh schema, in the order they happened.
    build    the schedule view built from that store by the real rebuild (events/s)
    reads    GET /api/schedule through the real HTTP server (uvicorn, as `waakvlam api` runs it, with the
             NEN 7513 access log writing an entry per household shown), one keep-alive client: a team's
             next 14 days and its overdue check-ins (asked by its team lead), a coordinator's next 14 days
             (asked by the coordinator); random teams and coordinators; p50/p99, target p99 <= 20 ms

    .venv/bin/python benchmarks/schedule.py                        # the issue's size (a few minutes)
    .venv/bin/python benchmarks/schedule.py --households 10000     # a quicker look

DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory; a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import heapq
import multiprocessing
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.sql import SQL, Identifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.read_path import Client, Latency, env_for
from benchmarks.store import MEMORY, Unsealed, _copy, _notifications, in_time_order
from benchmarks.tokens import Issuer
from benchmarks.write_path import database, fresh_schema, http_server, machine_busy, server_facts
from domain.application import Households
from domain.values import DEFAULT_CADENCE, local_date
from projections.schedule import ScheduleProjection, ScheduleView
from projections.versions import open_reader
from workers.runner import rebuild

TARGET_P99_MS = 20.0
TEAMS, COORDINATORS_PER_TEAM = 40, 10
LEVELS = (("waakvlam", 40), ("licht", 35), ("intensief", 20), ("crisis", 5))


def _tell(args: tuple[int, int, int, datetime]) -> tuple[list[tuple[bytes, Any]], float]:
    """Households `first` .. `first + count - 1` on the in-memory store; their events in time order."""
    first, count, seed, now = args
    started = time.perf_counter()
    rng = random.Random(seed)
    app = Unsealed(env=MEMORY)
    levels = [level for level, weight in LEVELS for _ in range(weight)]
    try:
        for n in range(first, first + count):
            intensity = rng.choice(levels)
            cadence = DEFAULT_CADENCE[intensity]
            team = n % TEAMS
            # Registered up to 1.2 cadences ago: most check-ins still ahead, some overdue.
            registered = now - timedelta(days=rng.uniform(0, 1.2 * cadence), hours=rng.uniform(0, 8))
            household = app.register(actor="bench", label=f"Fam. {n}", team=f"Wijkteam {team:02d}",
                                     intensity=intensity, occurred_at=registered).household_id
            app.assign_coordinator(household, actor="bench", coordinator=f"coord-{team:02d}-{n % 10}",
                                   occurred_at=registered + timedelta(minutes=5))
            if rng.random() < 0.33:  # seen since: the visit completes the check-in, the next one is planned
                seen = registered + (now - registered) * rng.uniform(0.3, 0.95)
                check_in = app.get(household).next_check_in["id"]
                app.complete_check_in(household, check_in, actor="bench", kind="huisbezoek", occurred_at=seen)
            if rng.random() < 0.05:
                app.close_household(household, actor="bench", reason_code="goals_achieved",
                                    occurred_at=now - timedelta(minutes=rng.uniform(1, 60)))
        events, _ = in_time_order(_notifications(app))
    finally:
        app.close()
    return events, time.perf_counter() - started


def fill(url: str, schema: str, households: int) -> tuple[int, float]:
    """Tell and load the households; (events stored, seconds)."""
    started = time.perf_counter()
    env = env_for(url, schema)
    app = Households(env=env)  # creates the tables
    events_table = app.recorder.events_table_name
    app.close()
    workers = max(1, min(2, os.cpu_count() or 1))
    now = datetime.now(UTC)
    shares = [households // workers + (1 if n < households % workers else 0) for n in range(workers)]
    jobs = [(sum(shares[:n]), shares[n], 2026 + n, now) for n in range(workers)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        made = list(pool.map(_tell, jobs))
    with psycopg.connect(url) as conn:
        _copy(conn, schema, events_table, (row for _, row in heapq.merge(*(m for m, _ in made), key=itemgetter(0))))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("VACUUM ANALYZE {0}.{1}").format(Identifier(schema), Identifier(events_table)))
        (stored,) = conn.execute(SQL("SELECT count(*) FROM {0}.{1}").format(
            Identifier(schema), Identifier(events_table))).fetchone()
    return stored, time.perf_counter() - started


Request = tuple[str, dict[str, str]]  # a path, and the Authorization header of who asks


def bench(port: int, requests_: list[Request], label: str, requests: int) -> Latency:
    client = Client(port)
    for path, as_user in requests_[:100]:  # warm the connection, the pool and PostgreSQL's caches
        client.timed(path, as_user)
    return Latency(label, [client.timed(*random.choice(requests_)) for _ in range(requests)])


def run(households: int, requests: int, workdir: Path) -> int:
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.node()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · machine busy before start: {machine_busy():.0%}", flush=True)
    with database(workdir) as (url, where), fresh_schema(url) as schema:
        print(f"# PostgreSQL: {where} · {server_facts(url)}", flush=True)
        events, seconds = fill(url, schema, households)
        print(f"store: {households:,} households, {events:,} events, told and loaded in {seconds:.0f} s", flush=True)
        env = env_for(url, schema)
        result = rebuild(ScheduleProjection, ScheduleView, env)
        print(f"build: schedule view from the store, {result}", flush=True)

        view = open_reader(ScheduleProjection.name, ScheduleView, env)
        today = local_date(datetime.now(UTC))
        with view.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("ANALYZE {0}").format(Identifier(schema, f"schedule_v{result.version}")))
            curs.execute(SQL("SELECT count(*) AS open, count(*) FILTER (WHERE due < %s) AS overdue,"
                             " count(*) FILTER (WHERE due <= %s) AS due_14 FROM {0}.schedule WHERE due IS NOT NULL"
                             ).format(Identifier(schema)), (today, today + timedelta(days=14)))
            counts = curs.fetchone()
        view.datastore.close()
        print(f"view: {counts['open']:,} open check-ins, {counts['overdue']:,} overdue, "
              f"{counts['due_14']:,} due within 14 days (incl. overdue); "
              f"per team about {counts['due_14'] // TEAMS:,}, per coordinator about "
              f"{counts['due_14'] // (TEAMS * COORDINATORS_PER_TEAM):,}", flush=True)

        # Each list is asked for by someone who may see it (api/authz.py): a team's by its team lead, a
        # coordinator's by that coordinator; tokens from a local OIDC issuer (benchmarks/tokens.py).
        issuer = Issuer()
        leads = {t: issuer.header(f"lead-{t:02d}", "team_lead", f"Wijkteam {t:02d}") for t in range(TEAMS)}
        teams = [(f"/api/schedule?team={quote(f'Wijkteam {t:02d}')}&within_days=14", leads[t]) for t in range(TEAMS)]
        coordinators = [(f"/api/schedule?coordinator=coord-{t:02d}-{c}&within_days=14",
                         issuer.header(f"coord-{t:02d}-{c}", "coordinator", f"Wijkteam {t:02d}"))
                        for t in range(TEAMS) for c in range(COORDINATORS_PER_TEAM)]
        overdue = [(f"/api/schedule?team={quote(f'Wijkteam {t:02d}')}&within_days=0{limit}", leads[t])
                   for t in range(TEAMS) for limit in ("", "&limit=500")]
        kinds = [(teams, "team lead: the team's next 14 days (first 100)"),
                 (coordinators, "coordinator: own next 14 days"),
                 (overdue, "team lead: the team's overdue (pages of 100 or 500)")]
        results: dict[str, list[Latency]] = {}
        # As it runs (each answer logged in the NEN 7513 access log), then without the log, for its share.
        for logging, setting in (("on", "on"), ("off", "off")):
            with http_server(url, schema, workdir / f"api-{logging}.log",
                             extra_env={**issuer.server_env(), "WAAKVLAM_ACCESS_LOG": setting}) as server:
                port = server.port  # type: ignore[attr-defined]
                results[logging] = [bench(port, paths, f"{label} [log {logging}]", requests)
                                    for paths, label in kinds]
        print()
        for latency in results["on"]:
            print(f"{latency}  {'met' if latency.p99 <= TARGET_P99_MS else 'MISSED'} (p99 <= {TARGET_P99_MS} ms)")
        for latency in results["off"]:
            print(f"{latency}  (the access log switched off, for comparison)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000, help="timed requests per kind of query")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-schedule-"))
    try:
        return run(args.households, args.requests, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
