"""Value types of the domain: the closed vocabularies and the cadence policy.

Enums are `StrEnum`s so that they are stored as their plain value in events and
compare equal to it after a round trip through the event store.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from domain.errors import InvalidInput, RuleViolation

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")
E = TypeVar("E", bound=StrEnum)


class LifeDomain(StrEnum):
    """The 13 life domains of the ZRM 2017 (leefgebieden)."""

    FINANCES = "finances"
    WORK_EDUCATION = "work_education"
    DAYTIME_ACTIVITIES = "daytime_activities"
    HOUSING = "housing"
    DOMESTIC_RELATIONS = "domestic_relations"
    MENTAL_HEALTH = "mental_health"
    PHYSICAL_HEALTH = "physical_health"
    SUBSTANCE_USE = "substance_use"
    BASIC_ADL = "basic_adl"
    INSTRUMENTAL_ADL = "instrumental_adl"
    SOCIAL_NETWORK = "social_network"
    COMMUNITY_PARTICIPATION = "community_participation"
    JUSTICE = "justice"


class Intensity(StrEnum):
    """How intensely a household is supported; ordered waakvlam < ... < crisis."""

    WAAKVLAM = "waakvlam"
    LICHT = "licht"
    INTENSIEF = "intensief"
    CRISIS = "crisis"

    @property
    def rank(self) -> int:
        return _INTENSITY_ORDER.index(self)


_INTENSITY_ORDER = [Intensity.WAAKVLAM, Intensity.LICHT, Intensity.INTENSIEF, Intensity.CRISIS]


class ContactKind(StrEnum):
    KEUKENTAFELGESPREK = "keukentafelgesprek"
    HUISBEZOEK = "huisbezoek"
    TELEFONISCH = "telefonisch"
    EROPAF = "eropaf"
    OVERLEG = "overleg"
    DIGITAAL = "digitaal"


class SupportLevel(StrEnum):
    """The support ladder, from what the household can do itself to specialist care."""

    EIGEN_KRACHT = "eigen_kracht"
    NETWERK = "netwerk"
    VRIJWILLIG = "vrijwillig"
    COLLECTIEF = "collectief"
    EERSTELIJNS = "eerstelijns"
    SPECIALISTISCH = "specialistisch"


# The support that passes the household's data to an organisation outside the team: a volunteer
# organisation, first-line care or specialist care. Eigen kracht and netwerk involve no organisation;
# collectief is a general facility open to anyone, joined without a referral, so nothing is passed on.
SHARED_OUTSIDE_THE_TEAM = frozenset({SupportLevel.VRIJWILLIG, SupportLevel.EERSTELIJNS, SupportLevel.SPECIALISTISCH})


def shares_outside_the_team(level: SupportLevel, provider: str) -> bool:
    """Whether an intervention at `level` by `provider` shares the household's data outside the team.

    Only with a named provider: volunteer help without one (a neighbour who volunteers, arranged by the
    household itself) passes nothing to any organisation, so there is no party to consent to and it is
    not refused. Formal care (eerstelijns, specialistisch) must name its provider anyway."""
    return level in SHARED_OUTSIDE_THE_TEAM and bool(provider.strip())


class Phase(StrEnum):
    """Phases of the signaleringsplan."""

    GROEN = "groen"
    ORANJE = "oranje"
    ROOD = "rood"


class ClosureReason(StrEnum):
    GOALS_ACHIEVED = "goals_achieved"  # doelen bereikt
    HANDED_OVER = "handed_over"  # overgedragen aan andere organisatie
    MOVED = "moved"  # verhuisd buiten het werkgebied
    DECLINED = "declined"  # huishouden wil geen ondersteuning meer
    NO_CONTACT = "no_contact"  # geen contact meer mogelijk
    DECEASED = "deceased"  # overleden
    REGISTERED_IN_ERROR = "registered_in_error"  # ten onrechte geregistreerd


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    ACUTE = "acute"


ASSESSMENT_INSTRUMENT = "zrm-2017"
MIN_SCORE, MAX_SCORE = 1, 5

# Days between check-ins per intensity, and the bounds a household's own
# cadence must stay within (a crisis check-in a month away is no crisis care;
# a pilot light checked every day is not a pilot light).
DEFAULT_CADENCE: dict[str, int] = {
    Intensity.CRISIS: 2,
    Intensity.INTENSIEF: 7,
    Intensity.LICHT: 14,
    Intensity.WAAKVLAM: 42,
}
CADENCE_BOUNDS: dict[str, tuple[int, int]] = {
    Intensity.CRISIS: (1, 7),
    Intensity.INTENSIEF: (2, 21),
    Intensity.LICHT: (7, 42),
    Intensity.WAAKVLAM: (14, 182),
}

# Clock skew tolerated between a field device and the server.
FUTURE_TOLERANCE = timedelta(minutes=5)


def choice(kind: type[E], value: object, field: str) -> E:
    """`value` as a member of the closed vocabulary `kind`, or InvalidInput naming the field."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(field, f"must be one of: {allowed}") from None


def validate_cadence(overrides: dict[str, int]) -> dict[str, int]:
    """Check a household's own cadence against the bounds; return it normalised."""
    checked: dict[str, int] = {}
    for level, days in overrides.items():
        try:
            intensity = Intensity(level)
        except ValueError:
            raise RuleViolation("cadence is set per intensity", f"unknown intensity {level!r}") from None
        low, high = CADENCE_BOUNDS[intensity]
        if not isinstance(days, int) or not low <= days <= high:
            raise RuleViolation(
                "a cadence stays within sane bounds",
                f"cadence for {intensity} must be between {low} and {high} days, got {days}",
            )
        checked[str(intensity)] = days
    return checked


def cadence_days(intensity: str, overrides: dict[str, int], team: dict[str, int] | None = None) -> int:
    """Days between check-ins: the household's own cadence, else its team's, else the default."""
    level = str(intensity)
    return overrides.get(level) or (team or {}).get(level) or DEFAULT_CADENCE[intensity]


def local_date(moment: datetime) -> date:
    """The calendar date in the Netherlands at a moment (DST-safe)."""
    return moment.astimezone(LOCAL_TZ).date()


def next_due(after: datetime, intensity: str, overrides: dict[str, int], team: dict[str, int] | None = None) -> date:
    return local_date(after) + timedelta(days=cadence_days(intensity, overrides, team))
