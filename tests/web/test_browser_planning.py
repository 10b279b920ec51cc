"""Planning, Meldingen and the team lead's Mijn werk in a real headless Chromium at 360 px (issue 11 §2.8, §2.9, §2.1):
bram finds his late household on the planning and makes his calendar link; he marks one notification read by
keyboard and another by a tap; carla's Mijn werk shows the team's figures and leads to the planning of one
coordinator. axe-core and the 360 px width on every screen."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.api.support import noon_days_ago
from tests.web.browser import check_screen, log_in

TEAM = "Wijkteam Noord"
SIGNAL = {"source": "woningcorporatie", "description": "Huurachterstand van drie maanden",
          "life_domains": ["housing"], "urgency": "high"}


def _household(api, label: str, *, days_ago: int = 0, coordinator: str | None = "bram") -> tuple[str, int]:
    body = {"label": label, "team": TEAM, "intensity": "waakvlam"}
    if days_ago:
        body["occurred_at"] = noon_days_ago(days_ago)
    response = api.post("/api/households", json=body)
    assert response.status_code == 201, response.text
    household_id, position = response.json()["household_id"], response.json()["position"]
    if coordinator:
        assigned = api.post(f"/api/households/{household_id}/coordinator", json={"coordinator": coordinator})
        assert assigned.status_code == 200, assigned.text
        position = assigned.json()["position"]
    return household_id, position


def _signal(api, household_id: str) -> int:
    response = api.post(f"/api/households/{household_id}/signals", json=SIGNAL)
    assert response.status_code == 201, response.text
    return response.json()["position"]


def test_bram_plans_subscribes_and_reads_his_notifications_on_a_phone(page: Page, site: str, api,
                                                                      notifications_worker, signals_worker):
    _household(api, "Fam. Laat", days_ago=50)  # its check-in 8 days late
    jansen, _ = _household(api, "Fam. Jansen")
    bakker, _ = _household(api, "Fam. Bakker")
    _signal(api, jansen)
    notifications_worker.wait(_signal(api, bakker), timeout=20)

    page.goto(f"{site}/planning")
    log_in(page, "bram")
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning")
    late = page.get_by_role("list", name=re.compile("^Te laat"))
    expect(late.get_by_role("link", name="Fam. Laat", exact=True)).to_be_visible(timeout=10_000)
    expect(late).to_contain_text("8 dagen over tijd")
    check_screen(page, "planning")

    page.get_by_label("Moet binnen").select_option("0")
    page.get_by_role("button", name="Tonen").click()
    expect(page).to_have_url(re.compile(r"within_days=0"))
    expect(page.get_by_role("heading", name="Vandaag (0)")).to_be_visible()

    page.get_by_role("button", name="Agendalink maken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw nieuwe agendalink")
    expect(page.get_by_label("Agendalink")).to_have_value(re.compile(r"^http.*/api/calendar/[A-Za-z0-9_-]+\.ics$"))
    assert not page.get_by_label("Agendalink").is_editable()  # to select and copy, not to change
    check_screen(page, "agendalink")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Meldingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    expect(page.get_by_role("heading", name="Ongelezen (2)")).to_be_visible()
    check_screen(page, "meldingen")

    by_keyboard = page.get_by_role("button", name="Markeer als gelezen (melding over Fam. Bakker)")
    by_keyboard.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("De melding is gelezen.")
    expect(page.get_by_role("heading", name="Ongelezen (1)")).to_be_visible()
    expect(page.get_by_role("list", name="Gelezen", exact=True)).to_contain_text("Fam. Bakker")
    check_screen(page, "meldingen-een-gelezen")

    page.get_by_role("button", name="Markeer als gelezen (melding over Fam. Jansen)").click()
    expect(page.get_by_role("heading", name="Ongelezen (0)")).to_be_visible()
    expect(page.get_by_text("U heeft geen ongelezen meldingen.")).to_be_visible()


def test_carla_sees_her_teams_figures_and_opens_one_coordinators_planning(page: Page, site: str, api,
                                                                          signals_worker):
    _household(api, "Fam. Laat", days_ago=50)
    _household(api, "Fam. Zonder", days_ago=45, coordinator=None)
    _household(api, "Fam. Op Tijd")
    reported = api.post("/api/signals", headers={"Authorization": "Bearer dev-petra"}, json={
        "source": "housing_corporation", "reporter_name": "Woonstad", "reporter_contact": "010 1234567",
        "about_name": "Fam. Nieuw", "about_address": "Dorpsstraat 12", "team": TEAM,
        "life_domains": ["housing"], "description": "Huurachterstand", "urgency": "high"})
    assert reported.status_code == 201, reported.text
    signals_worker.wait(reported.json()["position"], timeout=20)

    page.goto(f"{site}/")
    log_in(page, "carla")
    expect(page.get_by_role("heading", name="Wijkteam Noord in cijfers")).to_be_visible()
    expect(page.get_by_role("link", name="signaal wacht op beoordeling")).to_be_visible()
    table = page.get_by_role("table", name=re.compile("per regisseur"))
    expect(table.get_by_role("row", name=re.compile("^bram"))).to_contain_text("1")
    check_screen(page, "mijn-werk-teamleider")

    table.get_by_role("link", name="bram").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Planning")
    expect(page.get_by_label("Regisseur")).to_have_value("bram")
    expect(page.get_by_role("link", name="Fam. Laat", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Fam. Zonder", exact=True)).to_have_count(0)
    check_screen(page, "planning-regisseur")

    page.goto(f"{site}/")
    page.get_by_role("link", name="signaal wacht op beoordeling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signalen")
