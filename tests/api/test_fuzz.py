"""Schemathesis against the OpenAPI document, small enough for `make test` (issue 12, §6): every operation with
valid and with invalid requests, each as a demo user drawn from every role, and a few stateful sequences
along the links Schemathesis infers; no answer may be a 5xx. `make reliability` runs the large version
against the running service (reliability/fuzz.py)."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from waakvlam.demo_users import DEMO_USERS

pytestmark = pytest.mark.slow

TOKENS = [user.token for user in DEMO_USERS]
EXAMPLES = 5  # per operation and mode: about 20 s for every operation of the document on a shared machine
QUICK = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def test_no_request_any_role_sends_gets_a_server_error(client):
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    documented = sum(len(methods) for methods in client.get("/openapi.json").json()["paths"].values())
    assert len(operations) == documented, "every operation of the document is fuzzed"
    server_errors: list[str] = []
    sent = 0
    unsatisfiable: list[str] = []
    started = time.monotonic()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @QUICK
            @given(case=operation.as_strategy(mode), token=st.sampled_from(TOKENS))
            def one(case, token):
                nonlocal sent
                sent += 1
                response = case.call(headers={"Authorization": f"Bearer {token}"})
                if response.status_code >= 500:
                    server_errors.append(f"{operation.label} as {token} ({mode}): {response.status_code} "  # noqa: B023 (run in its loop turn)
                                         f"{case.as_curl_command()}")

            try:
                one()
            except Unsatisfiable:  # e.g. no invalid request exists for an operation without parameters
                unsatisfiable.append(f"{operation.label} ({mode})")
    print(f"{sent} requests on {len(operations)} operations in {time.monotonic() - started:.1f} s; "
          f"no {len(unsatisfiable)} operation-modes could be generated: {unsatisfiable}")
    assert all("NEGATIVE" in item or "negative" in item for item in unsatisfiable), unsatisfiable
    assert sent >= len(operations) * 2
    assert server_errors == [], "\n".join(server_errors[:20])
