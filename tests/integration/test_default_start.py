"""`make run` at its defaults holds up (issue 10): the service started exactly as `make run` starts it (the
embedded PostgreSQL, demo data, default pools) is walked for two minutes on every GET route of its OpenAPI
document as every demo user, with writes in between, and never answers 5xx, never makes PostgreSQL refuse a
client, and never holds more connections than its budget (waakvlam/budget.py). A server with too few
connections for that budget is refused at start-up with a message that says what to change."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from api.auth import DEMO_TOKENS
from waakvlam.budget import budget, usable_connections
from waakvlam.mail_sink import free_port
from waakvlam.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.alone]

WALK_SECONDS = float(os.environ.get("WAAKVLAM_WALK_SECONDS", "120"))
CLIENTS = 6  # at once: more than a wijkteam's office, fewer than the API's pool


def _make_run_env(data_dir: Path, port: int) -> dict[str, str]:
    """The environment `make run` gives `waakvlam run`: nothing set but demo mode and the quiet log (and, here,
    a free port and a data directory of the test's own)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WAAKVLAM_", "POSTGRES_", "PG")) and k not in ("DATABASE_URL", "PORT", "HOST")}
    env.update(WAAKVLAM_DEMO="true", WAAKVLAM_LOG_LEVEL="WARNING", PORT=str(port), WAAKVLAM_DATA_DIR=str(data_dir),
               WAAKVLAM_MAIL_SINK_PORT=str(free_port()))
    for name in ("WAAKVLAM_LOG_COPY",):  # the run's log copy (tests/conftest.py) is kept: it is searched after
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _embedded_conninfo(data_dir: Path) -> str:
    return f"postgresql://postgres:@/postgres?host={data_dir.resolve() / 'pg'}"


def _until(what: str, check, log: Path, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except (httpx.TransportError, psycopg.OperationalError):
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}; the output:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)


class Sampler(threading.Thread):
    """pg_stat_activity, every tenth of a second: the most connections each process held at once."""

    def __init__(self, conninfo: str) -> None:
        super().__init__(daemon=True)
        self.conninfo, self.stop, self.peak, self.peak_per_process = conninfo, threading.Event(), 0, Counter()

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, application_name="test sampler") as conn:
            while not self.stop.wait(0.1):
                rows = conn.execute("SELECT application_name, count(*) FROM pg_stat_activity WHERE backend_type ="
                                    " 'client backend' AND application_name LIKE 'waakvlam%%' GROUP BY 1").fetchall()
                per_process = Counter()
                for name, count in rows:
                    per_process[" ".join(name.split()[:2])] += count  # "waakvlam api", "waakvlam projections", ...
                self.peak = max(self.peak, sum(per_process.values()))
                for process, count in per_process.items():
                    self.peak_per_process[process] = max(self.peak_per_process[process], count)


def _caught_up(data_dir: Path, env: dict[str, str]) -> bool:
    found = subprocess.run([sys.executable, "-m", "waakvlam.cli", "projections"], capture_output=True, text=True,
                           env={**env, "DATABASE_URL": _embedded_conninfo(data_dir)}, timeout=60)
    lags = [int(n) for n in re.findall(r"lag\s+(\d+)", found.stdout)]
    return bool(lags) and not any(lags) and "no worker" not in found.stdout


