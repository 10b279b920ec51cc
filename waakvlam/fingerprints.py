"""Every stored event is fingerprinted the moment it is inserted, so that one changed before the chain worker
has chained it (projections/chain.py) is caught too: `waakvlam.integrity.verify` checks the events not yet
chained against their fingerprints, and the chain worker refuses to chain a row that no longer matches.

A fingerprint is SHA-256 of the row's canonical bytes, the same bytes the chain hashes (the format is defined
in projections/chain.py `canonical_row`; `canonical_sql` below is its SQL twin, and a test holds them equal).
It is written by a statement-level trigger on the events table, whoever inserts. Once its event is chained the
link is the evidence and the chain worker deletes the fingerprint in the same transaction; nothing else may
change or delete one (a trigger refuses UPDATE, TRUNCATE and the DELETE of a fingerprint not yet chained)."""

from __future__ import annotations

from psycopg.sql import SQL, Composed, Identifier, Literal

TABLE = "event_fingerprints"
CHAIN_TABLE = "event_chain"  # projections/chain.py TABLE (not imported: infrastructure does not import upward)


def canonical_sql(row: str) -> str:
    """The canonical bytes of stored row `row` (an alias with the events table's columns), in SQL."""
    topic = f"convert_to({row}.topic, 'UTF8')"
    return (f"int4send(8) || int8send({row}.notification_id) || int4send(16) || uuid_send({row}.originator_id)"
            f" || int4send(8) || int8send({row}.originator_version)"
            f" || int4send(octet_length({topic})) || {topic}"
            f" || int4send(octet_length({row}.state)) || {row}.state")


def ddl(schema: str, events_table: str) -> list[Composed]:
    s = Identifier(schema)
    table = SQL("{0}.{1}").format(s, Identifier(TABLE))
    events = SQL("{0}.{1}").format(s, Identifier(events_table))
    chain = SQL("{0}.{1}").format(s, Identifier(CHAIN_TABLE))
    record = SQL("{0}.{1}").format(s, Identifier(f"{TABLE}_record"))
    guard = SQL("{0}.{1}").format(s, Identifier(f"{TABLE}_guard"))
    return [
        SQL("CREATE TABLE IF NOT EXISTS {0} (notification_id bigint PRIMARY KEY, fingerprint bytea NOT NULL)"
            ).format(table),
        SQL("CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " INSERT INTO {1} (notification_id, fingerprint)"
            " SELECT n.notification_id, sha256(" + canonical_sql("n") + ") FROM new_rows n;"
            " RETURN NULL; END $$").format(record, table),
        SQL("CREATE OR REPLACE TRIGGER {0} AFTER INSERT ON {1} REFERENCING NEW TABLE AS new_rows"
            " FOR EACH STATEMENT EXECUTE FUNCTION {2}()").format(
            Identifier(f"{events_table}_fingerprint"), events, record),
        # A fingerprint goes only when its event is chained; never changed. (Whoever owns the tables can still
        # drop triggers: that is what the signed checkpoints outside the database are for.)
        SQL("CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF TG_OP = 'DELETE' AND to_regclass({1}) IS NOT NULL THEN"
            "  IF EXISTS (SELECT 1 FROM {2} WHERE position = OLD.notification_id) THEN RETURN OLD; END IF;"
            " END IF;"
            " RAISE EXCEPTION 'an event''s fingerprint is kept until the event is chained, and never changed';"
            " END $$").format(guard, Literal(f'"{schema}"."{CHAIN_TABLE}"'), chain),
        SQL("CREATE OR REPLACE TRIGGER {0} BEFORE UPDATE OR DELETE ON {1} FOR EACH ROW EXECUTE FUNCTION {2}()"
            ).format(Identifier(f"{TABLE}_no_change"), table, guard),
        SQL("CREATE OR REPLACE TRIGGER {0} BEFORE TRUNCATE ON {1} FOR EACH STATEMENT EXECUTE FUNCTION {2}()"
            ).format(Identifier(f"{TABLE}_no_truncate"), table, guard),
    ]
