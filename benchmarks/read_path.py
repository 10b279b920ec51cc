"""The read side at scale, in one run on one database: a small store and a large one.

    stores   a generated store of --small events (default 10,000) and one of --events (default 1,000,000)
             over 20,000 households, each with one household of 2,000 events (benchmarks/store.py)
    read     the raw rate of reading the events table (the library's paged select, undecoded, and decoded),
             beside which a full rebuild of caseload, plan and timeline is measured in events/s
    reads    GET plan and GET timeline through the real HTTP server, one keep-alive client,
             random households: p50/p99 on the small and the large store
    as_of    GET plan?as_of= on the 2,000-event household (every event up to that moment is folded): the first
             request after a server start (events read and decoded), and repeated ones at moments across
             its history (the server keeps the decoded events and reads only newer ones)
    lag      a projection worker on the large store and a steady 100 commands/s (POST contacts over HTTP):
             from the command's acknowledged commit to its position in each view (polled every 2 ms)

    .venv/bin/python benchmarks/read_path.py                   # the issue's sizes (about 15 minutes)
    .venv/bin/python benchmarks/read_path.py --events 100000 --households 0   # a quicker look

DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory; schemas of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.sql import SQL, Identifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.store import fill
from benchmarks.write_path import (
    ROOT,
    database,
    fresh_schema,
    http_server,
    machine_busy,
    server_facts,
    stop,
    wait_healthy,
)
from domain.application import Households
from waakvlam.database import eventsourcing_env
from waakvlam.settings import Settings
from workers.projections import PROJECTIONS
from workers.runner import rebuild

HEADERS = {"Authorization": "Bearer dev-anna", "Connection": "keep-alive"}
TARGET_READ_P99_MS = 15.0
TARGET_GROWTH = 1.3
TARGET_AS_OF_MS = 50.0
TARGET_LAG_P99_MS = 250.0
TARGET_REBUILD = 10_000.0
REBUILT = ("caseload", "plan", "timeline")
ROUNDS_COLD = 10  # server starts for the first as_of request


@dataclass
class Latency:
    name: str
    samples: list[float]  # ms

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return self.pct(0.99)

    def __str__(self) -> str:
        return f"{self.name:<44} n={len(self.samples):>5}  p50 {self.p50:7.2f} ms  p99 {self.p99:7.2f} ms"


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                as_user: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {**HEADERS, **(as_user or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=payload, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def timed(self, path: str, as_user: dict[str, str] | None = None) -> float:
        started = time.perf_counter()
        status, content = self.request("GET", path, as_user=as_user)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {content[:200]!r}")
        return elapsed


def env_for(url: str, schema: str) -> dict[str, str]:
    return eventsourcing_env(Settings(DATABASE_URL=url, POSTGRES_SCHEMA=schema))


# ---- reading the events table, and rebuilding ------------------------------------


def raw_read_rate(url: str, schema: str, batch: int = 5000) -> tuple[float, float]:
    """Events/s reading the whole events table as a rebuild does (paged select), undecoded and decoded."""
    app = Households(env={**env_for(url, schema), "POSTGRES_POOL_SIZE": "1"})
    try:
        rates = []
        for decode in (False, True):
            started, position, count = time.perf_counter(), 0, 0
            while True:
                notifications = app.recorder.select_notifications(start=position, limit=batch,
                                                                  inclusive_of_start=False)
                if not notifications:
                    break
                if decode:
                    for notification in notifications:
                        app.mapper.to_domain_event(notification)
                position, count = notifications[-1].id, count + len(notifications)
            rates.append(count / (time.perf_counter() - started))
        return rates[0], rates[1]
    finally:
        app.close()


def rebuild_all(url: str, schema: str) -> dict[str, float]:
    env = env_for(url, schema)
    rates = {}
    for projection, view in PROJECTIONS:
        if projection.name in REBUILT:
            result = rebuild(projection, view, env)
            print(f"    rebuild {result}", flush=True)
            rates[projection.name] = result.rate
    return rates


# ---- reads through HTTP --------------------------------------------------------


def sample_households(url: str, schema: str, count: int, seed: int, *, open_only: bool = False) -> list[uuid.UUID]:
    where = SQL("WHERE status = 'open'" if open_only else "")
    with psycopg.connect(url) as conn:
        ids = [row[0] for row in conn.execute(SQL("SELECT household_id FROM {0}.caseload {1} ORDER BY household_id"
                                                  ).format(Identifier(schema), where))]
    return random.Random(seed).sample(ids, min(count, len(ids)))


def bench_reads(port: int, ids: list[uuid.UUID], label: str, requests: int) -> tuple[Latency, Latency]:
    client = Client(port)
    rng = random.Random(7)
    for household_id in ids[:100]:  # warm-up: connections, prepared statements
        client.timed(f"/api/households/{household_id}/plan")
        client.timed(f"/api/households/{household_id}/timeline")
    plan, timeline = Latency(f"GET plan ({label})", []), Latency(f"GET timeline ({label})", [])
    for _ in range(requests):  # interleaved, so that drift hits both alike
        household_id = rng.choice(ids)
        plan.samples.append(client.timed(f"/api/households/{household_id}/plan"))
        timeline.samples.append(client.timed(f"/api/households/{household_id}/timeline"))
    return plan, timeline


def bench_as_of(url: str, schema: str, household_id: uuid.UUID, other_id: uuid.UUID, requests: int,
                start_server: Callable[[], Any]) -> tuple[Latency, Latency, int]:
    """The first as_of request after a server start (cold: every event read and decoded), several times over,
    then repeated requests at moments across the history (the server reuses the decoded events and reads
    only newer ones). Every event up to the moment is folded each time."""
    with psycopg.connect(url) as conn:
        count, first, last = conn.execute(SQL("SELECT count(*), min(occurred_at), max(occurred_at) FROM {0}.timeline"
                                              " WHERE household_id = %s").format(Identifier(schema)),
                                          (household_id,)).fetchone()
    moments = [first + (last - first) * n / 10 for n in range(1, 11)]
    path = f"/api/households/{household_id}/plan?as_of="
    cold = Latency(f"GET plan?as_of= ({count} events), first request", [])
    warm = Latency(f"GET plan?as_of= ({count} events), repeated", [])
    for round_ in range(ROUNDS_COLD):
        with start_server() as server:
            client = Client(server.port)
            # Warm the server's code path on another household; the long one's events are not read yet.
            client.timed(f"/api/households/{other_id}/plan?as_of={quote(last.isoformat())}")
            cold.samples.append(client.timed(path + quote(last.isoformat())))
            if round_ == ROUNDS_COLD - 1:
                for n in range(requests):
                    warm.samples.append(client.timed(path + quote(moments[n % len(moments)].isoformat())))
    return cold, warm, count


# ---- projection lag --------------------------------------------------------------


@contextlib.contextmanager
def worker(url: str, schema: str, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": url, "POSTGRES_SCHEMA": schema}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "workers.projections"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)


def catch_up_all(url: str, schema: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 1800) -> float:
    """Wait until the worker has every projection at the store's head; the hash chain starts from nothing
    (it is evidence, never rebuilt), so this is the chain's build rate in events/s."""
    names = [projection.name for projection, _ in PROJECTIONS]
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        (head,) = conn.execute(SQL("SELECT max(notification_id) FROM {0}.waakvlam_events").format(
            Identifier(schema))).fetchone()
        while True:
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-3000:])
            positions = []
            for name in names:
                try:
                    (position,) = conn.execute(SQL("SELECT max(notification_id) FROM {0}.{1}").format(
                        Identifier(schema), Identifier(f"{name}_tracking"))).fetchone()
                except psycopg.errors.UndefinedTable:
                    position = None
                positions.append(position or 0)
            if min(positions) >= head:
                return head / (time.perf_counter() - started)
            if time.perf_counter() - started > timeout:
                where = dict(zip(names, positions, strict=True))
                raise RuntimeError(f"the worker did not catch up in {timeout} s: {where}")
            time.sleep(0.5)


