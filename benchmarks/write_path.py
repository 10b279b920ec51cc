"""The write path, layer by layer, in one run on one database.

    (a)  raw psycopg: one INSERT + COMMIT per operation, one connection, a real event's bytes as payload
    (b)  bare `eventsourcing`: a minimal aggregate, get + one event + save per command, one thread
    (b8) the same with 8 threads (for context)
    (b2) Households.record_contact in-process, one thread: the application service without HTTP
    (c)  POST /api/households/{id}/contacts through the real HTTP server (uvicorn subprocess),
         8 concurrent keep-alive clients, one household each; (c1) all 8 on one household
    (d)  sequential POST latency on a household with 5,000 events against a fresh household

The phases run in rounds (default 3, interleaved, so that drift of the machine hits every phase
alike); throughput is the median round, latency percentiles pool all rounds. Run from the project root:

    .venv/bin/python benchmarks/write_path.py            # 3 rounds of 2 s warm-up + 5 s per phase
    .venv/bin/python benchmarks/write_path.py --quick    # one short round
    .venv/bin/python benchmarks/write_path.py --profile-server /tmp/server.raw   # py-spy during (c)

It uses DATABASE_URL when set, else an embedded PostgreSQL (pgserver) in a temporary
directory, and always a fresh schema of its own that is dropped at the end. The HTTP
clients run in this process and share the machine's cores with the server and PostgreSQL;
the CPU each party used is printed, and so is the load of anything else on the machine.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil  # installed with pgserver
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg.sql import SQL, Identifier

from domain.application import Households
from waakvlam.database import eventsourcing_env
from waakvlam.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# A benchmark's processes (the script, its servers and workers) share one key-encryption key, as a
# deployment's do; they inherit it from here.
os.environ.setdefault("WAAKVLAM_KEK", base64.b64encode(os.urandom(32)).decode())
CLIENTS = 8
LONG_HISTORY = 5_000
ACTOR = "anna"
SUMMARY = "Telefonisch contact met moeder; post doorgenomen en een afspraak met schuldhulp gemaakt voor volgende week."
CONTACT = {"kind": "telefonisch", "summary": SUMMARY, "life_domains": ["finances"]}
HEADERS = {"Authorization": "Bearer dev-anna", "Content-Type": "application/json", "Connection": "keep-alive"}

TARGET_C_OVER_B = 0.5
TARGET_P99_MS = 25.0
TARGET_LONG_OVER_FRESH = 1.5


# ---- figures -----------------------------------------------------------------


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, measured operations only
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    show_rate: bool = True  # not for (d): two households take turns in one sequence
    cpu: Cpu | None = None
    rates: list[float] = field(default_factory=list)  # ops/s of each round, once merged

    @property
    def ops(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        """The median round's rate (one round: its rate)."""
        if self.rates:
            return statistics.median(self.rates)
        return self.ops / self.seconds if self.seconds else 0.0

    @classmethod
    def merge(cls, rounds: list[Result]) -> Result:
        """Rounds of one phase: the median rate, latencies pooled, CPU and errors summed."""
        first = rounds[0]
        merged = cls(first.name, show_rate=first.show_rate, rates=[r.ops / r.seconds for r in rounds if r.seconds])
        for result in rounds:
            merged.seconds += result.seconds
            merged.latencies.extend(result.latencies)
            merged.errors.update(result.errors)
        cpus = [r.cpu for r in rounds if r.cpu is not None]
        if cpus:
            merged.cpu = Cpu(*(sum(getattr(c, f) for c in cpus) for f in ("bench", "server", "postgres", "machine",
                                                                             "seconds")))
        return merged

    def percentile(self, p: float) -> float:
        """Latency in ms at percentile p (linear interpolation between closest ranks)."""
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        rank = (len(data) - 1) * p / 100
        low = int(rank)
        high = min(low + 1, len(data) - 1)
        return (data[low] + (data[high] - data[low]) * (rank - low)) * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)


