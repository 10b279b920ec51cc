"""People and roles: who works in which wijkteam, in which role.

Authentication (api/auth.py) says who a user is; this registry says what they
are: a `StaffMember` per user, whose roles and team change only by events that
carry who changed them and why, so the registry is as auditable as a household.

Roles: a generalist and a coordinator work the households of their team (a
coordinator also those they coordinate elsewhere), a team lead leads one team,
a privacy officer reads audit data (access log, history) but no case files, an
administrator manages this registry, and a partner only reports signals.

A member may hold several roles; `role` is the one that counts for access
control, the first held in `ROLES` order (an administrator who is also a
generalist is treated as an administrator). A member without roles has none
and is refused everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, RuleViolation

GENERALIST, COORDINATOR, TEAM_LEAD = "generalist", "coordinator", "team_lead"
PRIVACY_OFFICER, ADMINISTRATOR, PARTNER = "privacy_officer", "administrator", "partner"
CARE_ROLES = (GENERALIST, COORDINATOR, TEAM_LEAD)  # the wijkteams' people: case work on their households
ROLES = (ADMINISTRATOR, PRIVACY_OFFICER, TEAM_LEAD, COORDINATOR, GENERALIST, PARTNER)  # precedence order
TEAM_ROLES = (GENERALIST, COORDINATOR, TEAM_LEAD)  # roles that belong to a team


def staff_id(user_id: str) -> UUID:
    """A staff member's aggregate id, derived from the user id: one user, one record."""
    return uuid5(NAMESPACE_URL, f"waakvlam:staff:{user_id.strip()}")


def checked_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}")
    return role


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise RuleViolation("a change of roles has a reason")
    return reason.strip()


class StaffMember(Aggregate):
    """One user of Waakvlam: name, team, roles; every change an event with who and why."""

    @classmethod
    def register(cls, user_id: str, *, actor: str, occurred_at: datetime, name: str = "",
                 team: str | None = None, roles: tuple[str, ...] = (), reason: str = "registered") -> StaffMember:
        user_id = user_id.strip()
        if not user_id:
            raise RuleViolation("a staff member has a user id")
        member = cls(actor=actor, occurred_at=occurred_at, user_id=user_id, name=name.strip() or user_id,
                     team=team.strip() if team and team.strip() else None)
        for role in roles:
            member.grant(role, actor=actor, occurred_at=occurred_at, reason=reason)
        return member

    @staticmethod
    def create_id(user_id: str, **_: Any) -> UUID:
        return staff_id(user_id)

    @event("StaffRegistered")
    def __init__(self, *, actor: str, occurred_at: datetime, user_id: str, name: str, team: str | None) -> None:
        self.user_id = user_id
        self.name = name
        self.team = team
        self.roles: list[str] = []

    @property
    def role(self) -> str | None:
        """The role that counts for access control (see the module's docstring)."""
        return next((role for role in ROLES if role in self.roles), None)

    def grant(self, role: str, *, actor: str, occurred_at: datetime, reason: str) -> None:
        role = checked_role(role)
        if role in self.roles:
            raise RuleViolation("a role is granted once", f"{self.user_id} already has the role {role}")
        if role in TEAM_ROLES and self.team is None:
            raise RuleViolation("a team role needs a team", f"{self.user_id} belongs to no team; set the team first")
        self._role_granted(actor=actor, occurred_at=occurred_at, role=role, reason=_reason(reason))

    @event("RoleGranted")
    def _role_granted(self, *, actor: str, occurred_at: datetime, role: str, reason: str) -> None:
        self.roles.append(role)

    def revoke(self, role: str, *, actor: str, occurred_at: datetime, reason: str) -> None:
        role = checked_role(role)
        if role not in self.roles:
            raise RuleViolation("only a held role is revoked", f"{self.user_id} does not have the role {role}")
        self._role_revoked(actor=actor, occurred_at=occurred_at, role=role, reason=_reason(reason))

    @event("RoleRevoked")
    def _role_revoked(self, *, actor: str, occurred_at: datetime, role: str, reason: str) -> None:
        self.roles.remove(role)

    def change_team(self, team: str | None, *, actor: str, occurred_at: datetime, reason: str) -> None:
        team = team.strip() if team and team.strip() else None
        if team == self.team:
            raise RuleViolation("a change of team changes the team", f"{self.user_id} is already in {team}")
        if team is None and any(role in TEAM_ROLES for role in self.roles):
            raise RuleViolation("a team role needs a team", "revoke the team roles before leaving the team")
        self._team_changed(actor=actor, occurred_at=occurred_at, team=team, reason=_reason(reason))

    @event("StaffTeamChanged")
    def _team_changed(self, *, actor: str, occurred_at: datetime, team: str | None, reason: str) -> None:
        self.team = team

    def as_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, "team": self.team, "roles": list(self.roles),
                "role": self.role, "version": self.version}
