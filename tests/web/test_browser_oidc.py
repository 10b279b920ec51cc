"""Logging in through the organisation in a real headless Chromium: a mail link, the login page's button, the
issuer (a real local one, on another site: `localhost` beside the app's `127.0.0.1`, so the flow's SameSite=Lax
cookie must survive a cross-site return), and the page asked for; a refusal in Dutch. axe and 360 px on each."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from api.main import create_app
from tests.web.browser import check_screen
from tests.web.oidc_issuer import Issuer

CLIENT_ID, SECRET = "waakvlam-pages", "issuer-secret"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with Issuer(CLIENT_ID, SECRET, host="localhost") as running:
        running.user = {"sub": "carla", "waakvlam_role": "coordinator", "waakvlam_team": "Wijkteam Noord"}
        yield running


@pytest.fixture
def site(request: pytest.FixtureRequest, settings: Any, issuer: Issuer) -> Iterator[str]:
    """The app as a deployment runs it (no demo, the issuer configured), on a real HTTP server."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    app = create_app(settings.model_copy(update={
        "demo": False, "base_url": base, "oidc_issuer": issuer.url, "oidc_audience": CLIENT_ID,
        "oidc_jwks_url": f"{issuer.url}/jwks", "oidc_client_id": CLIENT_ID, "oidc_client_secret": SecretStr(SECRET),
        "oidc_organisation": "Gemeente Voorbeeld", **getattr(request, "param", {})}))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the HTTP server did not start"
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=10)


def test_a_mail_link_lands_on_its_page_after_logging_in_through_the_organisation(page: Page, site: str) -> None:
    page.goto(f"{site}/huishoudens?zoek=Jansen")
    expect(page).to_have_url(re.compile(r"/inloggen\?volgende="))
    expect(page.get_by_label("Wachtwoord")).to_have_count(0)
    check_screen(page, "inloggen-organisatie")
    page.get_by_role("link", name="Inloggen via Gemeente Voorbeeld").click()

    expect(page).to_have_url(f"{site}/huishoudens?zoek=Jansen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Huishoudens")
    expect(page.locator(".wv-who")).to_have_text("carla · regisseur")

    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(f"{site}/inloggen?uitgelogd=1")
    page.goto(f"{site}/huishoudens")
    expect(page).to_have_url(re.compile(r"/inloggen\?volgende=/huishoudens"))


def test_a_user_waakvlam_does_not_know_is_told_so_in_dutch(page: Page, site: str, issuer: Issuer) -> None:
    issuer.user = {"sub": "iemand-anders"}
    page.goto(f"{site}/inloggen")
    page.get_by_role("link", name="Inloggen via Gemeente Voorbeeld").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("U bent niet bekend in Waakvlam")
    check_screen(page, "inloggen-onbekend")
    page.get_by_role("link", name="Naar de inlogpagina").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")


@pytest.mark.parametrize("site", [{"local_accounts": True}], indirect=True)
def test_with_local_accounts_too_the_login_page_offers_both(page: Page, site: str) -> None:
    page.goto(f"{site}/inloggen")
    expect(page.get_by_role("link", name="Inloggen via Gemeente Voorbeeld")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text("Of met een account van Waakvlam")
    expect(page.get_by_label("Wachtwoord")).to_be_visible()
    check_screen(page, "inloggen-beide")
