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


def test_search_finds_a_household_on_any_page_and_paging_goes_forward_and_back(client, visitor, projection_worker):
    from web.routes.caseload import PAGE_SIZE

    for n in range(PAGE_SIZE * 2 + 3):
        last = register(client, label=f"Fam. Lijst {n:02d}")
    # A waakvlam household's first check-in lies weeks after the licht ones': last, on the third page.
    hidden = register(client, label="Fam. Zoekgraag", intensity="waakvlam")
    projection_worker.wait(client.app.state.households.recorder.max_notification_id(), timeout=20)
    assert last and hidden
    log_in(visitor, "anna")
    found = visitor.get("/huishoudens", params={"q": "zoekGRAAG"})
    assert found.status_code == 200 and "Fam. Zoekgraag" in found.text and "Fam. Lijst" not in found.text
    first = visitor.get("/huishoudens")
    assert "Vorige pagina" not in first.text
    second = visitor.get("/huishoudens?" + _link(first.text, "Volgende pagina"))
    third = visitor.get("/huishoudens?" + _link(second.text, "Volgende pagina"))
    assert "Fam. Zoekgraag" in third.text and "Eerste pagina" in third.text
    assert "Fam. Zoekgraag" not in first.text + second.text  # the search found it on another page than its own
    assert len(set(_labels(first.text) + _labels(second.text) + _labels(third.text))) == PAGE_SIZE * 2 + 4
    back = visitor.get("/huishoudens?" + _link(third.text, "Vorige pagina"))
    assert _labels(back.text) == _labels(second.text)
    again = visitor.get("/huishoudens?" + _link(back.text, "Vorige pagina"))
    assert _labels(again.text) == _labels(first.text) and "Vorige pagina" not in again.text


def _link(html: str, text: str) -> str:
    import html as markup
    import re

    found = re.search(rf'href="/huishoudens\?([^"]*)">{text}</a>', html)
    assert found, text
    return markup.unescape(found.group(1))


def _labels(html: str) -> list[str]:
    import re

    return re.findall(r'class="utrecht-link wv-caseload__link" href="[^"]+">([^<]+)</a>', html)