def bench_lag(port: int, url: str, schema: str, ids: list[uuid.UUID], rate: float, seconds: float,
              ) -> dict[str, Latency]:
    """Commands at a steady rate; for each, the time from its acknowledged commit to each view's position."""
    names = ["caseload", "plan", "timeline", "chain"]
    query = SQL("SELECT {0}").format(SQL(", ").join(
        SQL("(SELECT max(notification_id) FROM {0}.{1})").format(Identifier(schema), Identifier(f"{n}_tracking"))
        for n in names))
    seen: list[tuple[float, tuple[int, ...]]] = []
    done = threading.Event()

    def poll() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while not done.is_set():
                positions = conn.execute(query, prepare=True).fetchone()
                seen.append((time.perf_counter(), tuple(p or 0 for p in positions)))
                time.sleep(0.002)

    poller = threading.Thread(target=poll)
    poller.start()
    client = Client(port)
    committed: list[tuple[float, int]] = []
    body = {"kind": "telefonisch", "summary": "Even gebeld; het gaat goed.", "life_domains": ["finances"]}
    started = time.perf_counter()
    try:
        for n in range(int(rate * seconds)):
            due = started + n / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            status, content = client.request("POST", f"/api/households/{ids[n % len(ids)]}/contacts", body)
            if status != 201:
                raise RuntimeError(f"POST contacts: {status} {content[:200]!r}")
            committed.append((time.perf_counter(), json.loads(content)["position"]))
        time.sleep(2.0)
    finally:
        done.set()
        poller.join()
    achieved = len(committed) / (committed[-1][0] - started)
    lags = {name: Latency(f"lag {name} at {achieved:.0f} commands/s", []) for name in names}
    for acknowledged, position in committed:
        for index, name in enumerate(names):
            visible = next((at for at, positions in seen if positions[index] >= position), None)
            if visible is None:
                raise RuntimeError(f"{name} never reached position {position}")
            lags[name].samples.append(max(0.0, visible - acknowledged) * 1000)
    return lags


