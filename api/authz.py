"""Who may see what (issue 5): every route on one household passes `authorise`, which decides and writes
the NEN 7513 access-log entry (waakvlam/access_log.py), allowed or not.

    generalist, coordinator, team lead   the households of their own team, read and write; a coordinator
                                         also the households they coordinate in another team
    anyone else of those three           only by emergency access ("break the glass"): the header
                                         `X-Emergency-Access: <reason>`; allowed, flagged in the access log
                                         (emergency = true, with the reason) and in the application log,
                                         and told to the team lead and privacy officers (api/emergency.py)
    privacy officer                      audit and privacy only: a household's history (the audit export), its
                                         access log and its subject-access export, and erasure, which is the
                                         privacy officer's decision alone (no care worker may erase, emergency
                                         or not); never the case file itself (summary, plan, timeline,
                                         check-ins) and no case work: not a care worker
    administrator                        the staff registry only (api/routers/staff.py); no household data
    partner                              reports signals only: no household data (403)

Lists (caseload, schedule, signal inbox) answer only what the user may see: their team's rows (a coordinator
asking for `coordinator=<themselves>`: their own households in any team). Another team's list is refused, and
the refusal is logged (with no household). What a list shows is logged as one read naming every household
in it (`record_listed`); exports of a whole file (history, subject access) are logged as `execute`.

The household's team never changes after registration, so it is cached in the process (bounded); a miss
reads the caseload row, and the aggregate when the view has not caught up yet. The coordinator (which does
change) is read only for a user outside the household's team.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import HTTPException, Request
from psycopg.sql import SQL

from api.auth import Principal
from api.emergency import notify as notify_emergency
from domain.application import Households
from domain.errors import NotFound
from domain.staff import CARE_ROLES, COORDINATOR, PARTNER, PRIVACY_OFFICER
from waakvlam.access_log import Entry

EMERGENCY_HEADER = "X-Emergency-Access"
HOUSEHOLD = "/api/households/{household_id}"
# (method, route) the privacy officer may use; OFFICER_ONLY: the privacy officer alone.
OFFICER_ONLY = {("POST", f"{HOUSEHOLD}/erasure")}
OFFICER_ROUTES = {("GET", f"{HOUSEHOLD}/history"), ("GET", f"{HOUSEHOLD}/access-log"), ("GET", f"{HOUSEHOLD}/export"),
                  ("GET", f"{HOUSEHOLD}/export.html"), *OFFICER_ONLY}
TEAM_CACHE_SIZE = 100_000

log = logging.getLogger("waakvlam.authz")


class HouseholdTeams:
    """household id -> team, as the caseload view (or the aggregate) says; bounded LRU."""

    def __init__(self, households: Households, caseload: Any) -> None:
        self.households = households
        self.caseload = caseload
        self._teams: OrderedDict[UUID, str] = OrderedDict()
        self._select = SQL("SELECT team FROM {0} WHERE household_id = %s").format(caseload.table)

    def cached(self, household_id: UUID) -> str | None:
        team = self._teams.get(household_id)
        if team is not None:
            self._teams.move_to_end(household_id)
        return team

    def lookup(self, household_id: UUID) -> str | None:
        """The household's team (None: no such household)."""
        team = self.cached(household_id)
        if team is None:
            with self.caseload.datastore.transaction(commit=False) as curs:
                curs.execute(self._select, (household_id,))
                row = curs.fetchone()
            if row is not None:
                team = row["team"]
            else:
                try:
                    team = self.households.get(household_id).team
                except NotFound:
                    return None
            self._teams[household_id] = team
            if len(self._teams) > TEAM_CACHE_SIZE:
                self._teams.popitem(last=False)
        return team

    def coordinator(self, household_id: UUID) -> str | None:
        try:
            return self.households.get(household_id).coordinator
        except NotFound:
            return None


def _teams(request: Request) -> HouseholdTeams:
    state = request.app.state
    teams = getattr(state, "household_teams", None)
    if teams is None:
        teams = state.household_teams = HouseholdTeams(state.households, state.caseload)
    return teams


def role_and_team(request: Request, principal: Principal) -> tuple[str | None, str | None]:
    """The principal's role, and team (from the principal, else the staff registry)."""
    team = getattr(principal, "team", None)
    if team is None and principal.role in CARE_ROLES:
        member = request.app.state.households.staff_member(principal.user_id)
        team = member.team if member is not None else None
    return principal.role, team


