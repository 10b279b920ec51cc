"""The command forms in a real headless Chromium (issue 11 §2.5-2.6, §3): every form passes axe and fits 360 px;
bram sets a goal by keyboard and meets a refusal in Dutch; anna and bram change the same goal in two browsers
and anna sees what bram changed with her own text kept; a double tap on Opslaan records once."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.web.browser import check_screen, log_in
from web.command_forms import FORMS


def _scene(api) -> tuple[str, dict[str, str]]:
    """A household with one of everything a form can act on."""
    household_id = api.post("/api/households", json={"label": "Fam. Visser", "team": "Wijkteam Noord"}).json()[
        "household_id"]

    def write(path: str, body: dict) -> str:
        answer = api.post(f"/api/households/{household_id}/{path}", json=body)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()["item_id"]

    items = {"goal_id": write("goals", {"life_domain": "finances", "description": "Schulden in beeld"}),
             "member_id": write("members", {"name": "Sanne Visser", "role": "moeder"}),
             "person_id": write("network", {"name": "Henk", "relation": "buurman"}),
             "consent_id": write("consents", {"given_by": "Sanne", "party": "GGZ Noord", "purpose": "Overdracht"})}
    items["agreement_id"] = write("agreements", {"who": "Sanne", "what": "Belt de woningcorporatie"})
    items["intervention_id"] = write("interventions", {"support_level": "netwerk", "description": "Henk helpt"})
    items["check_in_id"] = api.get(f"/api/households/{household_id}").json()["next_check_in"]["id"]
    return household_id, items


def test_every_command_form_passes_axe_and_fits_a_phone(page: Page, site: str, api):
    household_id, items = _scene(api)
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "bram")
    for spec in FORMS:
        if spec.path == "reopening":
            continue  # only on a closed household: its own test below
        path = spec.path
        for name, value in items.items():
            path = path.replace("{" + name + "}", value)
        page.goto(f"{site}/households/{household_id}/{path}")
        expect(page.get_by_role("heading", level=1)).to_have_text(spec.title)
        check_screen(page, f"formulier-{spec.name}")
    page.goto(f"{site}/households/{household_id}#tijdlijn")
    page.get_by_role("link", name="Corrigeren").first.click()  # the newest fact: the intervention
    expect(page.get_by_role("heading", level=1)).to_have_text("Correctie: inzet gestart")
    expect(page.get_by_text("Door wie: nu vastgelegd")).to_be_visible()
    check_screen(page, "formulier-correctie")
    page.goto(f"{site}/households/{household_id}/closure")
    page.get_by_label("Doelen bereikt").check()
    page.get_by_role("button", name="Afsluiten").click()
    expect(page.get_by_role("status")).to_have_text("Het huishouden is afgesloten.")
    page.get_by_text("Meer acties").click()
    page.get_by_role("link", name="Huishouden heropenen").click()
    check_screen(page, "formulier-reopening")
    page.get_by_role("button", name="Heropenen").click()  # no reason: refused next to the field
    expect(page.get_by_role("alert")).to_contain_text("Vul reden in.")
    check_screen(page, "formulier-reopening-fout")


def test_bram_sets_a_goal_by_keyboard_and_meets_a_refusal_in_dutch(page: Page, site: str, api):
    household_id, _ = _scene(api)
    page.goto(f"{site}/households/{household_id}")
    log_in(page, "bram")
    page.get_by_role("link", name="Doel stellen").click()
    page.get_by_label("Leefgebied").select_option("housing")
    page.get_by_label("Doel", exact=True).focus()
    page.keyboard.type("De huur wordt elke maand betaald")
    page.keyboard.press("Tab")  # to "Was het niet nu?"
    page.keyboard.press("Tab")  # to Opslaan
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Het doel is gesteld.")
    expect(page.locator(".wv-goals > li").filter(has_text="De huur wordt elke maand betaald")).to_be_visible()

    page.goto(f"{site}/households/{household_id}/interventions")
    expect(page.get_by_text("precies die organisatie")).to_be_visible()  # the rule, before submitting
    page.get_by_label("Specialistische zorg").check()
    page.get_by_label("Door wie").fill("Jeugdzorg West")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("warme overdracht")
    expect(page.get_by_label("Door wie")).to_have_value("Jeugdzorg West")  # what was typed stays
    check_screen(page, "formulier-inzet-fout")


def test_two_browsers_change_the_same_goal_and_nothing_is_lost(browser: Browser, site: str, api):
    household_id, items = _scene(api)
    revise = f"{site}/households/{household_id}/goals/{items['goal_id']}/revise"
    contexts = [browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL", bypass_csp=True)
                for _ in range(2)]
    anna, bram = (context.new_page() for context in contexts)
    try:
        for page, user in ((anna, "anna"), (bram, "bram")):
            page.goto(revise)
            log_in(page, user)
            expect(page.get_by_role("heading", level=1)).to_have_text("Doel bijstellen")
        bram.get_by_label("Doel", exact=True).fill("Schuldregeling is aangevraagd")
        bram.get_by_role("button", name="Opslaan").click()
        expect(bram.get_by_role("status")).to_have_text("Het doel is bijgesteld.")

        anna.get_by_label("Doel", exact=True).fill("Alle schulden staan op een lijst")
        anna.get_by_role("button", name="Opslaan").click()
        expect(anna.get_by_role("alert")).to_contain_text("Iemand anders heeft dit huishouden intussen gewijzigd")
        expect(anna.get_by_text("door bram")).to_be_visible()
        expect(anna.get_by_label("Doel", exact=True)).to_have_value("Alle schulden staan op een lijst")
        check_screen(anna, "formulier-conflict")
        anna.get_by_role("button", name="Opslaan").click()  # she read it, and keeps her wording
        expect(anna.get_by_role("status")).to_have_text("Het doel is bijgesteld.")
        expect(anna.locator(".wv-goals > li").filter(has_text="Alle schulden staan op een lijst")).to_be_visible()
    finally:
        for context in contexts:
            context.close()


def test_a_double_tap_on_opslaan_records_once(page: Page, site: str, api):
    household_id, _ = _scene(api)
    page.goto(f"{site}/households/{household_id}/members")
    log_in(page, "anna")
    page.get_by_label("Naam").fill("Daan Visser")
    page.get_by_role("button", name="Opslaan").dblclick()
    expect(page.get_by_role("status")).to_have_text("Het gezinslid is toegevoegd.")
    plan = api.get(f"/api/households/{household_id}/plan").json()
    members = plan["members"].values() if isinstance(plan["members"], dict) else plan["members"]
    assert [m["name"] for m in members].count("Daan Visser") == 1
