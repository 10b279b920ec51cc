"""The service as it runs in production, as separate processes on a PostgreSQL of the suite's own: the API
(`waakvlam api`), the projection worker (`waakvlam worker`) and the reminder worker (`waakvlam reminders`).
Each can be killed with SIGKILL and started again; the database can be stopped and started again."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from benchmarks.write_path import ROOT, free_port

with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set"
    warnings.simplefilter("ignore")
    import pgserver

COMMANDS = {"api": "api", "projection worker": "worker", "reminder worker": "reminders"}


class Database:
    """An embedded PostgreSQL in `pgdata` that this suite may stop and start again (the same data, the same URL)."""

    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.url = pgserver.get_server(pgdata, cleanup_mode="stop").get_uri()

    def stop(self) -> None:
        pgserver.get_server(self.pgdata, cleanup_mode="stop").cleanup()  # pg_ctl stop: ends every session

    def start(self) -> None:
        pgserver.get_server(self.pgdata, cleanup_mode="stop")

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)


class Process:
    """One of the service's processes: `waakvlam <command>`, its output appended to a log file."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.env = env
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen([sys.executable, "-m", "waakvlam.cli", COMMANDS[self.name]], cwd=ROOT,
                                          env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine loses power under the process."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


class Service:
    """The API and both workers on `database`, in `schema`; the API on a port of its own."""

    def __init__(self, database: Database, schema: str, workdir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.database = database
        self.schema = schema
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": database.url, "POSTGRES_SCHEMA": schema, "WAAKVLAM_DEMO": "true",
               "HOST": "127.0.0.1", "PORT": str(self.port), "WAAKVLAM_REMINDER_INTERVAL": "0.5",
               "WAAKVLAM_LOG_LEVEL": "WARNING", **(extra_env or {})}
        env.pop("WAAKVLAM_SMTP_HOST", None)
        self.env = env
        self.processes = {name: Process(name, env, workdir / f"{name.replace(' ', '-')}.log") for name in COMMANDS}

    @property
    def api(self) -> Process:
        return self.processes["api"]

    def create_views(self) -> None:
        """What `waakvlam run` does once before starting the processes (they would race to create the views)."""
        subprocess.run([sys.executable, "-c", "from waakvlam.cli import _create_views; _create_views()"], cwd=ROOT,
                       env=self.env, check=True)

    def start(self) -> None:
        self.create_views()
        for process in self.processes.values():
            process.start()
        self.wait_healthy()

    def restart(self, name: str) -> None:
        self.processes[name].start()
        if name == "api":
            self.wait_healthy()

    def wait_healthy(self, timeout: float = 60) -> float:
        """Seconds until the API answers /healthz with 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.api.alive():
                raise RuntimeError(f"the API exited:\n{self.api.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        return time.monotonic() - started
                finally:
                    conn.close()
            time.sleep(0.05)
        raise RuntimeError(f"the API did not become healthy in {timeout} s:\n{self.api.log.read_text()[-3000:]}")

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    # ---- what the views have seen ---------------------------------------------------

    def head(self) -> int:
        with self.database.connect() as conn:
            (head,) = conn.execute(SQL("SELECT max(notification_id) FROM {0}.waakvlam_events").format(
                Identifier(self.schema))).fetchone()
        return head or 0

    def positions(self) -> dict[str, int]:
        """Each projection's tracking position (what the readers see)."""
        from workers.projections import PROJECTIONS

        found = {}
        with self.database.connect() as conn:
            for projection, _ in PROJECTIONS:
                try:
                    (position,) = conn.execute(SQL("SELECT max(notification_id) FROM {0}.{1}").format(
                        Identifier(self.schema), Identifier(f"{projection.name}_tracking"))).fetchone()
                except psycopg.errors.UndefinedTable:
                    position = None
                found[projection.name] = position or 0
        return found

    def wait_caught_up(self, timeout: float = 120) -> float:
        """Seconds until every projection has the store's head (the projection worker must be running)."""
        started = time.monotonic()
        head = self.head()
        while min(self.positions().values()) < head:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"the views did not catch up with {head} in {timeout} s: {self.positions()}")
            time.sleep(0.2)
        return time.monotonic() - started

    def connected(self) -> set[str]:
        """The service's processes with a session in PostgreSQL now (by application_name)."""
        with self.database.connect() as conn:
            rows = conn.execute("SELECT DISTINCT application_name FROM pg_stat_activity WHERE datname IS NOT NULL")
            return {name for (name,) in rows if name.startswith("waakvlam")}


@contextlib.contextmanager
def running(service: Service) -> Iterator[Service]:
    service.start()
    try:
        yield service
    finally:
        service.stop()
