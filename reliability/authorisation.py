"""The authorisation matrix the test suite already checks (tests/api/test_authorisation.py), counted: every
route of the OpenAPI document x every role, on a household of the role's own team and of another team, and
with emergency access. The figures are read from the tests' own tables, so they are the cases that run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Matrix:
    routes: int  # every route of the OpenAPI document but the public ones
    per_household: int
    roles: int
    own_team: int  # route x role cases by people of the household's own team
    other_team: int  # by people of another team, without emergency access
    other_roles: int  # privacy officer, administrator, partner
    emergency: int  # with emergency access: allowed (and flagged) or refused (erasure; roles without care)
    allowed: int
    refused: int

    @property
    def cases(self) -> int:
        return self.own_team + self.other_team + self.other_roles + self.emergency


def count() -> Matrix:
    from tests.api import test_authorisation as table
    from tests.api.support import ROUTES

    routes = [route for route in ROUTES if not route.public]
    cases = [(route, role) for route in routes for role in table.EVERYONE]
    allowed = sum(1 for route, role in cases if table.allowed(route, role))
    per_household = [r for r in routes if r.per_household and r.key != table.ERASURE]
    emergency_allowed = len(per_household) * len(table.ELSEWHERE)
    emergency_refused = len(table.CARE) + 3  # erasure by every care role; privacy officer, administrator, partner
    return Matrix(
        routes=len(routes), per_household=sum(1 for r in routes if r.per_household), roles=len(table.EVERYONE),
        own_team=len(routes) * len(table.TEAM), other_team=len(routes) * len(table.ELSEWHERE),
        other_roles=len(routes) * (len(table.EVERYONE) - len(table.CARE)),
        emergency=emergency_allowed + emergency_refused,
        allowed=allowed + emergency_allowed, refused=len(cases) - allowed + emergency_refused)
