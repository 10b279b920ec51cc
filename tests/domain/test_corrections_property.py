"""Property: a correction cannot record what the command may not.

A household with some history (consents, some since withdrawn or run out, and a goal) records one fact,
and then more (a consent for another provider, a withdrawal, the goal achieved). A correction of that fact,
of any correctable fields, to values fit and unfit, is then either refused, with a domain error that says
why and nothing recorded, or the command, given the corrected values on a household with the same history
before the fact and at the moment the fact was recorded, records the fact too, and records the corrected
values as the correction did. In memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from domain.application import Households
from domain.corrections import CORRECTABLE
from domain.errors import DomainError
from domain.household import recording_at
from domain.rules import RULES, fields_of
from domain.values import FUTURE_TOLERANCE, SHARED_OUTSIDE_THE_TEAM, ContactKind, LifeDomain, SupportLevel, Urgency
from tests.domain.support import ACTOR, AMSTERDAM, POPO, START, day, events, local_day, only

PROVIDERS = ["GGZ Noord", "Jeugdzorg Zuid", "Humanitas"]
OCCURRED, RECORDED = day(5), day(6)  # when the corrected fact happened, and when it was recorded
LATER = day(7)  # what the household records after the fact

# The command that records each correctable fact.
COMMANDS = {
    "Registered": "register", "MemberAdded": "add_member", "NetworkPersonAdded": "add_network_person",
    "SignalRecorded": "record_signal", "ContactRecorded": "record_contact", "AssessmentRecorded": "record_assessment",
    "GoalSet": "set_goal", "AgreementMade": "make_agreement", "InterventionStarted": "start_intervention",
}

# ---- values fit and unfit ----------------------------------------------------------------------

DOMAIN = st.sampled_from([*LifeDomain, "moon", ""])
WORDS = st.sampled_from(["", " ", " \t", "Sanne", "Post openen", *PROVIDERS, " ggz noord ", "HUMANITAS"])
TEXT = st.one_of(WORDS, st.text(max_size=12))
ANYTHING = st.one_of(st.none(), st.integers(-3, 3), st.booleans(), st.lists(st.integers(), max_size=2))
BOUNDARIES = [START - timedelta(seconds=1), START, OCCURRED, RECORDED, RECORDED + FUTURE_TOLERANCE,
              RECORDED + FUTURE_TOLERANCE + timedelta(seconds=1), datetime.now(UTC) + timedelta(days=1)]
MINUTES = int((datetime.now(UTC) + timedelta(days=2) - START).total_seconds() // 60)
MOMENT = st.one_of(st.sampled_from(BOUNDARIES), st.integers(-3 * 24 * 60, MINUTES).map(
    lambda minutes: START + timedelta(minutes=minutes))).flatmap(
    lambda moment: st.sampled_from([moment, moment.astimezone(AMSTERDAM)]))


def fit_and_unfit(fit: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly (three in four) values of the field's form, which its command may still refuse; else anything."""
    return st.sampled_from([True, True, True, False]).flatmap(lambda fits: fit if fits else st.one_of(ANYTHING, TEXT))


VALUES: dict[str, st.SearchStrategy[Any]] = {
    "provider": fit_and_unfit(st.sampled_from(["", " ", *PROVIDERS, " ggz noord ", "HUMANITAS", "Buurthuis"])),
    "birth_year": fit_and_unfit(st.one_of(st.none(), st.integers(1850, 2150))),
    "notices_decline": fit_and_unfit(st.booleans()),
    "life_domains": fit_and_unfit(st.lists(DOMAIN, max_size=4)),
    "life_domain": fit_and_unfit(DOMAIN),
    "urgency": fit_and_unfit(st.sampled_from([*Urgency, "urgent"])),
    "kind": fit_and_unfit(st.sampled_from([*ContactKind, "brief"])),
    "participants": fit_and_unfit(st.lists(TEXT, max_size=3)),
    "scores": fit_and_unfit(st.dictionaries(DOMAIN, st.one_of(st.integers(-1, 7), st.booleans(), st.just("3")),
                                            max_size=4)),
    "occurred_at": st.one_of(MOMENT, MOMENT.map(datetime.isoformat),
                             MOMENT.map(lambda m: m.replace(tzinfo=None).isoformat()), TEXT, ANYTHING),
    "due": fit_and_unfit(st.one_of(st.none(), st.dates(), st.dates().map(date.isoformat))),
}


