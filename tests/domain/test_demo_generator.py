"""The demo municipality: deterministic, plausible, and within the domain's rules.

The demo is generated once per module on the in-memory store (a second time for
the determinism check); every test then reads the stored events. The partners'
inbox is generated on a smaller demo, likewise once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any
from uuid import UUID

import pytest
import time_machine

from domain.application import Households
from domain.team import DEFAULT_SIGNAL_CHECK_IN_DAYS
from domain.values import ClosureReason, ContactKind, Intensity, LifeDomain, SupportLevel, local_date
from projections.plan import plan_as_of
from waakvlam.demo import (
    MEN,
    MEN_RELATIONS,
    PARTNER_SIGNALS,
    PARTNERS,
    STAFF,
    TEAMS,
    USERS,
    WOMEN,
    WOMEN_RELATIONS,
    load_demo,
    load_partner_signals,
    load_team_policies,
)

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
# Fixed, and months before any clock the tests run at (tests/clock.py): nothing is recorded in the future.
TODAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MAX_LAG = timedelta(days=3)  # the longest a demo event waits to be recorded (waakvlam/demo.py RECORDING_LAG)


class Demo:
    def __init__(self, seed: int = 2026, households: int = 60) -> None:
        self.app = Households(env=POPO)
        self.ids: list[UUID] = load_demo(self.app, seed=seed, households=households, today=TODAY)
        self.events = {hid: list(self.app.events.get(hid)) for hid in self.ids}

    def all(self, kind: str | None = None) -> list[Any]:
        return [e for hid in self.ids for e in self.events[hid] if kind is None or type(e).__name__ == kind]

    def shape(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event, its record time too, without its ids: what must repeat exactly."""
        return shape(self.all())


def shape(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(type(e).__name__, {k: v for k, v in vars(e).items() if k != "originator_id" and not k.endswith("_id")})
            for e in events]


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo()


def test_the_same_seed_and_today_give_the_same_history(demo: Demo) -> None:
    again = Demo()
    assert again.shape() == demo.shape()
    assert set(again.ids).isdisjoint(demo.ids)  # only the ids differ


def test_the_history_does_not_depend_on_the_wall_clock() -> None:
    """A signal's check-in is brought forward from when the signal was recorded, not from the real now."""
    histories = []
    for clock in (TODAY + timedelta(hours=1), TODAY + timedelta(days=400)):
        with time_machine.travel(clock, tick=False):
            histories.append(Demo(seed=11, households=12).shape())
    assert histories[0] == histories[1]
    assert any(kind == "CheckInRescheduled" and fields["reason"] == "signal" for kind, fields in histories[0])


def test_another_seed_gives_another_history(demo: Demo) -> None:
    other = Demo(seed=7, households=5)
    assert len(other.ids) == 5
    assert other.shape() != demo.shape()[:len(other.shape())]


def test_three_teams_sixty_households_and_a_few_thousand_events(demo: Demo) -> None:
    assert len(demo.ids) == 60
    teams = Counter(demo.app.get(hid).team for hid in demo.ids)
    assert set(teams) == set(TEAMS) and len(teams) == 3
    assert all(count >= 10 for count in teams.values())
    assert 3000 <= len(demo.all()) <= 6000


def test_events_are_chronological_start_with_registration_and_none_lies_after_today(demo: Demo) -> None:
    for hid in demo.ids:
        events = demo.events[hid]
        assert type(events[0]).__name__ == "Registered"
        moments = [e.occurred_at for e in events]
        assert moments == sorted(moments), f"household {hid} is not in chronological order"
        assert moments[-1] <= TODAY


def test_every_open_household_has_exactly_one_open_check_in(demo: Demo) -> None:
    for hid in demo.ids:
        open_: dict[str, Any] = {}
        for event in demo.events[hid]:
            kind = type(event).__name__
            if kind in ("CheckInScheduled", "CheckInRescheduled"):
                open_[event.check_in_id] = event.due
            elif kind in ("CheckInCompleted", "CheckInCancelled"):
                del open_[event.check_in_id]
        household = demo.app.get(hid)
        if household.status == "open":
            assert len(open_) == 1
            assert list(open_) == [household.next_check_in["id"]]
        else:
            assert open_ == {}


def test_the_story_starts_with_a_signal_and_the_keukentafelgesprek(demo: Demo) -> None:
    for hid in demo.ids:
        kinds = [type(e).__name__ for e in demo.events[hid]]
        if kinds[3] == "CheckInRescheduled":  # the signal brought the first check-in forward
            assert demo.events[hid][3].reason == "signal"
            del kinds[3]
        assert kinds[:4] == ["Registered", "CheckInScheduled", "SignalRecorded", "CoordinatorAssigned"]
        contacts = [e.kind for e in demo.events[hid] if type(e).__name__ == "ContactRecorded"]
        assert next(k for k in contacts if k != "eropaf") == "keukentafelgesprek"


