"""Local accounts on the real database: argon2 hashes, sessions stored hashed with an
expiry, and a login rate limit that several API processes share."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from argon2 import PasswordHasher

from tests.conftest import in_threads
from waakvlam.accounts import DEMO_PASSWORD, Accounts, LoginRefused, TooManyAttempts
from waakvlam.cli import _ensure_demo_accounts

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # the production default is much slower


@pytest.fixture
def accounts(env: dict[str, str]) -> Iterator[Accounts]:
    found = Accounts(env, hasher=FAST)
    yield found
    found.close()


def rows(database_url: str, schema: str, table: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(f'SELECT * FROM "{schema}".{table}').fetchall()


def test_an_account_logs_in_and_its_session_lasts_until_logout(accounts):
    accounts.set_password("sanne", "lang-en-geheim", "coordinator", "Wijkteam Centrum")
    session = accounts.login("sanne", "lang-en-geheim", "10.0.0.1")
    assert session.token.startswith("wvs_") and len(session.token) > 40
    assert session.expires_at - datetime.now(UTC) > timedelta(hours=9)
    account = accounts.session(session.token)
    assert (account.username, account.role, account.team) == ("sanne", "coordinator", "Wijkteam Centrum")
    assert accounts.logout(session.token) is True
    assert accounts.session(session.token) is None
    assert accounts.logout(session.token) is False


def test_passwords_tokens_and_attempts_are_stored_only_hashed_in_the_configured_schema(accounts, database_url,
                                                                                         schema):
    accounts.set_password("sanne", "lang-en-geheim", "coordinator")
    session = accounts.login("sanne", "lang-en-geheim", "10.0.0.1")
    with pytest.raises(LoginRefused):
        accounts.login("lang-en-geheim", "sanne", "10.0.0.1")  # user name and password swapped
    stored = repr(rows(database_url, schema, "accounts") + rows(database_url, schema, "account_sessions")
                  + rows(database_url, schema, "login_failures"))
    assert rows(database_url, schema, "accounts")[0][1].startswith("$argon2id$")
    for secret in ("lang-en-geheim", session.token, "10.0.0.1"):
        assert secret not in stored


def test_an_expired_session_is_over(env, accounts):
    accounts.set_password("sanne", "lang-en-geheim", "coordinator")
    brief = Accounts(env, session_hours=1 / 3600 / 10, hasher=FAST)  # a tenth of a second
    try:
        session = brief.login("sanne", "lang-en-geheim", "10.0.0.1")
        time.sleep(0.3)
        assert brief.session(session.token) is None
    finally:
        brief.close()


def test_a_session_read_lately_is_remembered_briefly_and_never_past_its_end(env, database_url, schema):
    # Every page asks for its session; a process answers from what it read within the recheck interval.
    here = Accounts(env, hasher=FAST, session_recheck=0.5, session_hours=1)
    elsewhere = Accounts(env, hasher=FAST)  # another API process (or the CLI)
    try:
        here.set_password("sanne", "lang-en-geheim", "coordinator")
        ended_here = here.login("sanne", "lang-en-geheim", None)
        ended_elsewhere = here.login("sanne", "lang-en-geheim", None)
        for session in (ended_here, ended_elsewhere):
            assert here.session(session.token).username == "sanne"
        # A logout in this process ends the session at once.
        assert here.logout(ended_here.token) is True
        assert here.session(ended_here.token) is None
        # A logout in another process: the remembered session holds until the recheck, then it is over.
        assert elsewhere.logout(ended_elsewhere.token) is True
        assert here.session(ended_elsewhere.token) is not None
        time.sleep(0.6)
        assert here.session(ended_elsewhere.token) is None
        # A session whose time is up is over at once, remembered or not.
        brief = Accounts(env, hasher=FAST, session_recheck=60, session_hours=1 / 3600)  # one second
        short = brief.login("sanne", "lang-en-geheim", None)
        assert brief.session(short.token) is not None
        time.sleep(max(0.0, (short.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
        assert brief.session(short.token) is None
        brief.close()
        # A new password or role is read again: the role comes from the account, not what was remembered.
        kept = here.login("sanne", "lang-en-geheim", None)
        assert here.session(kept.token).role == "coordinator"
        here.set_password("sanne", "nieuw-en-geheim", "team_lead")
        assert here.session(kept.token).role == "team_lead"
    finally:
        here.close()
        elsewhere.close()


def test_an_unknown_token_is_no_session(accounts):
    assert accounts.session("wvs_nonsense") is None
    assert accounts.session("dev-anna") is None


def test_the_limit_is_shared_by_every_process(env):
    one, two = (Accounts(env, hasher=FAST, max_failures=3) for _ in range(2))
    try:
        one.set_password("sanne", "lang-en-geheim", "coordinator")
        for accounts in (one, two, one):
            with pytest.raises(LoginRefused):
                accounts.login("sanne", "raden", "10.0.0.1")
        with pytest.raises(TooManyAttempts) as limited:
            two.login("sanne", "lang-en-geheim", "10.0.0.2")
        assert 1 <= limited.value.retry_after <= 901
    finally:
        one.close()
        two.close()


def test_simultaneous_guesses_cannot_slip_past_the_limit(env):
    accounts = Accounts(env, hasher=FAST, max_failures=5)
    try:
        accounts.set_password("sanne", "lang-en-geheim", "coordinator")

        def guess(i: int) -> str:
            try:
                accounts.login("sanne", f"raden-{i}", f"10.0.0.{i}")
            except TooManyAttempts:
                return "limited"
            except LoginRefused:
                return "refused"
            return "in"

        outcomes = in_threads(12, guess)
        assert outcomes.count("refused") == 5 and outcomes.count("limited") == 7
    finally:
        accounts.close()


def test_the_window_passes(env):
    accounts = Accounts(env, hasher=FAST, max_failures=2, window_seconds=1)
    try:
        accounts.set_password("sanne", "lang-en-geheim", "coordinator")
        for _ in range(2):
            with pytest.raises(LoginRefused):
                accounts.login("sanne", "raden", "10.0.0.1")
        with pytest.raises(TooManyAttempts):
            accounts.login("sanne", "lang-en-geheim", "10.0.0.1")
        time.sleep(1.2)
        assert accounts.login("sanne", "lang-en-geheim", "10.0.0.1").account.username == "sanne"
    finally:
        accounts.close()


def test_the_user_name_is_matched_case_insensitively_for_the_limit_only(accounts):
    accounts.set_password("sanne", "lang-en-geheim", "coordinator")
    with pytest.raises(LoginRefused):
        accounts.login("SANNE", "lang-en-geheim", "10.0.0.1")  # accounts are exact


def test_the_demo_accounts_are_made_once_and_then_left_alone(env, accounts):
    _ensure_demo_accounts(env)
    assert accounts.login("anna", DEMO_PASSWORD, "10.0.0.1").account.role == "generalist"
    assert accounts.login("carla", DEMO_PASSWORD, "10.0.0.1").account.team == "Wijkteam Noord"
    accounts.set_password("anna", "een-eigen-wachtwoord", "generalist", "Wijkteam Noord")
    _ensure_demo_accounts(env)  # a second start
    with pytest.raises(LoginRefused):
        accounts.login("anna", DEMO_PASSWORD, "10.0.0.1")
    assert accounts.login("anna", "een-eigen-wachtwoord", "10.0.0.1").account.username == "anna"