EXPORTS = {f"{HOUSEHOLD}/history", f"{HOUSEHOLD}/export", f"{HOUSEHOLD}/export.html"}  # the whole file, taken out


def action_of(method: str, route: str) -> str:
    if route in EXPORTS:
        return "execute"  # NEN 7513's "uitvoeren": an export of the whole file, not a look at it
    if method in ("GET", "HEAD"):
        return "read"
    if route == "/api/households":
        return "create"
    if route.endswith(("/remove", "/erasure")):
        return "delete"
    return "update"


def _persons(request: Request) -> tuple[str, ...]:
    return tuple(str(request.path_params[name]) for name in ("member_id", "person_id") if name in request.path_params)


def record(request: Request, principal: Principal, household_id: UUID | None, *, authorised: bool,
           care_relationship: bool, emergency_reason: str | None = None, action: str | None = None,
           team: str | None = None, listed: tuple[UUID, ...] = ()) -> None:
    """Write the access-log entry of this request: the answer waits until it is committed (a change's with the
    change's events; see waakvlam/access_log.py and api/committed.py)."""
    access_log = getattr(request.app.state, "access_log", None)
    if access_log is None:
        return
    route = getattr(request.scope.get("route"), "path", request.url.path)
    client = request.client.host if request.client else None
    access_log.record(Entry(
        action=action or action_of(request.method, route), user_id=principal.user_id, role=principal.role,
        on_behalf_of=team or principal.role, household_id=household_id, persons=_persons(request),
        authorised=authorised, care_relationship=care_relationship, emergency=emergency_reason is not None,
        emergency_reason=emergency_reason, method=request.method, route=route, client_address=client,
        user_agent=(request.headers.get("user-agent") or "")[:300] or None, listed=listed))


def record_feed(request: Request, owner: str, household_ids: Iterable[UUID]) -> None:
    """The calendar feed is read by the owner's calendar program, with no token: the secret address stands
    for them. The households it names are logged as read by the owner, their coordinator."""
    listed = tuple(dict.fromkeys(household_ids))
    if listed:
        record(request, Principal(owner, COORDINATOR), None, authorised=True, care_relationship=True, listed=listed)


def _deny(request: Request, principal: Principal, household_id: UUID | None, detail: str,
          action: str | None = None) -> HTTPException:
    record(request, principal, household_id, authorised=False, care_relationship=False, action=action)
    return HTTPException(403, detail)


def record_listed(request: Request, principal: Principal, household_ids: Iterable[UUID | None]) -> None:
    """A list shows households' data (labels, due dates, signals): one read entry naming every household in
    the answer (`listed`), found in each one's log. Lists answer only what `list_scope`/`signal_scope`
    allowed (the user's own team's households, or the ones they coordinate) and a user's own notifications,
    so a care worker reads them within a care relationship; a privacy officer's notifications (of emergency
    access) are not."""
    listed = tuple(h for h in dict.fromkeys(household_ids) if h is not None)
    if not listed:
        return
    role, team = role_and_team(request, principal)
    record(request, principal, None, authorised=True, care_relationship=role in CARE_ROLES, team=team,
           listed=listed)


async def authorise(request: Request, principal: Principal, *, as_api: tuple[str, str] | None = None,
                    emergency_reason: str | None = None, action: str | None = None) -> bool:
    """For a route on one household: allow (and log) or refuse with 403 (and log). Other routes pass.
    A page passes `as_api`, the (method, route) of the API call it corresponds to (decided as that call, with its
    action, unless `action` says otherwise), and `emergency_reason` for an emergency access given on a form rather
    than in the header. True when it was allowed as an emergency access."""
    raw = request.path_params.get("household_id")
    if raw is None:
        return False
    try:
        household_id = UUID(str(raw))
    except ValueError:
        return False  # the route's own validation answers 422
    role, own_team = role_and_team(request, principal)
    method, route = as_api or (request.method, getattr(request.scope.get("route"), "path", ""))
    action = action or (action_of(method, route) if as_api else None)
    if role in CARE_ROLES and own_team is not None and (method, route) not in OFFICER_ONLY \
            and _teams(request).cached(household_id) == own_team:
        # The common case, without a thread hop: a household of the user's own team.
        record(request, principal, household_id, authorised=True, care_relationship=True, team=own_team,
               action=action)
        return False
    return await anyio.to_thread.run_sync(partial(check, request, principal, household_id, action, as_api=as_api,
                                           emergency_reason=emergency_reason))


