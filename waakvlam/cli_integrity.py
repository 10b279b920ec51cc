"""`waakvlam verify [--against CHECKPOINT ...] [--full]`, `waakvlam checkpoint` and `waakvlam checkpoint-key`:
the integrity commands of waakvlam/cli.py (waakvlam/integrity.py, waakvlam/checkpoints.py)."""

from __future__ import annotations

from pathlib import Path

from waakvlam.settings import get_settings


def verify(against: list[Path]) -> int:
    """Walk the whole history against the given checkpoints (default: every valid one in the checkpoint
    directory); check the events not yet chained against their fingerprints, and chain them. Exit 1 if broken."""
    import psycopg

    from projections import versions
    from projections.chain import ChainError, ChainProjection, ChainView
    from waakvlam import checkpoints
    from waakvlam.access_log import verify as verify_access_log
    from waakvlam.database import database_url, eventsourcing_env
    from waakvlam.integrity import verify_url

    settings = get_settings()
    schema, url = settings.postgres_schema, database_url(settings)
    trusted = checkpoints.trusted_keys(settings)
    stored = ([checkpoints.read(path, trusted) for path in against] if against
              else checkpoints.read_all(checkpoints.directory(settings), trusted, schema))
    refused = [s for s in stored if s.problem is not None]
    for s in refused:
        print(f"checkpoint {s.path}: NOT VALID, {s.problem}", flush=True)
    if against and refused:
        return 1
    valid = checkpoints.valid(stored)
    result = verify_url(url, schema, anchors=[c.anchor for c in valid])
    print(result, flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        log = verify_access_log(conn, schema, anchors=[a for c in valid if (a := c.log_anchor)])
    print(f"access log: {'intact' if log.ok else 'BROKEN'}, {log.checked} entries verified"
          + (f"; first break at entry {log.broken_seq} ({log.reason})" if not log.ok else
             (f"; head {log.head_hash}" if log.head_hash else "")), flush=True)
    for checkpoint in valid:
        extends = result.ok or (result.broken_position or 0) > checkpoint.position
        print(f"checkpoint {checkpoint.file_name} (position {checkpoint.position}, {checkpoint.created_at}): "
              + ("the history extends it" if extends and log.ok else
                 f"BROKEN, the history does not extend it (first break at position {result.broken_position})"
                 if not extends else "the access log does not extend it"), flush=True)
    if result.ok and log.ok and result.pending:
        view = versions.construct(ChainProjection.name, ChainView, eventsourcing_env(settings), create=True)
        try:
            chained = view.chain_pending()
        except ChainError as error:
            print(f"chaining stopped: {error}", flush=True)
            return 1
        finally:
            view.datastore.close()
        print(f"{result.pending_verified} pending events matched their fingerprints; {chained} chained now",
              flush=True)
    return 0 if result.ok and log.ok else 1


def checkpoint(full: bool) -> int:
    """Make a signed checkpoint now (and tell the privacy officers)."""
    from domain.application import Households
    from projections import versions
    from waakvlam.database import eventsourcing_env
    from workers.checkpoint_job import make_and_tell

    settings = get_settings()
    env = eventsourcing_env(settings)
    households = Households(env=env)
    try:
        with versions.connect(env) as conn:
            made = make_and_tell(env, settings, households, conn, full=full)
    finally:
        households.close()
    print(made.events, flush=True)
    if made.checkpoint is None:
        print("no checkpoint made: " + ("the history does not verify" if not made.ok else "nothing chained yet"),
              flush=True)
        return 1
    print(f"checkpoint written: {made.path}", flush=True)
    return 0


def checkpoint_key() -> int:
    """Print the public key that verifies this installation's checkpoints (to publish)."""
    from waakvlam import checkpoints

    key = checkpoints.signing_key(get_settings()).public_key()
    print(f"{checkpoints.public_text(key)}  (key id {checkpoints.key_id(key)})", flush=True)
    return 0
