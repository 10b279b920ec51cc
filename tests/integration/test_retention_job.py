"""Retention runs by itself (issue 12 §4): the reminder worker reports, once a day, what has passed its term to
the privacy officer (a notification and a mail, delivered to a real SMTP server), in the access log; nothing is
erased until the privacy officer confirms, and then only what is still due; a report is confirmed once."""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from domain.household import FORGOTTEN
from domain.signal import FORGOTTEN as SIGNAL_FORGOTTEN
from projections.notifications import NotificationsProjection, NotificationsView
from projections.versions import conninfo, open_reader
from tests.integration.test_retention import _closed, _signals, _story
from workers import retention_job
from workers.outbox import create_tables
from workers.reminders import ReminderWorker, today

OFFICER = "dirk"


def _officer(households) -> None:
    households.register_staff(OFFICER, actor="admin", name="Dirk", roles=["privacy_officer"],
                              reason="Privacyfunctionaris")


@pytest.fixture
def worker(mail_settings, env):
    made = ReminderWorker(mail_settings, env)
    yield made
    made.close()


@pytest.fixture
def conn(env):
    with psycopg.connect(conninfo(env), autocommit=True) as found:
        yield found


def _log(conn, schema: str, user: str) -> list[tuple]:
    return conn.execute(f'SELECT action, role, household_id, listed, persons, route FROM "{schema}".access_log'
                        " WHERE user_id = %s ORDER BY seq", (user,)).fetchall()


def _notifications(env, user: str):
    """The user's retention notifications (the same worker tells of its daily checkpoints too)."""
    view = open_reader(NotificationsProjection.name, NotificationsView, env)
    try:
        return [n for n in view.for_recipient(user) if n.kind == "retention"]
    finally:
        view.datastore.close()


def _mails(smtp_server) -> list:
    return [m for m in smtp_server.messages() if m["X-Waakvlam-Notice"] == "retention"]


def test_the_worker_reports_once_a_day_and_erases_only_on_the_officers_confirmation(
        households, env, mail_settings, smtp_server, worker, conn, schema):
    _officer(households)
    ids = _story(households)
    signals = _signals(households, months_ago=7)
    old = [ids["old with provision"], ids["old without provision"]]

    worker.cycle(today())
    worker.cycle(today())  # the same day again: nothing more
    other = ReminderWorker(mail_settings, env)  # nor a second worker
    try:
        other.cycle(today())
    finally:
        other.close()

    (report,) = retention_job.reports(conn, schema)
    assert report.household_ids == old and set(report.signal_ids) == {signals["new"], signals["dismissed"]}
    (message,) = _mails(smtp_server)
    assert message["To"] == "dirk@wijkteam.test" and message["X-Waakvlam-Notice"] == "retention"
    assert message["Subject"] == "Bewaartermijn: 2 huishoudens en 2 signalen kunnen worden gewist"
    body = message.get_content()
    assert all(str(h) in body for h in old) and "https://waakvlam.test/privacy" in body
    assert "Fam." not in body  # ids, teams and dates: no label, no name
    (notification,) = _notifications(env, OFFICER)
    assert (notification.kind, notification.household_id) == ("retention", None)
    assert notification.title == message["Subject"]
    # Reported, in the access log, and nothing erased.
    ((action, role, household, listed, persons, route),) = _log(conn, schema, "retention")
    assert (action, role, household, route) == ("read", "system", None, "retention_report")
    assert listed == old and len(persons) == 2
    assert all(households.get(h).status == "closed" for h in old)

    confirmed = retention_job.confirm(conn, schema, households, report.report_id, OFFICER)
    assert (confirmed.confirmed_by, confirmed.erased_households, confirmed.erased_signals) == (OFFICER, 2, 2)
    assert confirmed.erased_at is not None
    assert all(households.get(h).status == FORGOTTEN for h in old)
    assert households.get(ids["open"]).status != FORGOTTEN
    assert households.get_signal(signals["dismissed"]).status == SIGNAL_FORGOTTEN
    ((action, role, household, listed, persons, route),) = _log(conn, schema, OFFICER)
    assert (action, role, household, route) == ("delete", "privacy_officer", None, retention_job.ROUTE)
    assert listed == old and len(persons) == 2

    with pytest.raises(retention_job.AlreadyConfirmed):
        retention_job.confirm(conn, schema, households, report.report_id, OFFICER)


def test_a_household_reopened_after_the_report_is_not_erased(households, env, mail_settings, worker, conn, schema):
    _officer(households)
    reopened = _closed(households, "Fam. Terug", registered=20, closed=17)
    erased = _closed(households, "Fam. Weg", registered=20, closed=17)
    worker.cycle(today())
    (report,) = retention_job.reports(conn, schema)
    assert set(report.household_ids) == {reopened, erased}
    households.reopen_household(reopened, actor="anna", reason="Nieuw signaal")

    confirmed = retention_job.confirm(conn, schema, households, report.report_id, OFFICER)
    assert (confirmed.erased_households, confirmed.erased_signals) == (2 - 1, 0)
    assert households.get(reopened).status == "open" and households.get(reopened).label == "Fam. Terug"
    assert households.get(erased).status == FORGOTTEN
    assert _log(conn, schema, OFFICER)[0][3] == [erased]


def test_nothing_due_is_stored_and_told_to_nobody(households, env, smtp_server, worker, conn, schema):
    _officer(households)
    _closed(households, "Fam. Vers", registered=5, closed=4)
    worker.cycle(today())
    (report,) = retention_job.reports(conn, schema)
    assert (report.households, report.signals) == ([], [])
    assert _mails(smtp_server) == [] and _notifications(env, OFFICER) == []


def test_only_a_privacy_officer_confirms(households, env, conn, schema, settings):
    create_tables(env)  # the notifications table, as the reminder worker makes it
    _officer(households)
    _closed(households, "Fam. Oud", registered=20, closed=17)
    retention_job.create_table(conn, schema)
    report = retention_job.daily_report(conn, schema, settings, households, today(), with_mail=False)
    assert report is not None and len(report.households) == 1
    with pytest.raises(retention_job.NotAnOfficer):
        retention_job.confirm(conn, schema, households, report.report_id, "bram")
    assert retention_job.report(conn, schema, report.report_id).confirmed_by is None


# ---- the API ----------------------------------------------------------------------------------


def _as(client: TestClient, token: str) -> TestClient:
    return TestClient(client.app, headers={"Authorization": f"Bearer {token}"})


def test_the_api_lists_the_reports_and_confirms_once_for_the_privacy_officer_only(client, households, conn, schema,
                                                                                   settings):
    household = _closed(households, "Fam. Oud", registered=20, closed=17)
    retention_job.create_table(conn, schema)
    report = retention_job.daily_report(conn, schema, settings, households, today(), with_mail=False)
    dirk, bram = _as(client, "dev-dirk"), _as(client, "dev-bram")

    listed = dirk.get("/api/retention/reports")
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    assert (item["report_id"], item["households"][0]["household_id"]) == (str(report.report_id), str(household))
    url = f"/api/retention/reports/{report.report_id}/confirmation"
    for refused in (bram.get("/api/retention/reports"), bram.post(url)):
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert households.get(household).status == "closed"

    assert dirk.post(f"/api/retention/reports/{UUID(int=1)}/confirmation").status_code == 404
    done = dirk.post(url)
    assert done.status_code == 200, done.text
    assert (done.json()["confirmed_by"], done.json()["erased_households"]) == ("dirk", 1)
    assert households.get(household).status == FORGOTTEN
    again = dirk.post(url)
    assert again.status_code == 409 and "confirmed" in again.json()["detail"]
