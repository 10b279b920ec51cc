"""A coordinator's notifications: a new signal on a household at waakvlam or licht
(a possible reason to escalate, exactly once per signal), reminders of check-ins;
newest first, unread, marked read; someone else's are nobody else's business."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from projections.notifications import NotificationsProjection, NotificationsView
from projections.versions import open_reader
from tests.api.support import BRAM, assert_invalid, assert_problem, next_check_in, register, server_errors, write
from tests.conftest import _running

CARLA = {"Authorization": "Bearer dev-carla"}
PETRA = {"Authorization": "Bearer dev-petra"}
TEAM = "Wijkteam Noord"
SIGNAL = {"source": "woningcorporatie", "description": "Huurachterstand van drie maanden, post blijft liggen",
          "life_domains": ["housing", "finances"], "urgency": "high"}


def _caught_up(runner, households) -> None:
    last = households.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    while (runner.view.max_tracking_id(households.name) or 0) < last:
        assert time.monotonic() < deadline, "the projection did not catch up"
        time.sleep(0.01)


@contextlib.contextmanager
def _projection(env):
    """The signal alerts projection running until the block ends, as the worker runs it."""
    running = _running(NotificationsProjection, NotificationsView, env)
    runner = next(running)
    try:
        yield runner
    finally:
        running.close()


def _household(client, label: str = "Fam. Jansen", intensity: str = "waakvlam", coordinator: str | None = "bram",
               **fields) -> str:
    household_id = register(client, label, TEAM, intensity=intensity, **fields)
    if coordinator:
        write(client, household_id, "coordinator", {"coordinator": coordinator}, headers=CARLA)
    return household_id


def _mine(client, headers=BRAM, **query) -> dict:
    response = client.get("/api/notifications", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def alerts(client, notifications_worker, households):
    """The API with the signal alerts projection running; call it to wait until it has caught up."""
    return lambda: _caught_up(notifications_worker, households)


def test_a_new_signal_on_a_household_at_waakvlam_is_shown_to_its_coordinator_once(client, alerts):
    household_id = _household(client)
    signal_id = write(client, household_id, "signals", SIGNAL)["item_id"]
    alerts()

    page = _mine(client)
    (item,) = page["items"]
    assert page["unread"] == 1 and page["next_cursor"] is None
    assert item["kind"] == "signal" and item["signal_id"] == signal_id and item["household_id"] == household_id
    assert item["title"] == "Nieuw signaal (urgentie hoog) bij Fam. Jansen, nu op waakvlam: opschalen overwegen?"
    assert item["link"].endswith(f"/households/{household_id}") and item["read_at"] is None
    assert "Huurachterstand" not in str(page)  # what was seen stays in the file, not in the notification
    assert _mine(client, headers=CARLA)["items"] == []  # the lead hears of it only without a coordinator

    # Another look, and another event on the household: still the one notification.
    write(client, household_id, "contacts", {"kind": "telefonisch"})
    alerts()
    assert len(_mine(client)["items"]) == 1


def test_after_a_signal_the_coordinator_reads_its_alert_with_after(client, notifications_worker):
    household_id = _household(client)
    position = write(client, household_id, "signals", SIGNAL)["position"]
    assert [item["household_id"] for item in _mine(client, after=position)["items"]] == [household_id]
    assert_invalid(client.get("/api/notifications", params={"after": -1}, headers=BRAM), "query.after")


def test_a_signal_at_licht_alerts_too_but_not_at_intensief_or_crisis(client, alerts):
    licht = _household(client, "Fam. Licht", intensity="licht")
    intensief = _household(client, "Fam. Intensief", intensity="intensief")
    crisis = _household(client, "Fam. Crisis", intensity="crisis")
    for household_id in (licht, intensief, crisis):
        write(client, household_id, "signals", SIGNAL)
    alerts()
    assert [item["label"] for item in _mine(client)["items"]] == ["Fam. Licht"]


def test_after_an_escalation_signals_no_longer_alert_and_after_de_escalation_they_do_again(client, alerts):
    household_id = _household(client)
    write(client, household_id, "escalations", {"to_level": "intensief", "reason": "Dreigende huisuitzetting"})
    write(client, household_id, "signals", SIGNAL)
    write(client, household_id, "de-escalations", {"to_level": "licht", "reason": "Betalingsregeling loopt"})
    write(client, household_id, "signals", {**SIGNAL, "urgency": "low"})
    alerts()
    assert [item["title"] for item in _mine(client)["items"]] == [
        "Nieuw signaal (urgentie laag) bij Fam. Jansen, nu op licht: opschalen overwegen?"]


def test_without_a_coordinator_the_team_lead_hears_of_the_signal(client, households, alerts):
    households.set_team_policy(TEAM, actor="carla", team_lead="carla")
    household_id = _household(client, coordinator=None)
    write(client, household_id, "signals", SIGNAL)
    alerts()
    assert [item["household_id"] for item in _mine(client, headers=CARLA)["items"]] == [household_id]
    assert _mine(client)["items"] == []


def test_marking_read_one_and_all_and_the_unread_filter(client, alerts):
    ids = [_household(client, f"Fam. {n}") for n in range(3)]
    for household_id in ids:
        write(client, household_id, "signals", SIGNAL)
    alerts()
    newest, middle, oldest = _mine(client)["items"]
    assert [newest["label"], middle["label"], oldest["label"]] == ["Fam. 2", "Fam. 1", "Fam. 0"]

    response = client.post(f"/api/notifications/{middle['id']}/read", headers=BRAM)
    assert response.status_code == 200, response.text
    read_at = response.json()["read_at"]
    assert read_at is not None
    again = client.post(f"/api/notifications/{middle['id']}/read", headers=BRAM).json()
    assert again["read_at"] == read_at  # read once, when it was first read
    unread = _mine(client, unread="true")
    assert [item["label"] for item in unread["items"]] == ["Fam. 2", "Fam. 0"] and unread["unread"] == 2

    assert client.post("/api/notifications/read", headers=BRAM).json() == {"marked": 2}
    assert _mine(client, unread="true") == {"items": [], "unread": 0, "next_cursor": None}
    assert len(_mine(client)["items"]) == 3


def test_someone_elses_notification_is_not_found_and_cannot_be_marked(client, alerts):
    household_id = _household(client)
    write(client, household_id, "signals", SIGNAL)
    alerts()
    (item,) = _mine(client)["items"]
    assert_problem(client.post(f"/api/notifications/{item['id']}/read", headers=CARLA), 404)
    assert_problem(client.post("/api/notifications/7d4f2a6e-0000-4000-8000-000000000000/read", headers=BRAM), 404)
    assert_invalid(client.post("/api/notifications/not-an-id/read", headers=BRAM), "path.notification_id")
    assert client.post("/api/notifications/read", headers=CARLA).json() == {"marked": 0}
    assert _mine(client)["items"][0]["read_at"] is None
    assert_problem(client.get("/api/notifications", headers=PETRA), 403)  # a partner account has none


def test_the_list_pages_newest_first_with_a_cursor(client, alerts):
    household_id = _household(client)
    for n in range(5):
        write(client, household_id, "signals", {**SIGNAL, "description": f"Signaal {n}"})
    alerts()
    everything = [item["id"] for item in _mine(client)["items"]]
    assert len(everything) == 5

    seen, cursor = [], None
    while True:
        page = _mine(client, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    created = [item["created_at"] for item in _mine(client)["items"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "unread=perhaps", "cursor=%00",
                                   "cursor=" + "A" * 300, "cursor=bm90IGEgY3Vyc29y",
                                   "cursor=MjAyNi0wMS0wMXxub3QtYS11dWlk"])
def test_the_list_survives_garbage_queries(client, query):
    assert server_errors(client, "GET", f"/api/notifications?{query}", [None], raw=[]) == []
    assert_problem(client.get(f"/api/notifications?{query}", headers=BRAM), 422)


def test_a_due_check_in_reminds_its_coordinator_in_the_list(client, households, env, settings, schedule_worker):
    from workers.reminders import ReminderWorker

    household_id = _household(client, occurred_at=(datetime.now(UTC) - timedelta(days=40)).isoformat())
    check_in = next_check_in(client, household_id)
    _caught_up(schedule_worker, households)
    worker = ReminderWorker(settings, env)
    try:
        worker.cycle()  # today: due in two days
    finally:
        worker.close()
    (item,) = _mine(client)["items"]
    assert (item["kind"], item["check_in_id"], item["due"]) == ("due_soon", check_in["id"], check_in["due"])
    assert item["title"].startswith("Waakvlamcontact gepland op ") and item["title"].endswith(": Fam. Jansen")


def test_signals_recorded_before_notifications_existed_are_history_not_news(households, env):
    old = households.register(actor="anna", label="Fam. Oud", team=TEAM, intensity="waakvlam").household_id
    households.assign_coordinator(old, actor="carla", coordinator="bram")
    households.record_signal(old, actor="anna", source="huisarts", description="Al lang bekend",
                             life_domains=["mental_health"])
    view = open_reader(NotificationsProjection.name, NotificationsView, env)  # introduced now
    households.record_signal(old, actor="anna", source="huisarts", description="Nieuw", life_domains=["housing"])
    try:
        with _projection(env) as runner:
            _caught_up(runner, households)
        (alert,) = view.for_recipient("bram")
        assert alert.household_id == old and isinstance(alert.notification_id, UUID)
    finally:
        view.datastore.close()


def test_a_restarted_projection_alerts_nothing_twice(client, households, env):
    household_id = _household(client)
    write(client, household_id, "signals", SIGNAL)
    for _ in range(2):  # run, stop, run again from where it stopped
        with _projection(env) as runner:
            _caught_up(runner, households)
        write(client, household_id, "contacts", {"kind": "telefonisch"})
    assert len(_mine(client)["items"]) == 1
