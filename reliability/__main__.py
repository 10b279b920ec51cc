"""Run the reliability suite and print its figures (issue 12, §6). See reliability/__init__.py."""

from __future__ import annotations

import argparse
import base64
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# Every process of the run shares one key-encryption key, as a deployment's do; they inherit it from here.
os.environ.setdefault("WAAKVLAM_KEK", base64.b64encode(os.urandom(32)).decode())

from reliability import authorisation, bad_input, crashes, fuzz
from reliability.checks import views_against_rebuild
from reliability.load import register_households
from reliability.services import Database, Service
from waakvlam.settings import Settings

SCHEMA = "reliability"


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few of everything: to try the suite out")
    parser.add_argument("--cycles", type=int, help="SIGKILLs of each process (default 50; --quick 3)")
    parser.add_argument("--restarts", type=int, help="database restarts (default 5; --quick 1)")
    parser.add_argument("--away", type=float, help="seconds the database stays stopped (default 10; --quick 3)")
    parser.add_argument("--fuzz-seconds", type=float, help="Schemathesis time per demo user (default 20; --quick 4)")
    parser.add_argument("--only", choices=["crashes", "database", "bad-input", "fuzz"], action="append",
                        help="run only these parts (repeatable)")
    args = parser.parse_args(argv)
    cycles = args.cycles or (3 if args.quick else 50)
    restarts = args.restarts or (1 if args.quick else 5)
    away = args.away or (3.0 if args.quick else 10.0)
    fuzz_seconds = args.fuzz_seconds or (4.0 if args.quick else 20.0)
    parts = set(args.only or ["crashes", "database", "bad-input", "fuzz"])
    for signum in (signal.SIGTERM, signal.SIGHUP):  # unwind, so every process and the database are stopped
        signal.signal(signum, lambda received, _frame: sys.exit(128 + received))
    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-reliability-"))
    try:
        return run(workdir, parts, cycles, restarts, away, fuzz_seconds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: Path, parts: set[str], cycles: int, restarts: int, away: float, fuzz_seconds: float) -> int:
    began = time.monotonic()
    print(f"Waakvlam reliability suite — {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}", flush=True)
    database = Database(workdir / "pg")
    missed: list[str] = []
    try:
        with database.connect() as conn:
            conn.execute(f'CREATE SCHEMA "{SCHEMA}"')
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version} (embedded, stopped and started by the suite); schema {SCHEMA}", flush=True)
        service = Service(database, SCHEMA, workdir)
        service.start()
        try:
            if "crashes" in parts:
                print(f"crash cycles: {cycles} SIGKILLs of each of {', '.join(service.processes)}, under load",
                      flush=True)
                outcome = crashes.crash_cycles(service, cycles)
                missed += report_writes("crash cycles", outcome)
                kills = ", ".join(f"{name} {count}" for name, count in outcome.kills.items())
                restart = outcome.api_restart
                print(f"  kills: {kills}; the API healthy again after a median {crashes.median(restart):.1f} s "
                      f"(max {max(restart, default=0):.1f} s); {outcome.seconds:.0f} s in all")
            if "database" in parts:
                print(f"database restarts: PostgreSQL stopped for {away:g} s and started again, {restarts} times, "
                      "under load", flush=True)
                outcome = crashes.database_restarts(service, restarts, away)
                missed += report_writes("database restarts", outcome)
                total, good, other = crashes.during_outages(outcome)
                print(f"  answers while the database was away: {total}, of which 503 with Retry-After (problem+json):"
                      f" {good}; others: {other or 'none'}  ({verdict(total == good)})")
                for number, outage in enumerate(outcome.outages, 1):
                    print(f"  restart {number}: first acknowledged write {_seconds(outage['first_write'])} after the "
                          f"database was back; every process connected again after {_seconds(outage['connected'])}")
                recovered = all(o["first_write"] is not None and o["connected"] is not None for o in outcome.outages)
                print(f"  every process recovered by itself (same pids, none restarted): "
                      f"{outcome.same_processes and recovered}  ({verdict(outcome.same_processes and recovered)})")
                if total != good:
                    missed.append("database restarts: an answer other than 503 with Retry-After")
                if not (outcome.same_processes and recovered):
                    missed.append("database restarts: a process did not recover by itself")
            if "bad-input" in parts:
                missed += report_bad_input(service)
            if "fuzz" in parts:
                missed += report_fuzz(service, workdir, fuzz_seconds)
        finally:
            service.stop()
        report_authorisation()
    finally:
        with psycopg.connect(database.url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
        database.stop()
    print(f"\n{time.monotonic() - began:.0f} s in all; targets missed: {len(missed)}")
    for line in missed:
        print(f"  MISSED: {line}")
    return 1 if missed else 0


def _seconds(value: object) -> str:
    return "never (60 s)" if value is None else f"{float(value):.1f} s"  # type: ignore[arg-type]


def report_writes(phase: str, outcome: crashes.Outcome) -> list[str]:
    writes, ledger = outcome.writes, outcome.ledger
    print(f"  writes acknowledged: {writes.acknowledged} ({ledger.replayed} of them answered by a retry from the "
          f"first attempt's commit, Idempotent-Replayed); retries sent: {ledger.retried}; "
          f"failed attempts by kind: {dict(ledger.statuses()) or 'none'}")
    print(f"  acknowledged writes lost: {writes.lost}  (target 0: {verdict(writes.lost == 0)})")
    print(f"  writes recorded twice: {writes.twice}  (target 0: {verdict(writes.twice == 0)})")
    print(f"  stored but never acknowledged: {writes.unacknowledged_stored}; never acknowledged: "
          f"{ledger.never_acknowledged}; events in the store: {writes.events}")
    print(f"  views against a from-scratch rebuild, rows differing: {outcome.views}  "
          f"({verdict(outcome.views_differing == 0)})")
    print(f"  hash chain: {outcome.chain[1]}  ({verdict(outcome.chain[0])})", flush=True)
    missed = []
    if writes.lost:
        missed.append(f"{phase}: {writes.lost} acknowledged writes lost")
    if writes.twice:
        missed.append(f"{phase}: {writes.twice} writes recorded twice")
    if outcome.views_differing:
        missed.append(f"{phase}: views differ from a rebuild: {outcome.views}")
    if not outcome.chain[0]:
        missed.append(f"{phase}: hash chain broken")
    return missed


def report_bad_input(service: Service) -> list[str]:
    print("bad input, as raw bytes to the running server", flush=True)
    (household_id,) = register_households(service.port, 1)
    before = service.head()
    max_body = Settings(_env_file=None).max_body_bytes
    found = bad_input.run_probes(service.port, household_id, max_body)
    written = service.head() - before
    for probe in found:
        print(f"  {probe.name:<45} {probe.status or 'closed without an answer'}  ({verdict(probe.ok)})")
    clear = sum(probe.ok for probe in found)
    print(f"  {clear} of {len(found)} a clear 4xx; events written by them: {written}  "
          f"({verdict(clear == len(found) and written == 0)})", flush=True)
    missed = [f"bad input: {p.name} answered {p.status}" for p in found if not p.ok]
    return missed + ([f"bad input: {written} events written"] if written else [])


def report_fuzz(service: Service, workdir: Path, seconds: float) -> list[str]:
    print(f"fuzzing: Schemathesis ({fuzz.PHASES}), {seconds:g} s per demo user", flush=True)
    runs = fuzz.fuzz(service.port, workdir, seconds)
    requests = sum(run.requests for run in runs)
    errors = [error for run in runs for error in run.server_errors]
    print(f"  {len(runs)} users, {len({r.role for r in runs})} roles, {requests} requests; 5xx answers: "
          f"{len(errors)}  (target 0: {verdict(not errors)})")
    for error in sorted(set(errors)):
        print(f"    {errors.count(error)} x {error}")
    service.wait_caught_up()
    views = views_against_rebuild(service)
    differing = sum(views.values())
    print(f"  after fuzzing, views against a from-scratch rebuild, rows differing: {differing}  "
          f"({verdict(differing == 0)})", flush=True)
    missed = [f"fuzzing: {len(errors)} 5xx answers"] if errors else []
    if not requests:
        missed.append("fuzzing: no requests were sent (see the fuzz-*.log files)")
    return missed + ([f"fuzzing: views differ from a rebuild: {views}"] if differing else [])


def report_authorisation() -> None:
    matrix = authorisation.count()
    print(f"authorisation (tests/api/test_authorisation.py, in `make test`): {matrix.routes} routes "
          f"({matrix.per_household} on one household) x {matrix.roles} roles = {matrix.cases} cases: "
          f"own team {matrix.own_team}, other team {matrix.other_team}, other roles {matrix.other_roles}, "
          f"emergency access {matrix.emergency}; {matrix.allowed} allowed, {matrix.refused} refused", flush=True)


if __name__ == "__main__":
    sys.exit(main())
