"""Processes the log tests start as the service runs them, and wait for."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def wait_healthy(base: str, log: Path, timeout: float = 60) -> None:
    """Until `base`/healthz answers 200; the process's output in the failure otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """`command` running with its output in `log`, healthy on `port`; yields its base URL; stopped after."""
    with open(log, "wb") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, log, timeout=30)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
