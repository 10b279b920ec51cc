"""Try again, with jitter: one helper for every command that decides on the state it read and loses a race
to another writer (domain/application.py).

Before attempt n+1 (n from 1) it sleeps a random time between 0 and `step * n` seconds: growing linearly, so
two writers that keep colliding spread out, and random, so they do not collide again in step. After `attempts`
failed attempts it gives up with `Contention` (the API's 503); any other exception passes through at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from domain.errors import Contention

T = TypeVar("T")
STEP = 0.002  # seconds: the jitter's bound grows by this much per failed attempt


def retry(attempt: Callable[[], T], *, on: type[BaseException] | tuple[type[BaseException], ...], what: str,
          attempts: int, step: float = STEP) -> T:
    """`attempt()` until it returns, again while it raises `on`; `Contention` naming `what` after `attempts`."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    for n in range(1, attempts + 1):
        try:
            return attempt()
        except on:
            if n == attempts:
                break
            time.sleep(random.uniform(0, step * n))
    raise Contention(f"{what} stayed too busy to save after {attempts} attempts")
