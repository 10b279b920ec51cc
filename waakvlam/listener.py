"""One LISTEN connection per process and channel, for all of its subscriptions.

The library's subscription holds a pooled connection for LISTEN as long as it lives: a worker with
eight projections held eight, and on the shared pool (waakvlam/pool.py) they would starve it. Here
one thread per process and channel listens on a connection of its own and wakes every subscription
registered for that channel. A lost connection is made again after a pause; subscriptions also
poll (waakvlam/store.py), so a missed notification delays them by a second, never stalls them.
"""

from __future__ import annotations

import threading

import psycopg
from psycopg.sql import SQL, Identifier

from waakvlam.pool import connection_name

RECONNECT_PAUSE = 1.0


class _Channel:
    def __init__(self, conninfo: str, channel: str) -> None:
        self.conninfo, self.channel = conninfo, channel
        self.waiters: set[threading.Event] = set()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"listen {channel}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                     application_name=connection_name("listen")) as conn:
                    conn.execute(SQL("LISTEN {0}").format(Identifier(self.channel)))
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=0.1, stop_after=1):
                            for waiter in list(self.waiters):
                                waiter.set()
            except psycopg.Error:
                self.stopping.wait(RECONNECT_PAUSE)


_lock = threading.Lock()
_channels: dict[tuple[str, str], _Channel] = {}


def register(conninfo: str, channel: str, waiter: threading.Event) -> None:
    """Set `waiter` whenever `channel` is notified."""
    with _lock:
        entry = _channels.get((conninfo, channel))
        if entry is None:
            entry = _channels[(conninfo, channel)] = _Channel(conninfo, channel)
        entry.waiters.add(waiter)


def unregister(conninfo: str, channel: str, waiter: threading.Event) -> None:
    with _lock:
        entry = _channels.get((conninfo, channel))
        if entry is None:
            return
        entry.waiters.discard(waiter)
        if not entry.waiters:
            del _channels[(conninfo, channel)]
            entry.stopping.set()
