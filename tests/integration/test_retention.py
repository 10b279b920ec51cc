"""Retention: households closed more than 15 years ago (5 when no provision followed) are reported,
and on confirmation erased by crypto-shredding; nothing else is touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
