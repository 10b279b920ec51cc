"""A steady write load whose clients retry as a careful client does: each write carries an Idempotency-Key
and is sent again, with the same key and body, until it is acknowledged (201). Every acknowledged write is
kept in a ledger with the unique mark it wrote into the contact's summary, so afterwards the store can be
searched for each: found once is right, not found is an acknowledged write lost, found twice a write recorded
twice."""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

TOKEN = "dev-anna"
RETRY_PAUSE = 0.2  # seconds; a 503's Retry-After is honoured up to this (the load must stay steady)
GIVE_UP = 120.0  # seconds one write may take, retries included, before it is counted as never acknowledged


@dataclass
class Answer:
    at: float  # time.monotonic() when it arrived
    status: int | str  # an HTTP status, or the name of the connection error
    retry_after: str | None = None
    problem: bool = False  # the body was application/problem+json


@dataclass
class Ledger:
    acknowledged: dict[str, int] = field(default_factory=dict)  # mark -> the store position the answer named
    replayed: int = 0  # acknowledged by a retry that found the first attempt committed (Idempotent-Replayed)
    retried: int = 0  # attempts after the first
    never_acknowledged: int = 0  # given up after GIVE_UP
    answers: list[Answer] = field(default_factory=list)  # every attempt that did not end in 201
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> collections.Counter[str]:
        return collections.Counter(str(a.status) for a in self.answers if since <= a.at <= until)


class Writer(threading.Thread):
    """One client on one household: record a contact, retry until acknowledged, next."""

    def __init__(self, port: int, household_id: str, ledger: Ledger, stop: threading.Event, pause: float) -> None:
        super().__init__(daemon=True)
        self.port, self.household_id, self.ledger, self.stop, self.pause = port, household_id, ledger, stop, pause
        self.conn: http.client.HTTPConnection | None = None

    def run(self) -> None:
        while not self.stop.is_set():
            self.write_one()
            self.stop.wait(self.pause)
        if self.conn is not None:
            self.conn.close()

    def write_one(self) -> None:
        mark = f"rel-{uuid.uuid4().hex}"
        body = json.dumps({"kind": "telefonisch", "summary": f"Belronde {mark}",
                           "life_domains": ["finances"]}).encode()
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json",
                   "Idempotency-Key": mark}
        started, attempt = time.monotonic(), 0
        # A write that has begun is finished even when the load stops: it may already be committed.
        while time.monotonic() - started < GIVE_UP:
            attempt += 1
            if attempt > 1:
                with self.ledger.lock:
                    self.ledger.retried += 1
            answer = self.send(body, headers)
            if isinstance(answer, tuple):
                position, replayed = answer
                with self.ledger.lock:
                    self.ledger.acknowledged[mark] = position
                    self.ledger.replayed += replayed
                return
            with self.ledger.lock:
                self.ledger.answers.append(answer)
            wait = RETRY_PAUSE
            if answer.retry_after and answer.retry_after.isdigit():
                wait = min(float(answer.retry_after), RETRY_PAUSE)
            time.sleep(wait)
        with self.ledger.lock:
            self.ledger.never_acknowledged += 1

    def send(self, body: bytes, headers: dict[str, str]) -> tuple[int, bool] | Answer:
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request("POST", f"/api/households/{self.household_id}/contacts", body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return Answer(time.monotonic(), type(error).__name__)
        if response.status == 201:
            return json.loads(content)["position"], response.getheader("Idempotent-Replayed") == "true"
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return Answer(time.monotonic(), response.status, response.getheader("Retry-After"),
                      (response.getheader("Content-Type") or "").startswith("application/problem+json"))


def register_households(port: int, count: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ids = []
    try:
        for n in range(count):
            conn.request("POST", "/api/households", body=json.dumps({"label": f"Fam. Belronde {n}",
                                                                     "team": "Wijkteam Noord"}),
                         headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
            response = conn.getresponse()
            content = response.read()
            if response.status != 201:
                raise RuntimeError(f"registering a household: {response.status} {content[:300]!r}")
            ids.append(json.loads(content)["household_id"])
    finally:
        conn.close()
    return ids


@contextlib.contextmanager
def steady_load(port: int, household_ids: list[str], ledger: Ledger, pause: float = 0.02) -> Iterator[None]:
    """One writer per household while the block runs; on leaving, each writer finishes the write it began."""
    stop = threading.Event()
    writers = [Writer(port, household_id, ledger, stop, pause) for household_id in household_ids]
    for writer in writers:
        writer.start()
    try:
        yield
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=GIVE_UP + 30)
