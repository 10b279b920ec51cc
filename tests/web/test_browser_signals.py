"""Signals in a real headless Chromium (issue 11 §2.7): a housing corporation's report on a 360 px phone, from
the form through checking the answers to the confirmation and Mijn meldingen; then anna finds it in the team's
inbox and registers a new household from it. axe-core and the 360 px width on every screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.browser import check_screen, log_in


def test_a_partners_report_on_a_phone_triaged_by_anna_into_a_new_household(page: Page, site: str, api,
                                                                           signals_worker):
    page.goto(f"{site}/melden")
    log_in(page, "petra")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signaal melden")
    check_screen(page, "signaal-melden")

    page.get_by_role("button", name="Verder").click()  # nothing filled in: the form says what is missing
    expect(page.get_by_role("alert")).to_contain_text("Vul een naam of een adres in")
    check_screen(page, "signaal-melden-fout")

    page.get_by_label("Woningcorporatie").check()
    page.get_by_label("Naam", exact=True).fill("Fam. Hendriks")
    page.get_by_label("Adres", exact=True).fill("Lindelaan 4")
    page.get_by_label("Wat zag of hoorde u?").fill("Drie maanden huurachterstand; niemand doet open.")
    page.get_by_label("Hoog: deze week").check()
    page.get_by_label("Welk wijkteam?").select_option("Wijkteam Noord")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer uw melding")
    expect(page.get_by_text("Fam. Hendriks")).to_be_visible()
    check_screen(page, "signaal-controleren")

    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Melding verstuurd")
    check_screen(page, "signaal-verstuurd")

    page.get_by_role("link", name="Naar Mijn meldingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn meldingen")
    expect(page.get_by_text("Ontvangen; het wijkteam bekijkt het")).to_be_visible()
    check_screen(page, "mijn-meldingen")

    page.get_by_role("button", name="Uitloggen").click()
    page.goto(f"{site}/signalen")
    log_in(page, "anna")
    expect(page.get_by_role("heading", level=1)).to_have_text("Signalen")
    expect(page.get_by_role("link", name="Fam. Hendriks")).to_be_visible()
    check_screen(page, "signalen")

    page.get_by_role("link", name="Fam. Hendriks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signaal over Fam. Hendriks")
    check_screen(page, "signaal-beoordelen")

    page.get_by_role("button", name="Signaal afwijzen").click()  # no reason: refused next to the field
    expect(page.get_by_role("alert")).to_contain_text("Schrijf op waarom")
    check_screen(page, "signaal-beoordelen-fout")

    page.get_by_role("link", name="Nieuw huishouden registreren vanuit dit signaal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Huishouden registreren")
    expect(page.get_by_label("Naam van het huishouden")).to_have_value("Fam. Hendriks")
    check_screen(page, "huishouden-registreren")
    page.get_by_label(re.compile("^Intensief")).check()
    page.get_by_role("button", name="Registreren").click()
    expect(page).to_have_url(re.compile(r"/households/[0-9a-f-]+"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fam. Hendriks")

    page.goto(f"{site}/signalen?status=linked")
    expect(page.get_by_text("(nieuw huishouden)")).to_be_visible()
    check_screen(page, "signalen-gekoppeld")
