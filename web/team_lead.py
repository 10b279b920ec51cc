"""Mijn werk for a team lead (issue 11 §2.1): the team's caseload in figures, the overdue check-ins per coordinator
(each a link to the planning filtered on that coordinator) and the signals waiting for triage. Counts only: no
household is named here (the list of households below it on Mijn werk is logged as a list, web/routes/home.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import Request

from domain.values import Intensity
from projections.signals import NEW
from web.common import today

MAX_PAGES = 40  # at most this many pages of 500 rows are counted; beyond that the figures say "at least"
PAGE = 500


@dataclass
class PerCoordinator:
    coordinator: str | None  # None: the households without a coordinator
    households: int = 0
    overdue: int = 0


@dataclass
class TeamFigures:
    team: str
    households: int = 0
    by_intensity: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    coordinators: list[PerCoordinator] = field(default_factory=list)
    signals_new: int = 0
    signals_urgent: int = 0  # of those: acute or high
    incomplete: bool = False  # more rows than were counted


def _all(page: Any, **query: Any) -> tuple[list[Any], bool]:
    """Every row of a keyset-paginated view, up to MAX_PAGES pages; and whether there were more."""
    rows: list[Any] = []
    cursor = None
    for _ in range(MAX_PAGES):
        found, cursor = page(**query, cursor=cursor, limit=PAGE)
        rows.extend(found)
        if cursor is None:
            return rows, False
    return rows, True


def figures(request: Request, team: str) -> TeamFigures:
    state = request.app.state
    open_rows, more_open = _all(state.caseload.page, team=team, status="open")
    late_rows, more_late = _all(state.schedule.page, until=today() - timedelta(days=1), team=team)
    new_signals, more_signals = _all(state.signals.page, status=NEW, visible_to=team)
    households = Counter(row.coordinator for row in open_rows)
    overdue = Counter(row.coordinator for row in late_rows if row.check_in_id is not None)
    names = sorted(set(households) | set(overdue), key=lambda name: (name is None, (name or "").casefold()))
    intensities = Counter(str(row.intensity) for row in open_rows)
    return TeamFigures(
        team=team, households=len(open_rows), overdue=sum(overdue.values()),
        by_intensity={i.value: intensities.get(i.value, 0) for i in Intensity},
        coordinators=[PerCoordinator(name, households.get(name, 0), overdue.get(name, 0)) for name in names],
        signals_new=len(new_signals), signals_urgent=sum(1 for s in new_signals if s.urgency in ("acute", "high")),
        incomplete=more_open or more_late or more_signals)
