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
    return command.run(partial(command.households.record_signal, household_id, **body.fields()), created=True)


@router.post("/contacts", status_code=201, response_model=CommandResult,
             summary="Record a contact; with `check_in_id` it completes that check-in and schedules the next")
def record_contact(household_id: UUID, body: ContactIn, command: CommandDep) -> JSONResponse:
    return command.run(partial(command.households.record_contact, household_id, **body.fields()), created=True)


@router.post("/assessments", status_code=201, response_model=CommandResult,
             summary="Record a ZRM assessment (only the life domains actually scored)")
def record_assessment(household_id: UUID, body: AssessmentIn, command: CommandDep) -> JSONResponse:
    return command.run(partial(command.households.record_assessment, household_id, **body.fields()), created=True)
