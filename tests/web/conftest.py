"""The browser tests: Playwright for Python driving Debian's Chromium (`executable_path`; `make test` installs
it with apt-get when it is missing; never `playwright install`, which downloads a browser), against the app
on a real HTTP server (uvicorn) with the projections running beside it, as `make run` has them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from waakvlam.accounts import Accounts

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    args = [*browser_type_launch_args.get("args", []), "--lang=nl-NL"]  # date fields as a Dutch user sees them
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # axe-core is injected as an inline script, which the pages' Content-Security-Policy (rightly) refuses:
    # the test's browser bypasses the policy; tests/web/test_pages.py checks the policy itself.
    return {**browser_context_args, "bypass_csp": True, "viewport": PHONE, "locale": "nl-NL",
            "timezone_id": "Europe/Amsterdam"}


@pytest.fixture
def site(http_server: str, env: dict[str, str], projection_worker, plan_worker, timeline_worker,
         schedule_worker) -> Iterator[str]:
    """The base URL of the app, its demo accounts made and its projections running."""
    accounts = Accounts(env)
    try:
        accounts.ensure_demo_accounts()
    finally:
        accounts.close()
    yield http_server


@pytest.fixture
def api(site: str) -> Iterator[httpx.Client]:
    """The JSON API of the same server, as anna, to set the scene."""
    with httpx.Client(base_url=site, headers={"Authorization": "Bearer dev-anna"}, timeout=20) as client:
        yield client
