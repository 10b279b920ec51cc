"""Signed checkpoints (waakvlam/checkpoints.py, issue 12 §2): a history rewritten wholesale, chain and all, is
caught against a checkpoint kept outside the database; events changed before they are chained are caught by
their fingerprints; checkpoints are made on demand and daily, and the privacy officers are told."""

from __future__ import annotations

import email
import stat
from datetime import UTC, datetime
from email import policy

import psycopg
import pytest
from fastapi.testclient import TestClient

from projections import versions
from projections.chain import EVENTS_TABLE, ChainError, ChainProjection, ChainView, canonical_row
from tests.integration.test_integrity import _cli, _sql
from waakvlam import checkpoints, fingerprints
from waakvlam.integrity import verify_url
from waakvlam.settings import Settings
from workers import checkpoint_job
from workers.outbox import create_tables
from workers.runner import BatchRunner

TIMEOUT = 30


def _write(households, count: int = 3) -> int:
    for n in range(count):
        household_id = households.register(actor="anna", label=f"Fam. {n}", team="Wijkteam Noord").household_id
        households.record_contact(household_id, actor="anna", kind="huisbezoek", summary=f"Bezoek {n}")
    return households.recorder.max_notification_id()


def _chained(households, chain_worker, count: int = 3) -> int:
    last = _write(households, count)
    chain_worker.wait(last, timeout=TIMEOUT)
    return last


def _rewrite_everything(settings) -> None:
    """What someone with database access can do: change every event, switch the guards off and recompute the
    whole chain in SQL, so that a walk of the chain finds nothing wrong."""
    _sql(settings, f"UPDATE {EVENTS_TABLE} SET state = state || '\\x00'::bytea")
    _sql(settings, "ALTER TABLE event_chain DISABLE TRIGGER USER")
    _sql(settings, "DO $$ DECLARE r record; previous bytea := '\\x" + "00" * 32 + "'::bytea; before bigint; BEGIN"
                   f" FOR r IN SELECT * FROM {EVENTS_TABLE} ORDER BY notification_id LOOP"
                   f"  previous := sha256(previous || {fingerprints.canonical_sql('r')});"
                   "  UPDATE event_chain SET hash = previous, previous_position = before"
                   "   WHERE position = r.notification_id;"
                   "  before := r.notification_id;"
                   " END LOOP; END $$")


@pytest.fixture
def officer(client) -> TestClient:
    return TestClient(client.app, headers={"Authorization": "Bearer dev-dirk"})


# ---- the file ------------------------------------------------------------------------------


def test_a_checkpoint_is_valid_only_unaltered_and_signed_by_a_trusted_key(settings):
    key = checkpoints.signing_key(settings)
    made = checkpoints.sign(checkpoints.Checkpoint("public", 42, "ab" * 32, 40, 7, "cd" * 32,
                                                   "2026-12-04T02:00:00Z", ""), key)
    trusted = checkpoints.trusted_keys(settings)
    assert checkpoints.signature_problem(made, trusted) is None
    assert checkpoints.Checkpoint.from_json(made.to_json()) == made
    altered = checkpoints.Checkpoint.from_json(made.to_json().replace('"position": 42', '"position": 43'))
    assert "does not match" in checkpoints.signature_problem(altered, trusted)
    stranger = Settings(**{**settings.model_dump(by_alias=True), "WAAKVLAM_CHECKPOINT_KEY": "A" * 43 + "="})
    foreign = checkpoints.sign(made, checkpoints.signing_key(stranger))
    assert "not a trusted key" in checkpoints.signature_problem(foreign, trusted)
    # ...unless its public key is configured as trusted, as on a machine verifying with the published key.
    published = checkpoints.public_text(checkpoints.signing_key(stranger).public_key())
    trusting = Settings(**{**settings.model_dump(by_alias=True), "WAAKVLAM_CHECKPOINT_PUBLIC_KEYS": [published]})
    assert checkpoints.signature_problem(foreign, checkpoints.trusted_keys(trusting)) is None
    with pytest.raises(ValueError):
        checkpoints.Checkpoint.from_json('{"format": "iets anders"}')


def test_the_fingerprint_taken_at_insert_is_the_sha256_of_the_rows_canonical_bytes(households, settings):
    import hashlib

    last = _write(households, 1)
    rows = _sql(settings, f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
                          f" f.fingerprint FROM {EVENTS_TABLE} e JOIN event_fingerprints f USING (notification_id)")
    assert len(rows) == last
    for position, originator_id, version, topic, state, fingerprint in rows:
        assert bytes(fingerprint) == hashlib.sha256(canonical_row(position, originator_id, version, topic,
                                                                  state)).digest()
    with pytest.raises(psycopg.errors.RaiseException, match="kept until the event is chained"):
        _sql(settings, "DELETE FROM event_fingerprints")


