"""Errors the domain raises; the API maps each to one HTTP status."""


class DomainError(Exception):
    """Base class for every error raised by the domain."""


class RuleViolation(DomainError):
    """A command would break a rule of the domain (HTTP 409).

    `rule` names the rule in words, so a user can see what was refused and why.
    """

    def __init__(self, rule: str, detail: str | None = None) -> None:
        super().__init__(detail or rule)
        self.rule = rule
        self.detail = detail or rule


class NotFound(DomainError):
    """A household, or an item inside one, does not exist (HTTP 404)."""


class StaleVersion(DomainError):
    """The caller's expected version is not the current version (HTTP 412)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, household is at version {actual}")
        self.expected = expected
        self.actual = actual


class DuplicateRequest(DomainError):
    """An idempotency key was already used: the first answer stands."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class InvalidInput(DomainError):
    """A value is not of the form the domain accepts (HTTP 422)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class Contention(DomainError):
    """A household stayed too busy to save after many attempts (HTTP 503)."""
