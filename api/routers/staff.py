"""People and roles (domain/staff.py): who works where, in which role, and who changed that, when and why.

Administrators register users, grant and revoke roles and move people between teams. A team lead grants and
revokes the generalist and coordinator roles of their own team's people. Administrators and privacy officers
see everyone; a team lead sees their own team; anyone sees their own record."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, Field

from api.auth import Principal
from api.authz import role_and_team
from api.deps import HouseholdsDep, PrincipalDep
from api.routers.common import problems
from api.schemas.commands import RoleGrant, RoleRevocation, StaffRegistration, TeamChange
from domain.application import Households
from domain.staff import ADMINISTRATOR, COORDINATOR, GENERALIST, PRIVACY_OFFICER, TEAM_LEAD, StaffMember, staff_id

router = APIRouter(prefix="/api/staff", tags=["staff"])

UserIdPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]
TEAM_LEAD_GRANTS = (GENERALIST, COORDINATOR)  # the roles a team lead grants and revokes in their own team
CHANGES = ("Only an administrator (or a team lead, for their own team's generalists and coordinators) changes "
           "people and roles")
LIST = problems(401, 503, described={403: "The list of people is for administrators, privacy officers and team leads"})
ONE = problems(401, 404, 422, 503, described={
    403: "You see your own record, or (a team lead) your team's", 404: "Unknown user"})
REGISTRATION = problems(401, 409, 413, 422, 503, described={403: "Only an administrator registers people"})
CHANGE = problems(401, 409, 413, 422, 503, described={403: CHANGES, 404: "Unknown user"})


class RoleChange(BaseModel):
    kind: str = Field(description="StaffRegistered, RoleGranted, RoleRevoked or StaffTeamChanged.")
    actor: str = Field(description="Who made the change.")
    occurred_at: datetime
    recorded_at: datetime
    role: str | None = None
    team: str | None = None
    reason: str | None = None


class StaffView(BaseModel):
    user_id: str
    name: str
    team: str | None
    roles: list[str]
    role: str | None = Field(description="The role that counts for access control.")
    version: int
    changes: list[RoleChange] | None = Field(default=None, description="Every change, oldest first (one member).")


class StaffPage(BaseModel):
    items: list[StaffView]


class StaffResult(BaseModel):
    user_id: str
    version: int
    position: int | None


def _view(member: StaffMember, changes: list[RoleChange] | None = None) -> StaffView:
    return StaffView(**member.as_dict(), changes=changes)


def _may_see(request: Request, principal: Principal, member: StaffMember | None) -> bool:
    role, team = role_and_team(request, principal)
    if role in (ADMINISTRATOR, PRIVACY_OFFICER):
        return True
    if member is not None and member.user_id == principal.user_id:
        return True
    return role == TEAM_LEAD and team is not None and member is not None and member.team == team


def _member(households: Households, user_id: str) -> StaffMember:
    return households.registered_staff(user_id)  # NotFound (404) for a user the registry does not know


def _may_change(request: Request, principal: Principal, households: Households, user_id: str,
                role: str | None) -> None:
    """An administrator; or a team lead, for the generalist and coordinator roles of their own team's people."""
    mine, team = role_and_team(request, principal)
    if mine == ADMINISTRATOR:
        return
    if mine == TEAM_LEAD and role in TEAM_LEAD_GRANTS and team is not None:
        member = households.staff_member(user_id)
        if member is not None and member.team == team:
            return
    raise HTTPException(403, "only an administrator, or a team lead for their own team's generalists and "
                             "coordinators, changes people and roles")


def _result(households: Households, user_id: str, outcome: Any) -> StaffResult:
    return StaffResult(user_id=user_id, version=outcome.version, position=outcome.position)


@router.get("", response_model=StaffPage, responses=LIST,
            summary="The people: user, team and roles (a team lead: their own team)")
