"""What the page tests share: logging in through the login form, and the CSRF token of a page."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from waakvlam.demo_users import DEMO_PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def pages_client(client: TestClient) -> TestClient:
    """A visitor-like client of the same app: no bearer token, cookies kept, redirects not followed."""
    client.app.state.accounts.ensure_demo_accounts()
    return TestClient(client.app, follow_redirects=False)


def log_in(visitor: TestClient, user: str, password: str = DEMO_PASSWORD, volgende: str = "/") -> httpx.Response:
    form = visitor.get("/inloggen", params={"volgende": volgende})
    assert form.status_code == 200
    return visitor.post("/inloggen", data={"gebruikersnaam": user, "wachtwoord": password,
                                           "csrf": csrf_of(form.text), "volgende": volgende})
