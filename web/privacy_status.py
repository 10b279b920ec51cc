"""What the privacy officer watches (issue 11 §2.1, §2.10), read by the same code as the API and the CLI: the
emergency accesses to review (their `emergency_access` notifications, api/emergency.py; reviewed = read), the
integrity of the hash chains (waakvlam/integrity.py and waakvlam/access_log.py, as `GET /api/integrity`) and the
retention report (workers/retention.py, as `waakvlam retention`). The last two read the whole store, so their
answer is kept for a few minutes (Mijn werk shows it on every visit); the privacy page can check again."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from api.auth import Principal
from api.authz import record_listed
from api.emergency import EMERGENCY_ACCESS
from domain.application import Households
from domain.errors import NotFound
from projections.notifications import Notification
from waakvlam import checkpoints
from workers import retention

KEPT_SECONDS = 300.0
SCAN = 200  # unread notifications looked through for the emergency accesses


@dataclass(frozen=True)
class Integrity:
    ok: bool
    events: Any  # waakvlam.integrity.IntegrityResult
    access_log: Any  # waakvlam.access_log.VerifyResult
    at: datetime
    checkpoint: Any = None  # the last signed checkpoint the check started from (waakvlam/checkpoints.py)


_kept: weakref.WeakKeyDictionary[Households, dict[str, tuple[float, Any]]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cached(households: Households, name: str, make: Any, fresh: bool) -> Any:
    with _lock:
        found = _kept.setdefault(households, {}).get(name)
    if found is not None and not fresh and found[0] > time.monotonic():
        return found[1]
    value = make()
    with _lock:
        _kept[households][name] = (time.monotonic() + KEPT_SECONDS, value)
    return value


def last_integrity(households: Households) -> Integrity | None:
    """The integrity as last checked (within KEPT_SECONDS), without checking: None when not checked lately."""
    with _lock:
        found = _kept.get(households, {}).get("integrity")
    return found[1] if found is not None and found[0] > time.monotonic() else None


def integrity(households: Households, settings: Any, fresh: bool = False) -> Integrity:
    def check() -> Integrity:
        datastore = households.recorder.datastore  # type: ignore[attr-defined]
        with datastore.get_connection() as conn:  # since the last signed checkpoint (waakvlam/checkpoints.py)
            events, log, last = checkpoints.verify_history(conn, datastore.schema, settings)
        return Integrity(events.ok and log.ok, events, log, datetime.now(UTC), last)

    return _cached(households, "integrity", check, fresh)


def forget_integrity(households: Households) -> None:
    """After a new checkpoint: the next look checks afresh."""
    with _lock:
        _kept.get(households, {}).pop("integrity", None)


def retention_due(households: Households, fresh: bool = False) -> list[retention.Expired]:
    return _cached(households, "retention", lambda: retention.due(households), fresh)


def retention_erased(households: Households) -> None:
    """After a confirmed erasure: the live retention report is read afresh on the next visit."""
    with _lock:
        _kept.get(households, {}).pop("retention", None)


def last_report(request: Request) -> Any:
    """The latest daily retention report the reminder worker stored (workers/retention_job.py), or None."""
    from api.routers.retention import latest

    return latest(request)


def emergencies(notifications: Any, officer: str) -> list[Notification]:
    """The officer's emergency accesses not yet reviewed (unread), newest first."""
    found, _ = notifications.page(officer, unread=True, limit=SCAN)
    return [n for n in found if n.kind == EMERGENCY_ACCESS]


def labels(households: Households, expired: list[Any]) -> dict[Any, str]:
    """Each household's label (of Expired items, or of ids); an erased one's reads as erased."""
    names = {}
    for item in expired:
        household_id = getattr(item, "household_id", item)
        try:
            names[household_id] = households.get(household_id).label
        except NotFound:  # gone meanwhile: listed by its team and date
            names[household_id] = "huishouden"
    return names


def overview(request: Request, principal: Principal, fresh: bool = False, check: bool = True) -> dict[str, Any]:
    """What the privacy officer watches, for /privacy and Mijn werk (what it names logged as one list read).
    `check=False` (Mijn werk): the integrity only as last checked, since checking walks every event."""
    state = request.app.state
    found = emergencies(state.notifications, principal.user_id)
    expired = retention_due(state.households, fresh)
    report = last_report(request) if check else None  # the privacy page's, not Mijn werk's
    reported = report.household_ids if report is not None else []
    record_listed(request, principal, [n.household_id for n in found] + [e.household_id for e in expired]
                  + reported)
    checked = integrity(state.households, state.settings, fresh) if check else last_integrity(state.households)
    return {"emergencies": found, "integrity": checked, "expired": expired, "report": report,
            "labels": labels(state.households, expired),
            "report_labels": {str(h): label for h, label in labels(state.households, reported).items()}}
