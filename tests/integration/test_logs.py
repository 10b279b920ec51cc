"""The server's logs: one JSON line per request with what operations needs, and
nothing a household told us."""

from __future__ import annotations

import json
import os
import sys

import httpx

from tests.integration.servers import serving
from waakvlam.mail_sink import free_port


def test_request_logs_carry_ids_route_status_and_duration_but_no_names_or_notes(settings, tmp_path):
    port = free_port()
    log_file = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
           "WAAKVLAM_DEMO": "true", "PORT": str(port)}
    with serving([sys.executable, "-m", "waakvlam.cli", "api"], env, port, log_file) as base:
        headers = {"Authorization": "Bearer dev-anna"}
        created = httpx.post(f"{base}/api/households", headers=headers,
                             json={"label": "Fam. Geheimnaam", "team": "Wijkteam Noord"}).json()
        household_id = created["household_id"]
        httpx.post(f"{base}/api/households/{household_id}/members", headers=headers,
                   json={"name": "Zeldzame Voornaam", "role": "vader"})
        httpx.post(f"{base}/api/households/{household_id}/contacts", headers={**headers, "X-Request-Id": "abc123"},
                   json={"kind": "huisbezoek", "summary": "Vertrouwelijke notitie over schulden"})
        httpx.post(f"{base}/api/households/{household_id}/contacts", headers=headers,
                   json={"kind": "Vertrouwelijk-foutief", "summary": "Nog een geheime notitie"})

    text = log_file.read_text()
    for secret in ("Geheimnaam", "Zeldzame", "Vertrouwelijk", "geheime", "schulden"):
        assert secret not in text
    requests = [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"request"' in line]
    contact_logs = [r for r in requests if r["route"] == "/api/households/{household_id}/contacts"]
    assert [r["status"] for r in contact_logs] == [201, 422]
    assert all(r["household_id"] == household_id and r["duration_ms"] >= 0 for r in contact_logs)
    assert contact_logs[0]["request_id"] == "abc123"


EXPLODING_SERVER = """
import logging, sys
import structlog, uvicorn
from api.main import create_app

app = create_app()

@app.get("/api/test-explodes")
def explode():
    raise RuntimeError("Fam. Jansen, Dorpsstraat 12")

@app.get("/api/test-logs-an-exception")
def logs_one():
    try:
        {}["Mevrouw Bakker"]
    except KeyError:
        logging.getLogger("waakvlam.test").exception("a library logged an error")
        structlog.get_logger("api").exception("we logged an error")
    return {}

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


def test_an_unexpected_error_is_logged_as_its_type_and_place_never_its_message_or_a_traceback(settings, tmp_path):
    port = free_port()
    log_file = tmp_path / "server.log"
    env = {**os.environ, "DATABASE_URL": settings.database_url, "POSTGRES_SCHEMA": settings.postgres_schema,
           "WAAKVLAM_DEMO": "true"}
    with serving([sys.executable, "-c", EXPLODING_SERVER, str(port)], env, port, log_file) as base:
        headers = {"Authorization": "Bearer dev-anna"}
        assert httpx.get(f"{base}/api/test-explodes", headers=headers).status_code == 500
        assert httpx.get(f"{base}/api/test-logs-an-exception", headers=headers).status_code == 200

    text = log_file.read_text()
    for secret in ("Jansen", "Dorpsstraat", "Bakker", "Traceback"):
        assert secret not in text, text
    assert "RuntimeError at <string>:" in text  # uvicorn's own report of the error, reduced to type and place
    assert "a library logged an error (KeyError at <string>:" in text
    assert any(json.loads(line).get("error", "").startswith("KeyError at <string>:")
               for line in text.splitlines() if line.startswith("{") and "we logged an error" in line)
