"""Verify the hash chain (projections/chain.py) against the events as stored.

A pure walk: the events table and the chain, both in position order, a batch at
a time, in ONE read-only repeatable-read transaction (a consistent snapshot
while writers and the chain worker go on). Up to the chain's head every stored
row must have its link and every link its row, and each recomputed hash must
equal the stored one. The FIRST break is reported:

    changed    the row's bytes (or its link) differ from what was chained, or a
               row not yet chained differs from its fingerprint at insert
    deleted    a chained (or fingerprinted) position is missing from the events table
    inserted   an event up to the chain's head that was never chained
    relinked   a link names another previous position than the one before it
    rewritten  the chain no longer holds a signed checkpoint's hash at its position:
               the history was rewritten and the chain recomputed (waakvlam/checkpoints.py)

Events after the chain's head are `pending` (the worker has not chained them
yet), not broken; each is checked against the fingerprint taken when it was
inserted (waakvlam/fingerprints.py), so a change in that window is caught too.

`anchors` are checkpoints' (position, hash): the stored link at each must hold
that hash. `since` starts the walk at a checkpoint instead of the genesis: the
rows since it are walked, the rows before it are vouched for by its signature
and by the anchors (a full walk, `since=None`, is what a checkpoint is made after).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from projections.chain import EVENTS_TABLE, FINGERPRINTS, GENESIS, TABLE, canonical_row, link

BATCH_SIZE = 5000
Anchor = tuple[int, bytes]  # a checkpoint's position and head hash


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
    verified_from: int | None = None  # the walk started after this position (a checkpoint's); None: the genesis
    pending_verified: int = 0  # pending events that match their fingerprint
    anchors_checked: int = 0  # distinct checkpoint heads (position, hash) the chain was found to hold

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.ok:
            since = "" if self.verified_from is None else f" since the checkpoint at {self.verified_from}"
            anchors = (f"; holds the head of every checkpoint ({self.anchors_checked} distinct)"
                       if self.anchors_checked else "")
            return (f"ok: {self.checked} events verified{since} up to position {self.last_position} "
                    f"(head hash {self.head_hash}){anchors}; {self.pending} pending, "
                    f"{self.pending_verified} of them match their fingerprint")
        return (f"BROKEN at position {self.broken_position} ({self.reason}): {self.detail}; "
                f"{self.checked} events verified before it, up to position {self.last_position}")


def _rows(curs: psycopg.Cursor[Any], query: Composed, head: int, batch_size: int,
          after: int = -(2**63)) -> Iterator[tuple[Any, ...]]:
    """Rows of `query` (keyset on its first column) after `after` up to `head`, `batch_size` per round trip."""
    while True:
        curs.execute(query, (after, head, batch_size))
        rows = curs.fetchall()
        yield from rows
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


def verify(conn: psycopg.Connection[Any], schema: str, *, batch_size: int = BATCH_SIZE,
           anchors: Sequence[Anchor] = (), since: Anchor | None = None) -> IntegrityResult:
    """Walk the stored events and the chain in `schema`; see the module's docstring."""
    events = SQL("{0}.{1}").format(Identifier(schema), Identifier(EVENTS_TABLE))
    chain = SQL("{0}.{1}").format(Identifier(schema), Identifier(TABLE))
    prints = SQL("{0}.{1}").format(Identifier(schema), Identifier(FINGERPRINTS))
    anchors = sorted({*anchors, *([since] if since else [])})
    with conn.transaction(), conn.cursor(row_factory=tuple_row) as curs, \
            conn.cursor(row_factory=tuple_row) as chain_curs:
        curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        curs.execute("SELECT to_regclass(%s), to_regclass(%s), to_regclass(%s)",
                     (f'"{schema}"."{EVENTS_TABLE}"', f'"{schema}"."{TABLE}"', f'"{schema}"."{FINGERPRINTS}"'))
        has_events, has_chain, has_prints = curs.fetchone() or (None, None, None)
        if has_events is None:
            return IntegrityResult(ok=True, checked=0, last_position=None, chain_head=None, head_hash=None, pending=0)
        head = None
        if has_chain is not None:
            curs.execute(SQL("SELECT max(position) FROM {0}").format(chain))
            head = (curs.fetchone() or (None,))[0]
        curs.execute(SQL("SELECT count(*) FROM {0} WHERE notification_id > %s").format(events),
                     (head if head is not None else -(2**63),))
        pending = (curs.fetchone() or (0,))[0]
        base = {"chain_head": head, "pending": pending, "verified_from": since[0] if since else None}
        pending_result = _pending(curs, events, prints, head, batch_size) if has_prints is not None else (0, None)
        anchored: tuple[int, dict | None] = (0, None)
        if anchors and has_chain is not None:
            anchored = _anchors(curs, chain, anchors)
        elif anchors:
            anchored = (0, {"broken_position": anchors[0][0], "reason": "rewritten",
                            "detail": "the chain is gone, but a signed checkpoint names a position in it"})
        if head is None:
            broken = pending_result[1] or anchored[1]
            if broken:
                return IntegrityResult(ok=False, checked=0, last_position=None, head_hash=None, **base, **broken)
            return IntegrityResult(ok=True, checked=0, last_position=None, head_hash=None, **base,
                                   pending_verified=pending_result[0])
        start = since[0] if since else -(2**63)
        stored = _rows(curs, SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {0}"
            " WHERE notification_id > %s AND notification_id <= %s ORDER BY notification_id LIMIT %s"
        ).format(events), head, batch_size, start)
        links = _rows(chain_curs, SQL(
            "SELECT position, previous_position, hash FROM {0}"
            " WHERE position > %s AND position <= %s ORDER BY position LIMIT %s"
        ).format(chain), head, batch_size, start)
        walked = _walk(stored, links, head, pending, since)
    # The first break wins, whichever check found it.
    extra = {"verified_from": base["verified_from"], "pending_verified": pending_result[0],
             "anchors_checked": anchored[0]}
    breaks = [b for b in (anchored[1], pending_result[1]) if b]
    first = min(breaks, key=lambda b: b["broken_position"]) if breaks else None
    if first is None or (not walked.ok and walked.broken_position <= first["broken_position"]):
        return replace(walked, **extra)
    checked, last = _cut(walked, first["broken_position"])
    return IntegrityResult(ok=False, checked=checked, last_position=last, head_hash=None, **base, **first,
                           **{k: v for k, v in extra.items() if k != "verified_from"})


