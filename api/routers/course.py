"""The course of support: intensity, the pilot light's check-ins, the
signaleringsplan, closure and reopening, and corrections."""

from __future__ import annotations

from functools import partial
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CommandDep
from api.routers.common import COMMAND_RESPONSES
from api.schemas.commands import (
    CadenceIn,
    CheckInCancellation,
    CheckInCompletion,
    CheckInReschedule,
    ClosureIn,
    CorrectionIn,
    ItemId,
    LevelChange,
    ReopeningIn,
    SignaleringsplanIn,
)
from api.schemas.views import CommandResult

router = APIRouter(prefix="/api/households/{household_id}", tags=["course"], responses=COMMAND_RESPONSES)


@router.post("/escalations", response_model=CommandResult,
             summary="Escalate (only upward), with a reason; brings the next check-in forward when needed")
def escalate(household_id: UUID, body: LevelChange, command: CommandDep) -> JSONResponse:
    """Raises the household's intensity (waakvlam, licht, intensief, crisis: only upward), with the reason. When the
    next check-in is due later than the new level's cadence allows, it is brought forward."""
    return command.run(partial(command.households.escalate, household_id, **body.fields()))


@router.post("/de-escalations", response_model=CommandResult, summary="De-escalate (only downward), with a reason")
def de_escalate(household_id: UUID, body: LevelChange, command: CommandDep) -> JSONResponse:
    """Lowers the household's intensity (only downward), with the reason; check-ins scheduled from then on follow the
    new level's cadence."""
    return command.run(partial(command.households.de_escalate, household_id, **body.fields()))


@router.post("/cadence", response_model=CommandResult,
             summary="Set the household's own days between check-ins per intensity (within bounds)")
def set_cadence(household_id: UUID, body: CadenceIn, command: CommandDep) -> JSONResponse:
    """Sets this household's own number of days between check-ins for one or more intensities, within the bounds; the
    intensities left out keep the team's cadence."""
    return command.run(partial(command.households.set_cadence, household_id, **body.fields()))


@router.post("/check-ins/{check_in_id}/complete", status_code=201, response_model=CommandResult,
             summary="Complete a check-in with a contact; the next is scheduled by the cadence")
def complete_check_in(household_id: UUID, check_in_id: ItemId, body: CheckInCompletion,
                      command: CommandDep) -> JSONResponse:
    """Completes an open check-in with the contact it was (answers the contact's `item_id`); the next check-in is
    scheduled by the cadence at once."""
    return command.run(partial(command.households.complete_check_in, household_id, check_in_id, **body.fields()),
                       created=True)


@router.post("/check-ins/{check_in_id}/reschedule", response_model=CommandResult, summary="Move a check-in")
def reschedule_check_in(household_id: UUID, check_in_id: ItemId, body: CheckInReschedule,
                        command: CommandDep) -> JSONResponse:
    """Moves an open check-in to another due date, with the reason."""
    return command.run(partial(command.households.reschedule_check_in, household_id, check_in_id, **body.fields()))


@router.post("/check-ins/{check_in_id}/cancel", response_model=CommandResult,
             summary="Cancel a check-in; a replacement is scheduled at once (the pilot light never goes out)")
def cancel_check_in(household_id: UUID, check_in_id: ItemId, body: CheckInCancellation,
                    command: CommandDep) -> JSONResponse:
    """Cancels an open check-in, with the reason; a replacement is scheduled at once by the cadence, so the household
    always has a next check-in while it is open."""
    return command.run(partial(command.households.cancel_check_in, household_id, check_in_id, **body.fields()))


@router.post("/signaleringsplan", response_model=CommandResult,
             summary="Agree the signaleringsplan: signs and actions per phase groen/oranje/rood")
def agree_signaleringsplan(household_id: UUID, body: SignaleringsplanIn, command: CommandDep) -> JSONResponse:
    """Records the signaleringsplan agreed with the household: for each phase (groen, oranje, rood) the signs that show
    it and the actions that follow. Replaces the previous plan."""
    return command.run(partial(command.households.agree_signaleringsplan, household_id, **body.fields()))


@router.post("/closure", response_model=CommandResult, summary="Close the household with a coded reason")
def close_household(household_id: UUID, body: ClosureIn, command: CommandDep) -> JSONResponse:
    """Closes the household with a coded reason and a note; its open check-in is cancelled. A closed household takes no
    more case work until it is reopened."""
    return command.run(partial(command.households.close_household, household_id, **body.fields()))


@router.post("/reopening", response_model=CommandResult, summary="Reopen a closed household")
def reopen_household(household_id: UUID, body: ReopeningIn, command: CommandDep) -> JSONResponse:
    """Reopens a closed household, with the reason (and optionally its intensity); its first check-in is scheduled at
    once."""
    return command.run(partial(command.households.reopen_household, household_id, **body.fields()))


@router.post("/corrections", status_code=201, response_model=CommandResult,
             summary="Correct what an earlier event said; the original is kept")
def record_correction(household_id: UUID, body: CorrectionIn, command: CommandDep) -> JSONResponse:
    """Corrects what an earlier event of the household said (`target_version`): a new event records the changed fields
    and the reason; the original stays in the history, and the plan `known_at` a moment before the correction still
    shows it."""
    return command.run(partial(command.households.correct, household_id, **body.fields()), created=True)
