"""What the browser tests check on every screen: axe-core (0 serious or critical violations), no horizontal
scrolling at 360 px, and a screenshot to look at."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

from tests.web.conftest import AXE
from waakvlam.demo_users import DEMO_PASSWORD

# `make screenshots` sets WAAKVLAM_SCREENS to its git-ignored folder, and gets the first screenful on a phone too.
SHOTS = Path(os.environ.get("WAAKVLAM_SCREENS") or "/tmp/waakvlam-screens")
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                                         "best-practice"]}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def serious_violations(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def check_screen(page: Page, name: str) -> None:
    """axe, the width, and screenshots at 360 and 1280 px (to /tmp/waakvlam-screens)."""
    assert serious_violations(page) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        if width == 360:
            assert not scrolls_sideways(page), f"{name} scrolls sideways at 360 px"
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 360 and os.environ.get("WAAKVLAM_SCREENS"):
            page.screenshot(path=str(SHOTS / f"{name}-telefoon.png"))
    if viewport:
        page.set_viewport_size(viewport)


def log_in(page: Page, user: str, password: str = DEMO_PASSWORD) -> None:
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
