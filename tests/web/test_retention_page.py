"""The daily retention report on the privacy officer's page (issue 12 §4): the latest stored report, with a
"Wissen bevestigen" button (a CSRF form, as `POST /api/retention/reports/{id}/confirmation`) that erases what it
names and is still due and comes back with a Dutch message; the live report stays as it is. In a real
headless Chromium too, on a 360 px phone."""

from __future__ import annotations

import re
from uuid import UUID

import psycopg
import pytest
from playwright.sync_api import Page, expect

from domain.application import Households
from projections.versions import conninfo
from tests.api.support import noon_days_ago, register, write
from tests.web.browser import check_screen
from tests.web.browser import log_in as browser_log_in
from tests.web.support import csrf_of, log_in, pages_client
from workers import retention_job
from workers.outbox import create_tables
from workers.reminders import today


def _reported(env, settings, households) -> retention_job.Report:
    """The day's report, as the reminder worker makes it (with no mail)."""
    create_tables(env)
    schema = env.get("POSTGRES_SCHEMA") or "public"
    with psycopg.connect(conninfo(env), autocommit=True) as conn:
        retention_job.create_table(conn, schema)
        made = retention_job.daily_report(conn, schema, settings, households, today(), with_mail=False)
    assert made is not None
    return made


def _old(client_or_api, label: str = "Fam. Oud") -> str:
    household_id = register(client_or_api, label=label, occurred_at=noon_days_ago(6 * 366))
    write(client_or_api, household_id, "closure", {"reason_code": "goals_achieved",
                                                   "occurred_at": noon_days_ago(5 * 366 + 2)})
    return household_id


def test_the_privacy_officer_confirms_the_daily_report_on_the_page(client, env, settings):
    visitor = pages_client(client)
    households = client.app.state.households
    log_in(visitor, "dirk")
    assert "Er is nog geen dagelijks rapport gemaakt" in visitor.get("/privacy").text
    household_id = _old(client)
    report = _reported(env, settings, households)

    page = visitor.get("/privacy")
    assert page.status_code == 200
    assert "1 huishouden en 0 signalen over de bewaartermijn" in page.text and "Fam. Oud" in page.text
    action = f"/privacy/bewaartermijn/{report.report_id}/bevestigen"
    assert f'action="{action}"' in page.text and "Wissen bevestigen" in page.text
    assert visitor.post(action, data={"csrf": "wrong"}).status_code == 403  # no CSRF token: refused
    assert households.get(household_id).status == "closed"

    done = visitor.post(action, data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/privacy?gewist=1#bewaarrapport"
    after = visitor.get(done.headers["location"]).text
    assert "Het wissen is bevestigd: 1 huishouden en 0 signalen zijn gewist." in after
    assert "Bevestigd door dirk" in after and "Wissen bevestigen" not in after
    assert "Geen enkel dossier is over de bewaartermijn" in after  # the live report, read afresh
    assert households.get(household_id).status == "forgotten"
    again = visitor.post(action, data={"csrf": csrf_of(after)})
    assert again.status_code == 409 and "al bevestigd" in again.text


@pytest.mark.parametrize("user", ["bram", "anna"])
def test_only_the_privacy_officer_confirms_on_the_page(client, env, settings, user):
    household_id = _old(client)
    report = _reported(env, settings, client.app.state.households)
    visitor = pages_client(client)
    log_in(visitor, user)
    form = visitor.get("/privacy")
    assert form.status_code == 403
    refused = visitor.post(f"/privacy/bewaartermijn/{report.report_id}/bevestigen",
                           data={"csrf": csrf_of(form.text)})
    assert refused.status_code == 403 and "privacyfunctionaris" in refused.text
    assert client.app.state.households.get(household_id).status == "closed"


def test_in_a_browser_the_privacy_officer_confirms_the_erasure(page: Page, site: str, api, env, settings):
    household_id = _old(api, "Fam. Vroeger")
    households = Households(env=env)
    try:
        _reported(env, settings, households)
        page.goto(f"{site}/privacy")
        browser_log_in(page, "dirk")
        page.goto(f"{site}/privacy")
        report = page.locator("section", has=page.get_by_role("heading", name="Dagelijks bewaartermijnrapport"))
        expect(report).to_contain_text("1 huishouden en 0 signalen over de bewaartermijn")
        expect(report.get_by_role("heading", name="Fam. Vroeger")).to_be_visible()
        check_screen(page, "privacy-bewaarrapport")
        report.get_by_role("button", name="Wissen bevestigen").click()
        expect(page.get_by_role("status")).to_contain_text("Het wissen is bevestigd: 1 huishouden")
        expect(report).to_contain_text("Bevestigd door dirk")
        check_screen(page, "privacy-bewaarrapport-bevestigd")
        assert re.search(r"/privacy\?gewist=1", page.url)
        assert households.get(UUID(household_id)).status == "forgotten"
    finally:
        households.close()
