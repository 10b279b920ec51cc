"""The screens no other browser test walks, in Chromium at 360 px with axe: the plan on a date (and a date it
cannot read), registering a household from the menu, a form that does not apply now, and a mistyped address."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.browser import check_screen, log_in


def test_the_remaining_screens_pass_axe_and_fit_a_phone(page: Page, site: str, api):
    household_id = api.post("/api/households", json={"label": "Fam. Smit", "team": "Wijkteam Noord"}).json()[
        "household_id"]
    api.post(f"/api/households/{household_id}/goals", json={"life_domain": "housing", "description": "Huur betaald"})
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "bram")
    page.get_by_label("Datum", exact=True).fill("32-13-2026")
    page.get_by_role("button", name="Plan tonen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_screen(page, "plan-op-datum-fout")
    page.get_by_label("Datum", exact=True).fill("")
    page.get_by_label("Datum", exact=True).fill(page.evaluate(
        "(() => { const d = new Date(); return `${d.getDate()}-${d.getMonth() + 1}-${d.getFullYear()}`; })()"))
    page.get_by_role("button", name="Plan tonen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plan op ")
    check_screen(page, "plan-op-datum")

    page.goto(f"{site}/households/{household_id}/reopening")  # an open household: nothing to reopen
    expect(page.get_by_role("heading", level=1)).to_have_text("Dit kan nu niet")
    check_screen(page, "kan-nu-niet")

    page.goto(f"{site}/huishoudens")
    page.get_by_role("link", name="Nieuw huishouden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Huishouden registreren")
    check_screen(page, "huishouden-registreren-leeg")

    page.goto(f"{site}/bestaat-niet")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
    check_screen(page, "pagina-niet-gevonden")


def test_a_form_with_a_forged_csrf_token_is_refused_in_dutch_and_records_nothing(page: Page, site: str, api):
    household_id = api.post("/api/households", json={"label": "Fam. Bos", "team": "Wijkteam Noord"}).json()[
        "household_id"]
    page.goto(f"{site}/households/{household_id}/members")
    log_in(page, "anna")
    page.get_by_label("Naam").fill("Iemand")
    # as another site would: every form's token on the page replaced
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(i => { i.value = 'f'.repeat(80); })")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Formulier verlopen")
    check_screen(page, "formulier-verlopen")
    plan = api.get(f"/api/households/{household_id}/plan").json()
    assert not plan["members"]
