"""The signal inbox on PostgreSQL: the projection worker keeps one row per signal
with its triage and eropaf, equal to a fresh fold of the store; the inbox is
most urgent first and keyset-paginated; a rebuild leaves nothing behind; and
triage stays whole when other people write to the household at the same time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
import pytest

from domain.application import Households
from domain.errors import RuleViolation
from domain.team import team_id
from projections import signals as inbox
from projections.signals import SignalsProjection, SignalsView
from projections.versions import open_reader
from tests.conftest import in_threads
from workers.runner import rebuild

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
TIMEOUT = 30


def at(days: float) -> datetime:
    return START + timedelta(days=days)


def report(households: Households, **fields) -> UUID:
    fields = {"source": "home_care", "about_name": "Mevr. Smit", "description": "Eet slecht, valt af",
              "team": "Noord", "occurred_at": at(10), **fields}
    return households.report_signal(actor=fields.pop("actor", "petra"), **fields).signal_id


def everything(households: Households) -> list:
    return [households.mapper.to_domain_event(n)
            for n in households.recorder.select_notifications(start=1, limit=100_000)]


def caught_up(households: Households, worker) -> SignalsView:
    worker.wait(households.recorder.max_notification_id(), timeout=TIMEOUT)
    return worker.view


def _tables(settings) -> set[str]:
    with psycopg.connect(settings.database_url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (settings.postgres_schema,))
        return {name for (name,) in rows}


@pytest.fixture
def story(households) -> dict[str, UUID]:
    """A neighbourhood's month: households, signals triaged every way, contacts before and after."""
    smit = households.register(actor="anna", label="Mevr. Smit", team="Noord", intensity="waakvlam",
                               occurred_at=at(0)).household_id
    jansen = households.register(actor="anna", label="Fam. Jansen", team="Zuid", occurred_at=at(0)).household_id
    households.set_team_policy("Noord", actor="carla", signal_check_in_days={"high": 2})
    households.record_contact(smit, actor="anna", kind="telefonisch", occurred_at=at(5))  # before any signal
    ids = {"smit": smit, "jansen": jansen}
    ids["home_care"] = report(households, urgency="high", occurred_at=at(10))
    households.record_contact(smit, actor="bram", kind="eropaf", occurred_at=at(10.5))  # before the triage
    households.link_signal(ids["home_care"], smit, actor="bram")
    ids["school"] = report(households, source="school", about_name="Kevin Jansen", team="Zuid",
                           life_domains=["work_education"], occurred_at=at(12))
    households.link_signal(ids["school"], jansen, actor="anna")
    version = households.record_contact(jansen, actor="anna", kind="huisbezoek", occurred_at=at(15)).version
    households.record_contact(jansen, actor="anna", kind="telefonisch", occurred_at=at(14))
    households.correct(jansen, actor="anna", target_version=version, changes={"occurred_at": at(13)},
                       reason="Verkeerde dag")
    ids["neighbour"] = report(households, source="neighbour", about_name="", about_address="Kerkstraat 3",
                              urgency="acute", occurred_at=at(20))
    ids["new_household"] = households.register_from_signal(ids["neighbour"], actor="carla",
                                                           label="Bewoner Kerkstraat 3").household_id
    households.record_contact(ids["new_household"], actor="bram", kind="eropaf", occurred_at=at(20.25))
    ids["police"] = report(households, source="police", urgency="low", team=None, occurred_at=at(21))
    households.dismiss_signal(ids["police"], actor="carla", reason="Overlast, geen zorgvraag")
    ids["gp"] = report(households, source="gp", actor="bram", urgency="normal", occurred_at=at(25))
    return ids


def test_the_inbox_worker_holds_what_a_fresh_fold_of_the_store_holds(households, story, signals_worker):
    view = caught_up(households, signals_worker)

    rows = view.all_rows()

    assert rows == inbox.replay(everything(households))
    assert set(rows) == {story[k] for k in ("home_care", "school", "neighbour", "police", "gp")}
    assert (rows[story["home_care"]].status, rows[story["home_care"]].household_id) == ("linked", story["smit"])
    assert rows[story["home_care"]].eropaf_hours == 12.0  # the eropaf before the triage counts
    assert rows[story["school"]].first_contact_at == at(13)  # as corrected
    assert rows[story["neighbour"]].new_household and rows[story["neighbour"]].eropaf_hours == 6.0
    assert (rows[story["police"]].status, rows[story["police"]].dismissal_reason) == (
        "dismissed", "Overlast, geen zorgvraag")
    assert rows[story["gp"]].status == "new" and rows[story["gp"]].first_contact_at is None


def test_a_contact_the_view_saw_long_before_the_link_still_counts(households, signals_worker):
    household = households.register(actor="anna", label="Fam. Vroeg", team="Noord", occurred_at=at(0)).household_id
    signal_id = report(households, occurred_at=at(10))
    households.record_contact(household, actor="anna", kind="eropaf", occurred_at=at(11))
    view = caught_up(households, signals_worker)  # the contact is in the view before the signal is linked
    assert view.get(signal_id).first_contact_at is None

    households.link_signal(signal_id, household, actor="anna")
    caught_up(households, signals_worker)
    assert view.get(signal_id).first_contact_at == at(11)

    households.record_contact(household, actor="anna", kind="huisbezoek", occurred_at=at(10.5))  # typed later
    caught_up(households, signals_worker)
    assert view.get(signal_id).eropaf_hours == 12.0


