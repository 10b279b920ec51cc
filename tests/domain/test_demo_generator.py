"""The demo municipality: deterministic, plausible, and within the domain's rules.

The demo is generated once per module on the in-memory store (a second time for
the determinism check); every test then reads the stored events.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from domain.application import Households
from domain.values import ClosureReason, ContactKind, Intensity, LifeDomain, SupportLevel, local_date
from waakvlam.demo import TEAMS, USERS, load_demo

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
# Fixed, and months before any clock the tests run at (tests/clock.py): the aggregate refuses future times,
# and brings a signal's check-in forward to no earlier than the real today, which must lie past the story's end.
TODAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Demo:
    def __init__(self, seed: int = 2026, households: int = 60) -> None:
        self.app = Households(env=POPO)
        self.ids: list[UUID] = load_demo(self.app, seed=seed, households=households, today=TODAY)
        self.events = {hid: list(self.app.events.get(hid)) for hid in self.ids}

    def all(self, kind: str | None = None) -> list[Any]:
        return [e for hid in self.ids for e in self.events[hid] if kind is None or type(e).__name__ == kind]

    def shape(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event without its ids and recording time: what must repeat exactly."""
        return [(type(e).__name__, {k: v for k, v in vars(e).items()
                                    if k not in ("originator_id", "timestamp") and not k.endswith("_id")})
                for e in self.all()]


@pytest.fixture(scope="module")
def demo() -> Demo:
    return Demo()


def test_the_same_seed_and_today_give_the_same_history(demo: Demo) -> None:
    again = Demo()
    assert again.shape() == demo.shape()
    assert set(again.ids).isdisjoint(demo.ids)  # only the ids differ


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


def test_the_demo_inbox_has_partners_reports_new_linked_and_dismissed():
    from waakvlam.demo import PARTNER_SIGNALS, load_partner_signals, load_team_policies

    app = Households(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    load_team_policies(app)
    assert {team: app.team_policy(team).team_lead for team in TEAMS} == {
        team: staff["lead"] for team, staff in TEAMS.items()}
    ids = load_demo(app, households=20)
    signals = load_partner_signals(app, ids)

    ends = Counter(type(list(app.events.get(s))[-1]).__name__ for s in signals)
    assert ends == {"SignalReported": len(PARTNER_SIGNALS) - 2, "SignalLinked": 1, "SignalDismissed": 1}
    (linked,) = [list(app.events.get(s))[-1] for s in signals if type(list(app.events.get(s))[-1]).__name__
                 == "SignalLinked"]
    household = app.get(linked.household_id)
    recorded = [e for e in app.events.get(household.id) if type(e).__name__ == "SignalRecorded"]
    assert recorded[-1].signal_id == str(signals[0])
