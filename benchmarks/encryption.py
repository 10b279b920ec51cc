"""The cost of crypto-shredding on the write path, with and without, in one run on one database.

    plain      Households with the library's own mapper: personal fields stored in the clear
    sealed     Households as the service runs it: personal fields sealed with the household's key
               (domain/erasure.py), a new household's key made and stored on its first save

Each phase registers households and records contacts on them through the application service
(as benchmarks/write_path.py does, without HTTP), one thread, on PostgreSQL. The phases alternate
in rounds (default 5) so that drift of the machine hits both alike; the figure is the median round.
Target: sealed costs at most 20% more time per command than plain. Run from the project root:

    .venv/bin/python benchmarks/encryption.py            # 5 rounds
    .venv/bin/python benchmarks/encryption.py --quick    # 2 short rounds

It uses DATABASE_URL when set, else an embedded PostgreSQL (pgserver) in a temporary directory,
and always a fresh schema of its own that is dropped at the end.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Mapper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.application import Households
from waakvlam.database import embedded_url, eventsourcing_env
from waakvlam.settings import Settings

TARGET_OVERHEAD = 0.20
SUMMARY = "Telefonisch contact met moeder; post doorgenomen en een afspraak met schuldhulp gemaakt voor volgende week."


class PlainHouseholds(Households):
    """The same service with the library's own mapper: nothing sealed."""

    def construct_mapper(self) -> Mapper[Any]:
        return self.factory.mapper(transcoder=self.construct_transcoder())


def phase(app: Households, households: int, contacts: int) -> tuple[float, float, int]:
    """(seconds registering, seconds recording contacts, commands)."""
    started = time.perf_counter()
    ids = [app.register(actor="anna", label=f"Fam. Jansen {n}", team="Wijkteam Noord").household_id
           for n in range(households)]
    registered = time.perf_counter()
    for _ in range(contacts):
        for household_id in ids:
            app.record_contact(household_id, actor="anna", kind="telefonisch", summary=SUMMARY,
                               life_domains=["finances"])
    done = time.perf_counter()
    return registered - started, done - registered, households * (1 + contacts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two short rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rounds, households, contacts = (2, 100, 5) if args.quick else (args.rounds, 300, 10)

    data_dir = tempfile.mkdtemp(prefix="waakvlam-bench-")
    url = os.environ.get("DATABASE_URL") or embedded_url(Path(data_dir))
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    settings = Settings(DATABASE_URL=url, POSTGRES_SCHEMA=schema, WAAKVLAM_DATA_DIR=data_dir,
                        WAAKVLAM_KEK=os.environ.get("WAAKVLAM_KEK") or base64.b64encode(os.urandom(32)).decode())
    env = eventsourcing_env(settings)
    apps = {"plain": PlainHouseholds(env=env), "sealed": Households(env=env)}
    try:
        for app in apps.values():  # warm up: connections, prepared statements, caches
            phase(app, 20, 2)
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in apps}
        for _ in range(rounds):
            for name, app in apps.items():
                results[name].append(phase(app, households, contacts))
        print(f"write path: {households} registrations + {households * contacts} contacts per round, "
              f"{rounds} rounds, one thread, PostgreSQL")
        medians: dict[str, tuple[float, float, float]] = {}
        for name, found in results.items():
            register = statistics.median(r[0] for r in found) / households * 1000
            contact = statistics.median(r[1] for r in found) / (households * contacts) * 1000
            total = statistics.median((r[0] + r[1]) / r[2] for r in found) * 1000
            medians[name] = (register, contact, total)
            print(f"  {name:<7} register {register:6.3f} ms   contact {contact:6.3f} ms   "
                  f"per command {total:6.3f} ms ({1000 / total:,.0f}/s)")
        overhead = [medians["sealed"][i] / medians["plain"][i] - 1 for i in range(3)]
        print(f"  overhead of sealing: register {overhead[0]:+.1%}, contact {overhead[1]:+.1%}, "
              f"per command {overhead[2]:+.1%} (target <= {TARGET_OVERHEAD:.0%}): "
              + ("met" if overhead[2] <= TARGET_OVERHEAD else "NOT met"))
    finally:
        for app in apps.values():
            app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