def test_the_inbox_is_most_urgent_first_then_most_recently_seen_and_filters(households, story, signals_worker):
    view = caught_up(households, signals_worker)

    rows, cursor = view.page()
    assert [r.signal_id for r in rows] == [story[k] for k in ("neighbour", "home_care", "gp", "school", "police")]
    assert cursor is None
    assert [r.signal_id for r in view.page(status="new")[0]] == [story["gp"]]
    assert [r.signal_id for r in view.page(team="Zuid")[0]] == [story["school"]]
    assert [r.signal_id for r in view.page(urgency="low")[0]] == [story["police"]]
    assert [r.signal_id for r in view.page(reported_by="bram")[0]] == [story["gp"]]
    assert view.page(team="Noord", status="dismissed")[0] == []


def test_the_inbox_pages_through_every_signal_once(households, signals_worker):
    made = {report(households, urgency=("low", "normal", "high", "acute")[n % 4], occurred_at=at(n % 7))
            for n in range(23)}
    view = caught_up(households, signals_worker)

    seen, cursor, pages = [], None, 0
    while True:
        rows, cursor = view.page(cursor=cursor, limit=5)
        seen.extend(rows)
        pages += 1
        if cursor is None:
            break
    assert pages == 5
    assert {r.signal_id for r in seen} == made and len(seen) == 23
    keys = [(inbox.URGENCY_RANK[r.urgency], r.occurred_at, r.signal_id) for r in seen]
    assert keys == sorted(keys, reverse=True)
    with pytest.raises(ValueError):
        view.page(cursor="bm90IGEgY3Vyc29y")


def test_a_rebuild_builds_the_same_inbox_and_drops_every_table_of_the_old_version(
        households, story, env, settings):
    reader = open_reader(SignalsProjection.name, SignalsView, env)
    assert reader.all_rows() == {}  # no worker ran: version 1 is empty
    assert {"signals_v1", "signals_v1_tracking", "signals_v1_contacts"} <= _tables(settings)

    result = rebuild(SignalsProjection, SignalsView, env)

    assert (result.version, result.retired) == (2, True)
    assert reader.all_rows() == inbox.replay(everything(households))
    tables = _tables(settings)
    assert not {t for t in tables if t.startswith("signals_v1")}
    assert {"signals_v2", "signals_v2_tracking", "signals_v2_contacts"} <= tables
    reader.datastore.close()


def test_signals_and_teams_have_no_timeline(households, story, timeline_worker):
    timeline_worker.wait(households.recorder.max_notification_id(), timeout=TIMEOUT)
    view = timeline_worker.view

    for signal_id in (story["home_care"], story["police"], team_id("Noord")):
        assert view.rows(signal_id) == []
    for household in (story["smit"], story["jansen"], story["new_household"]):
        assert [r.version for r in view.rows(household)] == [
            e.originator_version for e in households.events.get(household)]
    recorded = [r for r in view.rows(story["smit"]) if r.kind == "SignalRecorded"]
    assert len(recorded) == 1 and recorded[0].occurred_at == at(10)


# ---- triage while others write ---------------------------------------------------------


def test_a_link_while_another_process_records_contacts_loses_nothing(households, env):
    household = households.register(actor="anna", label="Fam. Druk", team="Noord", occurred_at=at(0)).household_id
    signal_id = report(households, occurred_at=at(10))
    other = Households(env=env)  # another API process: no lock in common, so the versions race
    try:
        def work(i: int):
            if i == 0:
                return households.link_signal(signal_id, household, actor="bram")
            return other.record_contact(household, actor="anna", kind="telefonisch", summary=f"notitie {i}",
                                        occurred_at=at(11))

        results = in_threads(6, work)
    finally:
        other.close()

    kinds = [type(e).__name__ for e in households.events.get(household)]
    assert kinds.count("ContactRecorded") == 5 and kinds.count("SignalRecorded") == 1
    assert results[0].household_version in [e.originator_version for e in households.events.get(household)]
    assert [type(e).__name__ for e in households.events.get(signal_id)] == ["SignalReported", "SignalLinked"]


def test_two_people_triaging_one_signal_at_once_triage_it_once(households, env):
    household = households.register(actor="anna", label="Fam. Twee", team="Noord", occurred_at=at(0)).household_id
    signal_id = report(households, occurred_at=at(10))
    apps = [households, Households(env=env), Households(env=env)]
    try:
        def work(i: int):
            try:
                if i == 0:
                    return apps[i].link_signal(signal_id, household, actor="anna")
                if i == 1:
                    return apps[i].register_from_signal(signal_id, actor="bram", label="Fam. Twee (dubbel)")
                return apps[i].dismiss_signal(signal_id, actor="carla", reason="Dubbel gemeld")
            except RuleViolation as refused:
                return refused

        results = in_threads(3, work)
    finally:
        for app in apps[1:]:
            app.close()

    refused = [r for r in results if isinstance(r, RuleViolation)]
    assert len(refused) == 2 and {r.rule for r in refused} == {"a signal is triaged once"}
    assert [type(e).__name__ for e in households.events.get(signal_id)].count("SignalReported") == 1
    assert len(list(households.events.get(signal_id))) == 2
    # A refused registration leaves no household behind.
    registered = [e for e in everything(households) if type(e).__name__ == "Registered"]
    assert len(registered) == (1 if isinstance(results[1], RuleViolation) else 2)