class Walker:
    """Every GET route of the OpenAPI document, its path parameters filled from the demo data, as each demo user;
    and now and then a write."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30)
        self.statuses: Counter[int] = Counter()
        self.server_errors: list[str] = []
        spec = self.client.get("/openapi.json").json()
        self.routes = [path for path, operations in spec["paths"].items() if "get" in operations]
        self.values = self._values()

    def _as(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _values(self) -> dict[str, dict[str, list[str]]]:
        """Per token, the ids its routes may be asked about (a team's households, the signals, the staff...)."""
        values: dict[str, dict[str, list[str]]] = {}
        admin = self.client.get("/api/staff", headers=self._as("dev-admin")).json()
        staff = [member["user_id"] for member in admin.get("items", admin if isinstance(admin, list) else [])]
        for token, principal in DEMO_TOKENS.items():
            own = self.client.get("/api/households", headers=self._as(token), params={"limit": 50}).json()
            households = [item["household_id"] for item in own.get("items", [])]
            signals = self.client.get("/api/signals", headers=self._as(token), params={"limit": 20}).json()
            feed = self.client.post("/api/calendar", headers=self._as(token))
            values[token] = {
                "household_id": households or ["00000000-0000-4000-8000-000000000000"],
                "signal_id": [item["signal_id"] for item in signals.get("items", [])] or ["unknown"],
                "team": [principal.team or "Wijkteam Noord"],
                "user_id": staff or [principal.user_id],
                "secret": [feed.json()["url"].rsplit("/", 1)[-1].removesuffix(".ics")] if feed.status_code == 201
                else ["not-a-secret"],
            }
        return values

    def _record(self, response: httpx.Response, what: str) -> None:
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors.append(f"{what}: {response.status_code} {response.text[:300]}")

    def get(self, rng: random.Random, token: str) -> None:
        path = rng.choice(self.routes)
        filled = re.sub(r"\{(\w+)\}", lambda m: rng.choice(self.values[token].get(m.group(1), ["x"])), path)
        self._record(self.client.get(filled, headers=self._as(token)), f"GET {path} as {token}")

    def write(self, rng: random.Random) -> None:
        now = datetime.now(UTC)
        if rng.random() < 0.5:
            household = rng.choice(self.values["dev-anna"]["household_id"])
            response = self.client.post(f"/api/households/{household}/contacts", headers=self._as("dev-anna"), json={
                "kind": "telefonisch", "summary": "Even gebeld, het gaat goed",
                "occurred_at": (now - timedelta(minutes=rng.randint(1, 600))).isoformat()})
            self._record(response, "POST contact")
        else:
            response = self.client.post("/api/signals", headers=self._as("dev-petra"), json={
                "source": "housing_corporation", "team": "Wijkteam Noord", "about_name": "Fam. Test",
                "description": "Huurachterstand van twee maanden.", "occurred_at": now.isoformat()})
            self._record(response, "POST signal")

    def walk(self, seconds: float, seed: int) -> None:
        rng, tokens = random.Random(seed), list(DEMO_TOKENS)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if rng.random() < 0.1:
                self.write(rng)
            else:
                self.get(rng, rng.choice(tokens))


def _start(data_dir: Path, port: int, log: Path, cwd: Path | None = None, **env: str) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "waakvlam.cli", "run"],
                                env={**_make_run_env(data_dir, port), **env}, stdout=out, stderr=subprocess.STDOUT,
                                cwd=cwd)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@dataclass(frozen=True)
class Service:
    base: str
    cwd: Path  # where `make run` was started: the data is in cwd/.data, as `make run` has it
    data_dir: Path
    log: Path


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`waakvlam run` as `make run` starts it, once its demo is loaded and every view has caught up."""
    cwd = tmp_path_factory.mktemp("make-run")
    data_dir, port, log = cwd / ".data", free_port(), cwd / "run.log"
    process = _start(data_dir, port, log, cwd=cwd)
    try:
        base = f"http://127.0.0.1:{port}"
        _until("the API did not start", lambda: httpx.get(f"{base}/healthz").status_code == 200, log)
        _until("the views did not catch up with the demo", lambda: _caught_up(data_dir, os.environ.copy()), log)
        yield Service(base, cwd, data_dir, log)
    finally:
        _stop(process)
    assert "Traceback" not in log.read_text()


# ---- the README, as printed -------------------------------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
# curl -s prints an error answer and succeeds; here an answer of 400 or more fails the example.
STRICT_CURL = 'curl() { command curl --fail-with-body --show-error "$@"; }\n'


def readme_examples() -> list[str]:
    """The README's shell examples that talk to a running service (not the `make` commands)."""
    blocks = re.findall(r"^ *```sh\n(.*?)^ *```", README.read_text(), re.M | re.S)
    return [textwrap.dedent(block) for block in blocks if "make run" not in block]