def test_the_whole_vocabulary_is_there(demo: Demo) -> None:
    kinds = Counter(type(e).__name__ for e in demo.all())
    for kind in ("Closed", "Reopened", "Escalated", "DeEscalated", "Corrected", "SignaleringsplanAgreed",
                 "CheckInRescheduled", "CheckInCancelled", "GoalSet", "GoalRevised", "GoalAchieved", "GoalDropped",
                 "AgreementMade", "AgreementCompleted", "AgreementCancelled", "InterventionStarted",
                 "InterventionEnded", "MemberAdded", "NetworkPersonAdded", "NetworkPersonRemoved",
                 "AssessmentRecorded", "SignalRecorded"):
        assert kinds[kind] > 0, kind
    assert {e.kind for e in demo.all("ContactRecorded")} == set(ContactKind)
    assert {e.support_level for e in demo.all("InterventionStarted")} == set(SupportLevel)
    assert {e.to_level for e in demo.all("Escalated")} == {Intensity.LICHT, Intensity.INTENSIEF, Intensity.CRISIS}
    assert all(e.reason for e in demo.all("Escalated") + demo.all("DeEscalated"))
    assert any(e.notices_decline for e in demo.all("NetworkPersonAdded"))
    assert any(e.handover_note for e in demo.all("CoordinatorAssigned"))


def test_specialist_care_has_a_provider_and_a_warm_handover(demo: Demo) -> None:
    for event in demo.all("InterventionStarted"):
        if event.support_level in (SupportLevel.EERSTELIJNS, SupportLevel.SPECIALISTISCH):
            assert event.provider
        if event.support_level == SupportLevel.SPECIALISTISCH:
            assert "Warme overdracht" in event.handover_note


def test_assessments_score_some_domains_repeatedly(demo: Demo) -> None:
    assessments = demo.all("AssessmentRecorded")
    assert all(0 < len(a.scores) < len(LifeDomain) for a in assessments)
    assert all(set(a.scores.values()) <= {1, 2, 3, 4, 5} for a in assessments)
    repeated = [hid for hid in demo.ids if sum(type(e).__name__ == "AssessmentRecorded" for e in demo.events[hid]) > 1]
    assert len(repeated) >= 40


def test_where_the_households_are_now(demo: Demo) -> None:
    households = [demo.app.get(hid) for hid in demo.ids]
    open_ = [h for h in households if h.status == "open"]
    closed = [h for h in households if h.status == "closed"]
    assert 3 <= len(closed) <= 10
    assert len({h.closure_reason for h in closed}) >= 3
    assert {h.closure_reason for h in closed} <= set(ClosureReason)
    assert sum(h.intensity == Intensity.WAAKVLAM for h in open_) > len(open_) / 2
    assert any(h.intensity == Intensity.CRISIS for h in open_)
    overdue = [h for h in open_ if h.next_check_in["due"] < local_date(TODAY)]
    assert 3 <= len(overdue) <= 15


def test_the_demo_users(demo: Demo) -> None:
    assert USERS["anna"][0] == "generalist"
    assert USERS["bram"][0] == "coordinator"
    assert USERS["carla"][0] == "team_lead"
    assert USERS["dirk"][0] == "privacy_officer"
    staff = {user for user, (_, team) in USERS.items() if team is not None}
    assert all(user.isalpha() and user.islower() for user in USERS)
    coordinators = Counter(demo.app.get(hid).coordinator for hid in demo.ids)
    assert coordinators["bram"] >= 5
    recorders = Counter(e.actor for e in demo.all("ContactRecorded"))
    assert recorders.most_common(1)[0][0] == "anna"
    assert {e.actor for e in demo.all()} <= staff


def first_name(name: str) -> str:
    return name.split(" (")[0].split()[0]


def test_names_fit_the_relation_and_the_household(demo: Demo) -> None:
    network = demo.all("NetworkPersonAdded")
    assert {e.relation for e in network} & WOMEN_RELATIONS and {e.relation for e in network} & MEN_RELATIONS
    for person in network:
        assert person.name.endswith(f"({person.relation})")
        if person.relation in WOMEN_RELATIONS:
            assert first_name(person.name) in WOMEN, person.name
        elif person.relation in MEN_RELATIONS:
            assert first_name(person.name) in MEN, person.name
    couples = 0
    for hid in demo.ids:
        label = demo.events[hid][0].label
        members = {e.role: first_name(e.name) for e in demo.events[hid] if type(e).__name__ == "MemberAdded"
                   and e.role in ("hoofdbewoner", "partner", "ouder")}
        main = members["hoofdbewoner"]
        if label.startswith(("Mevr. ", "Dhr. ")) and not label.startswith("Dhr. en mevr. "):  # one resident
            assert main in (WOMEN if label.startswith("Mevr.") else MEN), (label, main)
        for other in ("partner", "ouder"):  # "Dhr. en mevr.", and the children's parents
            if other in members:
                couples += 1
                assert (main in WOMEN) != (members[other] in WOMEN), (label, main, members[other])
    assert couples >= 5


