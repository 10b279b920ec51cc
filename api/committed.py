"""No answer before its access-log entries are committed (NEN 7513: a complete log; waakvlam/access_log.py).

Each request gets its receipts (`RECEIPTS`); whatever the request logs adds to them. Before the answer's
first byte the request awaits the futures of its entries' batches, without blocking the event loop. When an
entry could not be written (or not in `COMMIT_TIMEOUT`), the prepared answer is dropped and a 503
problem+json with Retry-After goes out instead: the data is not served unlogged.
"""

from __future__ import annotations

import asyncio
import json

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from waakvlam.access_log import COMMIT_TIMEOUT, RECEIPTS, Receipts

log = structlog.get_logger("api")

REFUSAL = json.dumps({"type": "about:blank", "title": "Service unavailable", "status": 503,
                      "detail": "the access log could not be written, so this answer is withheld; try again shortly"
                      }).encode()


async def committed(receipts: Receipts) -> bool:
    """Whether every entry of the request is committed (waiting for it off the event loop)."""
    futures = receipts.outstanding()
    waiting = [asyncio.wrap_future(f) for f in futures if not f.done()]
    if waiting:
        _, late = await asyncio.wait(waiting, timeout=COMMIT_TIMEOUT)
        for future in waiting:  # never cancelled: that would cancel the batch's future for every request in it
            if future.done():
                future.exception()  # retrieved; the outcome is read from the writer's futures below
        if late:
            return False
    return all(f.exception() is None for f in futures)


class CommittedAccess:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        receipts = Receipts()
        token = RECEIPTS.set(receipts)
        refused = False

        async def send_when_committed(message: Message) -> None:
            nonlocal refused
            if refused:
                return  # the prepared answer's body is dropped
            if message["type"] == "http.response.start" and receipts and not await committed(receipts):
                refused = True
                log.error("answer withheld: its access-log entry was not committed", path=scope.get("path"))
                await send({"type": "http.response.start", "status": 503, "headers": [
                    (b"content-type", b"application/problem+json"), (b"retry-after", b"5"),
                    (b"content-length", str(len(REFUSAL)).encode())]})
                await send({"type": "http.response.body", "body": REFUSAL})
                return
            await send(message)

        try:
            await self.app(scope, receive, send_when_committed)
        finally:
            RECEIPTS.reset(token)
