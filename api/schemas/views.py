"""Response bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class CommandResult(BaseModel):
    """What every write answers: the household's new version (also the ETag) and
    the store position to pass as `?after=` to read your own write."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "household_id": "0c99052a-a316-4f60-8100-998fe37580a6", "version": 7, "position": 1042,
        "item_id": "9f8d85d6dec4"}]})
    household_id: UUID
    version: int
    position: int | None
    item_id: str | None = Field(default=None, description="Id of the member, contact, goal, … the command created.")


class NextCheckIn(BaseModel):
    id: str
    due: date


class HouseholdSummary(BaseModel):
    id: UUID
    version: int
    label: str
    team: str
    status: str
    intensity: str
    coordinator: str | None
    registered_at: datetime
    members: dict[str, dict[str, Any]]
    network: dict[str, dict[str, Any]]
    next_check_in: NextCheckIn | None
    last_contact_at: datetime | None
    scores: dict[str, int]
    cadence: dict[str, int] = Field(description="Days between check-ins per intensity, with the household's own.")
    goals: dict[str, str] = Field(description="Goal id -> status (open, achieved, dropped).")
    agreements: dict[str, str]
    interventions: dict[str, str]
    signaleringsplan: dict[str, dict[str, list[str]]]
    closure_reason: str | None


class CaseloadItem(BaseModel):
    household_id: UUID
    label: str
    team: str
    coordinator: str | None
    intensity: str
    status: str
    next_check_in: date | None
    last_contact_at: datetime | None
    version: int


class CaseloadPage(BaseModel):
    items: list[CaseloadItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