def changes_of(kind: str) -> st.SearchStrategy[dict[str, Any]]:
    """Corrections of one to three of the correctable fields of `kind` (texts for the fields not named above)."""
    fields = sorted(CORRECTABLE[kind][1])
    return st.sets(st.sampled_from(fields), min_size=1, max_size=min(3, len(fields))).flatmap(
        lambda chosen: st.fixed_dictionaries({f: VALUES.get(f, fit_and_unfit(TEXT)) for f in sorted(chosen)}))


# ---- the fact, as first recorded (fit values: what the command accepts) ----------------------------

NAMES = st.sampled_from(["Sanne", "Kevin de Vries"])
FACTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "Registered": st.fixed_dictionaries({"label": NAMES, "team": st.just("Wijkteam Noord")}),
    "MemberAdded": st.fixed_dictionaries({"name": NAMES, "role": st.sampled_from(["", "moeder"]),
                                          "birth_year": st.one_of(st.none(), st.integers(1900, 2100))}),
    "NetworkPersonAdded": st.fixed_dictionaries({"name": NAMES, "relation": st.sampled_from(["", "buurman"]),
                                                 "notices_decline": st.booleans()}),
    "SignalRecorded": st.fixed_dictionaries({"source": st.just("huisarts"), "description": st.just("zorgen"),
                                             "life_domains": st.lists(st.sampled_from(LifeDomain), max_size=3),
                                             "urgency": st.sampled_from(Urgency)}),
    "ContactRecorded": st.fixed_dictionaries({"kind": st.sampled_from(ContactKind), "summary": st.just("Gesprek"),
                                              "life_domains": st.lists(st.sampled_from(LifeDomain), max_size=3),
                                              "participants": st.lists(NAMES, max_size=2)}),
    "AssessmentRecorded": st.fixed_dictionaries({"scores": st.dictionaries(
        st.sampled_from(LifeDomain), st.integers(1, 5), min_size=1, max_size=3)}),
    "GoalSet": st.fixed_dictionaries({"life_domain": st.sampled_from(LifeDomain), "description": st.just("Rust")}),
    "AgreementMade": st.fixed_dictionaries({"who": NAMES, "what": st.just("Post openen"),
                                            "due": st.one_of(st.none(), st.dates()),
                                            "goal_id": st.sampled_from([None, "the goal"])}),
    "InterventionStarted": st.fixed_dictionaries({
        # Support shared outside the team first: what a correction of the provider is about.
        "support_level": st.sampled_from(sorted(SupportLevel, key=lambda level: level not in SHARED_OUTSIDE_THE_TEAM)),
        "provider": st.sampled_from([*PROVIDERS, ""]), "description": st.just("Traject"),
        "handover_note": st.sampled_from(["", "Samen kennisgemaakt"]),
        "legal_basis": st.sampled_from(["", "", "Jeugdwet art. 7.4.0"]), "goal_id": st.sampled_from([None, "the goal"]),
    }).map(lambda fact: fit_for_its_level(**fact)),
}


def fit_for_its_level(*, support_level: str, provider: str, handover_note: str, **fact: Any) -> dict[str, Any]:
    """Formal care names its provider; specialist care starts with a warm handover."""
    if support_level in (SupportLevel.EERSTELIJNS, SupportLevel.SPECIALISTISCH):
        provider = provider or PROVIDERS[0]
    if support_level == SupportLevel.SPECIALISTISCH:
        handover_note = handover_note or "Samen kennisgemaakt"
    return {"support_level": support_level, "provider": provider, "handover_note": handover_note, **fact}


# ---- the household's history: before the fact, and after it -----------------------------------

CONSENTS = st.lists(st.fixed_dictionaries({
    "party": st.sampled_from([*PROVIDERS, "ggz noord"]),
    "valid_for": st.one_of(st.none(), st.integers(0, 6)),  # days after it is given, day 2 (the fact: day 5)
    "withdrawn": st.booleans(),  # on day 3, before the fact
}), max_size=3)
AFTERWARDS = st.lists(st.one_of(
    st.tuples(st.just("consent"), st.sampled_from(PROVIDERS)),
    st.tuples(st.just("withdraw"), st.none()),
    st.tuples(st.just("achieve the goal"), st.none()),
), max_size=3)


def registered(app: Households, fact: dict[str, Any] | None = None) -> Any:
    with recording_at(START + timedelta(hours=1)):
        return app.register(actor=ACTOR, **(fact or {"label": "Fam. De Vries", "team": "Wijkteam Noord"}),
                            occurred_at=START).household_id


