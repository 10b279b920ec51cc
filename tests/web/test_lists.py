"""The caseload list on the pages: the API's filters, search by label, Dutch messages for wrong filters."""

from __future__ import annotations

import pytest

from tests.api.support import register
from tests.web.support import log_in, pages_client


@pytest.fixture
def visitor(client):
    return pages_client(client)


def test_the_caseload_lists_the_teams_households_and_search_narrows_it_by_label(client, visitor, projection_worker):
    register(client, label="Fam. Jansen")
    register(client, label="Fam. Bakker")
    log_in(visitor, "anna")
    page = visitor.get("/huishoudens")
    assert page.status_code == 200 and "Nieuw huishouden" in page.text
    assert "Fam. Jansen" in page.text and "Fam. Bakker" in page.text
    found = visitor.get("/huishoudens?q=bakker")
    assert "Fam. Bakker" in found.text and "Fam. Jansen" not in found.text


@pytest.mark.parametrize(("query", "message"), [("intensity=heel-veel", "Kies een intensiteit"),
                                                ("status=misschien", "Kies lopend of afgesloten"),
                                                ("due_before=morgen", "Vul een datum in")])
def test_a_wrong_filter_value_is_a_dutch_message_not_an_error(visitor, query, message):
    log_in(visitor, "anna")
    page = visitor.get(f"/huishoudens?{query}")
    assert page.status_code == 400 and message in page.text
