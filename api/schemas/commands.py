"""Request bodies of the household commands. Field names are the keyword
arguments of the application service, so a body is passed on as it is.
Nothing is mandatory that the situation does not need."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from domain.values import ClosureReason, ContactKind, Intensity, LifeDomain, Phase, SupportLevel, Urgency, local_date

Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=10_000)]
Reason = Annotated[str, Field(min_length=1, max_length=2_000)]
ItemId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Score = Annotated[int, Field(ge=1, le=5)]
Days = Annotated[int, Field(ge=1, le=366)]


def _on_the_calendar(moment: datetime | None) -> datetime | None:
    """A moment that has a UTC equivalent: 0001-01-01T00:00+01:00 has none and would overflow."""
    if moment is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("lies outside the supported calendar") from None
    return moment


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL characters: refuse them here, before a view chokes on them."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            raise ValueError("must not contain NUL characters")
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


OccurredAt = Annotated[AwareDatetime | None, AfterValidator(_on_the_calendar), Field(
    default=None, description="When it happened in the world (ISO 8601 with offset); defaults to now. "
    "May lie in the past, never in the future.")]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")
    occurred_at: OccurredAt = None

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)

    def fields(self) -> dict[str, Any]:
        return self.model_dump()


def _days_from_today(days: int, *, at: str | None = None) -> str:
    """Example dates relative to the day the service started, so examples stay valid."""
    day = (local_date(datetime.now(UTC)) + timedelta(days=days)).isoformat()
    return f"{day}T{at}" if at else day


def _example(**example: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class Registration(Command):
    model_config = _example(label="Fam. Jansen", team="Wijkteam Noord", intensity="licht")
    label: Name
    team: Annotated[str, Field(min_length=1, max_length=100)]
    intensity: Intensity = Intensity.LICHT
    cadence: dict[Intensity, Days] | None = Field(default=None, description="The household's own days between "
                                                  "check-ins per intensity, within bounds.")


class MemberIn(Command):
    model_config = _example(name="Sanne Jansen", role="moeder", birth_year=1987)
    name: Name
    role: Annotated[str, Field(max_length=100)] = ""
    birth_year: Annotated[int | None, Field(ge=1900, le=2100)] = None


class Removal(Command):
    model_config = _example(reason="verhuisd naar eigen woning")
    reason: Annotated[str, Field(max_length=2_000)] = ""


class NetworkPersonIn(Command):
    model_config = _example(name="Henk de Buurman", relation="buurman", notices_decline=True)
    name: Name
    relation: Annotated[str, Field(max_length=100)] = ""
    notices_decline: bool = Field(default=False, description="Helps notice when things go worse.")


class CoordinatorIn(Command):
    model_config = _example(coordinator="bram", handover_note="Kent het gezin sinds 2024; schulden lopen via BBZ.")
    coordinator: Annotated[str, Field(min_length=1, max_length=100)]
    handover_note: Text = ""
    legal_basis: Annotated[str, Field(max_length=500)] = Field(
        default="", description="For a coordinator of another team (who then sees the whole file): the legal basis "
                                "for that sharing when the household gave no valid consent for that team.")


class SignalIn(Command):
    model_config = _example(source="woningcorporatie", description="Huurachterstand van drie maanden",
                            life_domains=["finances", "housing"], urgency="high")
    source: Annotated[str, Field(min_length=1, max_length=100)]
    description: Text = ""
    life_domains: list[LifeDomain] = Field(default_factory=list, max_length=13)
    urgency: Urgency = Urgency.NORMAL


class ContactIn(Command):
    model_config = _example(kind="huisbezoek", summary="Post doorgenomen; afspraak met schuldhulp gemaakt.",
                            life_domains=["finances"], occurred_at=_days_from_today(-1, at="10:30:00+01:00"))
    kind: ContactKind
    summary: Text = ""
    life_domains: list[LifeDomain] = Field(default_factory=list, max_length=13)
    participants: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)
    check_in_id: ItemId | None = Field(default=None, description="Completes this check-in; the next is scheduled.")


class AssessmentIn(Command):
    model_config = _example(scores={"finances": 2, "housing": 3, "mental_health": 3})
    instrument: Literal["zrm-2017"] = "zrm-2017"
    scores: dict[LifeDomain, Score] = Field(min_length=1, description="Only the domains actually scored.")


class GoalIn(Command):
    model_config = _example(life_domain="finances", description="Schulden zijn in beeld en er is een budgetplan")
    life_domain: LifeDomain
    description: Annotated[str, Field(min_length=1, max_length=2_000)]


class GoalRevision(Command):
    model_config = _example(description="Schuldregeling is aangevraagd", reason="eerste stap gehaald")
    description: Annotated[str, Field(min_length=1, max_length=2_000)]
    reason: Annotated[str, Field(max_length=2_000)] = ""


class Note(Command):
    model_config = _example(note="Budgetplan loopt sinds oktober")
    note: Annotated[str, Field(max_length=2_000)] = ""


class ReasonIn(Command):
    model_config = _example(reason="Niet meer nodig: inkomen is op orde")
    reason: Reason


class AgreementIn(Command):
    model_config = _example(who="Sanne", what="Belt de woningcorporatie over een betalingsregeling",
                            due=_days_from_today(9))
    who: Name
    what: Annotated[str, Field(min_length=1, max_length=2_000)]
    due: date | None = None
    goal_id: ItemId | None = None


class InterventionIn(Command):
    model_config = _example(support_level="vrijwillig", provider="Schuldhulpmaatje",
                            description="Maatje helpt wekelijks met de administratie")
    support_level: SupportLevel
    description: Text = ""
    provider: Annotated[str, Field(max_length=200)] = ""
    goal_id: ItemId | None = None
    handover_note: Text = Field(default="", description="Warm handover; required for specialist care.")
    legal_basis: Annotated[str, Field(max_length=500)] = Field(
        default="", description="The legal basis for sharing with a provider outside the team (vrijwillig, "
                                "eerstelijns or specialistisch support by a named provider) when the household "
                                "gave no valid consent for this provider (e.g. \"Jeugdwet art. 7.4.0\").")


class InterventionEnd(Command):
    model_config = _example(outcome="Administratie is op orde")
    outcome: Annotated[str, Field(max_length=2_000)] = ""


class LevelChange(Command):
    model_config = _example(to_level="intensief", reason="Dreigende huisuitzetting")
    to_level: Intensity
    reason: Reason


class CadenceIn(Command):
    model_config = _example(cadence={"waakvlam": 28})
    cadence: dict[Intensity, Days]


class CheckInCompletion(Command):
    model_config = _example(kind="telefonisch", summary="Gaat goed; volgende keer huisbezoek")
    kind: ContactKind
    summary: Text = ""
    life_domains: list[LifeDomain] = Field(default_factory=list, max_length=13)
    participants: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)


class CheckInReschedule(Command):
    model_config = _example(due=_days_from_today(11), reason="Gezin op vakantie")
    due: date
    reason: Annotated[str, Field(max_length=2_000)] = ""


class CheckInCancellation(Command):
    model_config = _example(reason="Dubbel gepland", next_due_on=_days_from_today(18))
    reason: Reason
    next_due_on: date | None = Field(default=None, description="Date of the replacement; by cadence when left out.")


class PhasePlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signs: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=30)
    actions: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=30)


class SignaleringsplanIn(Command):
    model_config = _example(phases={
        "groen": {"signs": ["Opent de post"], "actions": ["Maandelijks contact met buurman"]},
        "oranje": {"signs": ["Post blijft liggen"], "actions": ["Buurman belt de regisseur"]},
        "rood": {"signs": ["Afsluiting energie dreigt"], "actions": ["Regisseur gaat eropaf"]},
    })
    phases: dict[Phase, PhasePlan] = Field(min_length=1)

    def fields(self) -> dict[str, Any]:
        return {"occurred_at": self.occurred_at,
                "phases": {str(k): v.model_dump() for k, v in self.phases.items()}}


class ClosureIn(Command):
    model_config = _example(reason_code="goals_achieved", note="Gezin redt het zelf; netwerk is betrokken")
    reason_code: ClosureReason
    note: Annotated[str, Field(max_length=2_000)] = ""


class ReopeningIn(Command):
    model_config = _example(reason="Nieuw signaal van de huisarts", intensity="licht")
    reason: Reason
    intensity: Intensity | None = None


class ConsentIn(Command):
    model_config = _example(given_by="Sanne Jansen (moeder)", party="GGZ Noord",
                            purpose="Warme overdracht: delen van het plan en de ZRM-meting",
                            until=_days_from_today(365))
    given_by: Name
    party: Name
    purpose: Reason
    until: date | None = Field(default=None, description="The last day the consent is valid; none: until withdrawn.")


class ConsentWithdrawal(Command):
    model_config = _example(reason="Wil het zelf met de GGZ regelen")
    reason: Annotated[str, Field(max_length=2_000)] = ""


class ErasureIn(Command):
    model_config = _example(reason="Verzoek van betrokkene om gegevens te wissen (AVG art. 17)")
    reason: Reason


class CorrectionIn(Command):
    model_config = _example(target_version=5, changes={"summary": "Huisbezoek, niet telefonisch"},
                            reason="Verkeerd soort contact ingevoerd")
    target_version: Annotated[int, Field(ge=1)]
    changes: dict[Annotated[str, Field(max_length=50)], Any] = Field(min_length=1, max_length=10)
    reason: Reason


# ---- people and roles (domain/staff.py, api/routers/staff.py) -------------------------------------

StaffRole = Literal["generalist", "coordinator", "team_lead", "privacy_officer", "administrator", "partner"]
UserId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]
TeamName = Annotated[str, Field(min_length=1, max_length=100)]


class StaffCommand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _without_nul(value)


class StaffRegistration(StaffCommand):
    model_config = _example(user_id="fatima", name="Fatima", team="Wijkteam Noord", roles=["coordinator"],
                            reason="Nieuwe regisseur in Noord")
    user_id: UserId
    name: Annotated[str, Field(max_length=200)] = ""
    team: TeamName | None = None
    roles: list[StaffRole] = Field(default_factory=list, max_length=6)
    reason: Reason


class RoleGrant(StaffCommand):
    model_config = _example(role="coordinator", reason="Neemt de regie over van Bram")
    role: StaffRole
    reason: Reason


class RoleRevocation(StaffCommand):
    model_config = _example(role="coordinator", reason="Andere functie binnen de gemeente")
    role: StaffRole
    reason: Reason


class TeamChange(StaffCommand):
    model_config = _example(team="Wijkteam Zuid", reason="Overgeplaatst naar Zuid")
    team: TeamName | None
    reason: Reason