def staff(request: Request, principal: PrincipalDep, households: HouseholdsDep) -> StaffPage:
    """Everyone in the staff registry, with their team, roles and the role that counts for access control. For
    administrators and privacy officers; a team lead sees their own team."""
    role, team = role_and_team(request, principal)
    if role not in (ADMINISTRATOR, PRIVACY_OFFICER, TEAM_LEAD):
        raise HTTPException(403, "the list of people is for administrators, privacy officers and team leads")
    members = households.staff()
    if role == TEAM_LEAD:
        members = [m for m in members if m.team is not None and m.team == team]
    return StaffPage(items=[_view(m) for m in members])


@router.post("", status_code=201, response_model=StaffResult, responses=REGISTRATION,
             summary="Register a user in a team, with their first roles and the reason")
def register_staff_member(body: StaffRegistration, request: Request, principal: PrincipalDep,
                          households: HouseholdsDep) -> StaffResult:
    """Registers a user in the staff registry, in a team (or none), with their first roles and the reason. For
    administrators; a user is registered once (409)."""
    if role_and_team(request, principal)[0] != ADMINISTRATOR:
        raise HTTPException(403, "only an administrator registers people")
    outcome = households.register_staff(body.user_id, actor=principal.user_id, name=body.name, team=body.team,
                                        roles=body.roles, reason=body.reason)
    return _result(households, body.user_id, outcome)


@router.get("/{user_id}", response_model=StaffView, responses=ONE,
            summary="One person: team, roles, and every change of them with who, when and why")
def staff_member(user_id: UserIdPath, request: Request, principal: PrincipalDep,
                 households: HouseholdsDep) -> StaffView:
    """One person of the registry: team, roles, and every change of them, oldest first, with who made it, when and why.
    Administrators and privacy officers see anyone, a team lead their own team, anyone their own record."""
    member = _member(households, user_id)
    if not _may_see(request, principal, member):
        raise HTTPException(403, "you see your own record, or (a team lead) your team's")
    changes = [RoleChange(kind=type(e).__name__, actor=e.actor, occurred_at=e.occurred_at,
                          recorded_at=e.timestamp, role=getattr(e, "role", None), team=getattr(e, "team", None),
                          reason=getattr(e, "reason", None))
               for e in households.events.get(staff_id(user_id))]
    return _view(member, changes)


@router.post("/{user_id}/roles", response_model=StaffResult, responses=CHANGE,
             summary="Grant a role, with the reason")
def grant_role(user_id: UserIdPath, body: RoleGrant, request: Request, principal: PrincipalDep,
               households: HouseholdsDep) -> StaffResult:
    """Grants a person a role, with the reason. For administrators; a team lead grants the generalist and coordinator
    roles to their own team's people."""
    _may_change(request, principal, households, user_id, body.role)
    outcome = households.grant_role(user_id, body.role, actor=principal.user_id, reason=body.reason)
    return _result(households, user_id, outcome)


@router.post("/{user_id}/revocations", response_model=StaffResult,
             responses=CHANGE, summary="Revoke a role, with the reason")
def revoke_role(user_id: UserIdPath, body: RoleRevocation, request: Request, principal: PrincipalDep,
                households: HouseholdsDep) -> StaffResult:
    """Revokes a role of a person, with the reason. For administrators; a team lead revokes the generalist and
    coordinator roles of their own team's people."""
    _may_change(request, principal, households, user_id, body.role)
    outcome = households.revoke_role(user_id, body.role, actor=principal.user_id, reason=body.reason)
    return _result(households, user_id, outcome)


@router.post("/{user_id}/team", response_model=StaffResult, responses=CHANGE,
             summary="Move a person to another team (or none), with the reason")
def change_staff_team(user_id: UserIdPath, body: TeamChange, request: Request, principal: PrincipalDep,
                      households: HouseholdsDep) -> StaffResult:
    """Moves a person to another team (or to none), with the reason. For administrators."""
    _may_change(request, principal, households, user_id, None)
    outcome = households.change_staff_team(user_id, body.team, actor=principal.user_id, reason=body.reason)
    return _result(households, user_id, outcome)