def test_every_event_is_recorded_after_it_happened_within_days_and_in_the_order_of_its_file(demo: Demo) -> None:
    lags = []
    for hid in demo.ids:
        events = demo.events[hid]
        recorded = [e.timestamp for e in events]
        assert recorded == sorted(recorded), f"household {hid}: recorded out of order"
        assert recorded[-1] <= TODAY
        for event in events:
            lag = event.timestamp - event.occurred_at
            assert timedelta(0) <= lag <= MAX_LAG, (hid, type(event).__name__, lag)
            lags.append(lag)
    assert median(lags) < timedelta(days=1)
    assert sum(lag > timedelta(days=1) for lag in lags) > len(lags) / 20  # some visits are typed days later
    calls = [e.timestamp - e.occurred_at for e in demo.all("ContactRecorded") if e.kind == "telefonisch"]
    assert median(calls) < timedelta(minutes=90)


def test_what_was_known_at_a_moment_is_less_than_what_had_happened_by_then(demo: Demo) -> None:
    """A visit typed in the evening: in the plan as of the afternoon, not yet known in the afternoon."""
    differs = 0
    for hid in demo.ids[:20]:
        events = demo.events[hid]
        for event in events[5::10]:
            moment = event.timestamp - timedelta(minutes=1)
            if plan_as_of(events, as_of=moment) != plan_as_of(events, as_of=moment, known_at=moment):
                differs += 1
    assert differs >= 10


class Inbox:
    def __init__(self) -> None:
        self.app = Households(env=POPO)
        load_team_policies(self.app)
        self.households = load_demo(self.app, households=20, today=TODAY)
        self.signals = load_partner_signals(self.app, self.households, today=TODAY)
        self.events = {s: list(self.app.events.get(s)) for s in self.signals}


@pytest.fixture(scope="module")
def inbox() -> Inbox:
    return Inbox()


def test_the_demo_inbox_has_partners_reports_new_linked_and_dismissed(inbox: Inbox) -> None:
    app, signals = inbox.app, inbox.signals
    assert {team: app.team_policy(team).team_lead for team in TEAMS} == {
        team: staff["lead"] for team, staff in TEAMS.items()}

    ends = Counter(type(inbox.events[s][-1]).__name__ for s in signals)
    assert ends == {"SignalReported": len(PARTNER_SIGNALS) - 2, "SignalLinked": 1, "SignalDismissed": 1}
    (linked,) = [inbox.events[s][-1] for s in signals if type(inbox.events[s][-1]).__name__ == "SignalLinked"]
    household = app.get(linked.household_id)
    recorded = [e for e in app.events.get(household.id) if type(e).__name__ == "SignalRecorded"]
    assert recorded[-1].signal_id == str(signals[0])


def test_each_partner_reports_what_its_kind_sees_to_the_team_of_its_neighbourhood(inbox: Inbox) -> None:
    from waakvlam.accounts import DEMO_USERS  # the demo's local accounts (and tokens, tests/api) say the same

    assert all(STAFF[user] == DEMO_USERS[user] == ("partner", team) for user, (_, team, _) in PARTNERS.items())
    assert len({kind for kind, _, _ in PARTNERS.values()}) == len(PARTNERS)  # one account per kind of partner
    reports = [inbox.events[s][0] for s in inbox.signals]
    assert {r.actor for r in reports} >= set(PARTNERS)  # every partner account reports, not one for all
    for report in reports:
        assert report.team in TEAMS
        if report.actor in PARTNERS:
            kind, team, reporter = PARTNERS[report.actor]
            assert report.source == kind, (report.actor, report.source)
            assert team in (None, report.team), (report.actor, report.team)
            assert report.reporter_name == reporter
        else:  # a resident told the team: a generalist of the neighbourhood's team reports it
            assert report.source in ("neighbour", "wijkambassadeur")
            assert STAFF[report.actor] == ("generalist", report.team)
    police = next(r for r in reports if r.source == "police")
    assert "Noord" in police.reporter_name and police.team == "Wijkteam Noord"


def test_partners_report_after_they_saw_and_the_team_triages_its_own(inbox: Inbox) -> None:
    app = inbox.app
    for signal in inbox.signals:
        report, *triage = inbox.events[signal]
        assert report.occurred_at < report.timestamp <= report.occurred_at + MAX_LAG
        for event in triage:
            assert report.timestamp <= event.timestamp <= TODAY
            assert event.actor == TEAMS[report.team]["lead"]
            if type(event).__name__ == "SignalLinked":
                assert app.get(event.household_id).team == report.team
    # The linked signal brought the household's check-in forward from the triage (today), not from the real now.
    (linked,) = [e[-1] for e in inbox.events.values() if type(e[-1]).__name__ == "SignalLinked"]
    moved = [e for e in app.events.get(linked.household_id) if type(e).__name__ == "CheckInRescheduled"][-1]
    report = inbox.events[inbox.signals[0]][0]
    within = DEFAULT_SIGNAL_CHECK_IN_DAYS[report.urgency]
    assert (moved.reason, moved.occurred_at) == ("signal", TODAY)
    assert moved.due == max(local_date(report.occurred_at) + timedelta(days=within), local_date(TODAY))


def test_the_inbox_repeats_with_its_record_times(inbox: Inbox) -> None:
    again = Inbox()
    assert [shape(again.events[s]) for s in again.signals] == [shape(inbox.events[s]) for s in inbox.signals]
