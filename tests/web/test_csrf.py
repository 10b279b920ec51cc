"""CSRF protection on every form (issue 11 §1): each POST route of the pages, walked from the app's own routes,
refuses a form without this session's token, or with another session's, with the Dutch 403 page, and records
nothing."""

from __future__ import annotations

import re
from uuid import UUID

from tests.api.support import register, write
from tests.web.support import csrf_of, log_in, pages_client
from web import routes


def _page_posts() -> list[str]:
    """Every POST path of the pages: the routes of every module of web/routes/, as the app includes them."""
    paths = []
    for module in routes.modules():
        for route in module.router.routes:
            if "POST" in (getattr(route, "methods", None) or set()) and route.path not in paths:
                paths.append(route.path)
    return paths


def _filled(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{([a-z_]+)(?::[a-z]+)?\}", lambda m: ids.get(m.group(1), "onbekend"), path)


def test_every_post_of_the_pages_refuses_a_form_without_its_sessions_token(client):
    household_id = register(client)
    goal = write(client, household_id, "goals", {"life_domain": "housing", "description": "Huur betaald"})
    ids = {"household_id": household_id, "goal_id": goal["item_id"], "signal_id": household_id,
           "notification_id": household_id}
    households = client.app.state.households
    before = households.recorder.max_notification_id()
    anna = pages_client(client)
    log_in(anna, "anna")
    other = pages_client(client)
    log_in(other, "bram")
    foreign = csrf_of(other.get("/").text)  # a real token, of another session
    paths = _page_posts()
    assert len(paths) >= 25, paths  # the command forms alone are 25
    for path in paths:
        url = _filled(path, ids)
        for data in ({}, {"csrf": foreign}, {"csrf": "0" * 40}):
            answer = anna.post(url, data={**data, "reason": "x", "description": "x", "name": "x"})
            assert answer.status_code == 403, (url, data, answer.status_code)
            assert "Formulier verlopen" in answer.text or "inloggen" in url, url
    assert households.recorder.max_notification_id() == before
    assert len(households.get(UUID(household_id)).goals) == 1