@dataclass
class Cpu:
    """CPU seconds spent during the measured window, per party."""

    bench: float  # this process: the clients, or in (a) and (b) the whole application
    server: float  # the uvicorn process (all its threads) and any children
    postgres: float  # the embedded PostgreSQL's processes (with DATABASE_URL: all processes named postgres here)
    machine: float  # every CPU on the machine, busy time; machine - the three above = other load
    seconds: float

    @property
    def other(self) -> float:
        return max(0.0, self.machine - self.bench - self.server - self.postgres)


POSTGRES_ROOT: list[int] = []  # the embedded server's postmaster pid, when we started one


def _used(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _tree(pid: int) -> float:
    total = 0.0
    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(pid)
        for process in (parent, *parent.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                total += _used(process)
    return total


def cpu_now(server_pid: int | None) -> tuple[float, float, float, float]:
    server = _tree(server_pid) if server_pid is not None else 0.0  # with uvicorn --workers N, the workers too
    if POSTGRES_ROOT:
        postgres = _tree(POSTGRES_ROOT[0])
    else:
        postgres = 0.0
        for process in psutil.process_iter(["name"]):
            if process.info["name"] == "postgres":
                with contextlib.suppress(psutil.Error):
                    postgres += _used(process)
    times = psutil.cpu_times()
    machine = sum(times) - times.idle - getattr(times, "iowait", 0.0) - getattr(times, "guest", 0.0) \
        - getattr(times, "guest_nice", 0.0)
    return _used(psutil.Process()), server, postgres, machine


def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy on the whole machine, averaged over `seconds` (before anything of ours runs)."""
    before = cpu_now(None)[3]
    time.sleep(seconds)
    return (cpu_now(None)[3] - before) / seconds


class CpuMeter:
    """Reads the CPU counters at the start and the end of the measured window, from a thread."""

    def __init__(self, start_at: float, timing: Timing, result: Result, server_pid: int | None = None) -> None:
        readings: list[tuple[float, float, float, float]] = []

        def read() -> None:
            for moment in (start_at + timing.warmup, start_at + timing.warmup + timing.measure):
                time.sleep(max(0.0, moment - time.perf_counter()))
                readings.append(cpu_now(server_pid))
            first, last = readings
            result.cpu = Cpu(*(b - a for a, b in zip(first, last, strict=True)), seconds=timing.measure)

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()

    def __enter__(self) -> CpuMeter:
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.join()


@dataclass
class Timing:
    warmup: float
    measure: float


def timed_loop(operation: Callable[[], Any], timing: Timing, result: Result,
               start_at: float | None = None) -> None:
    """Call `operation` until the window closes; record the calls that start inside the window.

    With several threads, pass the same `start_at` so that every thread measures the same window."""
    begin = time.perf_counter() if start_at is None else start_at
    measure_from = begin + timing.warmup
    measure_until = measure_from + timing.measure
    latencies: list[float] = []
    while True:
        started = time.perf_counter()
        if started >= measure_until:
            break
        try:
            operation()
        except Exception as error:  # counted and shown; a benchmark should not stop on one failure
            if started >= measure_from:
                result.errors[label(error)] += 1
            continue
        if started >= measure_from:
            latencies.append(time.perf_counter() - started)
    result.latencies.extend(latencies)  # list.extend is atomic under the GIL
    result.seconds = timing.measure


def label(error: Exception) -> str:
    if isinstance(error, HTTPStatusError):
        return f"HTTP {error.status} {error.title}".strip()
    return type(error).__name__


def in_threads(count: int, target: Callable[[int, float], None], start_at: float) -> None:
    threads = [threading.Thread(target=target, args=(i, start_at), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# ---- the database ------------------------------------------------------------


@contextlib.contextmanager
def database(workdir: Path) -> Iterator[tuple[str, str]]:
    """(url, description): DATABASE_URL, or an embedded PostgreSQL that is removed afterwards."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url, "DATABASE_URL"
        return
    with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set"
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(workdir / "pg", cleanup_mode="delete")
    try:
        POSTGRES_ROOT.append(server.get_pid())
        yield server.get_uri(), "embedded pgserver in a temporary directory"
    finally:
        POSTGRES_ROOT.clear()
        server.cleanup()


@contextlib.contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(name)))


