"""What the API tests share: a few verbs to tell stories with, the problem+json
checks, and a catalogue of every route with a valid request, so the
convention tests can walk all of them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from fastapi.testclient import TestClient

from domain.values import LOCAL_TZ, local_date

PROBLEM = "application/problem+json"
UNKNOWN_HOUSEHOLD = "7d4f2a6e-0000-4000-8000-000000000000"
ANNA, BRAM = {"Authorization": "Bearer dev-anna"}, {"Authorization": "Bearer dev-bram"}
DIRK = {"Authorization": "Bearer dev-dirk"}  # the privacy officer: erasure is theirs to decide


# ---- telling the story -------------------------------------------------------


def today() -> date:
    """The calendar date in the Netherlands, as the domain plans check-ins."""
    return local_date(datetime.now(UTC))


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def noon_days_ago(days: int) -> str:
    """Midday in the Netherlands on the Dutch date `days` (at least 1) before today: a moment whose Dutch
    date is that date at any hour of the day and across a change of summer time (issue 15)."""
    assert days >= 1, "noon today may still lie in the future"
    return datetime.combine(today() - timedelta(days=days), time(12), tzinfo=LOCAL_TZ).isoformat()


def register(client: TestClient, label: str = "Fam. Jansen", team: str = "Wijkteam Noord", **fields: Any) -> str:
    response = client.post("/api/households", json={"label": label, "team": team, **fields})
    assert response.status_code == 201, response.text
    return response.json()["household_id"]


def post(client: TestClient, household_id: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
    url = f"/api/households/{household_id}/{path}" if path else f"/api/households/{household_id}"
    return client.post(url, json=body if body is not None else {}, **kwargs)


def write(client: TestClient, household_id: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    """A command that must succeed; answers its CommandResult."""
    response = post(client, household_id, path, body, **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


def summary(client: TestClient, household_id: str) -> dict[str, Any]:
    response = client.get(f"/api/households/{household_id}")
    assert response.status_code == 200, response.text
    return response.json()


def version_of(client: TestClient, household_id: str) -> int:
    return summary(client, household_id)["version"]


def next_check_in(client: TestClient, household_id: str) -> dict[str, Any]:
    found = summary(client, household_id)["next_check_in"]
    assert found is not None, "the pilot light went out"
    return found


def events(households: Any, household_id: str) -> list[Any]:
    """The household's events as the event store holds them."""
    return list(households.events.get(UUID(household_id)))


def kinds(households: Any, household_id: str) -> list[str]:
    return [type(event).__name__ for event in events(households, household_id)]


def last_event(households: Any, household_id: str, kind: str) -> Any:
    found = [e for e in events(households, household_id) if type(e).__name__ == kind]
    assert found, f"no {kind} event"
    return found[-1]


# ---- problems ------------------------------------------------------------------


