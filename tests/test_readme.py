"""The README keeps its promises (issue 10, item 3): one list of demo users, the same in the README, the OpenAPI
document and the demo's accounts and tokens; no link that leads outside the repository. (Its shell examples run
against a real `make run` in tests/integration/test_default_start.py.)"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.auth import DEMO_TOKENS
from api.main import create_app
from tests.conftest import TEST_KEK
from waakvlam.accounts import DEMO_USERS as ACCOUNTS
from waakvlam.demo_users import DEMO_PASSWORD, DEMO_USERS, markdown_table
from waakvlam.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_shows_the_demo_users_as_the_code_has_them():
    text = README.read_text()
    between = re.search(r"<!-- demo users:.*?-->\n(.*?)\n<!-- end of demo users -->", text, re.S)
    assert between, "the README's demo users table is marked by its two comments"
    assert between.group(1) == markdown_table(), "regenerate it: python -c 'from waakvlam.demo_users import " \
                                                 "markdown_table; print(markdown_table())'"


def test_every_demo_user_has_its_token_and_account_with_the_same_role_and_team():
    assert {user.token: (user.name, user.role, user.team) for user in DEMO_USERS} == {
        token: (p.user_id, p.role, p.team) for token, p in DEMO_TOKENS.items()}
    assert {user.name: (user.role, user.team) for user in DEMO_USERS} == ACCOUNTS


def test_the_openapi_document_names_every_demo_user_and_their_password():
    settings = Settings(_env_file=None, WAAKVLAM_DEMO=True, WAAKVLAM_KEK=TEST_KEK)
    document = TestClient(create_app(settings)).get("/openapi.json").json()
    description = document["info"]["description"]
    authorize = document["components"]["securitySchemes"]["bearer"]["description"]
    assert DEMO_PASSWORD in description
    for user in DEMO_USERS:
        assert f"`{user.token}`: {user.name}, {user.role_words}" in description, user
        assert f"`{user.token}` ({user.name}" in authorize, user
    # No other list of tokens: every `dev-...` the description names is one of these.
    assert set(re.findall(r"`(dev-\w+)`", description)) == {user.token for user in DEMO_USERS}


def test_no_link_of_the_readme_or_the_docs_leads_outside_the_repository():
    for document in DOCS:
        for target in LINK.findall(document.read_text()):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            path = (document.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(ROOT), f"{document.name} links to {target}, outside the repository"
            assert path.exists(), f"{document.name} links to {target}, which does not exist"


def test_the_architecture_is_documented_in_the_repository():
    assert (ROOT / "docs" / "architecture.md").exists()
    assert "(docs/architecture.md)" in README.read_text()