def server_facts(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        facts = {"version": conn.execute("SHOW server_version").fetchone()[0]}
        for setting in ("fsync", "synchronous_commit", "shared_buffers", "max_connections"):
            facts[setting] = conn.execute(SQL("SHOW {0}").format(Identifier(setting))).fetchone()[0]
    return facts


# ---- (a) raw psycopg -----------------------------------------------------------


def bench_raw(url: str, schema: str, payload: bytes, topic: str, timing: Timing) -> Result:
    """One INSERT + COMMIT per operation, into a table shaped like the event table."""
    table = SQL("{0}.{1}").format(Identifier(schema), Identifier("raw_events"))
    result = Result("(a) raw psycopg INSERT+COMMIT, 1 connection")
    with psycopg.connect(url) as conn:
        conn.execute(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
            " topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        ).format(table))
        conn.execute(SQL("CREATE UNIQUE INDEX IF NOT EXISTS raw_events_notification_id ON {0} (notification_id)")
                     .format(table))
        conn.commit()
        insert = SQL(
            "INSERT INTO {0} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
            " RETURNING notification_id"
        ).format(table)
        originator = uuid.uuid4()
        version = 0

        def once() -> None:
            nonlocal version
            version += 1
            conn.execute(insert, (originator, version, topic, payload), prepare=True).fetchone()
            conn.commit()

        start_at = time.perf_counter()
        with CpuMeter(start_at, timing, result):
            timed_loop(once, timing, result, start_at)
    return result


# ---- (b) bare eventsourcing ----------------------------------------------------


class Note(Aggregate):
    """An aggregate with one event that carries what a recorded contact carries."""

    @event("Noted")
    def note(self, *, actor: str, occurred_at: datetime, contact_id: str, kind: str, summary: str,
             life_domains: list[str], participants: list[str]) -> None:
        self.last_contact_at = occurred_at


class BareBench(Application[Any]):
    name = "BareBench"


def bare_env(settings: Settings, url: str) -> dict[str, str]:
    env = eventsourcing_env(settings, url)
    env.pop("APPLICATION_RECORDER_TOPIC")
    return env


def bench_bare(settings: Settings, url: str, timing: Timing, threads: int) -> Result:
    """One command = get the aggregate (cached), trigger one event, save it."""
    label = "(b) bare eventsourcing save, 1 thread" if threads == 1 else f"(b8) ... the same, {threads} threads"
    result = Result(label)
    app = BareBench(env=bare_env(settings, url))
    try:
        ids = []
        for _ in range(threads):
            note = Note()
            app.save(note)
            ids.append(note.id)

        def worker(i: int, start_at: float) -> None:
            def once() -> None:
                note = app.repository.get(ids[i])
                note.note(actor=ACTOR, occurred_at=datetime.now(UTC), contact_id=uuid.uuid4().hex[:12],
                          participants=[], **CONTACT)
                app.save(note)

            timed_loop(once, timing, result, start_at)

        start_at = time.perf_counter() + 0.05
        with CpuMeter(start_at, timing, result):
            in_threads(threads, worker, start_at)
    finally:
        app.close()
    return result


def bench_households(settings: Settings, timing: Timing) -> Result:
    """The application service without HTTP: Households.record_contact, one thread."""
    result = Result("(b2) Households.record_contact in-process, 1 thread")
    app = Households(env=eventsourcing_env(settings))
    try:
        household_id = app.register(actor=ACTOR, label="Fam. In-process", team="Wijkteam Noord").household_id
        start_at = time.perf_counter()
        with CpuMeter(start_at, timing, result):
            timed_loop(lambda: app.record_contact(household_id, actor=ACTOR, **CONTACT), timing, result, start_at)
    finally:
        app.close()
    return result


# ---- the HTTP server ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def http_server(url: str, schema: str, log_path: Path,
                extra_env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`uvicorn api.main:create_app --factory`, as `waakvlam api` runs it; always stopped afterwards."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "POSTGRES_SCHEMA": schema, "WAAKVLAM_DEMO": "true", **(extra_env or {})}
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning", "--no-access-log"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.port = port  # type: ignore[attr-defined]
    try:
        wait_healthy(process, port, log_path)
        yield process
    finally:
        stop(process)


def wait_healthy(process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        time.sleep(0.1)
    raise RuntimeError(f"the server did not become healthy in {timeout} s:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: less client CPU than httpx on a shared machine)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: bytes) -> None:
        try:
            self.conn.request("POST", path, body=body, headers=HEADERS)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        if response.status != 201:
            raise HTTPStatusError(response.status, content)

    def close(self) -> None:
        self.conn.close()


class HTTPStatusError(Exception):
    def __init__(self, status: int, content: bytes) -> None:
        super().__init__(f"{status}: {content[:200]!r}")
        self.status = status
        try:
            self.title = str(json.loads(content).get("title", ""))  # problem+json
        except (ValueError, AttributeError):
            self.title = ""


def contacts_path(household_id: uuid.UUID) -> str:
    return f"/api/households/{household_id}/contacts"


BODY = json.dumps(CONTACT).encode()


def bench_http(server: subprocess.Popen[bytes], households: list[uuid.UUID], timing: Timing, name: str) -> Result:
    """CLIENTS threads, each with its own connection, client i on households[i % len(households)]."""
    result = Result(name)

    def worker(i: int, start_at: float) -> None:
        client = Client(server.port)  # type: ignore[attr-defined]
        path = contacts_path(households[i % len(households)])
        try:
            timed_loop(lambda: client.post(path, BODY), timing, result, start_at)
        finally:
            client.close()

    start_at = time.perf_counter() + 0.05
    with CpuMeter(start_at, timing, result, server.pid):
        in_threads(CLIENTS, worker, start_at)
    return result


def first_requests(port: int, warm_id: uuid.UUID, household_ids: list[uuid.UUID]) -> list[float]:
    """Latency (ms) of the first request to each household, after one request has warmed the server up:
    the household is not yet in the server's aggregate cache, so it is loaded from its snapshot and events."""
    client = Client(port)
    try:
        client.post(contacts_path(warm_id), BODY)
        latencies = []
        for household_id in household_ids:
            started = time.perf_counter()
            client.post(contacts_path(household_id), BODY)
            latencies.append((time.perf_counter() - started) * 1000)
        return latencies
    finally:
        client.close()


def bench_long_history(port: int, long_id: uuid.UUID, fresh_id: uuid.UUID, timing: Timing) -> tuple[Result, Result]:
    """Sequential requests, alternating the long and the fresh household so drift hits both alike."""
    long = Result(f"(d) sequential HTTP, household with {LONG_HISTORY:,} events", show_rate=False)
    fresh = Result("(d) sequential HTTP, fresh household", show_rate=False)
    client = Client(port)
    try:
        measure_from = time.perf_counter() + timing.warmup
        measure_until = measure_from + timing.measure
        turn = 0
        while (started := time.perf_counter()) < measure_until:
            target, household_id = (long, long_id) if turn % 2 else (fresh, fresh_id)
            turn += 1
            try:
                client.post(contacts_path(household_id), BODY)
            except Exception as error:
                if started >= measure_from:
                    target.errors[label(error)] += 1
                continue
            if started >= measure_from:
                target.latencies.append(time.perf_counter() - started)
        long.seconds = fresh.seconds = timing.measure
    finally:
        client.close()
    return long, fresh


# ---- setup ---------------------------------------------------------------------


def build_households(settings: Settings, count: int) -> tuple[list[uuid.UUID], uuid.UUID, uuid.UUID, bytes, str]:
    """`count` households for (c), one with LONG_HISTORY events and a fresh one for (d);
    and a stored ContactRecorded event (state, topic) as the payload of (a)."""
    app = Households(env=eventsourcing_env(settings))
    try:
        def register(label: str) -> uuid.UUID:
            return app.register(actor=ACTOR, label=label, team="Wijkteam Noord").household_id

        ids = [register(f"Fam. Bench {i}") for i in range(count)]
        fresh_id = register("Fam. Vers")
        long_id = register("Fam. Lang")
        household = app.get(long_id)
        while household.version < LONG_HISTORY:
            for _ in range(min(500, LONG_HISTORY - household.version)):
                household.record_contact(actor=ACTOR, **CONTACT)
            app.save(household)  # one transaction per 500 events; snapshots every 50 as usual
            household = app.get(long_id)
        assert household.version == LONG_HISTORY, household.version
        (sample,) = app.recorder.select_events(long_id, gt=LONG_HISTORY - 1)
        return ids, long_id, fresh_id, sample.state, sample.topic
    finally:
        app.close()


def average_state_size(url: str, schema: str, table: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(SQL("SELECT avg(length(state)) FROM {0}.{1}").format(
            Identifier(schema), Identifier(table))).fetchone()
    return float(row[0] or 0)


# ---- profiling (optional) ------------------------------------------------------


@contextlib.contextmanager
def py_spy(pid: int, seconds: float, out: Path | None) -> Iterator[None]:
    """Sample the server with py-spy for `seconds` (raw collapsed stacks in `out`)."""
    if out is None:
        yield
        return
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    spy = subprocess.Popen([exe, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
                            "--rate", "200", "--format", "raw", "--output", str(out), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        try:
            spy.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def summarize_profile(path: Path, top: int = 25) -> str:
    """Top functions by own time and by inclusive time, from py-spy's raw (collapsed) output."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{total} samples of the server's busy threads"]
    for title, counter in (("own time", own), ("inclusive time", inclusive)):
        lines.append(f"  top {top} by {title}:")
        for frame, count in counter.most_common(top):
            lines.append(f"    {100 * count / total:5.1f}%  {frame}")
    return "\n".join(lines)


# ---- the run -------------------------------------------------------------------


def row(result: Result) -> str:
    errors = sum(result.errors.values())
    rate = f"{result.per_second:>9.1f}" if result.show_rate else f"{'-':>9}"
    return (f"{result.name:<58} {rate} {result.p50:>8.2f} {result.p99:>8.2f} "
            f"{result.ops:>7} {errors:>6}")


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short smoke run: one round of 2 s per phase")
    parser.add_argument("--rounds", type=int, help="rounds of all phases, interleaved (default 3; --quick 1)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per phase and round, not measured")
    parser.add_argument("--seconds", type=float, help="measured seconds per phase and round")
    parser.add_argument("--profile-server", type=Path, metavar="FILE",
                        help="sample the server with py-spy during (c) and write collapsed stacks to FILE")
    args = parser.parse_args(argv)
    timing = Timing(0.5, 2.0) if args.quick else Timing(2.0, 5.0)
    timing = Timing(args.warmup if args.warmup is not None else timing.warmup, args.seconds or timing.measure)
    rounds = args.rounds or (1 if args.quick else 3)

    # SIGTERM/SIGHUP unwind like Ctrl-C, so every `finally` (server, schema, database) runs.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: sys.exit(128 + received))

    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-bench-"))
    try:
        return run(timing, rounds, workdir, args.profile_server)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(timing: Timing, rounds: int, workdir: Path, profile_out: Path | None) -> int:
    with database(workdir) as (url, where), fresh_schema(url) as schema:
        facts = server_facts(url)
        settings = Settings(DATABASE_URL=url, POSTGRES_SCHEMA=schema, WAAKVLAM_DEMO=True)
        print(f"Waakvlam write-path benchmark — {time.strftime('%Y-%m-%d %H:%M')}")
        print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
        print(f"PostgreSQL {facts['version']} ({where}); fsync={facts['fsync']}, "
              f"synchronous_commit={facts['synchronous_commit']}, shared_buffers={facts['shared_buffers']}")
        print(f"schema {schema}; {rounds} round(s) of all phases, each phase {timing.warmup:g} s warm-up (not "
              f"measured) + {timing.measure:g} s measured; clients, server and PostgreSQL share the cores", flush=True)
        idle_load = machine_busy()
        print(f"other load before starting: {idle_load:.2f} cores busy"
              + ("  <-- WARNING: the machine is not idle; figures will be low and noisy" if idle_load > 0.2 else ""),
              flush=True)

        started = time.perf_counter()
        ids, long_id, fresh_id, payload, topic = build_households(settings, CLIENTS)
        print(f"setup: {CLIENTS + 2} households, one with {LONG_HISTORY} events, "
              f"in {time.perf_counter() - started:.1f} s", flush=True)

        by_phase: dict[str, list[Result]] = {}

        def phase(result: Result) -> None:
            by_phase.setdefault(result.name, []).append(result)
            print(f"  {row(result)}", flush=True)

        with http_server(url, schema, workdir / "server.log") as server:
            cold_fresh, cold_long = first_requests(server.port, ids[0], [fresh_id, long_id])
            for number in range(1, rounds + 1):
                print(f"round {number} of {rounds}", flush=True)
                phase(bench_raw(url, schema, payload, topic, timing))
                phase(bench_bare(settings, url, timing, threads=1))
                phase(bench_bare(settings, url, timing, threads=CLIENTS))
                phase(bench_households(settings, timing))
                with py_spy(server.pid, timing.warmup + timing.measure, profile_out if number == 1 else None):
                    phase(bench_http(server, ids, timing,
                                     f"(c) HTTP POST contacts, {CLIENTS} clients, {CLIENTS} households"))
                phase(bench_http(server, ids[:1], timing,
                                 f"(c1) HTTP POST contacts, {CLIENTS} clients, 1 household"))
                for result in bench_long_history(server.port, long_id, fresh_id, timing)[::-1]:
                    phase(result)
        sizes = {table: average_state_size(url, schema, table)
                 for table in ("raw_events", "barebench_events", "waakvlam_events")}

    results = [Result.merge(rounds_of_phase) for rounds_of_phase in by_phase.values()]
    raw, bare, _, _, spread, _, fresh, long = results
    print()
    print(f"ops/s: the median round ({rounds} rounds; range min-max); latencies: all rounds pooled")
    print(f"{'phase':<58} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ops':>7} {'errors':>6}  {'range':>13}")
    print("-" * 116)
    for result in results:
        spread_of_rates = f"{min(result.rates):.0f}-{max(result.rates):.0f}" if result.show_rate else "-"
        print(f"{row(result)}  {spread_of_rates:>13}")
        for kind, count in result.errors.most_common():
            print(f"{'':<8}{count} x {kind}")
    print()
    print("CPU in the measured window: ms per operation for this process (bench: the clients, or in (a)/(b) the")
    print("application itself), the server and PostgreSQL; then cores busy with these, and with anything else")
    print(f"{'phase':<58} {'bench':>7} {'server':>7} {'postgres':>8} {'total':>7} {'ours':>6} {'other':>6}")
    for result in results:
        if result.cpu is None or not result.ops:
            continue
        cpu = result.cpu
        per_op = [1000 * part / result.ops for part in (cpu.bench, cpu.server, cpu.postgres)]
        ours = (cpu.bench + cpu.server + cpu.postgres) / cpu.seconds
        print(f"{result.name[:58]:<58} {per_op[0]:>7.2f} {per_op[1]:>7.2f} {per_op[2]:>8.2f} "
              f"{sum(per_op):>7.2f} {ours:>6.2f} {cpu.other / cpu.seconds:>6.2f}")
    print()
    print(f"first request after server start (aggregate not cached): fresh {cold_fresh:.1f} ms, "
          f"5,000 events {cold_long:.1f} ms")
    print("average event state: " + ", ".join(f"{table} {size:.0f} B" for table, size in sizes.items()))
    c_over_b = spread.per_second / bare.per_second
    c_over_a = spread.per_second / raw.per_second
    long_p50, long_p99 = long.p50 / fresh.p50, long.p99 / fresh.p99
    print()
    per_round = [c / b for c, b in zip(spread.rates, bare.rates, strict=True)]
    print(f"c/b  = {c_over_b:.3f}   (target >= {TARGET_C_OVER_B}: {verdict(c_over_b >= TARGET_C_OVER_B)}; "
          f"per round {', '.join(f'{ratio:.2f}' for ratio in per_round)})")
    print(f"c/a  = {c_over_a:.2f}")
    print(f"p99 of (c) = {spread.p99:.1f} ms   (target <= {TARGET_P99_MS:g} ms: "
          f"{verdict(spread.p99 <= TARGET_P99_MS)})")
    print(f"long/fresh p50 = {long_p50:.2f}, p99 = {long_p99:.2f}   (target <= {TARGET_LONG_OVER_FRESH}: "
          f"{verdict(max(long_p50, long_p99) <= TARGET_LONG_OVER_FRESH)})")
    if profile_out is not None and profile_out.exists():
        print()
        print(summarize_profile(profile_out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
