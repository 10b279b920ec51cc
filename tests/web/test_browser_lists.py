"""The caseload in Chromium: a team's households as cards on a phone, searched by label; axe and 360 px."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.browser import check_screen, log_in


def test_the_caseload_on_a_phone_finds_a_household_by_its_label(page: Page, site: str, api):
    for label in ("Fam. Jansen", "Fam. Bakker"):
        response = api.post("/api/households", json={"label": label, "team": "Wijkteam Noord"})
        assert response.status_code == 201, response.text
    page.goto(f"{site}/")
    log_in(page, "carla")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Huishoudens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Huishoudens")
    expect(page.get_by_role("link", name="Fam. Bakker", exact=True)).to_be_visible(timeout=10_000)
    check_screen(page, "huishoudens")

    page.get_by_label("Zoek op naam").fill("bakker")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("link", name="Fam. Bakker", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Fam. Jansen", exact=True)).to_have_count(0)
    check_screen(page, "huishoudens-gezocht")


def test_with_javascript_the_list_follows_the_search_as_it_is_typed(page: Page, site: str, api):
    for label in ("Fam. Jansen", "Fam. Bakker"):
        assert api.post("/api/households", json={"label": label, "team": "Wijkteam Noord"}).status_code == 201
    page.goto(f"{site}/huishoudens")
    log_in(page, "carla")
    expect(page.get_by_role("link", name="Fam. Jansen", exact=True)).to_be_visible(timeout=10_000)
    page.get_by_label("Zoek op naam").press_sequentially("jans")  # no button: htmx asks as the user types
    expect(page.get_by_role("link", name="Fam. Bakker", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Fam. Jansen", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/huishoudens\?q=jans"))  # the address says what is shown, for reload
    expect(page.get_by_label("Zoek op naam")).to_be_focused()  # only the list was replaced
    page.get_by_label("Zoek op naam").fill("")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("link", name="Fam. Bakker", exact=True)).to_be_visible()


def test_with_javascript_the_timeline_filter_replaces_only_the_timeline(page: Page, site: str, api):
    household_id = api.post("/api/households", json={"label": "Fam. Dekker", "team": "Wijkteam Noord"}).json()[
        "household_id"]
    api.post(f"/api/households/{household_id}/contacts", json={"kind": "huisbezoek", "summary": "Koffie gedronken"})
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "anna")
    timeline = page.get_by_role("list", name="Tijdlijn, nieuwste eerst")
    expect(timeline).to_contain_text("Koffie gedronken", timeout=10_000)
    page.get_by_text("Tijdlijn filteren").click()
    page.get_by_label("Soort gebeurtenis").select_option("AssessmentRecorded")  # no button: htmx asks at once
    expect(page.get_by_text("Geen gebeurtenissen die bij dit filter passen.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"soort=AssessmentRecorded"))
    page.get_by_label("Soort gebeurtenis").select_option("")
    expect(timeline).to_contain_text("Koffie gedronken")
    page.get_by_label("Vanaf (datum, zoals 21-10-2026)").fill("gisteren")
    page.get_by_role("button", name="Filteren").click()  # a wrong date: said next to the field, in place
    expect(page.locator("#van-fout")).to_contain_text("Vul bij 'vanaf' een datum in")
