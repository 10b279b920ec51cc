"""No answer without its access-log entry, even when the API is killed (issue 12 §1).

A real API process (uvicorn, as `waakvlam api` runs it) under a read and write load from a few clients is
killed with SIGKILL at random moments and started again, several times. Every request carries a token of
its own in its User-Agent, which the access log keeps; afterwards every answer a client received (2xx)
must have its entry, a change's entry must be in the transaction of its event, and the chain is intact.
Bounded to about 20 s of load; WAAKVLAM_CRASH_SECONDS makes it longer (`make reliability` runs the longer crash cycles).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.conftest import TEST_KEK
from tests.integration.servers import wait_healthy
from waakvlam.access_log import verify

pytestmark = [pytest.mark.slow, pytest.mark.alone]

ROOT = Path(__file__).resolve().parents[2]
ANNA = {"Authorization": "Bearer dev-anna"}
CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Api:
    """The API process, which the test kills and starts again on the same port."""

    def __init__(self, settings, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
                    "WAAKVLAM_DEMO": "true", "WAAKVLAM_KEK": TEST_KEK}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        wait_healthy(self.base, self.log, timeout=60)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _load(base: str, households: list[str], answered: list[tuple[str, str, int | None]], stop: threading.Event,
          seed: int) -> None:
    """Reads (summary, plan) and writes (a contact) in a loop; each answer received: (token, kind, position)."""
    rng = random.Random(seed)
    with httpx.Client(base_url=base, headers=ANNA, timeout=10) as client:
        while not stop.is_set():
            token = uuid.uuid4().hex
            household = rng.choice(households)
            headers = {"User-Agent": f"crash-test/{token}"}
            kind = rng.choice(("summary", "plan", "plan", "contact"))
            try:
                if kind == "contact":
                    response = client.post(f"/api/households/{household}/contacts", headers=headers,
                                           json={"kind": "telefonisch", "summary": "Even gebeld"})
                else:
                    path = f"/api/households/{household}" + ("/plan" if kind == "plan" else "")
                    response = client.get(path, headers=headers)
            except httpx.TransportError:  # the server was killed under this request, or is starting
                time.sleep(0.05)
                continue
            if response.is_success:
                answered.append((token, kind, response.json().get("position") if kind == "contact" else None))


def test_every_answer_a_client_received_has_its_entry_though_the_api_is_killed_at_random(settings, tmp_path):
    seconds = float(os.environ.get("WAAKVLAM_CRASH_SECONDS", "20"))
    api = Api(settings, tmp_path / "api.log")
    rng = random.Random()
    answered: list[tuple[str, str, int | None]] = []
    kills = 0
    try:
        api.start()
        households = []
        for n in range(10):
            response = httpx.post(f"{api.base}/api/households", headers=ANNA, timeout=10,
                                  json={"label": f"Fam. {n}", "team": "Wijkteam Noord"})
            assert response.status_code == 201, response.text
            households.append(response.json()["household_id"])
        stop = threading.Event()
        clients = [threading.Thread(target=_load, args=(api.base, households, answered, stop, n))
                   for n in range(CLIENTS)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.2, 1.5))  # a random moment under load
                api.kill()
                kills += 1
                api.start()
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=30)
    finally:
        api.stop()

    table = f'"{settings.postgres_schema}".access_log'
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        logged = {row[0].removeprefix("crash-test/"): row[1] for row in conn.execute(
            f"SELECT user_agent, xmin::text FROM {table} WHERE user_agent LIKE 'crash-test/%%'")}
        positions = [p for _, kind, p in answered if kind == "contact"]
        event_xids = dict(conn.execute(
            f'SELECT notification_id, xmin::text FROM "{settings.postgres_schema}".waakvlam_events'
            " WHERE notification_id = ANY(%s)", (positions,)).fetchall())
        chain = verify(conn, settings.postgres_schema)

    missing = [(token, kind) for token, kind, _ in answered if token not in logged]
    apart = [(token, p) for token, kind, p in answered if kind == "contact" and logged.get(token) != event_xids.get(p)]
    reads = sum(1 for _, kind, _ in answered if kind != "contact")
    print(f"{kills} SIGKILLs; {len(answered)} answers received ({reads} reads, {len(answered) - reads} changes); "
          f"{len(logged)} entries; answers without an entry: {len(missing)}; changes whose entry is not in "
          f"their events' transaction: {len(apart)}; chain {'intact' if chain.ok else 'BROKEN'}")
    assert kills >= 3 and reads >= 50 and len(answered) - reads >= 10, (kills, len(answered))
    assert missing == []
    assert apart == []
    assert chain.ok, chain