def assert_problem(response: httpx.Response, status: int, *, field: str | None = None,
                   rule: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with this status; naming `field` in `errors`, or breaking `rule`."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM), response.headers["content-type"]
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    if field is not None:
        fields = [error["field"] for error in body.get("errors", [])]
        assert field in fields, f"{field} not in {fields}"
    if rule is not None:
        assert body.get("rule") == rule, body
    return body


def assert_invalid(response: httpx.Response, field: str) -> dict[str, Any]:
    return assert_problem(response, 422, field=field)


def assert_refused(response: httpx.Response, rule: str) -> dict[str, Any]:
    return assert_problem(response, 409, rule=rule)


# ---- garbage -------------------------------------------------------------------

RAW_GARBAGE: list[bytes] = [
    b"", b"{", b"}", b"null", b"[]", b"[{}]", b'"text"', b"42", b"true", b'{"a":', b"\xff\xfe\x00",
    b"{'single': 'quotes'}", b"[" * 5000, b'{"a": ' * 2000, b"NaN", b'{"occurred_at": NaN}',
]

WEIRD_VALUES: list[Any] = [
    None, "", " ", "x" * 20_000, "\x00", "\u202e\U0001f600", -1, 0, 10**40, 1.5, 1e308, True, [], [None], {},
    {"$where": "1"}, "2026-13-45", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "1970-01-01",
]


def garbage_bodies(valid: dict[str, Any], fields: Iterable[str]) -> list[Any]:
    """Bodies near a valid one: each field missing, or swapped for each weird value; plus extras."""
    bodies: list[Any] = [None, [], [valid], "text", {**valid, "unexpected": 1}]
    for name in fields:
        bodies.append({k: v for k, v in valid.items() if k != name})
        bodies.extend({**valid, name: weird} for weird in WEIRD_VALUES)
    return bodies


def tolerant(client: TestClient) -> TestClient:
    """The same app, answering a server error with its 500 instead of raising it in the test."""
    return TestClient(client.app, raise_server_exceptions=False, headers=dict(client.headers))


def server_errors(client: TestClient, method: str, url: str, bodies: Iterable[Any],
                  raw: Iterable[bytes] = RAW_GARBAGE) -> list[tuple[str, int]]:
    """Send every body; answer those that got a 5xx, or a 4xx that is not problem+json."""
    client = tolerant(client)
    failures = []
    requests: list[tuple[str, dict[str, Any]]] = [(json.dumps(b)[:120], {"json": b}) for b in bodies]
    requests += [(repr(r[:40]), {"content": r, "headers": {"Content-Type": "application/json"}}) for r in raw]
    for shown, kwargs in requests:
        response = client.request(method, url, **kwargs)
        if response.status_code >= 500:
            failures.append((shown, response.status_code))
        elif response.status_code >= 400 and not response.headers["content-type"].startswith(PROBLEM):
            failures.append((shown, response.status_code))
    return failures


# ---- every route ---------------------------------------------------------------

Prepare = Callable[[TestClient, str], dict[str, str]]


def _nothing(client: TestClient, household_id: str) -> dict[str, str]:
    return {}


def _item(path: str, body: dict[str, Any], name: str) -> Prepare:
    def prepare(client: TestClient, household_id: str) -> dict[str, str]:
        return {name: write(client, household_id, path, body)["item_id"]}
    return prepare


def _the_check_in(client: TestClient, household_id: str) -> dict[str, str]:
    return {"check_in_id": next_check_in(client, household_id)["id"]}


def _closed(client: TestClient, household_id: str) -> dict[str, str]:
    write(client, household_id, "closure", {"reason_code": "goals_achieved"})
    return {}


a_member = _item("members", {"name": "Sanne Jansen", "role": "moeder"}, "member_id")
a_network_person = _item("network", {"name": "Henk de Buurman"}, "person_id")
a_goal = _item("goals", {"life_domain": "finances", "description": "Schulden in beeld"}, "goal_id")
an_agreement = _item("agreements", {"who": "Sanne", "what": "Belt de woningcorporatie"}, "agreement_id")
a_consent = _item("consents", {"given_by": "Sanne Jansen", "party": "GGZ Noord", "purpose": "Warme overdracht"},
                  "consent_id")
VOLUNTEER_HELP = {"support_level": "vrijwillig", "provider": "Schuldhulpmaatje"}


def consented(client: TestClient, household_id: str, party: str = "Schuldhulpmaatje") -> dict[str, str]:
    """The household's consent for `party`: support by an organisation outside the team needs it."""
    write(client, household_id, "consents", {"given_by": "Sanne Jansen", "party": party,
                                             "purpose": "Hulp met de administratie"})
    return {}


def an_intervention(client: TestClient, household_id: str) -> dict[str, str]:
    """Volunteer help by the Schuldhulpmaatje, with the household's consent."""
    consented(client, household_id)
    return {"intervention_id": write(client, household_id, "interventions", VOLUNTEER_HELP)["item_id"]}


def _an_account(client: TestClient) -> dict[str, str]:
    """anna's local account, with the demo password (for the login route)."""
    client.app.state.accounts.set_password("anna", "waakvlam-demo", "generalist", "Wijkteam Noord")
    return {}


def a_staff_member(client: TestClient) -> dict[str, str]:
    """A new generalist of Wijkteam Noord in the staff registry (registered by the demo's administrator)."""
    user_id = f"joost-{uuid4().hex[:8]}"
    client.app.state.households.register_staff(user_id, actor="admin", team="Wijkteam Noord",
                                               roles=("generalist",), reason="demo")
    return {"user_id": user_id}


def a_signal(client: TestClient, household_id: str) -> dict[str, str]:
    """A new signal in the inbox, reported by the client's user (for the signal routes)."""
    response = client.post("/api/signals", json={"source": "gp", "about_name": "Fam. Jansen",
                                                 "description": "Slaapt slecht, eet weinig"})
    assert response.status_code == 201, response.text
    return {"signal_id": response.json()["signal_id"]}


@dataclass(frozen=True)
class Route:
    """One route of the OpenAPI document, with a request that succeeds on a fresh household."""

    method: str
    path: str
    status: int = 200
    body: Callable[[], dict[str, Any]] | None = None
    prepare: Prepare = _nothing
    sub_id: str | None = None
    query: dict[str, Any] = field(default_factory=dict)
    public: bool = False  # needs no token: the calendar feed, whose secret address is its key
    token: str | None = None  # the demo token of whom the route is for, when not a care worker of the team

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def per_household(self) -> bool:
        return "{household_id}" in self.path

    def url(self, household_id: str | None, item_id: str = "abc123") -> str:
        """The URL on this household; a follow-up route gets `item_id` for the item it acts on."""
        return self.path.format(household_id=household_id, **({self.sub_id: item_id} if self.sub_id else {}))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _route(path: str, status: int, body: Callable[[], dict[str, Any]], prepare: Prepare = _nothing,
           token: str | None = None) -> Route:
    named = re.search(r"\{(\w+)\}", path)
    sub_id = named.group(1) if named else None
    return Route("POST", "/api/households/{household_id}" + path, status, body, prepare, sub_id, token=token)


def acting(client: TestClient, route: Route) -> TestClient:
    """The client of whom `route` is for: the test's own (a care worker of the team), or the route's token's."""
    if route.token is None:
        return client
    return TestClient(client.app, headers={"Authorization": f"Bearer {route.token}"})


ROUTES: list[Route] = [
    Route("POST", "/api/households", 201, lambda: {"label": "Fam. Jansen", "team": "Wijkteam Noord"}),
    Route("GET", "/api/households", 200),
    Route("GET", "/api/households/{household_id}", 200),
    Route("GET", "/api/households/{household_id}/plan", 200),
    Route("GET", "/api/integrity", 200, token="dev-dirk"),
    Route("GET", "/api/integrity/checkpoints", 200, token="dev-dirk"),
    Route("POST", "/api/integrity/checkpoints", 201, token="dev-dirk"),
    Route("GET", "/api/households/{household_id}/timeline", 200),
    Route("GET", "/api/households/{household_id}/history", 200),
    Route("GET", "/api/households/{household_id}/check-ins", 200),
    Route("GET", "/api/schedule", 200),
    Route("GET", "/api/teams/{team}/policy", 200, sub_id="team"),
    Route("PUT", "/api/teams/{team}/policy", 200, lambda: {"cadence": {"waakvlam": 56}, "remind_days_before": 2},
          sub_id="team"),
    Route("POST", "/api/signals", 201, lambda: {"source": "housing_corporation", "about_name": "Fam. Jansen",
                                                "description": "Huurachterstand", "urgency": "high"}),
    Route("GET", "/api/signals", 200),
    Route("GET", "/api/signals/{signal_id}", 200, prepare=a_signal, sub_id="signal_id"),
    Route("POST", "/api/signals/{signal_id}/triage", 200, lambda: {"action": "dismiss", "reason": "Al bekend"},
          a_signal, "signal_id"),
    Route("POST", "/api/signals/{signal_id}/erasure", 200, lambda: {"reason": "Verzoek van de melder (AVG art. 17)"},
          a_signal, "signal_id", token="dev-dirk"),  # the privacy officer's
    Route("GET", "/api/notifications", 200),
    Route("POST", "/api/notifications/read", 200),
    Route("POST", "/api/notifications/{notification_id}/read", 404, sub_id="notification_id"),  # none yet
    Route("POST", "/api/calendar", 201),
    Route("DELETE", "/api/calendar", 204),
    Route("GET", "/api/calendar/{secret}.ics", 404, sub_id="secret", public=True),  # no feed made yet
    Route("POST", "/api/login", 200, lambda: {"username": "anna", "password": "waakvlam-demo"},
          prepare=lambda client, _: _an_account(client), public=True),
    Route("POST", "/api/logout", 204, public=True),  # ends the session of the token sent, if any
    Route("GET", "/api/retention/reports", 200),
    Route("POST", "/api/retention/reports/{report_id}/confirmation", 404, sub_id="report_id"),  # none: 404
    Route("GET", "/api/households/{household_id}/access-log", 200),
    Route("GET", "/api/households/{household_id}/export", 200),
    Route("GET", "/api/households/{household_id}/export.html", 200),
    Route("GET", "/api/staff", 200),
    Route("POST", "/api/staff", 201, lambda: {"user_id": "fatima", "team": "Wijkteam Noord",
                                              "roles": ["coordinator"], "reason": "Nieuwe regisseur"}),
    Route("GET", "/api/staff/{user_id}", 200, prepare=lambda client, _: a_staff_member(client), sub_id="user_id"),
    Route("POST", "/api/staff/{user_id}/roles", 200, lambda: {"role": "coordinator", "reason": "Neemt regie over"},
          lambda client, _: a_staff_member(client), "user_id"),
    Route("POST", "/api/staff/{user_id}/revocations", 200, lambda: {"role": "generalist", "reason": "Andere functie"},
          lambda client, _: a_staff_member(client), "user_id"),
    Route("POST", "/api/staff/{user_id}/team", 200, lambda: {"team": "Wijkteam Zuid", "reason": "Overgeplaatst"},
          lambda client, _: a_staff_member(client), "user_id"),
    _route("/members", 201, lambda: {"name": "Sanne Jansen", "role": "moeder", "birth_year": 1987}),
    _route("/members/{member_id}/remove", 200, lambda: {"reason": "verhuisd"}, a_member),
    _route("/network", 201, lambda: {"name": "Henk de Buurman", "relation": "buurman", "notices_decline": True}),
    _route("/network/{person_id}/remove", 200, lambda: {"reason": "verhuisd"}, a_network_person),
    _route("/coordinator", 200, lambda: {"coordinator": "bram", "handover_note": "Kent het gezin"}),
    _route("/signals", 201, lambda: {"source": "woningcorporatie", "life_domains": ["housing"], "urgency": "high"}),
    _route("/contacts", 201, lambda: {"kind": "huisbezoek", "summary": "Post doorgenomen"}),
    _route("/assessments", 201, lambda: {"scores": {"finances": 2, "housing": 3}}),
    _route("/goals", 201, lambda: {"life_domain": "finances", "description": "Schulden in beeld"}),
    _route("/goals/{goal_id}/revise", 200, lambda: {"description": "Schuldregeling aangevraagd"}, a_goal),
    _route("/goals/{goal_id}/achieve", 200, lambda: {"note": "Budgetplan loopt"}, a_goal),
    _route("/goals/{goal_id}/drop", 200, lambda: {"reason": "Niet meer nodig"}, a_goal),
    _route("/agreements", 201, lambda: {"who": "Sanne", "what": "Belt de woningcorporatie",
                                        "due": days_from_today(7)}),
    _route("/agreements/{agreement_id}/complete", 200, lambda: {"note": "Geregeld"}, an_agreement),
    _route("/agreements/{agreement_id}/cancel", 200, lambda: {"reason": "Dubbel afgesproken"}, an_agreement),
    _route("/interventions", 201, lambda: dict(VOLUNTEER_HELP), consented),
    _route("/interventions/{intervention_id}/end", 200, lambda: {"outcome": "Administratie op orde"},
           an_intervention),
    _route("/escalations", 200, lambda: {"to_level": "intensief", "reason": "Dreigende huisuitzetting"}),
    _route("/de-escalations", 200, lambda: {"to_level": "waakvlam", "reason": "Het gaat goed"}),
    _route("/cadence", 200, lambda: {"cadence": {"waakvlam": 28}}),
    _route("/check-ins/{check_in_id}/complete", 201, lambda: {"kind": "telefonisch", "summary": "Gaat goed"},
           _the_check_in),
    _route("/check-ins/{check_in_id}/reschedule", 200, lambda: {"due": days_from_today(3), "reason": "Vakantie"},
           _the_check_in),
    _route("/check-ins/{check_in_id}/cancel", 200, lambda: {"reason": "Dubbel gepland"}, _the_check_in),
    _route("/signaleringsplan", 200, lambda: {"phases": {"oranje": {"signs": ["Post blijft liggen"],
                                                                    "actions": ["Buurman belt"]}}}),
    _route("/closure", 200, lambda: {"reason_code": "goals_achieved", "note": "Gezin redt het zelf"}),
    _route("/reopening", 200, lambda: {"reason": "Nieuw signaal van de huisarts"}, _closed),
    _route("/corrections", 201, lambda: {"target_version": 1, "changes": {"label": "Fam. Janssen"},
                                         "reason": "Tikfout"}),
    _route("/consents", 201, lambda: {"given_by": "Sanne Jansen", "party": "GGZ Noord",
                                      "purpose": "Warme overdracht", "until": days_from_today(365)}),
    _route("/consents/{consent_id}/withdraw", 200, lambda: {"reason": "Wil het zelf regelen"}, a_consent),
    _route("/erasure", 200, lambda: {"reason": "Verzoek van betrokkene (AVG art. 17)"}, token="dev-dirk"),
]

COMMANDS = [route for route in ROUTES if route.method == "POST" and route.per_household]
SUB_ITEM_COMMANDS = [route for route in COMMANDS if route.sub_id]


def request_for(client: TestClient, route: Route, team: str = "Wijkteam Noord") -> tuple[str, str, dict[str, Any]]:
    """A household of `team` ready for `route`: its id, and the route's URL and query for it. The plan is asked as
    of now (folded from the events, no projection needed), the team's own policy, a notification that does not
    exist."""
    household_id = register(client, team=team)
    ids = route.prepare(client, household_id)
    url = route.url(household_id, *ids.values())
    params = dict(route.query)
    if route.path.endswith("/plan"):
        params["as_of"] = datetime.now(UTC).isoformat()
    if route.sub_id == "team":
        url = route.url(household_id, team)
    if route.sub_id in ("notification_id", "report_id"):
        url = route.url(household_id, str(uuid4()))  # none yet: 404
    return household_id, url, params


def prepared(client: TestClient, route: Route, household_id: str | None = None) -> tuple[str, str]:
    """A household ready for `route`, and the route's URL for it."""
    household_id = household_id or register(client)
    ids = route.prepare(client, household_id)
    return household_id, route.url(household_id, *ids.values())
