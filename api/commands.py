"""Running a command for a request: the actor, If-Match, Idempotency-Key, and
an answer with the new version as ETag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse

from api.auth import Principal
from api.problems import problem
from domain.application import Households, Idempotency, Outcome, SignalOutcome
from domain.errors import DuplicateRequest


class CommandRunner:
    def __init__(self, households: Households, principal: Principal, idempotency_key: str | None,
                 fingerprint: str, expected_version: int | None) -> None:
        self.households = households
        self.principal = principal
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.expected_version = expected_version

    def run(self, command: Callable[..., Outcome | SignalOutcome], *, created: bool = False,
            versioned: bool = True) -> JSONResponse:
        """Call `command(actor=..., [expected_version=...], [idempotency=...])` and answer."""
        status = 201 if created else 200
        if self.idempotency_key is not None:
            stored = self._stored()
            if stored is not None:
                return self._replay(stored, status)
        context: dict[str, Any] = {"actor": self.principal.user_id}
        if versioned and self.expected_version is not None:
            context["expected_version"] = self.expected_version
        if self.idempotency_key is not None:
            context["idempotency"] = Idempotency(self.idempotency_key, self.principal.user_id, self.fingerprint)
        try:
            outcome = command(**context)
        except DuplicateRequest:
            # A concurrent attempt with the same key committed first.
            stored = self._stored()
            assert stored is not None
            return self._replay(stored, status)
        return self._answer(outcome.as_dict(), status)

    def _stored(self) -> tuple[str, dict[str, Any]] | None:
        assert self.idempotency_key is not None
        return self.households.recorder.find_idempotency_key(self.principal.user_id, self.idempotency_key)

    def _replay(self, stored: tuple[str, dict[str, Any]], status: int) -> JSONResponse:
        fingerprint, outcome = stored
        if fingerprint != self.fingerprint:
            return problem(422, "Idempotency-Key reused",
                           "this Idempotency-Key was already used for a different request; use a new key")
        response = self._answer(outcome, status)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    @staticmethod
    def _answer(outcome: dict[str, Any], status: int) -> JSONResponse:
        return JSONResponse(outcome, status_code=status, headers={"ETag": f'"{outcome["version"]}"'})
