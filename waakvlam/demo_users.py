"""The demo's users, in one place: who they are, their role and team, their bearer token and password.

Everything that names them is made from this list: the demo tokens (api/auth.py), the local accounts
(waakvlam/accounts.py), the OpenAPI document's description and Authorize dialog (api/main.py, api/docs.py),
the block `waakvlam run` prints at start-up, and the README's table (tests/test_readme.py checks that the
README shows exactly `markdown_table()`)."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "waakvlam-demo"
NOORD, ZUID, CENTRUM = "Wijkteam Noord", "Wijkteam Zuid", "Wijkteam Centrum"


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    team: str | None
    shows: str  # what a demo does with this user, in a few words

    @property
    def token(self) -> str:
        return f"dev-{self.name}"

    @property
    def role_words(self) -> str:
        return self.role.replace("_", " ")


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("anna", "generalist", NOORD, "records contacts and signals for her team's households"),
    DemoUser("bram", "coordinator", NOORD, "coordinates households: his caseload, plans and check-ins"),
    DemoUser("carla", "team_lead", NOORD, "leads Noord: the team's caseload and policy"),
    DemoUser("dirk", "privacy_officer", None, "history, access log, export and erasure; never the file itself"),
    # The partners (waakvlam/demo.py PARTNERS): one account per kind, with the team of its neighbourhood. A
    # partner reports signals and follows its own reports, nothing else (403).
    DemoUser("petra", "partner", None, "a housing corporation, for the whole municipality"),
    DemoUser("hanna", "partner", CENTRUM, "home care"),
    DemoUser("sofie", "partner", NOORD, "a school"),
    DemoUser("gijs", "partner", ZUID, "a GP practice"),
    DemoUser("wouter", "partner", NOORD, "the wijkagent (police)"),
    # Who may see what (tests/api/test_authorisation.py): an administrator, and people of another team.
    DemoUser("admin", "administrator", None, "the staff registry; no household data"),
    DemoUser("kees", "generalist", ZUID, "another team: Noord's households only by emergency access"),
    DemoUser("ruben", "coordinator", ZUID, "coordinates households of Zuid"),
    DemoUser("ingrid", "team_lead", ZUID, "leads Zuid"),
)
BY_NAME = {user.name: user for user in DEMO_USERS}


def markdown_table() -> str:
    """The README's table of demo users."""
    rows = ["| user | role | team | bearer token | password | shows |", "|---|---|---|---|---|---|"]
    rows += [f"| {u.name} | {u.role_words} | {u.team or '(all teams)'} | `{u.token}` | `{DEMO_PASSWORD}` | {u.shows} |"
             for u in DEMO_USERS]
    return "\n".join(rows)


def markdown_list() -> str:
    """The same, as the OpenAPI description's list (Swagger UI renders it as Markdown)."""
    return "\n".join(f"- `{u.token}`: {u.name}, {u.role_words}{f' ({u.team})' if u.team else ''}: {u.shows}"
                     for u in DEMO_USERS)
