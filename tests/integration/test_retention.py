"""Retention: households closed more than 15 years ago (5 when no provision followed) are reported,
and on confirmation erased by crypto-shredding; nothing else is touched."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from uuid import UUID

import time_machine

from domain.erasure import REDACTED
from domain.household import FORGOTTEN
from waakvlam.cli import main as cli
from workers import retention

NOW = datetime.now(UTC)


def years_ago(years: float) -> datetime:
    return NOW - timedelta(days=round(365.25 * years))


def _closed(households, label: str, *, registered: float, closed: float, provision: bool = False):
    h = households.register(actor="anna", label=label, team="Wijkteam Noord",
                            occurred_at=years_ago(registered)).household_id
    if provision:
        households.record_consent(h, actor="anna", given_by="Hoofdbewoner", party="Schuldhulpmaatje", purpose="Maatje",
                                  occurred_at=years_ago(registered) + timedelta(days=30))
        households.start_intervention(h, actor="anna", support_level="vrijwillig", provider="Schuldhulpmaatje",
                                      description="Maatje", occurred_at=years_ago(registered) + timedelta(days=30))
    households.close_household(h, actor="anna", reason_code="goals_achieved", occurred_at=years_ago(closed))
    return h


def _story(households) -> dict[str, object]:
    return {
        "old with provision": _closed(households, "Fam. Oud", registered=18, closed=16, provision=True),
        "recent with provision": _closed(households, "Fam. Recent", registered=8, closed=6, provision=True),
        "old without provision": _closed(households, "Fam. Kort", registered=7, closed=6),
        "recent without provision": _closed(households, "Fam. Vers", registered=5, closed=4),
        "open": households.register(actor="anna", label="Fam. Open", team="Wijkteam Noord",
                                    occurred_at=years_ago(20)).household_id,
    }


def test_the_job_reports_the_households_past_their_term(households):
    ids = _story(households)
    due = retention.due(households)
    assert [e.household_id for e in due] == [ids["old with provision"], ids["old without provision"]]
    assert [(e.provision, e.years) for e in due] == [(True, 15), (False, 5)]
    assert "geen voorziening" in due[1].reason()
    assert households.get(ids["old with provision"]).label == "Fam. Oud"  # reported, not erased


def test_a_reopened_household_is_not_due(households):
    h = _closed(households, "Fam. Terug", registered=20, closed=17)
    households.reopen_household(h, actor="anna", reason="Nieuw signaal", occurred_at=years_ago(1))
    assert retention.due(households) == []


def test_on_confirmation_the_households_past_their_term_are_erased_and_no_others(households):
    ids = _story(households)
    erased = retention.erase_due(households)
    assert {e.household_id for e, _ in erased} == {ids["old with provision"], ids["old without provision"]}
    for name, h in ids.items():
        household = households.get(h)
        if name.startswith("old"):
            assert (household.status, household.label) == (FORGOTTEN, REDACTED)
            assert "Bewaartermijn verstreken" in list(households.events.get(h))[-1].reason
        else:
            assert household.status != FORGOTTEN
    assert retention.due(households) == []  # forgotten is done


def test_the_cli_reports_and_erases_only_when_confirmed(households, settings, monkeypatch, capsys):
    ids = _story(households)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("POSTGRES_SCHEMA", settings.postgres_schema)
    monkeypatch.setattr("waakvlam.cli.get_settings", lambda: settings)
    for argv, status in ((["retention"], "closed"), (["retention", "--confirm"], FORGOTTEN)):
        try:
            cli(argv)
        except SystemExit as done:
            assert done.code == 0
        assert "2 huishouden(s) voorbij de bewaartermijn" in capsys.readouterr().out
        assert households.get(ids["old without provision"]).status == status
    assert households.get(ids["old with provision"]).status == FORGOTTEN



# ---- signals that led to nothing (issue 12): 6 months by default, from the team's policy -----------------


def _signals(households, team: str = "Wijkteam Noord", *, months_ago: int = 0) -> dict[str, UUID]:
    """A signal of each fate, reported and triaged `months_ago` months (and a day) ago."""
    def reported(about: str) -> UUID:
        return households.report_signal(actor="petra", source="housing_corporation", about_name=about,
                                        about_address="Lindelaan 4", description="Huurachterstand",
                                        team=team).signal_id

    then = NOW - timedelta(days=round(30.44 * months_ago) + 1) if months_ago else NOW
    with time_machine.travel(then, tick=True):
        ids = {name: reported(f"Fam. {name} {months_ago}") for name in ("dismissed", "new", "linked", "registered")}
        households.dismiss_signal(ids["dismissed"], actor="anna", reason="Bekend bij de schuldhulpverlening")
        h = households.register(actor="anna", label="Fam. Gevolgd", team=team).household_id
        households.link_signal(ids["linked"], h, actor="anna")
        households.register_from_signal(ids["registered"], actor="anna", label="Fam. Nieuw")
    return ids


def test_a_dismissed_or_never_triaged_signal_is_due_after_six_months_a_younger_or_linked_one_not(households):
    old, young = _signals(households, months_ago=7), _signals(households, months_ago=5)
    due = retention.signals_due(households)
    assert [e.signal_id for e in due] == [old["new"], old["dismissed"]]  # the longest past first: received, dismissed
    assert {(e.status, e.months) for e in due} == {("dismissed", 6), ("new", 6)}
    assert all("6 maanden" in e.reason() for e in due)
    assert households.get_signal(old["dismissed"]).about_name == "Fam. dismissed 7"  # reported, not erased
    # Years on, the linked ones are still their households', kept as long as those are.
    later = {e.signal_id for e in retention.signals_due(households, retention.months_after(NOW, 120))}
    assert later == {old["dismissed"], old["new"], young["dismissed"], young["new"]}


def test_on_confirmation_the_signals_past_their_term_are_shredded_and_no_others(households):
    old, young = _signals(households, months_ago=7), _signals(households, months_ago=5)
    erased = retention.erase_signals_due(households)
    assert {e.signal_id for e, _ in erased} == {old["dismissed"], old["new"]}
    for ids, months in ((old, 7), (young, 5)):
        for name, signal_id in ids.items():
            signal = households.get_signal(signal_id)
            if months == 7 and name in ("dismissed", "new"):
                assert (signal.status, signal.about_name) == ("forgotten", REDACTED)
                assert households.keyring.for_reading(signal_id) is None
                assert "Bewaartermijn signaal verstreken" in households.signal_events(signal_id)[-1].reason
            else:
                assert signal.about_name == f"Fam. {name} {months}"
    assert retention.signals_due(households) == []  # forgotten is done


def test_the_teams_policy_sets_the_signals_term(households):
    households.set_team_policy("Wijkteam Zuid", actor="ingrid", signal_retention_months=3)
    zuid, noord = _signals(households, team="Wijkteam Zuid", months_ago=4), _signals(households, months_ago=4)
    assert {e.signal_id for e in retention.signals_due(households)} == {zuid["dismissed"], zuid["new"]}
    assert noord["new"] not in {e.signal_id for e in retention.signals_due(households)}


def test_the_cli_reports_and_shreds_signals_in_the_same_run_as_households(households, settings, monkeypatch,
                                                                          capsys):
    households_due = _story(households)
    old = _signals(households, months_ago=7)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("POSTGRES_SCHEMA", settings.postgres_schema)
    monkeypatch.setattr("waakvlam.cli.get_settings", lambda: settings)
    for argv, status in ((["retention"], "dismissed"), (["retention", "--confirm"], "forgotten")):
        with contextlib.suppress(SystemExit):
            cli(argv)
        out = capsys.readouterr().out
        assert "2 huishouden(s) voorbij de bewaartermijn" in out
        assert "2 signaal/signalen voorbij de bewaartermijn" in out and str(old["dismissed"]) in out
        households.keyring.forget_cached(old["dismissed"])  # the CLI's process shredded it, not this one
        assert households.get_signal(old["dismissed"]).status == status
    assert households.get(households_due["old with provision"]).status == FORGOTTEN
    assert households.get_signal(old["linked"]).about_name == "Fam. linked 7"
