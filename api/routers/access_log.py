"""Who accessed a household's file (NEN 7513, waakvlam/access_log.py).

    view=full       the privacy officer's view: every entry, denied attempts too, with the access point
                    and the four results (authorised, care relationship, consent, emergency access)
    view=household  what the household itself is shown (AVG art. 15): who looked at or changed its file,
                    when and in what role, in Dutch; only accesses that were allowed, no addresses or clients

The privacy officer gets the full view by default; the household's own team (who print or show it to the
household) gets the household's view, and is refused the full one. Reading the log is itself logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from api.authz import role_and_team
from api.deps import HouseholdsDep, PrincipalDep
from api.routers.common import READ_RESPONSES
from domain.errors import NotFound

router = APIRouter(prefix="/api/households", tags=["access log"])

ACTIONS_NL = {"create": "aangemaakt", "read": "ingezien", "update": "gewijzigd", "delete": "verwijderd",
              "execute": "uitgevoerd"}
ROLES_NL = {"generalist": "generalist van het wijkteam", "coordinator": "regisseur", "team_lead": "teamleider",
            "privacy_officer": "functionaris gegevensbescherming", "administrator": "beheerder",
            "partner": "partnerorganisatie"}


class AccessEntry(BaseModel):
    seq: int
    at: datetime = Field(description="When, to the second.")
    action: str = Field(description="create, read, update, delete or execute.")
    user_id: str
    role: str | None
    on_behalf_of: str | None = Field(description="On whose behalf: the user's team, or their role.")
    household_id: UUID | None
    persons: list[str] = Field(description="The members or network persons concerned (none: the whole household).")
    listed: list[UUID] = Field(default=[], description=(
        "For a list (caseload, schedule, signal inbox, notifications, calendar feed): every household it showed; "
        "`household_id` is then null."))
    authorised: bool
    care_relationship: bool
    consent: bool | None = Field(description=(
        "For a care worker: whether the household had consented, that day, to sharing with the party the user "
        "acted for (their team). Null where no party was acted for (privacy officer), or not yet known."))
    emergency: bool
    emergency_reason: str | None
    method: str
    route: str
    client_address: str | None
    user_agent: str | None


class HouseholdAccess(BaseModel):
    wanneer: datetime = Field(description="Wanneer (tot op de seconde).")
    wie: str = Field(description="Wie (gebruikersnaam).")
    functie: str = Field(description="In welke functie.")
    wat: str = Field(description="Ingezien (ook: in een overzicht, zoals de caseload of de planning), gewijzigd, "
                                 "aangemaakt, verwijderd of uitgevoerd (een export van het hele dossier).")
    noodtoegang: bool = Field(description="Toegang buiten het eigen wijkteam, in een noodsituatie, met reden.")


class AccessLogPage(BaseModel):
    view: Literal["full", "household"]
    items: list[AccessEntry] | list[HouseholdAccess]


def household_view(rows: list[dict[str, Any]]) -> list[HouseholdAccess]:
    """The household's own view of its log entries (also in its subject-access export): the allowed ones."""
    return [HouseholdAccess(wanneer=row["at"], wie=row["user_id"], functie=ROLES_NL.get(row["role"] or "", "onbekend"),
                            wat=ACTIONS_NL.get(row["action"], row["action"]) + (" in een overzicht" if row.get(
                                "listed") else ""), noodtoegang=row["emergency"])
            for row in rows if row["authorised"]]


@router.get("/{household_id}/access-log", response_model=AccessLogPage,
            responses={**READ_RESPONSES, 403: READ_RESPONSES[403] | {"description": "Not the privacy officer "
                                                                     "(full view), nor the household's team"}},
            summary="Who accessed the household's file, by period (NEN 7513): full, or the household's own view")
def access_log(
    household_id: UUID,
    request: Request,
    principal: PrincipalDep,
    households: HouseholdsDep,
    view: Annotated[Literal["full", "household"] | None, Query(
        description="full (the privacy officer's; default for them) or household (in Dutch; default for the team)")]
    = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="At or after (with UTC offset).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before (with UTC offset).")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> AccessLogPage:
    """Who looked at or changed the household's file, and when (NEN 7513), oldest first, in a period. `view=full` is
    the privacy officer's: every entry, refused attempts too, with the access point and whether it was authorised,
    by a care relationship, with consent or by emergency access. `view=household` is what the household itself is
    shown (in Dutch: who, when, in what role; allowed accesses only), for its own team to print or show. Reading the
    log is itself logged."""
    if not households.is_household(household_id):
        raise NotFound(f"household {household_id} does not exist")
    officer = role_and_team(request, principal)[0] == "privacy_officer"
    view = view or ("full" if officer else "household")
    if view == "full" and not officer:
        raise HTTPException(403, "the full access log is the privacy officer's; ask for view=household")
    rows = request.app.state.access_log.entries(household_id, since, until, limit)
    if view == "full":
        return AccessLogPage(view="full", items=[AccessEntry(**{k: v for k, v in row.items() if k != "hash"})
                                                 for row in rows])
    return AccessLogPage(view="household", items=household_view(rows))
