"""The plan: goals per life domain, agreements (who does what by when) and
interventions along the support ladder."""

from __future__ import annotations

from functools import partial
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CommandDep
from api.routers.common import COMMAND_RESPONSES
from api.schemas.commands import (
    AgreementIn,
    GoalIn,
    GoalRevision,
    InterventionEnd,
    InterventionIn,
    ItemId,
    Note,
    ReasonIn,
)
from api.schemas.views import CommandResult

router = APIRouter(prefix="/api/households/{household_id}", tags=["plan"], responses=COMMAND_RESPONSES)


@router.post("/goals", status_code=201, response_model=CommandResult, summary="Set a goal for a life domain")
def set_goal(household_id: UUID, body: GoalIn, command: CommandDep) -> JSONResponse:
    """Sets a goal for one life domain of the plan, in the household's words; answers its `item_id`."""
    return command.run(partial(command.households.set_goal, household_id, **body.fields()), created=True)


@router.post("/goals/{goal_id}/revise", response_model=CommandResult, summary="Revise an open goal")
def revise_goal(household_id: UUID, goal_id: ItemId, body: GoalRevision, command: CommandDep) -> JSONResponse:
    """Rewords an open goal; an achieved or dropped goal cannot be revised (409)."""
    return command.run(partial(command.households.revise_goal, household_id, goal_id, **body.fields()))


@router.post("/goals/{goal_id}/achieve", response_model=CommandResult, summary="Mark an open goal achieved")
def achieve_goal(household_id: UUID, goal_id: ItemId, body: Note, command: CommandDep) -> JSONResponse:
    """Marks an open goal achieved, with a note on how."""
    return command.run(partial(command.households.achieve_goal, household_id, goal_id, **body.fields()))


@router.post("/goals/{goal_id}/drop", response_model=CommandResult, summary="Drop an open goal, with a reason")
def drop_goal(household_id: UUID, goal_id: ItemId, body: ReasonIn, command: CommandDep) -> JSONResponse:
    """Drops an open goal that no longer applies, with the reason."""
    return command.run(partial(command.households.drop_goal, household_id, goal_id, **body.fields()))


@router.post("/agreements", status_code=201, response_model=CommandResult,
             summary="Make an agreement: who does what by when")
def make_agreement(household_id: UUID, body: AgreementIn, command: CommandDep) -> JSONResponse:
    """Records an agreement of the plan: who does what, by when (optionally for a goal); answers its `item_id`."""
    return command.run(partial(command.households.make_agreement, household_id, **body.fields()), created=True)


@router.post("/agreements/{agreement_id}/complete", response_model=CommandResult, summary="Complete an agreement")
def complete_agreement(household_id: UUID, agreement_id: ItemId, body: Note, command: CommandDep) -> JSONResponse:
    """Marks an open agreement done, with a note."""
    return command.run(partial(command.households.complete_agreement, household_id, agreement_id, **body.fields()))


@router.post("/agreements/{agreement_id}/cancel", response_model=CommandResult, summary="Cancel an agreement")
def cancel_agreement(household_id: UUID, agreement_id: ItemId, body: ReasonIn, command: CommandDep) -> JSONResponse:
    """Cancels an open agreement, with the reason."""
    return command.run(partial(command.households.cancel_agreement, household_id, agreement_id, **body.fields()))


@router.post("/interventions", status_code=201, response_model=CommandResult,
             summary="Start an intervention (specialist care needs a warm-handover note)")
def start_intervention(household_id: UUID, body: InterventionIn, command: CommandDep) -> JSONResponse:
    """Starts an intervention on the support ladder (the network, volunteers, first-line or specialist care). Support
    by a provider outside the team needs the household's valid consent for that provider, or a `legal_basis`;
    specialist care also needs a warm-handover note (409 without)."""
    return command.run(partial(command.households.start_intervention, household_id, **body.fields()), created=True)


@router.post("/interventions/{intervention_id}/end", response_model=CommandResult, summary="End an intervention")
def end_intervention(household_id: UUID, intervention_id: ItemId, body: InterventionEnd,
                     command: CommandDep) -> JSONResponse:
    """Ends a running intervention, with its outcome."""
    return command.run(partial(command.households.end_intervention, household_id, intervention_id, **body.fields()))
