"""The daily signed checkpoint (waakvlam/checkpoints.py), made by the reminder worker, and what the privacy
officers are told: the checkpoint itself (a notification, and a mail with the file attached, to keep outside
Waakvlam), or, when the history does not verify, where it breaks.

From WAAKVLAM_CHECKPOINT_HOUR (Dutch time) the first reminder worker to claim the day (workers/daily.py) walks
the whole history and signs it; POST /api/integrity/checkpoints makes one on demand through `make_and_tell`."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import structlog

from domain.application import Households
from domain.values import LOCAL_TZ
from waakvlam import checkpoints, mail
from waakvlam.settings import Settings
from workers import daily
from workers.officer_notice import Notice, tell_privacy_officers

JOB = "checkpoint"
log = structlog.get_logger("checkpoints")


def made_notice(checkpoint: checkpoints.Checkpoint, settings: Settings) -> Notice:
    when = datetime.strptime(checkpoint.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).astimezone(LOCAL_TZ)
    moment = f"{mail.dutch_date(when.date())} om {when:%H:%M}"
    body = (
        "Beste privacyfunctionaris,\n\n"
        f"Waakvlam heeft de hele geschiedenis gecontroleerd en er een ondertekend controlepunt van gemaakt "
        f"({moment}): {checkpoint.events} gebeurtenissen, tot en met positie {checkpoint.position}, en het "
        f"toegangslog tot en met regel {checkpoint.access_log_seq or 0}.\n\n"
        "Bewaar het bijgevoegde bestand buiten Waakvlam (bijvoorbeeld in het archief). Wie de database "
        "herschrijft, kan dit controlepunt niet namaken: met het bestand is later aan te tonen dat de "
        "geschiedenis sindsdien niet is veranderd:\n\n"
        f"    waakvlam verify --against {checkpoint.file_name}\n\n"
        f"Sleutel: {checkpoint.key_id}\n"
        f"Kopstand (SHA-256): {checkpoint.head_hash}\n\n"
        f"Het overzicht: {settings.base_url.rstrip('/')}/privacy\n\n"
        "-- \nWaakvlam — één gezin, één plan, één regisseur\n")
    return Notice(kind="integrity", source=f"checkpoint:{checkpoint.schema}:{checkpoint.position}:"
                                          f"{checkpoint.created_at}",
                  title=f"Controlepunt gemaakt: de geschiedenis klopt tot en met positie {checkpoint.position}",
                  subject=f"Waakvlam: controlepunt van {moment}", body=body,
                  attachments=((checkpoint.file_name, checkpoint.to_json().encode(), "application/json"),))


def broken_notice(made: checkpoints.Made, schema: str, settings: Settings) -> Notice:
    if not made.events.ok:
        where = f"de gebeurtenissen, bij positie {made.events.broken_position} ({made.events.reason})"
        source = f"broken:{schema}:events:{made.events.broken_position}:{made.events.reason}"
    else:
        where = f"het toegangslog, bij regel {made.access_log.broken_seq} ({made.access_log.reason})"
        source = f"broken:{schema}:log:{made.access_log.broken_seq}:{made.access_log.reason}"
    body = (
        "Beste privacyfunctionaris,\n\n"
        f"Bij de controle van de geschiedenis klopt {where} niet. Er is daarom geen controlepunt gemaakt.\n\n"
        "Dit kan betekenen dat iemand met toegang tot de database gegevens heeft veranderd of verwijderd. "
        "Meld dit als mogelijk beveiligingsincident en laat de beheerder `waakvlam verify` draaien.\n\n"
        f"Het overzicht: {settings.base_url.rstrip('/')}/privacy\n\n"
        "-- \nWaakvlam — één gezin, één plan, één regisseur\n")
    return Notice(kind="integrity", source=source, title=f"De geschiedenis klopt niet: {where}",
                  subject="Waakvlam: de geschiedenis klopt niet", body=body)


def make_and_tell(env: dict[str, str], settings: Settings, households: Households, conn: psycopg.Connection,
                  *, full: bool = True, with_mail: bool | None = None) -> checkpoints.Made:
    """Make a checkpoint and tell the privacy officers (the checkpoint, or where the history breaks)."""
    schema = env.get("POSTGRES_SCHEMA") or "public"
    made = checkpoints.make(env, settings, full=full)
    if made.checkpoint is not None:
        notice = made_notice(made.checkpoint, settings)
        log.info("checkpoint.made", position=made.checkpoint.position, file=str(made.path), chained=made.chained)
    elif not made.ok:
        notice = broken_notice(made, schema, settings)
        log.error("checkpoint.history_broken", events=str(made.events), access_log=made.access_log.as_dict())
    else:
        return made  # nothing stored yet: nothing to sign
    tell_privacy_officers(conn, schema, settings, households, notice, with_mail=with_mail)
    return made


def daily_checkpoint(env: dict[str, str], settings: Settings, households: Households, conn: psycopg.Connection,
                     *, now: datetime | None = None, with_mail: bool | None = None) -> checkpoints.Made | None:
    """The day's checkpoint, by the first worker to claim it from the configured hour; None when not its turn."""
    moment = (now or datetime.now(UTC)).astimezone(LOCAL_TZ)
    schema = env.get("POSTGRES_SCHEMA") or "public"
    if moment.hour < settings.checkpoint_hour:
        return None
    daily.create_table(conn, schema)
    if not daily.claim(conn, schema, JOB, moment.date()):
        return None
    try:
        return make_and_tell(env, settings, households, conn, with_mail=with_mail)
    except checkpoints.CheckpointKeyMissing as error:
        log.error("checkpoint.no_key", error=str(error))
        return None
