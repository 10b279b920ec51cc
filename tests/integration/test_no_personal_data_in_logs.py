"""No personal data in the logs (issue 5, §4): the demo municipality is loaded, the
API, the projection worker and the reminder worker run as the service runs them,
a realistic session goes over HTTP (households with demo names, contacts with
notes, signals with addresses, validation errors, 404s, stale writes, oversized
bodies, failed logins), and ALL output of every process (structlog JSON, uvicorn,
the request log, the workers) is searched for the names, addresses and notes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from tests.integration.servers import wait_healthy
from tests.personal import ADDRESSES, NOTES, SURNAMES, personal_data_in
from waakvlam import demo
from waakvlam.mail_sink import free_port

pytestmark = pytest.mark.slow


def _session(base: str) -> dict[str, Any]:
    """What a day at the wijkteam sends, good and bad."""
    anna, bram = {"Authorization": "Bearer dev-anna"}, {"Authorization": "Bearer dev-bram"}
    http = httpx.Client(base_url=base, timeout=30)
    said: list[str] = []
    households = []
    for i, surname in enumerate(SURNAMES[:8]):
        first, child = demo.WOMEN[i % len(demo.WOMEN)], demo.CHILDREN[i % len(demo.CHILDREN)]
        said += [surname, first, child]
        created = http.post("/api/households", headers=anna,
                            json={"label": f"Fam. {surname}", "team": "Wijkteam Noord"}).json()
        household_id = created["household_id"]
        households.append(household_id)
        url = f"/api/households/{household_id}"
        http.post(f"{url}/members", headers=anna, json={"name": f"{first} {surname}", "role": "moeder"})
        http.post(f"{url}/members", headers=anna, json={"name": f"{child} {surname}", "role": "kind",
                                                         "birth_year": 2015})
        http.post(f"{url}/network", headers=anna, json={"name": f"{demo.MEN[i]} {SURNAMES[-1 - i]}",
                                                         "relation": "buurman", "notices_decline": True})
        for note in NOTES[i % 3: i % 3 + 3]:
            http.post(f"{url}/contacts", headers=bram, json={"kind": "huisbezoek", "summary": f"{first}: {note}"})
        http.post(f"{url}/signals", headers=bram, json={"source": "woningcorporatie", "description": NOTES[0],
                                                         "life_domains": ["housing"], "urgency": "high"})
        # Validation errors with personal data in the wrong places.
        http.post(f"{url}/members", headers=anna, json={"name": f"{first} {surname}", "birth_year": f"{first}"})
        http.post(f"{url}/contacts", headers=anna, json={"kind": f"bij {surname} thuis", "summary": NOTES[1]})
        http.post(f"{url}/contacts", headers=anna, content=f'{{"kind": "huisbezoek", "summary": "{NOTES[2]}'.encode(),
                  )
        http.post(f"{url}/contacts", headers={**anna, "If-Match": '"1"'}, json={"kind": "telefonisch",
                                                                                 "summary": NOTES[3]})
        http.post(f"{url}/goals/nosuchgoal/achieve", headers=anna, json={"note": f"{first} is blij"})
        http.post(f"{url}/contacts", headers=anna, json={"kind": "huisbezoek", "summary": f"{surname} " * 300_000})
        # Reading it back: the plan, the timeline, the history (the answers hold the names, the logs must not).
        http.get(f"{url}/plan", headers=bram)
        http.get(f"{url}/timeline", headers=bram)
        http.get(f"{url}/history", headers=bram)
    for address in ADDRESSES:
        http.post("/api/signals", headers={"Authorization": "Bearer dev-petra"},
                  json={"source": "housing_corporation", "about_name": f"Mevrouw {SURNAMES[0]}",
                        "about_address": address, "description": NOTES[0], "urgency": "high"})
    http.post("/api/households", headers=anna, json={"label": f"Fam. {SURNAMES[0]}", "team": "x" * 500})
    http.get(f"/api/households?team={SURNAMES[1]}", headers=anna)
    http.get(f"/api/households/{SURNAMES[2]}", headers=anna)
    http.get("/api/households/7d4f2a6e-0000-4000-8000-000000000000", headers=anna)
    http.get("/api/households", headers={"Authorization": f"Bearer {SURNAMES[3]}"})
    http.post("/api/login", json={"username": f"{demo.WOMEN[0]} {SURNAMES[0]}", "password": "Dorpsstraat 12"})
    http.post("/api/login", json={"username": "anna", "password": NOTES[0]})
    login = http.post("/api/login", json={"username": "anna", "password": "waakvlam-demo"})
    assert login.status_code == 200, login.text
    position = http.get("/api/households?limit=1", headers=anna)
    last = max(http.get(f"/api/households/{h}", headers=anna).json()["version"] for h in households)
    assert last > 3
    after = {"after": _position(http, anna, households)}
    deadline = time.monotonic() + 180  # the worker projects the whole demo municipality first
    while (caseload := http.get("/api/households", headers=anna, params=after)).status_code == 503:
        assert time.monotonic() < deadline, caseload.text
    assert caseload.status_code == 200, caseload.text
    assert position.status_code == 200
    return {"households": households, "said": said}


def _position(http: httpx.Client, headers: dict[str, str], households: list[str]) -> int:
    response = http.post(f"/api/households/{households[0]}/contacts", headers=headers, json={"kind": "overleg"})
    return response.json()["position"]


def test_a_realistic_session_leaves_no_names_addresses_or_notes_in_any_log(settings, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
           "WAAKVLAM_DEMO": "true", "PORT": str(port), "WAAKVLAM_LOG_LEVEL": "DEBUG",
           "WAAKVLAM_REMINDER_INTERVAL": "1", "WAAKVLAM_POOL_SIZE": "2", "WAAKVLAM_DATA_DIR": str(tmp_path / "data")}
    env.pop("WAAKVLAM_SMTP_HOST", None)
    logs = {name: tmp_path / f"{name}.log" for name in ("demo", "api", "worker", "reminders")}
    with open(logs["demo"], "wb") as out:  # the demo municipality, with its accounts
        subprocess.run([sys.executable, "-m", "waakvlam.cli", "demo"], env=env, stdout=out, stderr=subprocess.STDOUT,
                       check=True, timeout=600)
    commands = {"api": ["waakvlam.cli", "api"], "worker": ["workers.projections"], "reminders": ["workers.reminders"]}
    processes = []
    try:
        base = f"http://127.0.0.1:{port}"
        for name, command in commands.items():
            with open(logs[name], "wb") as out:
                processes.append(subprocess.Popen([sys.executable, "-m", *command], env=env, stdout=out,
                                                  stderr=subprocess.STDOUT))
            if name == "api":  # the API makes the views' tables before the workers start (no creation race)
                wait_healthy(base, logs["api"])
        _session(base)
        time.sleep(3)  # the reminder worker takes a few turns over the schedule
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    text = {name: path.read_text(errors="replace") for name, path in logs.items()}
    everything = "\n".join(text.values())
    assert '"request"' in text["api"] and "login" in text["api"], text["api"][-2000:]  # the logs were captured
    assert text["worker"].strip(), "the worker logged nothing"
    statuses = {int(status) for status in re.findall(r'"status": (\d+)', text["api"])}
    assert {200, 201, 401, 404, 412, 422} <= statuses, statuses  # the session went where it had to
    assert '"request.too_large"' in text["api"] and '"login.refused"' in text["api"]
    assert "Traceback" not in everything, everything[-3000:]
    assert personal_data_in(everything) == {}
