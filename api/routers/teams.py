"""A team's policy: cadence per intensity, reminder days, how a signal brings a
check-in forward, the team lead and e-mail addresses. Changing it is an event
on the team, so who changed the policy, and when, stays on record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse

from api.authz import role_and_team
from api.deps import CommandDep, HouseholdsDep, PrincipalDep
from api.routers.common import problems
from api.schemas.schedule import TeamPolicyBody, TeamPolicyView

router = APIRouter(prefix="/api/teams", tags=["teams"])

TeamName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00/]*\S[^\x00/]*$")]
POLICY_ROLES = ("team_lead", "administrator")  # who may change a team's policy: its own lead, or an administrator


@router.get("/{team}/policy", response_model=TeamPolicyView, responses=problems(401, 403, 422, 503),
            summary="A team's policy: cadence, reminders, signal response, lead and addresses")
def team_policy(team: TeamName, _principal: PrincipalDep, households: HouseholdsDep,
                response: Response) -> TeamPolicyView:
    """The team's policy: days between check-ins per intensity, how many days before a check-in the reminder goes,
    after how many days overdue the team lead hears of it, how soon a signal brings a check-in forward per urgency,
    the team lead and the team's e-mail addresses. A team that never set one has the defaults (version 0). The
    `ETag` is the policy's version."""
    team = team.strip()
    version = households.team_version(team)
    found = households.team_policy(team)
    response.headers["ETag"] = f'"{version}"'
    return TeamPolicyView(team=team, version=version, **found.as_dict())


@router.put("/{team}/policy", response_model=TeamPolicyView,
            responses=problems(400, 401, 409, 412, 413, 422, 503, described={
                403: "Only the team's own lead (or an administrator) changes its policy",
                412: "If-Match does not match the policy's current version"}),
            summary="Set a team's policy (what is left out gets the default); bounds enforced")
def set_team_policy(team: TeamName, body: TeamPolicyBody, principal: PrincipalDep, command: CommandDep,
                    request: Request) -> JSONResponse:
    """Replaces the team's policy (what is left out gets the default), within the bounds. For the team's own lead, or
    an administrator. Send the `ETag` of the policy you read as `If-Match` to change only that."""
    role, own_team = role_and_team(request, principal)
    team = team.strip()
    if role not in POLICY_ROLES or (role == "team_lead" and own_team != team):
        raise HTTPException(403, "only the team's own lead (or an administrator) changes a team's policy")

    def run(**context: Any):
        return command.households.set_team_policy(team, **body.fields(), **context)

    response = command.run(run)
    if response.status_code == 200:
        households = command.households
        answer = TeamPolicyView(team=team, version=households.team_version(team),
                                **households.team_policy(team).as_dict())
        return JSONResponse(answer.model_dump(mode="json"), headers=dict(response.headers))
    return response
