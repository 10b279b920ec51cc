"""The timeline (a projection: one row per event, newest first, filtered and
keyset-paginated) and the audit history (straight from the event store)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from projections.history import household_history
from tests.api.support import UNKNOWN_HOUSEHOLD, assert_invalid, assert_problem
from waakvlam.demo import load_demo

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def at(days: float) -> datetime:
    return START + timedelta(days=days)


@pytest.fixture
def story(households) -> tuple[UUID, int]:
    """A household with events by two people, over several weeks; answers its id and last position."""
    h = households.register(actor="anna", label="Fam. Tijdlijn", team="Wijkteam Noord", occurred_at=at(0)).household_id
    households.assign_coordinator(h, actor="anna", coordinator="bram", occurred_at=at(1))
    households.record_signal(h, actor="bram", source="huisarts", description="Slaapt slecht",
                             life_domains=["mental_health"], occurred_at=at(2))
    households.record_contact(h, actor="anna", kind="huisbezoek", summary="Post doorgenomen",
                              life_domains=["finances", "housing"], occurred_at=at(3))
    households.record_assessment(h, actor="bram", scores={"finances": 2}, occurred_at=at(4))
    households.set_goal(h, actor="bram", life_domain="finances", description="Budget op orde", occurred_at=at(5))
    households.escalate(h, actor="bram", to_level="intensief", reason="Schulden lopen op", occurred_at=at(6))
    # Typed late: happened before the escalation, recorded after it.
    last = households.record_contact(h, actor="anna", kind="telefonisch", summary="Nagebeld",
                                     life_domains=["finances"], occurred_at=at(5.5))
    return h, last.position


def get(client, household_id, **params):
    response = client.get(f"/api/households/{household_id}/timeline", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def newest_first(items: list[dict]) -> bool:
    keys = [(datetime.fromisoformat(i["occurred_at"]), i["version"]) for i in items]
    return keys == sorted(keys, reverse=True)


def test_the_timeline_of_every_demo_household_has_one_row_per_stored_event(households, timeline_worker):
    household_ids = load_demo(households, households=10)
    timeline_worker.wait(households.recorder.max_notification_id(), timeout=120)

    for household_id in household_ids:
        stored = list(households.events.get(household_id))
        rows = timeline_worker.view.rows(household_id)
        assert [r.version for r in rows] == [e.originator_version for e in stored], household_id
        assert [r.kind for r in rows] == [type(e).__name__ for e in stored]
        assert [r.position for r in rows] == [e["position"] for e in household_history(households, household_id)]
        assert all(r.summary and len(r.summary) <= 200 for r in rows)


def test_the_timeline_is_newest_first_in_dutch_with_both_times(client, households, timeline_worker, story):
    h, last = story
    page = get(client, h, after=last)
    items = page["items"]
    assert len(items) == len(list(households.events.get(h))) and page["next_cursor"] is None
    assert newest_first(items)
    # The escalation brought the check-in forward: same moment, later version, so it comes first.
    assert items[0]["summary"].startswith("Waakvlamcontact verzet naar ")
    assert items[1]["summary"] == "Opgeschaald van licht naar intensief: Schulden lopen op"
    assert items[0]["occurred_at"] == items[1]["occurred_at"] and items[0]["version"] > items[1]["version"]
    late = next(i for i in items if i["summary"] == "Telefonisch contact vastgelegd (financiën): Nagebeld")
    assert datetime.fromisoformat(late["recorded_at"]) > datetime.fromisoformat(items[1]["recorded_at"])
    assert datetime.fromisoformat(late["occurred_at"]) == at(5.5)
    assert items[-1]["kind"] == "Registered" and items[-1]["version"] == 1
    assert {i["household_id"] for i in items} == {str(h)}


def test_each_filter_narrows_the_timeline(client, timeline_worker, story):
    h, last = story
    get(client, h, after=last)

    finances = get(client, h, domain="finances")["items"]
    assert [i["kind"] for i in finances] == ["ContactRecorded", "GoalSet", "AssessmentRecorded", "ContactRecorded"]
    assert all("finances" in i["life_domains"] for i in finances)
    contacts = get(client, h, kind="ContactRecorded")["items"]
    assert [i["summary"].split(" ")[0] for i in contacts] == ["Telefonisch", "Huisbezoek"]
    by_bram = get(client, h, actor="bram")["items"]
    assert {i["actor"] for i in by_bram} == {"bram"} and len(by_bram) == 5
    period = get(client, h, **{"from": at(3).isoformat(), "until": at(5).isoformat()})["items"]
    assert [i["kind"] for i in period] == ["AssessmentRecorded", "ContactRecorded"]
    both = get(client, h, domain="finances", actor="anna", until=at(5).isoformat())["items"]
    assert [i["summary"] for i in both] == ["Huisbezoek vastgelegd (financiën, huisvesting): Post doorgenomen"]
    assert get(client, h, actor="nobody")["items"] == []


def test_keyset_pagination_walks_every_row_once(client, households, timeline_worker, story):
    h, last = story
    everything = get(client, h, after=last)["items"]
    seen, cursor, pages = [], None, 0
    while True:
        page = get(client, h, limit=3, **({"cursor": cursor} if cursor else {}))
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert pages == -(-len(everything) // 3)
    assert len({i["version"] for i in seen}) == len(seen)


@pytest.mark.parametrize(("params", "field"), [
    ({"kind": "Nope"}, "query.kind"),
    ({"domain": "geld"}, "query.domain"),
    ({"from": "2026-01-01T10:00:00"}, "query.from"),
    ({"until": "2026-01-01T10:00:00"}, "query.until"),
    ({"from": "gisteren"}, "query.from"),
    ({"cursor": "bm90IGEgY3Vyc29y"}, "query.cursor"),
    ({"cursor": "%00"}, "query.cursor"),
    ({"cursor": "MjAyNi0wMS0wMVQxMDowMDowMHwx"}, "query.cursor"),  # a naive moment
    ({"limit": 0}, "query.limit"),
    ({"limit": 201}, "query.limit"),
    ({"after": -1}, "query.after"),
    ({"actor": "a\x00b"}, "query.actor"),
])
def test_bad_input_is_refused_naming_the_field(client, households, params, field):
    h = households.register(actor="anna", label="Fam. Fout", team="Wijkteam Noord").household_id
    assert_invalid(client.get(f"/api/households/{h}/timeline", params=params), field)


def test_an_unknown_household_has_no_timeline_and_no_history(client):
    for path in ("timeline", "history"):
        body = assert_problem(client.get(f"/api/households/{UNKNOWN_HOUSEHOLD}/{path}"), 404)
        assert UNKNOWN_HOUSEHOLD in body["detail"]
    assert_invalid(client.get("/api/households/not-a-uuid/history"), "path.household_id")


def test_the_history_is_every_stored_event_with_its_metadata_as_json_lines(client, households, story):
    h, last = story
    response = client.get(f"/api/households/{h}/history")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    stored = list(households.events.get(h))
    assert len(lines) == len(stored)
    assert response.headers["etag"] == f'"{stored[-1].originator_version}"'
    for line, event in zip(lines, stored, strict=True):
        assert line["kind"] == type(event).__name__
        assert (line["household_id"], line["version"]) == (str(h), event.originator_version)
        assert line["actor"] == event.actor
        assert datetime.fromisoformat(line["occurred_at"]) == event.occurred_at
        assert datetime.fromisoformat(line["recorded_at"]) == event.timestamp
    positions = [line["position"] for line in lines]
    assert positions == sorted(positions) and len(set(positions)) == len(positions) and positions[-1] == last
    contact = next(line for line in lines if line["kind"] == "ContactRecorded")
    assert contact["fields"]["kind"] == "huisbezoek" and contact["fields"]["life_domains"] == ["finances", "housing"]
    assert lines[0]["fields"]["label"] == "Fam. Tijdlijn"


def test_the_history_positions_are_the_timelines_positions(client, households, timeline_worker, story):
    h, last = story
    timeline = get(client, h, after=last)["items"]
    history = [json.loads(line) for line in client.get(f"/api/households/{h}/history").text.splitlines()]
    assert {(i["version"], i["position"]) for i in timeline} == {(e["version"], e["position"]) for e in history}