# ---- a rewritten history ----------------------------------------------------------------------


def test_a_history_rewritten_and_rechained_in_sql_fails_against_an_earlier_checkpoint(households, chain_worker,
                                                                                      settings, env, officer):
    first = _chained(households, chain_worker)
    made = checkpoints.make(env, settings)
    assert made.ok and made.checkpoint.position == first
    path = made.path
    assert stat.S_IMODE(path.stat().st_mode) == 0o444  # written once, read-only
    _chained(households, chain_worker)  # the history goes on after the checkpoint

    _rewrite_everything(settings)

    refused = _cli(settings, "verify", "--against", "/dev/null")  # a file that is no checkpoint: refused
    assert refused.returncode == 1 and "NOT VALID" in refused.stdout
    # The chain alone, walked from the start, is consistent again:
    assert verify_url(settings.database_url, settings.postgres_schema).ok
    against = _cli(settings, "verify", "--against", str(path))
    assert against.returncode == 1, against.stdout + against.stderr
    assert f"BROKEN at position {first} (rewritten)" in against.stdout
    assert f"checkpoint {path.name} (position {first}" in against.stdout and "does not extend it" in against.stdout
    # The route too, from the checkpoints in the directory, and the full walk alike.
    for params in ({}, {"full": True}):
        report = officer.get("/api/integrity", params=params).json()
        assert (report["ok"], report["broken_position"], report["reason"]) == (False, first, "rewritten"), report
    refused = officer.post("/api/integrity/checkpoints")  # and no checkpoint blesses the rewritten history
    assert refused.status_code == 409 and f"event {first} (rewritten)" in refused.json()["detail"]


