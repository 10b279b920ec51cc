"""The administrative cost of the commonest task (issue 11 §4), counted in the browser: recording a contact from
Mijn werk on a 360 px phone takes at most 3 required fields and at most 5 interactions (taps, and keystrokes in
any field but the note itself). The page counts what the user does (listeners installed before any page
script), across the navigations of the task."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.web.browser import log_in

COUNTER = """
(() => {
  const bump = (name) => sessionStorage.setItem(name, String(Number(sessionStorage.getItem(name) || 0) + 1));
  document.addEventListener("click", (e) => { if (e.isTrusted) bump("taps"); }, true);
  document.addEventListener("keydown", (e) => {
    if (e.isTrusted && !(e.target && e.target.id === "wat")) bump("keys");  // the note itself is not counted
  }, true);
})();
"""


def test_recording_a_contact_from_mijn_werk_costs_three_taps_and_one_required_field(browser: Browser, site: str,
                                                                                     api):
    answer = api.post("/api/households", json={"label": "Fam. Meijer", "team": "Wijkteam Noord"})
    household_id = answer.json()["household_id"]
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"{site}/")
        log_in(page, "anna")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werk")
        context.add_init_script(COUNTER)  # from here on, every page of the task counts
        page.reload()

        page.get_by_role("link", name="Contact vastleggen met Fam. Meijer").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Contact vastleggen")
        page.get_by_label("Huisbezoek").click()
        page.get_by_label("Wat is er gebeurd?").press_sequentially("Post doorgenomen, afspraak schuldhulp.")
        page.get_by_role("button", name="Opslaan").click()
        expect(page.get_by_role("status")).to_have_text("Het contact is vastgelegd.")
        taps, keys = (int(page.evaluate(f"sessionStorage.getItem('{n}') || 0")) for n in ("taps", "keys"))
        print(f"\nrecording a contact from Mijn werk: {taps} taps, {keys} keystrokes outside the note")
        assert taps + keys <= 5 and keys == 0 and taps == 3

        # Required: what an empty form is refused for (what happened and when have defaults: the note may stay
        # empty, the moment is now).
        page.goto(f"{site}/households/{household_id}/contact")
        page.get_by_role("button", name="Opslaan").click()
        required = page.locator("#foutmeldingen li").count()
        print(f"required fields: {required}")
        assert 1 <= required <= 3
        expect(page.locator("#foutmeldingen")).to_contain_text("Kies wat voor contact het was.")
        timeline = api.get(f"/api/households/{household_id}/timeline").json()
        entries = timeline["items"] if isinstance(timeline, dict) else timeline
        assert sum("Huisbezoek" in str(entry) for entry in entries) == 1
    finally:
        context.close()