def history_before(app: Households, household: Any, consents: list[dict[str, Any]]) -> str:
    """Consents given on day 2 (some withdrawn on day 3) and a goal set on day 2; the goal's id."""
    with recording_at(day(2)):
        goal = app.set_goal(household, actor=ACTOR, life_domain="finances", description="Rust",
                            occurred_at=day(2)).item_id
        given = [app.record_consent(household, actor=ACTOR, given_by="Sanne", party=c["party"], purpose="Overdracht",
                                    until=None if c["valid_for"] is None else local_day(2 + c["valid_for"]),
                                    occurred_at=day(2)).item_id for c in consents]
    with recording_at(day(3)):
        for consent_id, c in zip(given, consents, strict=True):
            if c["withdrawn"]:
                app.withdraw_consent(household, consent_id, actor=ACTOR, occurred_at=day(3))
    return goal


def recorded(app: Households, household: Any, kind: str, fact: dict[str, Any], goal: str,
             occurred_at: datetime = OCCURRED) -> None:
    """The fact, recorded on day 6 by its command (the goal named by the one of this household)."""
    fact = {name: goal if value == "the goal" else value for name, value in fact.items()}
    with recording_at(RECORDED):
        getattr(app, COMMANDS[kind])(household, actor=ACTOR, occurred_at=occurred_at, **fact)


def afterwards(app: Households, household: Any, goal: str, steps: list[tuple[str, Any]]) -> None:
    with recording_at(LATER):
        for step, party in steps:
            if step == "consent":
                app.record_consent(household, actor=ACTOR, given_by="Sanne", party=party, purpose="Overdracht",
                                   occurred_at=LATER)
            elif step == "withdraw":
                for consent_id, consent in app.get(household).consents.items():
                    if consent["status"] == "open":
                        app.withdraw_consent(household, consent_id, actor=ACTOR, occurred_at=LATER)
            elif app.get(household).goals[goal] == "open":
                app.achieve_goal(household, goal, actor=ACTOR, occurred_at=LATER)


def last(app: Households, household: Any, kind: str) -> Any:
    return [e for e in events(app, household) if type(e).__name__ == kind][-1]


def accepted(command: Any) -> bool:
    try:
        command()
    except DomainError:
        return False
    return True


# ---- the property ------------------------------------------------------------------------------


def test_every_correctable_field_is_a_field_its_command_records():
    assert set(RULES) == set(CORRECTABLE) == set(COMMANDS) == set(FACTS)
    for kind, (_, fields) in CORRECTABLE.items():
        assert set(fields) <= {*fields_of(RULES[kind]), "occurred_at"}, kind


@pytest.mark.parametrize("kind", sorted(CORRECTABLE))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_no_correction_records_what_the_command_would_have_refused(kind, data):
    fact, consents, steps = data.draw(FACTS[kind]), data.draw(CONSENTS), data.draw(AFTERWARDS)
    if fact.get("provider") and not fact.get("legal_basis"):  # the household consented to its provider
        consents = [*consents, {"party": fact["provider"], "valid_for": None, "withdrawn": False}]
    changes = data.draw(changes_of(kind))
    app = Households(env=POPO)

    # The household: its history, the fact (as its command accepts it), what it recorded since.
    if kind == "Registered":
        household, target = registered(app, fact), 1
        goal = history_before(app, household, consents)
    else:
        household = registered(app)
        goal = history_before(app, household, consents)
        assume(accepted(lambda: recorded(app, household, kind, fact, goal)))
        target = last(app, household, kind).originator_version
    afterwards(app, household, goal, steps)
    version = app.get(household).version

    try:
        app.correct(household, actor=ACTOR, target_version=target, changes=changes, reason="Verkeerd ingevoerd")
    except DomainError as refusal:
        event(f"refused: {getattr(refusal, 'rule', type(refusal).__name__)}")
        assert app.get(household).version == version  # refused: nothing recorded
        return
    event("accepted")

    # Accepted: the command, given the corrected values, records the fact on a household with the same
    # history before it, at the moment it was recorded, and records the values the correction recorded.
    corrected = only(app, household, "Corrected").changes
    values = {**fact, **corrected}
    occurred_at = values.pop("occurred_at", OCCURRED)
    twin = registered(app, values if kind == "Registered" else None)
    twin_goal = history_before(app, twin, consents)
    if kind != "Registered":
        recorded(app, twin, kind, values, twin_goal, occurred_at)
    assert {name: getattr(last(app, twin, kind), name) for name in corrected} == corrected
