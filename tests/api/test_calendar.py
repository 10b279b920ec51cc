"""A coordinator's check-ins in their own calendar program: a secret feed address,
valid iCalendar (parsed by a real parser, and checked line by line against RFC 5545),
one all-day event per open check-in, renewable and revocable."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import urlsplit

import icalendar
import pytest
from fastapi.testclient import TestClient

from tests.api.support import BRAM, assert_problem, next_check_in, noon_days_ago, register, today, write

CARLA = {"Authorization": "Bearer dev-carla"}
LONG_LABEL = "Fam. Öztürk-Van den Bergh-Ünal, de héle familie van de Rozenstraat, en oma Zoë die bij hen inwoont"


@pytest.fixture
def live(client, schedule_worker, households):
    """The API with the schedule kept; call it to wait until the schedule has caught up."""
    def caught_up() -> None:
        last = households.recorder.max_notification_id()
        deadline = time.monotonic() + 30
        while (schedule_worker.view.max_tracking_id(households.name) or 0) < last:
            assert time.monotonic() < deadline, "the schedule did not catch up"
            time.sleep(0.01)
    return caught_up


def _feed_path(client, headers=BRAM) -> str:
    response = client.post("/api/calendar", headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["webcal_url"] == "webcal://" + body["url"].split("://", 1)[1]
    return urlsplit(body["url"]).path


def _household(client, label: str, coordinator: str = "bram", intensity: str = "waakvlam", **fields) -> str:
    household_id = register(client, label, "Wijkteam Noord", intensity=intensity, **fields)
    write(client, household_id, "coordinator", {"coordinator": coordinator, "handover_note": "Hond bijt"},
          headers=CARLA)
    return household_id


def _fetch(path: str, client) -> tuple[bytes, icalendar.Calendar]:
    anonymous = TestClient(client.app)  # a calendar program sends no token
    response = anonymous.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return response.content, icalendar.Calendar.from_ical(response.content)


def test_a_coordinators_feed_has_one_all_day_event_per_open_check_in_and_parses(client, live):
    jansen = _household(client, "Fam. Jansen")
    long = _household(client, LONG_LABEL)
    _household(client, "Fam. Van Dijk", coordinator="fatima")  # not bram's
    write(client, jansen, "signals", {"source": "huisarts", "description": "Slaapt slecht, eet weinig"})
    live()
    path = _feed_path(client)

    raw, parsed = _fetch(path, client)

    assert parsed["VERSION"] == "2.0" and parsed["PRODID"].startswith("-//Waakvlam//")
    events = {str(event["SUMMARY"]): event for event in parsed.walk("VEVENT")}
    assert set(events) == {"Waakvlamcontact: Fam. Jansen", f"Waakvlamcontact: {LONG_LABEL}"}
    for household_id, label in ((jansen, "Fam. Jansen"), (long, LONG_LABEL)):
        event, check_in = events[f"Waakvlamcontact: {label}"], next_check_in(client, household_id)
        start = event.decoded("DTSTART")
        assert type(start) is date and start.isoformat() == check_in["due"]  # all day: a date, not a moment
        assert event["DTSTART"].params["VALUE"] == "DATE"
        assert (event.decoded("DTEND") - start).days == 1
        assert str(event["UID"]) == f"waakvlam-check-in-{check_in['id']}@127.0.0.1"  # the host of WAAKVLAM_BASE_URL
        assert event.decoded("DTSTAMP").tzinfo is not None
        assert str(event["URL"]).endswith(f"/households/{household_id}")
    text = raw.decode("utf-8")
    assert "Slaapt" not in text and "Hond" not in text  # no notes, no handover notes, no signals' words

    # RFC 5545 by hand: CRLF line ends only, folded lines of at most 75 octets, the calendar's frame.
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:") and raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines), "the long label is folded"
    for line in lines:
        line.decode("utf-8")  # a fold never splits a character


def test_an_overdue_check_in_stays_on_its_own_past_date_marked_over_tijd(client, live):
    late = _household(client, "Fam. Laat", occurred_at=noon_days_ago(50))  # waakvlam: due 42 days on, 8 days ago
    soon = _household(client, "Fam. Binnenkort")
    live()

    events = {str(e["SUMMARY"]): e for e in _fetch(_feed_path(client), client)[1].walk("VEVENT")}

    assert set(events) == {"Waakvlamcontact: Fam. Laat (over tijd)", "Waakvlamcontact: Fam. Binnenkort"}
    overdue = events["Waakvlamcontact: Fam. Laat (over tijd)"]
    due = next_check_in(client, late)["due"]
    assert overdue.decoded("DTSTART").isoformat() == due and date.fromisoformat(due) < today()  # not moved to today
    assert "Over tijd: gepland op " in str(overdue["DESCRIPTION"]) and "8 dagen over tijd" in str(
        overdue["DESCRIPTION"])
    assert "Over tijd" in [str(c) for c in overdue["CATEGORIES"].cats]
    on_time = events["Waakvlamcontact: Fam. Binnenkort"]
    assert on_time.decoded("DTSTART").isoformat() == next_check_in(client, soon)["due"]
    assert "over tijd" not in str(on_time["DESCRIPTION"]).lower()


def test_the_events_title_names_the_households_intensity(client, live):
    for label, intensity in (("Fam. Waak", "waakvlam"), ("Fam. Licht", "licht"), ("Fam. Veel", "intensief"),
                             ("Fam. Nood", "crisis")):
        _household(client, label, intensity=intensity)
    live()

    events = {str(e["SUMMARY"]): e for e in _fetch(_feed_path(client), client)[1].walk("VEVENT")}

    # Only a household on a pilot light has a waakvlamcontact; a licht household's check-in is a contactmoment.
    assert set(events) == {"Waakvlamcontact: Fam. Waak", "Contactmoment (licht): Fam. Licht",
                           "Contactmoment (intensief): Fam. Veel", "Contactmoment (crisis): Fam. Nood"}
    assert str(events["Contactmoment (licht): Fam. Licht"]["DESCRIPTION"]).startswith(
        "Contactmoment (licht) met Fam. Licht (Wijkteam Noord, intensiteit licht).")


def test_the_feed_follows_the_schedule_and_each_check_in_keeps_its_uid(client, live):
    household_id = _household(client, "Fam. Jansen")
    live()
    path = _feed_path(client)
    first = next_check_in(client, household_id)
    (before,) = _fetch(path, client)[1].walk("VEVENT")
    assert first["id"] in str(before["UID"])
    assert [str(e["UID"]) for e in _fetch(path, client)[1].walk("VEVENT")] == [str(before["UID"])]  # stable

    write(client, household_id, f"check-ins/{first['id']}/complete", {"kind": "huisbezoek"}, headers=BRAM)
    live()
    (after,) = _fetch(path, client)[1].walk("VEVENT")
    assert str(after["UID"]) != str(before["UID"])
    assert next_check_in(client, household_id)["id"] in str(after["UID"])

    write(client, household_id, "closure", {"reason_code": "goals_achieved"}, headers=BRAM)
    live()
    assert _fetch(path, client)[1].walk("VEVENT") == []


def test_a_new_address_replaces_the_old_one_and_a_revoked_one_is_gone(client, live):
    _household(client, "Fam. Jansen")
    live()
    old = _feed_path(client)
    new = _feed_path(client)
    assert old != new
    anonymous = TestClient(client.app)
    assert_problem(anonymous.get(old), 404)
    _fetch(new, client)
    assert client.delete("/api/calendar", headers=BRAM).status_code == 204
    body = assert_problem(anonymous.get(new), 404)
    assert new.rsplit("/", 1)[1].removesuffix(".ics") not in body["detail"]


def test_everyone_has_their_own_feed(client, live):
    _household(client, "Fam. Jansen")
    live()
    bram, carla = _feed_path(client), _feed_path(client, CARLA)
    assert bram != carla
    assert len(_fetch(bram, client)[1].walk("VEVENT")) == 1
    assert _fetch(carla, client)[1].walk("VEVENT") == []  # carla coordinates no household


@pytest.mark.parametrize("secret", ["unknown-secret-0123456789abcdef", "x", "%00", "..", "a" * 500, "' OR 1=1 --",
                                    "ü" * 30])
def test_an_unknown_or_garbage_secret_is_a_404_problem(client, secret):
    anonymous = TestClient(client.app, raise_server_exceptions=False)
    assert_problem(anonymous.get(f"/api/calendar/{secret}.ics"), 404)


def test_making_a_feed_needs_a_token(client):
    anonymous = TestClient(client.app)
    assert_problem(anonymous.post("/api/calendar"), 401)
    assert_problem(anonymous.delete("/api/calendar"), 401)
