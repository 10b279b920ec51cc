"""Verify the hash chain (projections/chain.py) against the events as stored.

A pure walk: the events table and the chain, both in position order, a batch at
a time, in ONE read-only repeatable-read transaction (a consistent snapshot
while writers and the chain worker go on). Up to the chain's head every stored
row must have its link and every link its row, and each recomputed hash must
equal the stored one. The FIRST break is reported:

    changed    the row's bytes (or its link) differ from what was chained
    deleted    a chained position is missing from the events table
    inserted   an event up to the chain's head that was never chained
    relinked   a link names another previous position than the one before it

Events after the chain's head are `pending` (the worker has not chained them
yet), not broken. The head hash is returned so it can be recorded elsewhere:
a chain rewritten wholesale is only caught against such an outside copy.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from projections.chain import EVENTS_TABLE, GENESIS, TABLE, link

BATCH_SIZE = 5000


@dataclass(frozen=True)
class IntegrityResult:
    ok: bool
    checked: int
    last_position: int | None  # the last position verified intact
    chain_head: int | None
    head_hash: str | None  # hex, of the chain's head when ok
    pending: int  # events after the chain's head, not yet chained
    broken_position: int | None = None
    reason: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.ok:
            return (f"ok: {self.checked} events verified up to position {self.last_position} "
                    f"(head hash {self.head_hash}); {self.pending} pending")
        return (f"BROKEN at position {self.broken_position} ({self.reason}): {self.detail}; "
                f"{self.checked} events verified before it, up to position {self.last_position}")


def _rows(curs: psycopg.Cursor[Any], query: Composed, head: int, batch_size: int) -> Iterator[tuple[Any, ...]]:
    """Rows of `query` (keyset on its first column) up to `head`, `batch_size` per round trip."""
    after = -(2**63)
    while True:
        curs.execute(query, (after, head, batch_size))
        rows = curs.fetchall()
        yield from rows
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


def verify(conn: psycopg.Connection[Any], schema: str, *, batch_size: int = BATCH_SIZE) -> IntegrityResult:
    """Walk the stored events and the chain in `schema`; see the module's docstring."""
    events = SQL("{0}.{1}").format(Identifier(schema), Identifier(EVENTS_TABLE))
    chain = SQL("{0}.{1}").format(Identifier(schema), Identifier(TABLE))
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as curs, \
            conn.cursor(row_factory=tuple_row) as chain_curs:
        curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        curs.execute("SELECT to_regclass(%s), to_regclass(%s)",
                     (f'"{schema}"."{EVENTS_TABLE}"', f'"{schema}"."{TABLE}"'))
        has_events, has_chain = curs.fetchone() or (None, None)
        if has_events is None:
            return IntegrityResult(ok=True, checked=0, last_position=None, chain_head=None, head_hash=None, pending=0)
        head = None
        if has_chain is not None:
            curs.execute(SQL("SELECT max(position) FROM {0}").format(chain))
            head = (curs.fetchone() or (None,))[0]
        curs.execute(SQL("SELECT count(*) FROM {0} WHERE notification_id > %s").format(events),
                     (head if head is not None else -(2**63),))
        pending = (curs.fetchone() or (0,))[0]
        if head is None:
            return IntegrityResult(ok=True, checked=0, last_position=None, chain_head=None, head_hash=None,
                                   pending=pending)
        stored = _rows(curs, SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {0}"
            " WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
        ).format(events), head, batch_size)
        links = _rows(chain_curs, SQL(
            "SELECT position, previous_position, hash FROM {0}"
            " WHERE position > %s AND position <= %s ORDER BY position LIMIT %s"
        ).format(chain), head, batch_size)
        return _walk(stored, links, head, pending)


def _walk(stored: Iterator[tuple[Any, ...]], links: Iterator[tuple[Any, ...]], head: int,
          pending: int) -> IntegrityResult:
    checked, last, previous_hash = 0, None, GENESIS

    def broken(position: int, reason: str, detail: str) -> IntegrityResult:
        return IntegrityResult(ok=False, checked=checked, last_position=last, chain_head=head, head_hash=None,
                               pending=pending, broken_position=position, reason=reason, detail=detail)

    row, chained = next(stored, None), next(links, None)
    while row is not None or chained is not None:
        if chained is None or (row is not None and row[0] < chained[0]):
            assert row is not None
            return broken(row[0], "inserted", f"event {row[0]} is in the events table but not in the chain")
        if row is None or chained[0] < row[0]:
            return broken(chained[0], "deleted", f"chained event {chained[0]} is missing from the events table")
        position, previous_position, stored_hash = chained
        if previous_position != last:
            return broken(position, "relinked",
                          f"the link at {position} chains from {previous_position}, the previous link is {last}")
        digest = link(previous_hash, *row)
        if digest != bytes(stored_hash):
            return broken(position, "changed", f"event {position} hashes differently than when it was chained")
        checked, last, previous_hash = checked + 1, position, digest
        row, chained = next(stored, None), next(links, None)
    return IntegrityResult(ok=True, checked=checked, last_position=last, chain_head=head,
                           head_hash=previous_hash.hex(), pending=pending)


def verify_url(url: str, schema: str, *, batch_size: int = BATCH_SIZE) -> IntegrityResult:
    with psycopg.connect(url, autocommit=True) as conn:
        return verify(conn, schema, batch_size=batch_size)
