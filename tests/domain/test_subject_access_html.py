"""The subject-access page (projections/export.py: as_html), rendered by its Jinja2 template with autoescape on:
whatever was typed stays text, in every place a value appears."""

from __future__ import annotations

from projections.export import as_html

SCRIPT = "<script>alert('x')</script>"


def _export(value: str, *, status: str = "open") -> dict:
    return {
        "household_id": "0c99052a-a316-4f60-8100-998fe37580a6", "exported_at": "2026-03-03T08:05:06+00:00",
        "status": status,
        "plan": {"label": value, "team": value, "coordinator": None, "intensity": "licht",
                 "life_domains": {value: {"score": 2, "goals": [{"description": value, "status": "open"}]}}},
        "timeline": [{"version": 1, "kind": "Registered", "summary": value, "actor": value,
                      "occurred_at": "2026-03-01T10:00:00+00:00", "recorded_at": "2026-03-01T10:00:00+00:00"}],
        "signals": [{"occurred_at": "2026-03-01T09:00:00+00:00", "reporter_name": None, "source": value,
                     "about_name": value, "about_address": value, "description": value}],
        "events": [{"version": 1, "kind": "Registered", "recorded_at": "2026-03-01T10:00:00+00:00", "actor": value,
                    "fields": {value: value, "members": [{"name": value}], "none": None, "empty": ""}}],
        "access_log": [{"wanneer": "2026-03-01T10:00:00+00:00", "wie": value, "functie": value, "wat": value,
                        "noodtoegang": True}],
    }


def test_a_value_with_a_script_is_escaped_everywhere_it_appears():
    page = as_html(_export(SCRIPT))
    assert "<script" not in page
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    # the label (title, heading), team, life domain, goal, timeline (summary, actor), signal (source, name,
    # address, description), event (actor, key, value, a member's name), access log (wie, functie, wat)
    assert page.count(escaped) == 18
    assert f"<title>Inzage: {escaped}</title>" in page
    assert f"<h1>Inzage in het dossier van {escaped}</h1>" in page


def test_the_page_speaks_dutch_and_says_nothing_for_nothing():
    page = as_html(_export("Fam. Jansen & zn."))
    assert page.startswith("<!doctype html>") and '<html lang="nl">' in page
    for text in ("Inzage in het dossier van Fam. Jansen &amp; zn.", "opgesteld op 2026-03-03 08:05 (UTC)",
                 "<h2>Het plan</h2>", "<h2>Tijdlijn</h2>", "<h2>Signalen van partners</h2>",
                 "<h2>Wie heeft het dossier ingezien</h2>", "<h2>Alle vastgelegde gegevens</h2>",
                 "<td>Aangemeld</td>", "<td>ja</td>", "<li>none: —</li>", "<li>empty: —</li>"):
        assert text in page, text
    assert "None" not in page  # a missing coordinator is an empty cell, not "None"
    assert "zijn gewist" not in page


def test_a_forgotten_households_page_says_so_and_has_no_plan():
    export = {**_export("[gewist]", status="forgotten"), "plan": None, "signals": []}
    page = as_html(export)
    assert "De persoonsgegevens van dit huishouden zijn gewist." in page
    assert "Inzage in het dossier van huishouden" in page
    assert "Het plan" not in page and "Signalen van partners" not in page
