"""Two ways of breaking the service under a steady write load, and what they cost:

- crash cycles: the API, the projection worker and the reminder worker each killed with SIGKILL `cycles` times,
  at random moments, each started again at once (as a supervisor would);
- database restarts: PostgreSQL stopped for `away` seconds and started again, `times` times, while every
  process of the service keeps running: each must come back by itself, the API answering 503 with
  Retry-After while the database is away.

Afterwards: acknowledged writes lost, writes recorded twice, views against a from-scratch rebuild, the chain."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field

from reliability.checks import Writes, chain_intact, count_writes, views_against_rebuild
from reliability.load import Ledger, register_households, steady_load
from reliability.services import Service

CLIENTS = 4


@dataclass
class Outcome:
    writes: Writes
    ledger: Ledger
    views: dict[str, int]
    chain: tuple[bool, str]
    seconds: float
    kills: dict[str, int] = field(default_factory=dict)
    api_restart: list[float] = field(default_factory=list)  # seconds until healthy after each kill
    outages: list[dict[str, object]] = field(default_factory=list)  # database restarts
    same_processes: bool = True

    @property
    def views_differing(self) -> int:
        return sum(self.views.values())


def _judge(service: Service, ledger: Ledger, started: float) -> Outcome:
    service.wait_caught_up()
    writes = count_writes(service, ledger)
    views = views_against_rebuild(service)
    return Outcome(writes, ledger, views, chain_intact(service), time.monotonic() - started)


def crash_cycles(service: Service, cycles: int, seed: int = 12) -> Outcome:
    rng = random.Random(seed)
    ledger = Ledger()
    started = time.monotonic()
    ids = register_households(service.port, CLIENTS)
    kills = dict.fromkeys(service.processes, 0)
    api_restart = []
    with steady_load(service.port, ids, ledger):
        for cycle in range(cycles):
            for name in rng.sample(list(service.processes), k=len(service.processes)):
                time.sleep(rng.uniform(0.2, 1.5))
                service.processes[name].kill()
                kills[name] += 1
                began = time.monotonic()
                service.restart(name)
                if name == "api":
                    api_restart.append(time.monotonic() - began)
            if (cycle + 1) % 10 == 0:
                print(f"    {cycle + 1} of {cycles} cycles, {len(ledger.acknowledged)} writes acknowledged",
                      flush=True)
        time.sleep(1.0)
    outcome = _judge(service, ledger, started)
    outcome.kills, outcome.api_restart = kills, api_restart
    return outcome


def database_restarts(service: Service, times: int, away: float, seed: int = 12) -> Outcome:
    rng = random.Random(seed)
    ledger = Ledger()
    started = time.monotonic()
    ids = register_households(service.port, CLIENTS)
    pids = {name: process.pid for name, process in service.processes.items()}
    outages = []
    with steady_load(service.port, ids, ledger):
        for _ in range(times):
            time.sleep(rng.uniform(2.0, 4.0))
            acknowledged_before = len(ledger.acknowledged)
            stopped = time.monotonic()
            service.database.stop()
            time.sleep(away)
            back = time.monotonic()
            service.database.start()
            outages.append({"stopped": stopped, "back": back, **_recovery(service, ledger, back,
                                                                         acknowledged_before)})
        time.sleep(1.0)
    outcome = _judge(service, ledger, started)
    outcome.outages = outages
    outcome.same_processes = all(process.alive() and process.pid == pids[name]
                                 for name, process in service.processes.items())
    return outcome


def _recovery(service: Service, ledger: Ledger, back: float, acknowledged_before: int,
              timeout: float = 60) -> dict[str, object]:
    """After the database is back: seconds until a write is acknowledged again, and until every process of the
    service has a session in PostgreSQL again."""
    first_write = connected = None
    while time.monotonic() - back < timeout and (first_write is None or connected is None):
        if first_write is None and len(ledger.acknowledged) > acknowledged_before:
            first_write = time.monotonic() - back
        if connected is None:
            try:
                if {"waakvlam api", "waakvlam projections", "waakvlam reminders"} <= service.connected():
                    connected = time.monotonic() - back
            except Exception:  # the database is still starting
                pass
        time.sleep(0.1)
    return {"first_write": first_write, "connected": connected}


def during_outages(outcome: Outcome) -> tuple[int, int, dict[str, int]]:
    """The answers clients received while the database was away (and until the first write after it):
    how many, how many of them 503 with Retry-After and problem+json, and the rest by status."""
    total = good = 0
    other: dict[str, int] = {}
    for outage in outcome.outages:
        until = float(outage["back"]) + float(outage["first_write"] or 60)  # type: ignore[arg-type]
        for answer in outcome.ledger.answers:
            if float(outage["stopped"]) <= answer.at <= until:  # type: ignore[arg-type]
                total += 1
                if answer.status == 503 and (answer.retry_after or "").isdigit() and answer.problem:
                    good += 1
                else:
                    other[str(answer.status)] = other.get(str(answer.status), 0) + 1
    return total, good, other


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
