"""What every household command route shares in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    rule: str | None = None
    errors: list[dict[str, str]] | None = None


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description,
            "content": {"application/problem+json": {}}}


def forbidden(description: str) -> dict[str, Any]:
    return _problem(description)


READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem("No or an invalid bearer token"),
    403: _problem("A partner account: it may only report signals and follow its own reports"),
    404: _problem("Unknown household"),
    422: _problem("Invalid query parameters"),
    503: _problem("Database unavailable, or the view did not catch up with `after` in time"),
}

COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    **READ_RESPONSES,
    404: _problem("Unknown household, or unknown item in it"),
    409: _problem("The command would break a rule; `rule` says which"),
    412: _problem("If-Match does not match the household's current version"),
    422: _problem("Invalid body; `errors` names the fields"),
}
