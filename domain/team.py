"""A wijkteam's own policy: the cadence of check-ins per intensity, when
reminders go out, how a partner's signal brings a check-in forward, who leads
the team and where its people receive mail.

A team is an aggregate too, so every change of policy is an event with who made
it and when. A team without events has the default policy. Households keep
their own cadence overrides (bounds enforced); the team's cadence applies where
a household has none.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, RuleViolation
from domain.values import DEFAULT_CADENCE, Intensity, Urgency, choice, validate_cadence

# How soon a check-in comes after a partner's signal on a household at waakvlam or licht.
DEFAULT_SIGNAL_CHECK_IN_DAYS: dict[str, int] = {
    Urgency.ACUTE: 1, Urgency.HIGH: 3, Urgency.NORMAL: 7, Urgency.LOW: 14,
}
SIGNAL_LEVELS = (Intensity.WAAKVLAM, Intensity.LICHT)  # where a signal brings the check-in forward
MAX_REMIND_DAYS_BEFORE = 30
MAX_OVERDUE_DAYS = 90
MAX_SIGNAL_DAYS = 42
# How long a signal that led to nothing (dismissed, or never triaged) is kept before it is shredded
# (workers/retention.py): not the 15 years of a household's file, which it never became.
DEFAULT_SIGNAL_RETENTION_MONTHS = 6
MAX_SIGNAL_RETENTION_MONTHS = 60


@dataclass(frozen=True)
class TeamPolicy:
    cadence: dict[str, int] = field(default_factory=lambda: {str(k): v for k, v in DEFAULT_CADENCE.items()})
    remind_days_before: int = 3  # N: the coordinator hears of a check-in this many days before it is due
    overdue_days: int = 7  # M: when a check-in is this many days overdue, the team lead hears of it too
    signal_check_in_days: dict[str, int] = field(
        default_factory=lambda: {str(k): v for k, v in DEFAULT_SIGNAL_CHECK_IN_DAYS.items()})
    team_lead: str | None = None
    addresses: dict[str, str] = field(default_factory=dict)  # user -> e-mail address
    signal_retention_months: int = DEFAULT_SIGNAL_RETENTION_MONTHS  # a dismissed or never-linked signal's term

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def address_of(self, user: str, default_domain: str) -> str:
        return self.addresses.get(user) or f"{user}@{default_domain}"


def team_id(name: str) -> UUID:
    """A team's aggregate id, derived from its name: one team, one policy."""
    return uuid5(NAMESPACE_URL, f"waakvlam:team:{name.strip()}")


def checked_policy(**fields: Any) -> TeamPolicy:
    """A TeamPolicy from user input; a complete cadence, all bounds checked."""
    cadence = {str(k): v for k, v in DEFAULT_CADENCE.items()}
    cadence.update(validate_cadence(fields.get("cadence") or {}))
    remind = fields.get("remind_days_before", 3)
    overdue = fields.get("overdue_days", 7)
    if not isinstance(remind, int) or not 0 <= remind <= MAX_REMIND_DAYS_BEFORE:
        raise RuleViolation("reminders stay within sane bounds",
                            f"remind_days_before must be between 0 and {MAX_REMIND_DAYS_BEFORE}, got {remind}")
    if not isinstance(overdue, int) or not 0 <= overdue <= MAX_OVERDUE_DAYS:
        raise RuleViolation("reminders stay within sane bounds",
                            f"overdue_days must be between 0 and {MAX_OVERDUE_DAYS}, got {overdue}")
    signal_days = {str(k): v for k, v in DEFAULT_SIGNAL_CHECK_IN_DAYS.items()}
    for urgency, days in (fields.get("signal_check_in_days") or {}).items():
        key = str(choice(Urgency, urgency, "signal_check_in_days"))
        if days is not None and (not isinstance(days, int) or not 0 <= days <= MAX_SIGNAL_DAYS):
            raise RuleViolation("a signal brings a check-in forward by sane bounds",
                                f"signal_check_in_days for {key} must be between 0 and {MAX_SIGNAL_DAYS} or null")
        if days is None:
            signal_days.pop(key, None)  # this urgency does not move the check-in
        else:
            signal_days[key] = days
    addresses = dict(fields.get("addresses") or {})
    for user, address in addresses.items():
        if not isinstance(address, str) or "@" not in address or address.strip() != address or "\n" in address:
            raise InvalidInput(f"addresses.{user}", "must be an e-mail address")
    lead = fields.get("team_lead")
    months = fields.get("signal_retention_months", DEFAULT_SIGNAL_RETENTION_MONTHS)
    if months is None:
        months = DEFAULT_SIGNAL_RETENTION_MONTHS
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_SIGNAL_RETENTION_MONTHS:
        raise RuleViolation("a signal that led to nothing is kept for a bounded time",
                            f"signal_retention_months must be between 1 and {MAX_SIGNAL_RETENTION_MONTHS},"
                            f" got {months}")
    return TeamPolicy(cadence=cadence, remind_days_before=remind, overdue_days=overdue,
                      signal_check_in_days=signal_days, team_lead=lead.strip() if lead else None,
                      addresses=addresses, signal_retention_months=months)


class Team(Aggregate):
    @classmethod
    def found(cls, name: str, *, actor: str, occurred_at: datetime) -> Team:
        if not name.strip():
            raise RuleViolation("a team has a name")
        return cls(actor=actor, occurred_at=occurred_at, name=name.strip())

    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return team_id(name)

    @event("TeamFounded")
    def __init__(self, *, actor: str, occurred_at: datetime, name: str) -> None:
        self.name = name
        self.policy = TeamPolicy()

    def set_policy(self, policy: TeamPolicy, *, actor: str, occurred_at: datetime) -> None:
        self._policy_set(actor=actor, occurred_at=occurred_at, **policy.as_dict())

    @event("TeamPolicySet")
    def _policy_set(self, *, actor: str, occurred_at: datetime, cadence: dict[str, int], remind_days_before: int,
                    overdue_days: int, signal_check_in_days: dict[str, int], team_lead: str | None,
                    addresses: dict[str, str],
                    signal_retention_months: int = DEFAULT_SIGNAL_RETENTION_MONTHS) -> None:
        # A policy set before signals had a retention term has none in its event: the default applies.
        self.policy = TeamPolicy(cadence=cadence, remind_days_before=remind_days_before, overdue_days=overdue_days,
                                 signal_check_in_days=signal_check_in_days, team_lead=team_lead,
                                 addresses=addresses, signal_retention_months=signal_retention_months)
