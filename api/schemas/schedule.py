"""Request and response bodies of the schedule and the team policy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.commands import Days
from domain.team import (
    DEFAULT_SIGNAL_CHECK_IN_DAYS,
    DEFAULT_SIGNAL_RETENTION_MONTHS,
    MAX_OVERDUE_DAYS,
    MAX_REMIND_DAYS_BEFORE,
    MAX_SIGNAL_RETENTION_MONTHS,
)
from domain.values import DEFAULT_CADENCE, Intensity, Urgency


class ScheduleItem(BaseModel):
    check_in_id: str
    household_id: UUID
    label: str
    team: str
    coordinator: str | None
    intensity: str
    due: date
    days_overdue: int = Field(description="Days past the due date (0 when not overdue), in Dutch calendar days.")
    reason: str | None = Field(description="Why the check-in was planned or last moved: registered, completed, "
                                           "signal, escalated, cadence changed, replaces cancelled, reopened, ...")
    signal_at: datetime | None = Field(description="The latest signal since the household was last seen.")
    signal_summary: str | None
    escalation_hint: bool = Field(description="A signal arrived while the household is at waakvlam or licht: "
                                              "a possible reason to escalate. The coordinator decides.")


class SchedulePage(BaseModel):
    today: date = Field(description="Today's date in the Netherlands (Europe/Amsterdam), which `days_overdue` uses.")
    items: list[ScheduleItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class CheckInHistory(BaseModel):
    check_in_id: str
    scheduled_on: date
    due: date
    # A pair as a two-item array of dates, not a tuple: OpenAPI tools (and Spectral) want `items`, not `prefixItems`.
    plan: list[Annotated[list[date], Field(min_length=2, max_length=2)]] = Field(
        description="`[from this day on, due on]` pairs: the due date as it changed, oldest first.")
    status: str
    ended_on: date | None
    days_overdue: int = Field(description="Days it was (or, still open, is) overdue in all.")
    overdue_on_day: int | None = Field(
        default=None, description="With `on`: the days it was overdue on that date; null when it was not.")


class TeamPolicyBody(BaseModel):
    """A team's policy; what is left out gets the default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "cadence": {"waakvlam": 56, "licht": 14},
        "remind_days_before": 3,
        "overdue_days": 7,
        "signal_check_in_days": {"acute": 1, "high": 2, "normal": 7, "low": None},
        "team_lead": "carla",
        "addresses": {"bram": "bram@wijkteam-noord.example"},
        "signal_retention_months": 6,
    }]})

    cadence: dict[Intensity, Days] = Field(default_factory=dict, description="Days between check-ins per "
                                           f"intensity (defaults {dict(DEFAULT_CADENCE)}); bounds enforced.")
    remind_days_before: int = Field(default=3, ge=0, le=MAX_REMIND_DAYS_BEFORE,
                                    description="N: the coordinator is reminded this many days before a check-in.")
    overdue_days: int = Field(default=7, ge=0, le=MAX_OVERDUE_DAYS,
                              description="M: at this many days overdue the team lead is told too.")
    signal_check_in_days: dict[Urgency, int | None] = Field(
        default_factory=dict, description="Per urgency: a signal on a household at waakvlam or licht brings its "
        f"check-in to within this many days (null: not at all). Defaults {dict(DEFAULT_SIGNAL_CHECK_IN_DAYS)}.")
    team_lead: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00]*$")
    addresses: dict[Annotated[str, Field(max_length=100)], Annotated[str, Field(max_length=254)]] = Field(
        default_factory=dict, max_length=500,
                                      description="E-mail address per user, for reminders.")
    signal_retention_months: int = Field(
        default=DEFAULT_SIGNAL_RETENTION_MONTHS, ge=1, le=MAX_SIGNAL_RETENTION_MONTHS,
        description="Months a signal that led to nothing (dismissed, or never triaged) is kept before it is "
                    "shredded by the retention run; a signal linked to a household is kept with the household.")

    def fields(self) -> dict[str, object]:
        return {"cadence": {str(k): v for k, v in self.cadence.items()}, "remind_days_before": self.remind_days_before,
                "overdue_days": self.overdue_days,
                "signal_check_in_days": {str(k): v for k, v in self.signal_check_in_days.items()},
                "team_lead": self.team_lead, "addresses": self.addresses,
                "signal_retention_months": self.signal_retention_months}


class TeamPolicyView(BaseModel):
    team: str
    version: int = Field(description="0 while the team uses the defaults; also the ETag.")
    cadence: dict[Intensity, int]
    remind_days_before: int
    overdue_days: int
    signal_check_in_days: dict[Urgency, int]
    team_lead: str | None
    addresses: dict[str, str]
    signal_retention_months: int = Field(description="Months a dismissed or never-triaged signal is kept.")
