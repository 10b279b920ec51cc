"""`make run` (`waakvlam run` in demo mode) as a person trying Waakvlam gets it: the demo municipality is
loaded, the API answers, the projection worker fills the views, the reminder worker sends the reminders
of check-ins that are due to the demo's local mail sink (one .eml file per mail, as the README says), a
worker that dies is started again, and Ctrl-C (SIGINT) stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from waakvlam.mail_sink import free_port

pytestmark = [pytest.mark.slow, pytest.mark.alone]

CARLA = {"Authorization": "Bearer dev-carla"}  # team lead of Wijkteam Noord


def _until(what: str, check, log: Path, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except httpx.TransportError:
            found = None
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}; the output:\n{log.read_text()[-3000:]}"
        time.sleep(0.5)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(line) for line in found.split()]


def test_make_run_serves_the_demo_fills_the_views_and_delivers_reminders_to_the_mail_sink(settings, tmp_path):
    port, sink_port = free_port(), free_port()
    data_dir = tmp_path / "data"
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
           "WAAKVLAM_DEMO": "true", "PORT": str(port), "WAAKVLAM_MAIL_SINK_PORT": str(sink_port),
           "WAAKVLAM_DATA_DIR": str(data_dir), "WAAKVLAM_REMINDER_INTERVAL": "1", "WAAKVLAM_POOL_SIZE": "3"}
    for name in ("WAAKVLAM_SMTP_HOST", "WAAKVLAM_BASE_URL"):
        env.pop(name, None)
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "waakvlam.cli", "run"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _until("the API did not start", lambda: httpx.get(f"{base}/healthz").status_code == 200, log)
        children = _children(process.pid)
        assert len(children) == 3, children  # the projection worker, the mail sink, the reminder worker

        # The projection worker fills the caseload from the demo municipality.
        caseload = _until("the caseload stayed empty", lambda: httpx.get(
            f"{base}/api/households", headers=CARLA, params={"limit": 200}).json().get("items"), log)
        assert len(caseload) >= 10 and {item["team"] for item in caseload} == {"Wijkteam Noord"}

        # The reminder worker sends what is due to the local sink, which keeps each mail as a file.
        mails = _until("no reminder reached the mail sink", lambda: sorted((data_dir / "mail").glob("*.eml")), log)
        mail = message_from_bytes(mails[0].read_bytes(), policy=policy.default)
        assert mail["From"] and mail["To"] and mail["Message-ID"] and mail["Subject"]
        assert f"http://127.0.0.1:{port}/" in mail.get_body(("plain",)).get_content()  # links lead to this server
        assert "Demo mail is not sent" in log.read_text()  # `make run` says where the mail goes

        # A worker that dies is started again.
        os.kill(children[-1], signal.SIGKILL)
        _until("the killed worker was not started again",
               lambda: len(now := _children(process.pid)) == 3 and children[-1] not in now, log, timeout=30)
        assert "stopped (exit code -9); starting it again" in log.read_text()
        children = _children(process.pid)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text(), child
