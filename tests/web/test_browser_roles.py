"""Logging in and out per role in Chromium (issue 11 §3): each role of the demo lands on its own Mijn werk with
the menu of its work (a partner: reporting signals), passes axe at 360 px, and after logging out a page asks
for the login again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import check_screen, log_in

# user, role, menu items it must have, menu items it must not have
ROLES = [
    ("anna", "generalist", ["Mijn werk", "Huishoudens", "Signalen"], ["Privacy", "Signaal melden"]),
    ("bram", "coordinator", ["Mijn werk", "Huishoudens", "Signalen"], ["Privacy", "Signaal melden"]),
    ("carla", "team_lead", ["Mijn werk", "Huishoudens", "Signalen"], ["Privacy", "Signaal melden"]),
    ("dirk", "privacy_officer", ["Mijn werk"], ["Huishoudens", "Signalen", "Signaal melden"]),
    ("admin", "administrator", ["Mijn werk"], ["Huishoudens", "Signalen", "Privacy", "Signaal melden"]),
    ("petra", "partner", ["Signaal melden"], ["Huishoudens", "Signalen", "Privacy"]),
]


@pytest.mark.parametrize(("user", "role", "has", "lacks"), ROLES, ids=[r[1] for r in ROLES])
def test_each_role_logs_in_to_its_own_work_and_out_again(page: Page, site: str, user: str, role: str,
                                                         has: list[str], lacks: list[str]):
    page.goto(f"{site}/")
    expect(page).to_have_url(f"{site}/inloggen")
    log_in(page, user)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    for text in has:
        expect(menu.get_by_role("link", name=text, exact=True)).to_be_visible()
    for text in lacks:
        expect(menu.get_by_role("link", name=text, exact=True)).to_have_count(0)
    expect(menu).to_contain_text(user)
    check_screen(page, f"mijn-werk-{role}")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    page.goto(f"{site}/huishoudens")
    expect(page).to_have_url(f"{site}/inloggen?volgende=/huishoudens")
