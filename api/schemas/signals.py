"""Request and response bodies of signal intake and triage (api/routers/signals.py).

A report asks only what a partner can know: who reports, about whom (a name, an
address, or both), what was seen and how urgent it is. What a partner reads back
about its own reports is limited to whether the team has picked them up."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api.schemas.commands import Command, _days_from_today, _example, _without_nul
from domain.signal import PartnerKind
from domain.values import Intensity, LifeDomain, Urgency

NonBlank = r"\S"  # at least one character that is not white space
Short = Annotated[str, Field(max_length=200)]
TeamName = Annotated[str, Field(min_length=1, max_length=100, pattern=NonBlank)]


class SignalReport(Command):
    model_config = _example(
        source="housing_corporation", reporter_name="Woonstad Noord, afdeling incasso",
        reporter_contact="010 123 45 67", about_name="Fam. Jansen", about_address="Dorpsstraat 12, Noord",
        team="Wijkteam Noord", life_domains=["finances", "housing"], urgency="high",
        description="Huurachterstand van drie maanden; de post stapelt zich op achter de deur.",
        occurred_at=_days_from_today(-2, at="09:15:00+01:00"))
    source: PartnerKind = Field(description="Who reports: the kind of partner (or `team`).")
    reporter_name: Short = Field(default="", description="The reporting organisation or person.")
    reporter_contact: Short = Field(default="", description="How the team reaches the reporter.")
    about_name: Short = Field(default="", description="Whom the signal is about; a name and/or an address.")
    about_address: Annotated[str, Field(max_length=300)] = Field(default="", description="Where they live.")
    team: TeamName | None = Field(default=None, description="The team whose inbox it lands in, if known.")
    life_domains: list[LifeDomain] = Field(default_factory=list, max_length=13)
    description: Annotated[str, Field(min_length=1, max_length=10_000, pattern=NonBlank)] = Field(
        description="What was seen.")
    urgency: Urgency = Urgency.NORMAL


class TriageAction(StrEnum):
    LINK = "link"
    REGISTER = "register"
    DISMISS = "dismiss"


# What each action needs, and what it may have.
NEEDS = {TriageAction.LINK: {"household_id"}, TriageAction.REGISTER: {"label"}, TriageAction.DISMISS: {"reason"}}
TAKES = {TriageAction.LINK: {"household_id"}, TriageAction.REGISTER: {"label", "team", "intensity"},
         TriageAction.DISMISS: {"reason"}}


class Triage(BaseModel):
    """One of: `{"action": "link", "household_id"}`, `{"action": "register", "label", "team"?,
    "intensity"?}` (the team defaults to the signal's), `{"action": "dismiss", "reason"}`."""

    model_config = ConfigDict(extra="forbid", validate_default=True, json_schema_extra={"examples": [
        {"action": "link", "household_id": "0c99052a-a316-4f60-8100-998fe37580a6"},
        {"action": "register", "label": "Fam. Jansen", "team": "Wijkteam Noord", "intensity": "licht"},
        {"action": "dismiss", "reason": "Al bekend bij de schuldhulpverlening; doorverwezen"},
    ]})
    action: TriageAction
    household_id: UUID | None = Field(default=None, description="link: the household the signal is about.")
    label: Annotated[str, Field(min_length=1, max_length=200, pattern=NonBlank)] | None = Field(
        default=None, description="register: the new household's label.")
    team: TeamName | None = Field(default=None, description="register: its team (default: the signal's team).")
    intensity: Intensity | None = Field(default=None, description="register: its intensity (default licht).")
    reason: Annotated[str, Field(min_length=1, max_length=2_000, pattern=NonBlank)] | None = Field(
        default=None, description="dismiss: why the team does not take it up.")

    @field_validator("label", "team", "reason", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)

    @field_validator("household_id", "label", "team", "intensity", "reason")
    @classmethod
    def _fits_the_action(cls, value: Any, info: ValidationInfo) -> Any:
        action = info.data.get("action")
        if action is None:  # the action itself is invalid, and named as such
            return value
        if value is None and info.field_name in NEEDS[action]:
            raise ValueError(f"is needed to {action} a signal")
        if value is not None and info.field_name not in TAKES[action]:
            raise ValueError(f"does not belong to a {action}")
        return value


class SignalCommandResult(BaseModel):
    """What a report or a triage answers: the signal's new version (also the ETag) and the store
    position to pass as `?after=`; after a link or a registration, the household and its new version."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "signal_id": "5b0e3c1e-8f7a-4d0e-9a51-0d6f3c2b9e11", "version": 2, "position": 1043,
        "household_id": "0c99052a-a316-4f60-8100-998fe37580a6", "household_version": 8}]})
    signal_id: UUID
    version: int
    position: int | None
    household_id: UUID | None = None
    household_version: int | None = None


class SignalItem(BaseModel):
    """A signal as the team sees it in its inbox."""

    signal_id: UUID
    version: int
    status: Literal["new", "linked", "dismissed"]
    source: str = Field(description="Who reported it: the kind of partner.")
    reported_by: str = Field(description="The account that reported it.")
    reporter_name: str
    reporter_contact: str
    about_name: str
    about_address: str
    team: str | None
    life_domains: list[str]
    description: str
    urgency: str
    occurred_at: datetime = Field(description="When the signal was seen.")
    reported_at: datetime = Field(description="When it was received.")
    household_id: UUID | None = Field(description="The household it was linked to (or registered from it).")
    new_household: bool = Field(description="The household was registered from this signal.")
    triaged_by: str | None
    triaged_at: datetime | None
    dismissal_reason: str | None
    first_contact_at: datetime | None = Field(
        description="Eropaf: the first contact with the household at or after the signal was seen.")
    eropaf_hours: float | None = Field(description="Hours from the signal to that first contact.")


class SignalPage(BaseModel):
    items: list[SignalItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ReportStatus(BaseModel):
    """What a partner sees of its own report: whether the team has picked it up, not how."""

    signal_id: UUID
    version: int
    status: Literal["received", "triaged"]
    triaged: bool
    received_at: datetime
    triaged_at: datetime | None
    occurred_at: datetime = Field(description="When the signal was seen, as reported.")
    source: str
    about_name: str
    about_address: str
    urgency: str


class ReportStatusPage(BaseModel):
    items: list[ReportStatus]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