# ---- the run ---------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def run(args: argparse.Namespace, workdir: Path) -> int:
    with database(workdir) as (url, where), fresh_schema(url) as small, fresh_schema(url) as big:
        facts = server_facts(url)
        print(f"Waakvlam read-path benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
        print(f"PostgreSQL {facts['version']} ({where}); shared_buffers={facts['shared_buffers']}")
        print(f"other load before starting: {machine_busy():.2f} cores busy", flush=True)

        stores = {}
        for label, schema, events, households in (("small", small, args.small, 0),
                                                  ("large", big, args.events, args.households)):
            info = fill(url, schema, events=events, households=households, seed=2026, long_history=args.long_history)
            stores[label] = (schema, info)
            print(f"store {label}: {info.events} events, {info.households} households, filled in "
                  f"{info.seconds:.0f} s", flush=True)

        print("reading the events table and rebuilding (large store)", flush=True)
        undecoded, decoded = raw_read_rate(url, big)
        print(f"    raw read: {undecoded:,.0f} events/s undecoded, {decoded:,.0f} events/s decoded", flush=True)
        rates = rebuild_all(url, big)
        rebuild_all(url, small)

        reads: dict[str, tuple[Latency, Latency]] = {}
        for label in ("small", "large"):
            schema, info = stores[label]
            with http_server(url, schema, workdir / f"server-{label}.log") as server:
                ids = sample_households(url, schema, 2000, seed=11)
                reads[label] = bench_reads(server.port, ids, f"{info.events} events", args.requests)
                print(f"    {reads[label][0]}\n    {reads[label][1]}", flush=True)
                if label == "large":
                    with worker(url, schema, workdir / "worker.log") as process:
                        wait_healthy(server, server.port, workdir / f"server-{label}.log")
                        chained = catch_up_all(url, schema, process, workdir / "worker.log")
                        print(f"    worker caught up: the hash chain (never rebuilt) chained the store at "
                              f"{chained:,.0f} events/s", flush=True)
                        open_ids = sample_households(url, schema, 200, seed=13, open_only=True)
                        lags = bench_lag(server.port, url, schema, open_ids, args.rate, args.lag_seconds)
                    for latency in lags.values():
                        print(f"    {latency}", flush=True)

        schema, info = stores["large"]
        other = next(h for h in sample_households(url, schema, 2, seed=5) if h != info.long_household)
        cold, warm, counted = bench_as_of(url, schema, info.long_household, other, args.as_of_requests,
                                          lambda: http_server(url, schema, workdir / "server-as-of.log"))
        print(f"    {cold}\n    {warm}", flush=True)

        small_plan, small_timeline = reads["small"]
        large_plan, large_timeline = reads["large"]
        print("\nsummary")
        for name, small_l, large_l in (("plan", small_plan, large_plan), ("timeline", small_timeline, large_timeline)):
            growth = large_l.p99 / small_l.p99
            print(f"  {name:<9} p99 {small_l.p99:.2f} ms (small) / {large_l.p99:.2f} ms (large): "
                  f"≤ {TARGET_READ_P99_MS:g} ms {verdict(large_l.p99 <= TARGET_READ_P99_MS)}; "
                  f"large/small {growth:.2f} ≤ {TARGET_GROWTH} {verdict(growth <= TARGET_GROWTH)}")
        for latency in (cold, warm):
            print(f"  as_of     p50 {latency.p50:.1f} ms, max {max(latency.samples):.1f} ms, p99 {latency.p99:.1f} ms"
                  f" on {counted} events ({latency.name.split(', ')[1]}): ≤ {TARGET_AS_OF_MS:g} ms "
                  f"{verdict(latency.p99 <= TARGET_AS_OF_MS)}")
        worst = max(lags.values(), key=lambda latency: latency.p99)
        print(f"  lag       p99 {worst.p99:.1f} ms (worst view: {worst.name}): ≤ {TARGET_LAG_P99_MS:g} ms "
              f"{verdict(worst.p99 <= TARGET_LAG_P99_MS)}")
        for name, rate in rates.items():
            print(f"  rebuild   {name:<9} {rate:>9,.0f} events/s = {rate / undecoded:.2f}x raw read "
                  f"({undecoded:,.0f}/s undecoded, {decoded:,.0f}/s decoded): ≥ {TARGET_REBUILD:,.0f} "
                  f"{verdict(rate >= TARGET_REBUILD)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the large store")
    parser.add_argument("--households", type=int, default=20_000, help="households in the large store (at least)")
    parser.add_argument("--small", type=int, default=10_000, help="events in the small store")
    parser.add_argument("--long-history", type=int, default=2000, help="events of the as_of household")
    parser.add_argument("--requests", type=int, default=3000, help="reads of each kind per store")
    parser.add_argument("--as-of-requests", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="commands per second for the lag phase")
    parser.add_argument("--lag-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: sys.exit(128 + received))
    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-bench-"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