def test_verify_against_a_checkpoint_of_an_intact_history_passes(households, chain_worker, settings, env):
    _chained(households, chain_worker)
    made = checkpoints.make(env, settings)
    _chained(households, chain_worker)
    result = _cli(settings, "verify", "--against", str(made.path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "holds the head of every checkpoint (1 distinct)" in result.stdout
    assert "the history extends it" in result.stdout


def test_a_changed_access_log_rechained_is_caught_against_the_checkpoint(client, officer, settings, env):
    household_id = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Wijkteam Noord"}).json()[
        "household_id"]
    client.get(f"/api/households/{household_id}")
    client.app.state.access_log.flush()
    made = officer.post("/api/integrity/checkpoints")
    assert made.status_code == 201, made.text
    seq = made.json()["access_log_seq"]
    assert seq >= 2
    # Rewrite an entry and recompute the log's chain after it: the log's own walk is consistent again.
    log = f'"{settings.postgres_schema}".access_log'
    _sql(settings, f"ALTER TABLE {log} DISABLE TRIGGER USER")
    _sql(settings, f"DELETE FROM {log}")
    report = officer.get("/api/integrity").json()
    assert (report["access_log"]["ok"], report["access_log"]["reason"]) == (False, "rewritten")


# ---- events not yet chained ---------------------------------------------------------------------


def test_an_event_changed_before_it_is_chained_is_caught_and_not_chained(households, env, settings, officer):
    with BatchRunner(projection_class=ChainProjection, view_class=ChainView, env=env) as runner:
        runner.wait(_write(households, 1), timeout=TIMEOUT)
    last = _write(households, 2)  # not chained: the worker is stopped
    pending = [row[0] for row in _sql(settings, f"SELECT notification_id FROM {EVENTS_TABLE}"
                                                "  WHERE notification_id > (SELECT max(position) FROM event_chain)"
                                                " ORDER BY 1")]
    report = officer.get("/api/integrity").json()
    assert (report["ok"], report["pending"], report["pending_verified"]) == (True, len(pending), len(pending))

    target = pending[1]
    _sql(settings, f"UPDATE {EVENTS_TABLE} SET state = state || '\\x00'::bytea WHERE notification_id = %s",
         (target,))
    report = officer.get("/api/integrity").json()
    assert (report["ok"], report["broken_position"], report["reason"]) == (False, target, "changed")
    assert "before it was chained" in report["detail"]

    view = versions.construct(ChainProjection.name, ChainView, env, create=True)
    try:
        with pytest.raises(ChainError, match=f"event {target} was changed"):
            view.chain_pending()
    finally:
        view.datastore.close()
    chained = [row[0] for row in _sql(settings, "SELECT position FROM event_chain ORDER BY 1")]
    assert chained[-1] == pending[0] < target <= last  # the rows before it are chained, it is not
    refused = officer.post("/api/integrity/checkpoints")
    assert refused.status_code == 409 and f"event {target} (changed)" in refused.json()["detail"]


# ---- on demand, daily, and told -------------------------------------------------------------------


def test_a_checkpoint_made_now_is_listed_used_by_the_route_and_mailed_to_the_privacy_officers(
        households, chain_worker, settings, env, officer):
    last = _chained(households, chain_worker)
    create_tables(env)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        # The API's application knows the demo's privacy officer (dirk).
        made = checkpoint_job.make_and_tell(env, settings, officer.app.state.households, conn, with_mail=True)
    assert made.checkpoint.position == last and made.path.exists()

    listed = officer.get("/api/integrity/checkpoints").json()
    assert [(i["file"], i["valid"], i["position"]) for i in listed["items"]] == [(made.path.name, True, last)]
    assert made.checkpoint.key_id in listed["public_keys"]

    _write(households, 1)
    chain_worker.wait(households.recorder.max_notification_id(), timeout=TIMEOUT)
    report = officer.get("/api/integrity").json()
    assert report["ok"] and report["verified_from"] == last and report["anchors_checked"] == 1
    assert report["checked"] == households.recorder.max_notification_id() - last  # only the rows since
    assert report["checkpoint"]["file"] == made.path.name
    assert officer.get("/api/integrity", params={"full": True}).json()["verified_from"] is None

    notes = _sql(settings, "SELECT recipient, kind, household_id, title FROM notifications WHERE kind = 'integrity'")
    assert notes == [("dirk", "integrity", None, f"Controlepunt gemaakt: de geschiedenis klopt tot en met positie "
                                                 f"{last}")]
    (recipient, message), = _sql(settings, "SELECT recipient, message FROM outgoing_mail")
    mail = email.message_from_bytes(bytes(message), policy=policy.default)
    assert recipient == "dirk@localhost" and mail["Subject"].startswith("Waakvlam: controlepunt van")
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == made.path.name
    assert checkpoints.Checkpoint.from_json(attachment.get_content()) == made.checkpoint
    assert "waakvlam verify --against" in mail.get_body(("plain",)).get_content()

    # A file someone altered is listed as not valid, and not relied on.
    altered = settings.checkpoint_dir / made.path.name.replace(".json", "-x.json")
    altered.write_text(made.path.read_text().replace(f'"position": {last},', f'"position": {last + 1},'))
    items = {i["file"]: i for i in officer.get("/api/integrity/checkpoints").json()["items"]}
    assert items[altered.name]["valid"] is False and "does not match" in items[altered.name]["problem"]
    assert officer.get("/api/integrity").json()["ok"] is True


def test_the_daily_checkpoint_is_made_once_a_day_from_its_hour(households, chain_worker, settings, env):
    _chained(households, chain_worker)
    create_tables(env)
    early = datetime(2026, 12, 4, 0, 30, tzinfo=UTC)  # 01:30 in Amsterdam: before WAAKVLAM_CHECKPOINT_HOUR (2)
    later = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        assert checkpoint_job.daily_checkpoint(env, settings, households, conn, now=early) is None
        made = checkpoint_job.daily_checkpoint(env, settings, households, conn, now=later)
        assert made is not None and made.checkpoint is not None
        assert checkpoint_job.daily_checkpoint(env, settings, households, conn, now=later) is None  # done today
    assert len(list(settings.checkpoint_dir.glob("checkpoint-*.json"))) == 1


def test_a_history_that_does_not_verify_gets_no_checkpoint_and_the_privacy_officers_hear_of_it(
        households, chain_worker, settings, env, officer):
    _chained(households, chain_worker)
    target = _sql(settings, f"SELECT min(notification_id) FROM {EVENTS_TABLE}")[0][0]
    _sql(settings, f"UPDATE {EVENTS_TABLE} SET state = state || '\\x00'::bytea WHERE notification_id = %s",
         (target,))
    create_tables(env)
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        made = checkpoint_job.make_and_tell(env, settings, officer.app.state.households, conn)
    assert made.checkpoint is None and not made.ok
    assert not settings.checkpoint_dir.exists() or not list(settings.checkpoint_dir.iterdir())
    (title,), = _sql(settings, "SELECT title FROM notifications WHERE kind = 'integrity'")
    assert title == f"De geschiedenis klopt niet: de gebeurtenissen, bij positie {target} (changed)"


def test_the_public_key_is_printed_for_publishing(settings):
    result = _cli(settings, "checkpoint-key")
    key = checkpoints.signing_key(settings).public_key()
    assert result.returncode == 0 and result.stdout.split()[0] == checkpoints.public_text(key)
    assert f"key id {checkpoints.key_id(key)}" in result.stdout
