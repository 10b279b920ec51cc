"""Who may open which page (issue 11: the authorisation matrix covers the pages too), against the same table
as the API's (tests/api/test_authorisation.py): a household's page and its contact form for its own team, a
coordinator also for a household they coordinate in another team; nobody else (the privacy officer reads a
household's history and log, not its file; the administrator and a partner no household data)."""

from __future__ import annotations

import pytest

from tests.api.support import register, write
from tests.api.test_authorisation import TEAM, TOKENS
from tests.web.support import log_in, pages_client

USERS = {"generalist": "anna", "coordinator": "bram", "team_lead": "carla", "generalist_elsewhere": "kees",
         "coordinator_elsewhere": "ruben", "team_lead_elsewhere": "ingrid", "privacy_officer": "dirk",
         "administrator": "admin", "partner": "petra"}


def test_the_users_are_those_of_the_api_matrix():
    assert set(USERS) == set(TOKENS) and all(TOKENS[role] == f"dev-{user}" for role, user in USERS.items())


@pytest.mark.parametrize("role", list(USERS))
def test_the_household_page_and_contact_form_as_the_api_allows_them(client, role):
    household_id = register(client, team="Wijkteam Noord")
    visitor = pages_client(client)
    log_in(visitor, USERS[role])
    expected = 200 if role in TEAM else 403
    assert visitor.get(f"/households/{household_id}").status_code == expected
    assert visitor.get(f"/households/{household_id}/contact").status_code == expected
    api = client.get(f"/api/households/{household_id}", headers={"Authorization": f"Bearer {TOKENS[role]}"})
    assert api.status_code == expected  # the same answer as the API's read


def test_a_coordinator_of_another_team_opens_the_household_they_coordinate(client, projection_worker):
    household_id = register(client, team="Wijkteam Noord")
    assigned = write(client, household_id, "coordinator", {"coordinator": "ruben",
                                                           "legal_basis": "Wmo 2015 art. 2.3.2"})
    projection_worker.wait(assigned["position"], timeout=10)
    visitor = pages_client(client)
    log_in(visitor, "ruben")
    assert visitor.get(f"/households/{household_id}").status_code == 200
    home = visitor.get("/")
    assert f"/households/{household_id}" in home.text  # Mijn werk: the households ruben coordinates


@pytest.mark.parametrize("role", list(USERS))
def test_every_command_form_as_the_api_allows_its_command(client, role):
    from web.command_forms import FORMS

    household_id = register(client, team="Wijkteam Noord")
    visitor = pages_client(client)
    log_in(visitor, USERS[role])
    expected = 200 if role in TEAM else 403
    for spec in FORMS:
        if spec.item is None and spec.path != "reopening":  # reopening: 409 on an open household, for the team
            assert visitor.get(f"/households/{household_id}/{spec.path}").status_code == expected, spec.path
