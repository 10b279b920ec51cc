"""What the routes share in the OpenAPI document: the problem+json answers, by status.

Each route declares the statuses it can answer, and only those (tests/api/test_openapi.py): `problems(401, 403,
422, 503)`, with a description of its own where the shared one is not precise (`described={404: "..."}`). Every
problem is `application/problem+json` with the `Problem` schema, whatever the route's own media type (the HTML
export, the calendar feed, the JSON lines of the history)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details: what went wrong, never the values that were sent."""

    type: str = Field("about:blank", description="Always `about:blank`: the status says what kind of problem.")
    title: str = Field(description="The status in words, e.g. `Rule violated`.")
    status: int = Field(description="The HTTP status, repeated.")
    detail: str = Field(description="What is wrong, for a person (English).")
    rule: str | None = Field(None, description="409: the rule the command would break.")
    errors: list[dict[str, str]] | None = Field(
        None, description="422: one `{field, message}` per invalid field, e.g. `body.occurred_at`.")
    current_version: int | None = Field(None, description="412: the current version (also the answer's `ETag`).")


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": 'The challenge: `Bearer realm="waakvlam"`, with `error="invalid_token"` '
                                              "and a description for a token that was sent.",
                               "schema": {"type": "string"}}},
    412: {"ETag": {"description": "The current version.", "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}

DESCRIPTIONS: dict[int, str] = {
    400: 'If-Match is not an ETag of this service (such as `"7"`)',
    401: "No bearer token, or one that is not valid here",
    403: "Not allowed: a partner account (it only reports signals and follows its own reports), a role without "
         "access to this, or a household of another team without emergency access (`X-Emergency-Access`)",
    404: "Unknown household",
    409: "The command would break a rule; `rule` says which",
    412: "If-Match does not match the current version",
    413: "The request body is larger than this server accepts",
    422: "Invalid request; `errors` names the fields",
    429: "Too many attempts; see Retry-After",
    503: "Database unavailable, or the view did not catch up with `after` in time; see Retry-After",
}


def problem(description: str, status: int | None = None) -> dict[str, Any]:
    """One problem+json answer of the OpenAPI document (`status` adds the headers it carries)."""
    response: dict[str, Any] = {"description": description,
                                "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    if status in _HEADERS:
        response["headers"] = _HEADERS[status]
    return response


def problems(*statuses: int, described: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The problem answers of a route: these statuses with the shared descriptions, and `described`'s own."""
    described = described or {}
    return {status: problem(described.get(status, DESCRIPTIONS[status]), status)
            for status in sorted({*statuses, *described})}


def forbidden(description: str) -> dict[str, Any]:
    return problem(description, 403)


# A read of one household (or of something on it).
READ_RESPONSES = problems(401, 403, 404, 422, 503)
# A list (caseload, schedule): no household in the path, so no 404.
LIST_RESPONSES = problems(401, 403, 422, 503, described={
    403: "A partner account, or another team's list (ask for your own team)"})
# A command on one household: CommandDep (If-Match, Idempotency-Key) and a body.
COMMAND_RESPONSES = problems(400, 401, 403, 404, 409, 412, 413, 422, 503, described={
    404: "Unknown household, or unknown item in it",
    412: "If-Match does not match the household's current version"})
