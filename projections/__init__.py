"""Read models: each module a pure fold plus the PostgreSQL view that stores it."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection


class ViewProjection(Projection[Any]):
    """A projection whose view folds each event and records its position in one transaction."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.apply(domain_event, tracking)
