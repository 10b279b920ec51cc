"""RFC 9457 problem+json for every error, and the mapping from domain errors.

Bad input is a 4xx that says what is wrong; a failing database is a 503 with
Retry-After; nothing else leaks (no stack traces, no submitted values).
"""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import Contention, InvalidInput, NotFound, RuleViolation, StaleVersion

PROBLEM = "application/problem+json"
log = structlog.get_logger("api")


def problem(status: int, title: str, detail: str, *, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


class CatchUpTimeout(Exception):
    """A read with ?after= waited for its view longer than allowed."""


class PositionNotStored(CatchUpTimeout):
    """A read with ?after= names a position no write has reached: never one the client was given (a page that
    waits shows itself unwaited, as for a timeout; the API answers 422)."""

    def __init__(self, position: int, head: int) -> None:
        super().__init__(f"after: no event is stored at position {position}")
        self.position, self.head = position, head


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # Name the fields and what is wrong; never echo the submitted values.
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in error.errors()]
        fields = ", ".join(e["field"] for e in errors)
        return problem(422, "Invalid request", f"invalid fields: {fields}", errors=errors)

    @app.exception_handler(InvalidInput)
    async def invalid_input(request: Request, error: InvalidInput) -> JSONResponse:
        return problem(422, "Invalid request", f"{error.field}: {error.detail}",
                       errors=[{"field": f"body.{error.field}", "message": error.detail}])

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(error))

    @app.exception_handler(RuleViolation)
    async def rule_violation(request: Request, error: RuleViolation) -> JSONResponse:
        return problem(409, "Rule violated", error.detail, rule=error.rule)

    @app.exception_handler(StaleVersion)
    async def stale(request: Request, error: StaleVersion) -> JSONResponse:
        return problem(412, "Precondition failed", f"{error}; reload and try again",
                       current_version=error.actual, headers={"ETag": f'"{error.actual}"'})

    @app.exception_handler(PositionNotStored)
    async def not_stored(request: Request, error: PositionNotStored) -> JSONResponse:
        return problem(422, "Invalid request", str(error), errors=[
            {"field": "query.after", "message": f"beyond the store's last position ({error.head})"}])

    @app.exception_handler(CatchUpTimeout)
    async def catch_up(request: Request, error: CatchUpTimeout) -> JSONResponse:
        return problem(503, "View not caught up", str(error), headers={"Retry-After": "1"})

    @app.exception_handler(Contention)
    async def contention(request: Request, error: Contention) -> JSONResponse:
        return problem(503, "Busy", "too many simultaneous writes on this household; try again",
                       headers={"Retry-After": "1"})

    # The library's errors, and psycopg's own from the code that connects directly (a pool that waited in
    # vain for a free connection raises PoolTimeout, an OperationalError): all 503, never 500.
    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(psycopg.OperationalError)
    @app.exception_handler(psycopg.InterfaceError)
    async def database_down(request: Request, error: Exception) -> JSONResponse:
        log.error("database.unavailable", error=type(error).__name__)
        return problem(503, "Service unavailable", "the database is not reachable; try again shortly",
                       headers={"Retry-After": "5"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, _title(error.status_code), str(error.detail), headers=error.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("request.failed", error=type(error).__name__)
        return problem(500, "Internal error", "something went wrong on our side; nothing was half-written")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
