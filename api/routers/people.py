"""Who belongs to a household, who helps from around it, and who coordinates."""

from __future__ import annotations

from functools import partial
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import CommandDep
from api.routers.common import COMMAND_RESPONSES
from api.schemas.commands import CoordinatorIn, ItemId, MemberIn, NetworkPersonIn, Removal
from api.schemas.views import CommandResult

router = APIRouter(prefix="/api/households/{household_id}", tags=["people"],
                   responses=COMMAND_RESPONSES)


@router.post("/members", status_code=201, response_model=CommandResult, summary="Add a member")
def add_member(household_id: UUID, body: MemberIn, command: CommandDep) -> JSONResponse:
    """Adds a member of the household (name, role in it, birth year); answers its `item_id`."""
    return command.run(partial(command.households.add_member, household_id, **body.fields()), created=True)


@router.post("/members/{member_id}/remove", response_model=CommandResult, summary="Remove a member")
def remove_member(household_id: UUID, member_id: ItemId, body: Removal, command: CommandDep) -> JSONResponse:
    """Removes a member from the household (moved out, say), with the reason; their history stays."""
    return command.run(partial(command.households.remove_member, household_id, member_id, **body.fields()))


@router.post("/network", status_code=201, response_model=CommandResult,
             summary="Add a person of the informal network (e.g. who helps notice decline)")
def add_network_person(household_id: UUID, body: NetworkPersonIn, command: CommandDep) -> JSONResponse:
    """Adds a person of the household's informal network (a neighbour, family, a friend), and whether they
    help notice decline; answers their `item_id`."""
    return command.run(partial(command.households.add_network_person, household_id, **body.fields()), created=True)


@router.post("/network/{person_id}/remove", response_model=CommandResult, summary="Remove a network person")
def remove_network_person(household_id: UUID, person_id: ItemId, body: Removal, command: CommandDep) -> JSONResponse:
    """Removes a person from the informal network, with the reason; their history stays."""
    return command.run(partial(command.households.remove_network_person, household_id, person_id, **body.fields()))


@router.post("/coordinator", response_model=CommandResult,
             summary="Assign the coordinator (one at a time), with a handover note")
def assign_coordinator(household_id: UUID, body: CoordinatorIn, command: CommandDep) -> JSONResponse:
    """Makes a user the household's coordinator (regisseur): one at a time, so assigning the one it already
    has breaks a rule (409). The handover note is for the new coordinator."""
    return command.run(partial(command.households.assign_coordinator, household_id, **body.fields()))
