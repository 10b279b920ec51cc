"""Privacy and noodtoegang in a real headless Chromium (issue 11 §2.10, §2.11), on a 360 px phone: kees, of
another team, opens a household; the page asks the reason first and then shows plainly that it is an
emergency access. Dirk, the privacy officer, sees it on Mijn werk and on Privacy, reads the access log and the
inzage, marks it reviewed, and erases a household after the confirmation step. Anna reads her household's log
and inzage. axe-core and the 360 px width on every screen (screenshots at 360 and 1280 px)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import SHOTS, check_screen, log_in

MINE = Path("/tmp/shots-privacy")
NAMES = ("noodtoegang", "privacy", "toegangslog", "inzage", "vernietig", "mijn-werk-privacy")


@pytest.fixture(autouse=True)
def _copy_shots():
    yield
    MINE.mkdir(exist_ok=True)
    for shot in SHOTS.glob("*.png"):
        if shot.name.startswith(NAMES):
            shutil.copy(shot, MINE / shot.name)


def _household(api, label: str = "Fam. Jansen") -> str:
    made = api.post("/api/households", json={"label": label, "team": "Wijkteam Noord"})
    assert made.status_code == 201, made.text
    household_id = made.json()["household_id"]
    for path, body in (("members", {"name": "Sanne Jansen", "role": "moeder"}),
                       ("assessments", {"scores": {"finances": 2, "housing": 3}}),
                       ("goals", {"life_domain": "finances", "description": "Schulden in beeld"}),
                       ("contacts", {"kind": "huisbezoek", "summary": "Kennismaking aan de keukentafel"})):
        assert api.post(f"/api/households/{household_id}/{path}", json=body).status_code in (200, 201)
    return household_id


def test_emergency_access_on_a_phone_then_the_privacy_officer_reviews_it(page: Page, site: str, api):
    household_id = _household(api)
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "kees")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    expect(page.get_by_role("heading", name="Noodtoegang")).to_be_visible()
    check_screen(page, "noodtoegang-vraag")

    page.get_by_role("button", name="Dossier openen met noodtoegang").click()  # no reason: refused at the field
    expect(page.get_by_role("alert")).to_contain_text("Vul de reden in")
    expect(page.get_by_label("Reden voor noodtoegang")).to_have_attribute("aria-invalid", "true")
    check_screen(page, "noodtoegang-fout")

    reason = "Politie belt over acute zorg om de kinderen; de regisseur is niet bereikbaar"
    page.get_by_label("Reden voor noodtoegang").fill(reason)
    page.get_by_role("button", name="Dossier openen met noodtoegang").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fam. Jansen")
    banner = page.locator(".wv-emergency")
    expect(banner).to_contain_text("U ziet het dossier met noodtoegang")
    expect(banner).to_contain_text(reason)
    check_screen(page, "noodtoegang-huishouden")
    page.get_by_role("button", name="Noodtoegang beëindigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werk")
    page.get_by_role("button", name="Uitloggen").click()

    page.goto(f"{site}/")
    log_in(page, "dirk")
    expect(page.get_by_role("heading", name="Noodtoegang te beoordelen")).to_be_visible()
    expect(page.get_by_text("keer noodtoegang wacht op uw beoordeling")).to_be_visible()
    check_screen(page, "mijn-werk-privacy")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy")
    expect(page.get_by_text(f"Noodtoegang door kees (Wijkteam Zuid): {reason}")).to_be_visible()
    check_screen(page, "privacy")

    page.get_by_role("link", name="Toegangslog van Fam. Jansen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegangslog van Fam. Jansen")
    expect(page.get_by_text(reason).first).to_be_visible()
    expect(page.get_by_text("nee, geweigerd").first).to_be_visible()  # kees's first try, refused
    check_screen(page, "toegangslog-volledig")

    page.get_by_label("Vanaf (datum)").fill("gisteren")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul bij 'vanaf' een datum in")
    check_screen(page, "toegangslog-fout")

    page.get_by_role("link", name="Inzage: alles wat over dit huishouden is vastgelegd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inzage in het dossier van Fam. Jansen")
    expect(page.get_by_text("Score: 2: niet zelfredzaam")).to_be_visible()
    check_screen(page, "inzage-functionaris")

    page.goto(f"{site}/privacy")
    page.get_by_role("button", name="Beoordeeld (Fam. Jansen)").click()
    expect(page.get_by_role("status")).to_contain_text("als beoordeeld gemarkeerd")
    expect(page.get_by_text("Er is geen noodtoegang die u nog moet beoordelen")).to_be_visible()
    check_screen(page, "privacy-beoordeeld")

    page.get_by_role("button", name="Nu een controlepunt maken").click()
    expect(page.get_by_role("status").first).to_contain_text("Het controlepunt is gemaakt")
    expect(page.get_by_text("Laatste ondertekende controlepunt")).to_be_visible()
    check_screen(page, "privacy-controlepunt")


def test_the_privacy_officer_erases_a_household_after_confirming(page: Page, site: str, api):
    household_id = _household(api, "Fam. De Wit")
    page.goto(f"{site}/households/{household_id}/vernietigen")
    log_in(page, "dirk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier van Fam. De Wit vernietigen")
    check_screen(page, "vernietigen")

    page.get_by_role("button", name="Definitief vernietigen").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul de reden in")
    expect(page.get_by_label("Reden")).to_have_attribute("aria-invalid", "true")
    check_screen(page, "vernietigen-fout")

    page.get_by_label("Reden").fill("Verzoek van betrokkene om gegevens te wissen (AVG artikel 17)")
    page.get_by_label("Typ ter bevestiging de naam van het huishouden").fill("Fam. De Wit")
    page.get_by_role("button", name="Definitief vernietigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossier vernietigd")
    check_screen(page, "vernietigd")
    assert api.get(f"/api/households/{household_id}/export",
                   headers={"Authorization": "Bearer dev-dirk"}).json()["status"] == "forgotten"


def test_anna_reads_her_households_access_log_and_inzage(page: Page, site: str, api):
    household_id = _household(api)
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "anna")
    page.get_by_role("link", name="Toegangslog: wie dit dossier heeft ingezien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegangslog van Fam. Jansen")
    expect(page.get_by_text("Zorgrelatie")).to_have_count(0)  # the household's own view
    check_screen(page, "toegangslog-huishouden")
    page.get_by_role("link", name="Het huishouden").click()
    page.get_by_role("link", name="Inzage: alles wat over dit huishouden is vastgelegd").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inzage in het dossier van Fam. Jansen")
    expect(page.get_by_text("Kennismaking aan de keukentafel").first).to_be_visible()
    check_screen(page, "inzage")
