"""The integrated plan: the live view and the plan "as of" a moment come from
the same fold, and both times (world and record) are answerable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from projections.plan import plan_as_of, replay
from waakvlam.demo import load_demo

HEADERS = {"Authorization": "Bearer dev-bram"}


def test_the_live_plan_of_every_demo_household_equals_a_replay_of_its_events(households, plan_worker):
    household_ids = load_demo(households)
    plan_worker.wait(households.recorder.max_notification_id(), timeout=120)

    for household_id in household_ids:
        events = list(households.events.get(household_id))
        live = plan_worker.view.get(household_id)
        assert live == replay(events) == plan_as_of(events), household_id
        assert live["version"] == events[-1].originator_version
    assert {plan_worker.view.get(h)["status"] for h in household_ids} == {"open", "closed"}


def test_a_visit_typed_in_the_evening_is_in_the_plan_as_of_the_morning_but_not_known_before_it_was_typed(
        client, households, plan_worker):
    registered = datetime.now(UTC) - timedelta(days=2)
    household_id = households.register(actor="anna", label="Fam. Avond", team="Wijkteam Noord",
                                       occurred_at=registered).household_id
    morning = datetime.now(UTC) - timedelta(hours=10)
    before_typing = datetime.now(UTC)
    written = households.record_contact(household_id, actor="anna", kind="huisbezoek", occurred_at=morning)

    def plan(**params) -> dict:
        response = client.get(f"/api/households/{household_id}/plan", headers=HEADERS,
                              params={k: v.isoformat() for k, v in params.items()})
        assert response.status_code == 200, response.text
        return response.json()

    assert plan(as_of=morning + timedelta(minutes=1))["contacts"] == 1  # it happened this morning
    assert plan(as_of=morning - timedelta(minutes=1))["contacts"] == 0  # not yet, in the world
    assert plan(known_at=before_typing)["contacts"] == 0  # we did not know it before it was typed
    assert plan(as_of=morning + timedelta(minutes=1), known_at=before_typing)["contacts"] == 0
    live = client.get(f"/api/households/{household_id}/plan", headers=HEADERS,
                      params={"after": written.position})
    assert live.json()["contacts"] == 1
    assert live.headers["etag"] == f'"{written.version}"'


def test_a_correction_shows_the_original_before_it_was_recorded_and_the_corrected_value_after(client, households):
    household_id = households.register(actor="anna", label="Fam. Correctie", team="Wijkteam Noord",
                                       occurred_at=datetime.now(UTC) - timedelta(days=1)).household_id
    added = households.add_member(household_id, actor="anna", name="Jan", role="vader")
    before_correction = datetime.now(UTC)
    households.correct(household_id, actor="anna", target_version=added.version, changes={"name": "Johan"},
                       reason="verkeerd verstaan")

    def member_name(**params) -> str:
        response = client.get(f"/api/households/{household_id}/plan", headers=HEADERS,
                              params={k: v.isoformat() for k, v in params.items()})
        assert response.status_code == 200, response.text
        return response.json()["members"][added.item_id]["name"]

    assert member_name(known_at=before_correction) == "Jan"
    assert member_name(known_at=datetime.now(UTC)) == "Johan"
    assert member_name(as_of=datetime.now(UTC)) == "Johan"  # what we know now about the world then


def test_before_the_household_existed_there_is_no_plan(client, households):
    registered = datetime.now(UTC) - timedelta(days=30)
    household_id = households.register(actor="anna", label="Fam. Later", team="Wijkteam Noord",
                                       occurred_at=registered).household_id
    response = client.get(f"/api/households/{household_id}/plan", headers=HEADERS,
                          params={"as_of": (registered - timedelta(days=1)).isoformat()})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    naive = client.get(f"/api/households/{household_id}/plan", headers=HEADERS,
                       params={"as_of": "2026-01-01T10:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "query.as_of"


def test_the_plan_shows_the_support_ladder_trends_and_time_at_each_intensity(client, households, plan_worker):
    start = datetime.now(UTC) - timedelta(days=40)
    hid = households.register(actor="anna", label="Fam. Ladder", team="Wijkteam Noord", occurred_at=start).household_id
    households.record_assessment(hid, actor="anna", scores={"finances": 2}, occurred_at=start + timedelta(days=1))
    goal = households.set_goal(hid, actor="anna", life_domain="finances", description="Budget op orde",
                               occurred_at=start + timedelta(days=1)).item_id
    households.start_intervention(hid, actor="anna", support_level="netwerk", description="Zus helpt",
                                  goal_id=goal, occurred_at=start + timedelta(days=2))
    households.start_intervention(hid, actor="anna", support_level="specialistisch", provider="GGZ Noord",
                                  handover_note="Samen kennisgemaakt", description="Behandeling",
                                  legal_basis="Wmo 2015 art. 5.2.3",
                                  occurred_at=start + timedelta(days=3))
    households.make_agreement(hid, actor="anna", who="Zus", what="Post openen", goal_id=goal,
                              occurred_at=start + timedelta(days=3))
    households.escalate(hid, actor="bram", to_level="intensief", reason="schulden lopen op",
                        occurred_at=start + timedelta(days=10))
    last = households.record_assessment(hid, actor="anna", scores={"finances": 3},
                                        occurred_at=start + timedelta(days=20))

    plan = client.get(f"/api/households/{hid}/plan", headers=HEADERS, params={"after": last.position}).json()

    finances = plan["life_domains"]["finances"]
    assert (finances["score"], finances["previous"], finances["trend"]) == (3, 2, "improving")
    assert [g["description"] for g in finances["goals"]] == ["Budget op orde"]
    assert [a["who"] for a in finances["goals"][0]["agreements"]] == ["Zus"]
    assert [i["support_level"] for i in finances["goals"][0]["interventions"]] == ["netwerk"]
    shares = {step["level"]: step["share"] for step in plan["support_ladder"]}
    assert shares["netwerk"] == shares["specialistisch"] == 0.5 and shares["eigen_kracht"] == 0.0
    first = plan["intensity_history"][0]
    assert (first["level"], first["days"]) == ("licht", 10.0)
    assert plan["intensity"] == "intensief" and plan["intensity_history"][-1]["reason"] == "schulden lopen op"
    assert [a["what"] for a in plan["open_agreements"]] == ["Post openen"]
