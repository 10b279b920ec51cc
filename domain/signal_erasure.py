"""Erasure of one signal by crypto-shredding (issue 12): the signal records `SignalForgotten`, then its own
data key is destroyed (domain/erasure.py), so the personal fields of its report (who reported, about whom,
where, what was seen) and of its dismissal can never be read again, in the store or in a dump of it; the
signal inbox drops its row on `SignalForgotten` (projections/signals.py).

The privacy officer's erasure on request (`POST /api/signals/{id}/erasure`) and the signals' retention
(workers/retention.py) both come here. A command of the application (domain/application.py), kept in its own
module beside it: `forget_signal(households, signal_id, ...)`.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.application import Households, Idempotency, SignalOutcome
from domain.errors import StaleVersion
from domain.signal import FORGOTTEN


def forget_signal(households: Households, signal_id: UUID, *, actor: str, reason: str,
                  idempotency: Idempotency | None = None, expected_version: int | None = None,
                  occurred_at: datetime | None = None) -> SignalOutcome:
    """Forget a signal: record `SignalForgotten`, then destroy its key. NotFound for an unknown signal; a
    RuleViolation (409) for one forgotten already, after finishing its shredding (an erasure interrupted
    between its event and the key's destruction is completed by asking again)."""

    def attempt() -> SignalOutcome:
        signal = households.get_signal(signal_id)
        if signal.status == FORGOTTEN:
            shred_signal(households, signal_id)
        if expected_version is not None and signal.version != expected_version:
            raise StaleVersion(expected_version, signal.version)
        signal.forget(actor=actor, reason=reason, occurred_at=occurred_at)
        return households._save_signal(signal, None, idempotency)

    outcome = households._retrying(f"signal {signal_id}", attempt)
    shred_signal(households, signal_id)
    return outcome


def shred_signal(households: Households, signal_id: UUID) -> None:
    """Destroy the signal's key (a tombstone stays: no new key is ever made for it) and drop what this
    process holds of it in memory."""
    if households.keyring is not None:
        households.keyring.destroy([signal_id])
    cache: Any = getattr(households.repository, "cache", None)
    if cache is not None:
        with contextlib.suppress(KeyError):
            cache.get(signal_id, evict=True)

