"""What the team sees and does: signals, contacts and assessments."""

from __future__ import annotations

from functools import partial
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CommandDep
from api.routers.common import COMMAND_RESPONSES
from api.schemas.commands import AssessmentIn, ContactIn, SignalIn
from api.schemas.views import CommandResult

router = APIRouter(prefix="/api/households/{household_id}", tags=["contacts and signals"],
                   responses=COMMAND_RESPONSES)


@router.post("/signals", status_code=201, response_model=CommandResult,
             summary="Record a signal the team saw or received")
def record_signal(household_id: UUID, body: SignalIn, command: CommandDep) -> JSONResponse:
    """Records a signal on the household (from the team, a partner, the network: who saw what, about which
    life domains, how urgent). An urgent signal brings the next check-in forward by the team's policy."""
    return command.run(partial(command.households.record_signal, household_id, **body.fields()), created=True)


@router.post("/contacts", status_code=201, response_model=CommandResult,
             summary="Record a contact; with `check_in_id` it completes that check-in and schedules the next")
def record_contact(household_id: UUID, body: ContactIn, command: CommandDep) -> JSONResponse:
    """Records a contact with the household (a home visit, a call, eropaf), with a short summary. With
    `check_in_id` it completes that check-in and the next is scheduled by the cadence."""
    return command.run(partial(command.households.record_contact, household_id, **body.fields()), created=True)


@router.post("/assessments", status_code=201, response_model=CommandResult,
             summary="Record a ZRM assessment (only the life domains actually scored)")
def record_assessment(household_id: UUID, body: AssessmentIn, command: CommandDep) -> JSONResponse:
    """Records a ZRM (zelfredzaamheid-matrix) assessment: a score of 1 to 5 for each life domain actually
    scored; domains left out keep their earlier score."""
    return command.run(partial(command.households.record_assessment, household_id, **body.fields()), created=True)