def _cut(walked: IntegrityResult, position: int) -> tuple[int, int | None]:
    """What stands verified before a break another check found at `position`: the walk's figures when it
    ended before it; nothing when the walk passed it (a consistent chain that is not the signed one)."""
    if walked.last_position is not None and walked.last_position < position:
        return walked.checked, walked.last_position
    return 0, None


def _anchors(curs: psycopg.Cursor[Any], chain: Composed, anchors: Sequence[Anchor]) -> tuple[int, dict | None]:
    """How many checkpoints the chain holds; the first it does not, as a break."""
    curs.execute(SQL("SELECT position, hash FROM {0} WHERE position = ANY(%s)").format(chain),
                 ([position for position, _ in anchors],))
    stored = {position: bytes(digest) for position, digest in curs.fetchall()}
    for position, digest in anchors:
        if stored.get(position) != digest:
            what = "no longer holds a link at" if position not in stored else "holds another hash at"
            return 0, {"broken_position": position, "reason": "rewritten",
                       "detail": f"the chain {what} position {position} than the signed checkpoint "
                                 f"({digest.hex()[:16]}…): the history before it was rewritten"}
    return len(anchors), None


def _pending(curs: psycopg.Cursor[Any], events: Composed, prints: Composed, head: int | None,
             batch_size: int) -> tuple[int, dict | None]:
    """Check the events after the chain's head against their fingerprints: how many match; the first that
    does not (or whose row is gone), as a break."""
    after = head if head is not None else -(2**63)
    curs.execute(SQL("SELECT min(f.notification_id) FROM {0} f LEFT JOIN {1} e USING (notification_id)"
                     " WHERE f.notification_id > %s AND e.notification_id IS NULL").format(prints, events), (after,))
    gone = (curs.fetchone() or (None,))[0]
    matched = 0
    rows = _rows(curs, SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, f.fingerprint"
        " FROM {0} e LEFT JOIN {1} f USING (notification_id)"
        " WHERE e.notification_id > %s AND e.notification_id <= %s ORDER BY e.notification_id LIMIT %s"
    ).format(events, prints), 2**63 - 1, batch_size, after)
    for position, *row, fingerprint in rows:
        if gone is not None and gone < position:
            break
        if fingerprint is None:
            continue  # stored before fingerprints were taken
        if hashlib.sha256(canonical_row(position, *row)).digest() != bytes(fingerprint):
            return matched, {"broken_position": position, "reason": "changed",
                             "detail": f"event {position} was changed after it was stored, before it was chained"}
        matched += 1
    if gone is not None:
        return matched, {"broken_position": gone, "reason": "deleted",
                         "detail": f"event {gone} was stored (it has a fingerprint) and deleted before it was chained"}
    return matched, None


def _walk(stored: Iterator[tuple[Any, ...]], links: Iterator[tuple[Any, ...]], head: int,
          pending: int, since: Anchor | None = None) -> IntegrityResult:
    checked, last, previous_hash = 0, (since[0] if since else None), (since[1] if since else GENESIS)

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


def verify_url(url: str, schema: str, *, batch_size: int = BATCH_SIZE, anchors: Sequence[Anchor] = (),
               since: Anchor | None = None) -> IntegrityResult:
    with psycopg.connect(url, autocommit=True) as conn:
        return verify(conn, schema, batch_size=batch_size, anchors=anchors, since=since)
