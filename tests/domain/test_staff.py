"""People and roles (domain/staff.py): the StaffMember aggregate, in memory."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.staff import StaffMember, staff_id

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_roles_are_granted_and_revoked_with_who_and_why_and_the_strongest_role_counts():
    member = StaffMember.register("fatima", actor="admin", occurred_at=NOW, team="Wijkteam Noord",
                                  roles=("generalist",), reason="Nieuw")
    member.grant("team_lead", actor="admin", occurred_at=NOW, reason="Teamleider Noord")
    assert (member.id, member.roles, member.role) == (staff_id("fatima"), ["generalist", "team_lead"], "team_lead")
    member.revoke("team_lead", actor="admin", occurred_at=NOW, reason="Terug naar het veld")
    events = member.collect_events()
    assert [type(e).__name__ for e in events] == ["StaffRegistered", "RoleGranted", "RoleGranted", "RoleRevoked"]
    assert [(e.actor, e.reason) for e in events[1:]] == [
        ("admin", "Nieuw"), ("admin", "Teamleider Noord"), ("admin", "Terug naar het veld")]
    assert member.role == "generalist"


def test_the_rules():
    member = StaffMember.register("dirk", actor="admin", occurred_at=NOW, roles=("privacy_officer",), reason="FG")
    with pytest.raises(RuleViolation, match="belongs to no team"):
        member.grant("generalist", actor="admin", occurred_at=NOW, reason="x")
    with pytest.raises(RuleViolation, match="already has the role"):
        member.grant("privacy_officer", actor="admin", occurred_at=NOW, reason="x")
    with pytest.raises(RuleViolation, match="does not have the role"):
        member.revoke("administrator", actor="admin", occurred_at=NOW, reason="x")
    with pytest.raises(RuleViolation, match="has a reason"):
        member.revoke("privacy_officer", actor="admin", occurred_at=NOW, reason=" ")
    with pytest.raises(InvalidInput):
        member.grant("koning", actor="admin", occurred_at=NOW, reason="x")
    member.change_team("Wijkteam Zuid", actor="admin", occurred_at=NOW, reason="Overplaatsing")
    member.grant("coordinator", actor="admin", occurred_at=NOW, reason="Regisseur")
    with pytest.raises(RuleViolation, match="revoke the team roles"):
        member.change_team(None, actor="admin", occurred_at=NOW, reason="Weg")
    member.revoke("privacy_officer", actor="admin", occurred_at=NOW, reason="Andere functie")
    assert (member.team, member.role) == ("Wijkteam Zuid", "coordinator")