def check(request: Request, principal: Principal, household_id: UUID, action: str | None = None, *,
          as_api: tuple[str, str] | None = None, emergency_reason: str | None = None) -> bool:
    """May `principal` act on this household in this request? Logs the entry; 403 when not. Blocking.
    `as_api` and `emergency_reason`: as for `authorise`; True when allowed as an emergency access."""
    method, route = as_api or (request.method, getattr(request.scope.get("route"), "path", ""))
    role, own_team = role_and_team(request, principal)
    if role == PARTNER:
        raise _deny(request, principal, household_id,
                    "a partner account may report signals and follow its own reports, nothing else", action)
    if role == PRIVACY_OFFICER:
        if (method, route) in OFFICER_ROUTES:
            record(request, principal, household_id, authorised=True, care_relationship=False, action=action)
            return False
        raise _deny(request, principal, household_id,
                    "a privacy officer reads a household's history, access log and export, not its case file", action)
    if (method, route) in OFFICER_ONLY:
        raise _deny(request, principal, household_id, "erasing a household is the privacy officer's decision", action)
    if role not in CARE_ROLES:
        raise _deny(request, principal, household_id, f"the role {role or 'none'} gives no access to household data",
                    action)
    teams = _teams(request)
    team = teams.lookup(household_id)
    if team is None:
        return False  # no such household: the route answers 404
    care = own_team is not None and team == own_team
    if not care and role == COORDINATOR:
        care = teams.coordinator(household_id) == principal.user_id
    if care:
        record(request, principal, household_id, authorised=True, care_relationship=True, team=own_team,
               action=action)
        return False
    reason = ((request.headers.get(EMERGENCY_HEADER) if emergency_reason is None else emergency_reason) or "").strip()
    if reason:
        log.warning("emergency access: user %s, household %s, route %s %s", principal.user_id, household_id,
                    request.method, route)
        record(request, principal, household_id, authorised=True, care_relationship=False,
               emergency_reason=reason[:500], team=own_team, action=action)
        notify_emergency(request.app.state.households, request.app.state.notifications, user_id=principal.user_id,
                         user_team=own_team, household_id=household_id, team=team, reason=reason[:500])
        return True
    raise _deny(request, principal, household_id,
                f"this household is not of your team; in an emergency send the header {EMERGENCY_HEADER}: "
                "<reason> (the access is logged and flagged)", action)


def require_care_role(request: Request, principal: Principal) -> tuple[str | None, str | None]:
    """Registering a household is case work: the wijkteams' people only (in any team: an intake may be
    for another team, which then follows it up). The principal's role and team."""
    role, team = role_and_team(request, principal)
    if role not in CARE_ROLES:
        raise HTTPException(403, "registering a household is for the wijkteams' people")
    return role, team


def signal_scope(request: Request, principal: Principal, team: str | None = None) -> str:
    """The team whose signals (and those of no team yet) the user sees; 403 for anyone but the wijkteams'
    people, or for another team's inbox."""
    role, own_team = role_and_team(request, principal)
    if role not in CARE_ROLES or own_team is None:
        raise _deny(request, principal, None, "the signal inbox is for the wijkteams' people")
    if team is not None and team.strip() != own_team:
        raise _deny(request, principal, None, "you see your own team's signal inbox")
    return own_team


def list_scope(request: Request, principal: Principal, team: str | None,
               coordinator: str | None) -> str | None:
    """The team a list is limited to (None: no team limit, only for a coordinator's own households);
    403 for a user who may not see that list."""
    role, own_team = role_and_team(request, principal)
    if role not in CARE_ROLES:
        raise _deny(request, principal, None, "lists of households are for the wijkteams' people")
    if role == COORDINATOR and coordinator == principal.user_id and team is None:
        return None  # their own households, in whichever team
    if own_team is None:
        raise _deny(request, principal, None, "you belong to no team")
    if team is not None and team.strip() != own_team:
        raise _deny(request, principal, None, "you see your own team's households")
    return own_team
