"""The pages in a real headless Chromium (issue 11, first step): a reminder mail's link landing on its
household after login, recording a contact from Mijn werk on a 360 px phone, a login error, logging out;
axe-core on every screen and no horizontal scrolling at 360 px."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.browser import check_screen, log_in


def _household(api, label: str = "Fam. Jansen", **fields) -> str:
    response = api.post("/api/households", json={"label": label, "team": "Wijkteam Noord", **fields})
    assert response.status_code == 201, response.text
    return response.json()["household_id"]


def test_a_mail_link_lands_on_its_household_after_login(page: Page, site: str, api):
    household_id = _household(api)
    goal = api.post(f"/api/households/{household_id}/goals",
                    json={"life_domain": "finances", "description": "Schulden in beeld"}).json()
    api.post(f"/api/households/{household_id}/agreements",
             json={"goal_id": goal["item_id"], "who": "Sanne", "what": "Post openen"})
    api.post(f"/api/households/{household_id}/assessments", json={"scores": {"finances": 2, "housing": 4}})

    page.goto(f"{site}/households/{household_id}")  # the link of a reminder mail
    expect(page).to_have_url(re.compile(r"/inloggen\?volgende=/households/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    check_screen(page, "inloggen")
    log_in(page, "anna")

    expect(page).to_have_url(f"{site}/households/{household_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fam. Jansen")
    expect(page.get_by_role("link", name="Contact vastleggen")).to_be_visible()
    expect(page.locator(".wv-domain").get_by_text("Schulden in beeld")).to_be_visible()
    check_screen(page, "huishouden")


def test_recording_a_contact_from_mijn_werk_on_a_phone(page: Page, site: str, api):
    household_id = _household(api, intensity="crisis")  # its check-in is due in two days
    _household(api, label="Fam. De Vries")
    page.goto(f"{site}/")
    log_in(page, "anna")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werk")
    expect(page.get_by_role("link", name="Fam. Jansen", exact=True)).to_be_visible()
    check_screen(page, "mijn-werk")

    page.get_by_role("link", name="Fam. Jansen", exact=True).click()
    page.get_by_role("link", name="Contact vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact vastleggen")
    check_screen(page, "contact-vastleggen")
    page.get_by_role("button", name="Opslaan").click()  # no kind chosen: the form says so, in Dutch
    expect(page.get_by_role("alert")).to_contain_text("Kies wat voor contact het was.")
    check_screen(page, "contact-vastleggen-fout")

    page.get_by_label("Huisbezoek").check()
    page.get_by_label("Wat is er gebeurd?").fill("Post doorgenomen met Sanne")
    expect(page.get_by_label(re.compile("waakvlamcontact van"))).to_be_checked()  # due soon: completed
    page.get_by_role("button", name="Opslaan").click()

    expect(page).to_have_url(re.compile(f"/households/{household_id}"))
    expect(page.get_by_role("status")).to_contain_text("Het contact is vastgelegd.")
    timeline = page.get_by_role("list", name="Tijdlijn, nieuwste eerst")
    expect(timeline.get_by_text(re.compile("Post doorgenomen met Sanne"))).to_be_visible()
    check_screen(page, "huishouden-na-contact")


def test_a_wrong_password_is_said_next_to_the_field_and_logging_out_ends_the_session(page: Page, site: str):
    page.goto(f"{site}/")
    log_in(page, "anna", "verkeerd")
    expect(page.get_by_role("alert")).to_contain_text("De gebruikersnaam of het wachtwoord klopt niet.")
    expect(page.get_by_label("Wachtwoord")).to_have_attribute("aria-invalid", "true")
    check_screen(page, "inloggen-fout")
    log_in(page, "anna")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werk")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    page.goto(f"{site}/")
    expect(page).to_have_url(f"{site}/inloggen")


def test_another_team_sees_a_dutch_page_saying_no_access(page: Page, site: str, api):
    household_id = _household(api)
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "kees")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    check_screen(page, "geen-toegang")


def test_a_double_tap_on_opslaan_records_the_contact_once(page: Page, site: str, api):
    household_id = _household(api)
    page.goto(f"{site}/households/{household_id}/contact")
    log_in(page, "anna")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact vastleggen")
    page.get_by_label("Telefonisch contact").check()
    page.get_by_label("Wat is er gebeurd?").fill("Gebeld over de post")
    page.get_by_role("button", name="Opslaan").dblclick()
    expect(page.get_by_role("status")).to_contain_text("Het contact is vastgelegd.")
    timeline = api.get(f"/api/households/{household_id}/timeline").json()["items"]
    assert [item["kind"] for item in timeline].count("ContactRecorded") == 1
