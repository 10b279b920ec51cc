"""The cost of the NEN 7513 access log on reads, in one run (issues 5 and 12; target: at most 15% overhead).

Two API servers (uvicorn, as `waakvlam api` runs them) on one store: one as deployed, writing an access-log
entry for every read (waakvlam/access_log.py), and one with `WAAKVLAM_ACCESS_LOG=off` (a setting for this
baseline only: it is refused outside demo mode). Since issue 12 an answer leaves only after its entry is
committed (group commit, api/committed.py): the entry is written on authorisation and commits while the route
reads the plan, so the wait is what is left of the commit after the route's own work. One keep-alive client
per server; GET plan of random households, the two servers' requests interleaved so that drift on the machine
hits both alike. The overhead is the ratio of the two (mean, p50, p99), and the chain is verified at the end.

    .venv/bin/python benchmarks/access_log.py                  # 500 households, 5,000 reads per server
    .venv/bin/python benchmarks/access_log.py --requests 1000  # a quicker look

DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory; a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.sql import SQL, Identifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.read_path import Client, Latency, env_for, rebuild_all
from benchmarks.write_path import database, fresh_schema, http_server, machine_busy
from domain.application import Households
from waakvlam.access_log import SETTING, verify

TARGET_OVERHEAD = 0.15
TEAM = "Wijkteam Noord"  # dev-anna's team: she may read these households


def seed(url: str, schema: str, households: int) -> list[uuid.UUID]:
    app = Households(env=env_for(url, schema))
    ids = []
    try:
        start = datetime.now(UTC) - timedelta(days=30)
        for n in range(households):
            household_id = app.register(actor="anna", label=f"Fam. {n}", team=TEAM, occurred_at=start).household_id
            for day in (1, 8, 15):
                app.record_contact(household_id, actor="anna", kind="huisbezoek", summary="Post doorgenomen",
                                   occurred_at=start + timedelta(days=day))
            app.set_goal(household_id, actor="anna", life_domain="finances", description="Schulden in beeld")
            ids.append(household_id)
    finally:
        app.close()
    return ids


@contextlib.contextmanager
def server(url: str, schema: str, log_path: Path, *, access_log: bool):
    previous = os.environ.get(SETTING)
    os.environ[SETTING] = "on" if access_log else "off"
    try:
        with http_server(url, schema, log_path) as process:
            yield process
    finally:
        if previous is None:
            os.environ.pop(SETTING, None)
        else:
            os.environ[SETTING] = previous


def run(args: argparse.Namespace, workdir: Path) -> int:
    with database(workdir) as (url, where), fresh_schema(url) as schema:
        print(f"database: {where}; machine busy {machine_busy():.0%} before the run", flush=True)
        ids = seed(url, schema, args.households)
        rebuild_all(url, schema)
        with server(url, schema, workdir / "on.log", access_log=True) as on, \
                server(url, schema, workdir / "off.log", access_log=False) as off:
            clients = {"on": Client(on.port), "off": Client(off.port)}
            for household_id in ids[:200]:  # warm-up: connections, caches, prepared statements
                for client in clients.values():
                    client.timed(f"/api/households/{household_id}/plan")
            latency = {name: Latency(f"GET plan (access log {name})", []) for name in clients}
            rng = random.Random(7)
            for n in range(args.requests):
                household_id = rng.choice(ids)
                order = ("on", "off") if n % 2 == 0 else ("off", "on")
                for name in order:
                    latency[name].samples.append(clients[name].timed(f"/api/households/{household_id}/plan"))
        with psycopg.connect(url, autocommit=True) as conn:
            logged = conn.execute(SQL("SELECT count(*), count(DISTINCT xmin::text) FROM {0}.access_log").format(
                Identifier(schema))).fetchone()
            chain = verify(conn, schema)
    on, off = latency["on"], latency["off"]
    mean_on, mean_off = statistics.fmean(on.samples), statistics.fmean(off.samples)
    print(on)
    print(off)
    overhead = {"mean": mean_on / mean_off - 1, "p50": on.p50 / off.p50 - 1, "p99": on.p99 / off.p99 - 1}
    print(f"mean {mean_on:.2f} ms vs {mean_off:.2f} ms")
    print("overhead of the access log: " + ", ".join(f"{k} {v:+.1%}" for k, v in overhead.items())
          + f"  (target: mean at most +{TARGET_OVERHEAD:.0%})")
    entries, commits = logged if logged else (0, 0)
    print(f"access-log entries written: {entries} in {commits} commits; chain {'intact' if chain.ok else 'BROKEN'} "
          f"({chain.checked} entries verified)")
    ok = overhead["mean"] <= TARGET_OVERHEAD and chain.ok
    print("verdict:", "MET" if ok else "NOT MET")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=500)
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="waakvlam-bench-") as workdir:
        return run(args, Path(workdir))


if __name__ == "__main__":
    raise SystemExit(main())
