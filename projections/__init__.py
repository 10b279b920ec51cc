"""Read models: each module a pure fold plus the PostgreSQL view that stores it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection


class ViewProjection(Projection[Any]):
    """A projection whose view folds events and records the position reached, in one transaction."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(domain_event, tracking)

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Events in store order; the batching runner hands over what the subscription has ready."""
        self.view.apply_batch(batch)