def test_every_shell_example_of_the_readme_runs_as_printed(service):
    examples = readme_examples()
    assert len(examples) >= 4 and any("/contacts" in example for example in examples)
    _until("no demo mail arrived", lambda: list((service.cwd / ".data" / "mail").glob("*.eml")), service.log)
    for example in examples:
        script = STRICT_CURL + example.replace("http://127.0.0.1:8000", service.base)
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=service.cwd, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"{example}\nanswered:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        assert done.stdout.strip(), example
        if "/contacts" in example:  # the tour: the home visit it recorded is on the timeline it read
            assert "huisbezoek" in done.stdout.lower(), done.stdout[-2000:]


# ---- two minutes of every route ----------------------------------------------------------------------------------


def test_make_run_at_its_defaults_stays_within_its_connections_for_two_minutes_of_every_route(service):
    allowed = budget(Settings(_env_file=None))  # the defaults, as `make run` has them
    most, _ = usable_connections(_embedded_conninfo(service.data_dir))
    assert allowed.total <= most / 2, "at its defaults, waakvlam run and its commands take at most half the server"
    sampler = Sampler(_embedded_conninfo(service.data_dir))
    sampler.start()
    walkers = [Walker(service.base) for _ in range(CLIENTS)]
    threads = [threading.Thread(target=w.walk, args=(WALK_SECONDS, n)) for n, w in enumerate(walkers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sampler.stop.set()
    sampler.join()

    statuses = sum((w.statuses for w in walkers), Counter())
    errors = [error for w in walkers for error in w.server_errors]
    print(f"answers {dict(statuses)}; peak connections {sampler.peak} (budget {allowed.service}); per process "
          f"{dict(sampler.peak_per_process)}")
    assert sum(statuses.values()) > 500 and statuses[200] > 300, statuses  # it was walked, and it answered
    assert errors == [], errors[:10]
    server_log = "".join(path.read_text(errors="replace") for path in (service.data_dir / "pg").glob("log*")
                         if path.is_file())
    assert "too many clients" not in server_log
    assert 0 < sampler.peak <= allowed.service
    assert sampler.peak_per_process["waakvlam api"] <= allowed.api
    assert sampler.peak_per_process["waakvlam projections"] <= allowed.projection_worker
    assert sampler.peak_per_process["waakvlam reminders"] <= allowed.reminder_worker
    assert "Traceback" not in service.log.read_text()


def test_a_server_with_too_few_connections_is_refused_at_start_with_a_clear_message(tmp_path):
    """A server of one's own (DATABASE_URL) is checked, never changed: too small, and the service does not start."""
    import pgserver

    server = pgserver.get_server(tmp_path / "own-pg", cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET max_connections = 20")  # read at the next start
    server.cleanup()
    server = pgserver.get_server(tmp_path / "own-pg", cleanup_mode="stop")
    log = tmp_path / "run.log"
    try:
        process = _start(tmp_path / "data", free_port(), log, DATABASE_URL=server.get_uri())
        try:
            code = process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise
    finally:
        server.cleanup()
    output = log.read_text()
    assert code == 2, output
    assert ("Waakvlam does not start: PostgreSQL allows 17 connections (max_connections = 20, less those reserved "
            "for superusers), and this start needs 35") in output
    assert "Raise max_connections" in output and "WAAKVLAM_POOL_SIZE" in output
    assert "Traceback" not in output


def test_the_embedded_server_is_started_with_room_for_what_the_start_takes(tmp_path):
    import pgserver

    from waakvlam.database import embedded_with_connections

    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET max_connections = 20")
    server.cleanup()
    url = embedded_with_connections(tmp_path, 230)  # e.g. WAAKVLAM_POOL_SIZE=50: 115 connections, twice over
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SHOW max_connections").fetchone()[0] == "230"
    assert embedded_with_connections(tmp_path, 100) == url  # enough already: left as it is, not restarted
    pgserver.get_server(tmp_path / "pg", cleanup_mode="stop").cleanup()
