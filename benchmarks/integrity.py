"""GET /api/integrity at 10M events (issue 12 §2): answered from the last signed checkpoint plus the rows since,
beside the full walk it replaced, in one run.

A store of N events (default 10,000,000) is generated in SQL (fingerprinted at insert by the store's trigger,
as every event is), chained by `ChainView.chain_pending` (the code the chain worker runs), and checkpointed
after a full walk (`checkpoints.make`, what the daily job does). Then `--since` new events (default 1,000)
are stored and chained, and the route's verification (`checkpoints.verify_history`: every checkpoint's anchor,
the rows since the last one, the pending rows' fingerprints) is timed `--repeat` times: p50/p99, against one
full walk (the old route) of the same store. Progress is printed as it goes.

    .venv/bin/python benchmarks/integrity.py                      # 10M events (about 15 minutes here)
    .venv/bin/python benchmarks/integrity.py --events 1000000     # a quicker look

DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory; a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.read_path import env_for
from benchmarks.write_path import database, fresh_schema
from domain.application import Households
from projections import versions
from projections.chain import EVENTS_TABLE, ChainProjection, ChainView
from waakvlam import checkpoints
from waakvlam.settings import Settings

CHUNK = 500_000
TARGET_MS = 1000.0  # the route answers in well under a second at 10M events


def generate(url: str, schema: str, start: int, count: int, label: str) -> None:
    """`count` events of 1,000-event aggregates, ~200 bytes of state each, in chunks (progress printed)."""
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        done = 0
        while done < count:
            size = min(CHUNK, count - done)
            conn.execute(
                f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic, state)"
                " SELECT md5((%(base)s + g) / 1000 || 'agg')::uuid, (%(base)s + g) %% 1000 + 1,"
                " 'domain.household:Household.ContactRecorded', convert_to(repeat(md5(g::text), 6), 'UTF8')"
                " FROM generate_series(1, %(size)s) g", {"base": start + done, "size": size})
            done += size
            _progress(label, done, count, began)


def chain(env: dict[str, str], total: int) -> float:
    """Chain everything stored, as `waakvlam verify` does, a page per transaction (progress printed)."""
    view = versions.construct(ChainProjection.name, ChainView, env, create=True)
    began = time.perf_counter()
    try:
        view.chain_pending(page=100_000, progress=lambda done: _progress("chaining", done, total, began))
    finally:
        view.datastore.close()
    return time.perf_counter() - began


def _progress(label: str, done: int, total: int, began: float) -> None:
    elapsed = time.perf_counter() - began
    left = elapsed / done * (total - done) if done else 0.0
    print(f"  {label}: {done:,} of {total:,} ({done / total:.0%}), {elapsed:.0f} s so far, about {left:.0f} s left",
          flush=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    with database(workdir) as (url, where), fresh_schema(url) as schema:
        print(f"database: {where}; schema {schema}; {args.events:,} events, then {args.since:,} more", flush=True)
        env = env_for(url, schema)
        Households(env={**env, "POSTGRES_POOL_SIZE": "1"}).close()  # the store's tables, trigger and functions
        settings = Settings(DATABASE_URL=url, POSTGRES_SCHEMA=schema, WAAKVLAM_DEMO=True,
                            WAAKVLAM_CHECKPOINT_DIR=workdir / "checkpoints", WAAKVLAM_DATA_DIR=workdir)
        generate(url, schema, 0, args.events, "storing")
        chain_seconds = chain(env, args.events)
        began = time.perf_counter()
        made = checkpoints.make(env, settings, full=True)
        full_walk = time.perf_counter() - began
        assert made.ok and made.checkpoint is not None, made.events
        print(f"checkpoint after a full walk of {made.checkpoint.events:,} events: {full_walk:.1f} s", flush=True)
        generate(url, schema, args.events, args.since, "storing more")
        chain(env, args.since)
        generate(url, schema, args.events + args.since, args.pending, "storing pending")
        timings = []
        with psycopg.connect(url, autocommit=True) as conn:
            for _ in range(args.repeat):
                began = time.perf_counter()
                events, log, last = checkpoints.verify_history(conn, schema, settings)
                timings.append((time.perf_counter() - began) * 1000)
            assert events.ok and log.ok and last is not None, events
            assert events.checked == args.since and events.pending_verified == args.pending, events
            began = time.perf_counter()
            full, _, _ = checkpoints.verify_history(conn, schema, settings, full=True)
            old_route = (time.perf_counter() - began) * 1000
            assert full.ok and full.checked == args.events + args.since
        timings.sort()
        p50, p99 = statistics.median(timings), timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
        size = _size(url, schema)
        print(f"\nGET /api/integrity's verification at {args.events + args.since:,} chained events "
              f"({args.since:,} since the checkpoint, {args.pending:,} pending), {args.repeat} runs:")
        print(f"  since the last checkpoint:  p50 {p50:.1f} ms, p99 {p99:.1f} ms  (target p99 <= {TARGET_MS:.0f} ms)")
        print(f"  the full walk (old route):  {old_route:,.0f} ms  = {old_route / p50:,.0f}x the p50")
        print(f"  storing {args.events:,} events took their fingerprints along; chaining them: "
              f"{chain_seconds:.0f} s ({args.events / chain_seconds:,.0f} events/s); full walk + checkpoint "
              f"{full_walk:.0f} s ({made.checkpoint.events / full_walk:,.0f} events/s)")
        print(f"  events table {size}; cores: {os.cpu_count()}")
        return 0 if p99 <= TARGET_MS else 1


def _size(url: str, schema: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))",
                            (f'"{schema}"."{EVENTS_TABLE}"',)).fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--since", type=int, default=1000, help="events stored after the checkpoint, chained")
    parser.add_argument("--pending", type=int, default=100, help="events stored last, not chained")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="waakvlam-bench-") as workdir, contextlib.suppress(KeyboardInterrupt):
        return run(args, Path(workdir))
    return 130


if __name__ == "__main__":
    raise SystemExit(main())
