"""Tamper evidence: verify the hash chain over the stored events (projections/chain.py) and the one over the NEN
7513 access log (waakvlam/access_log.py), against the signed checkpoints kept outside the database
(waakvlam/checkpoints.py); list the checkpoints and make one now. For the privacy officer and the administrator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.authz import role_and_team
from api.deps import HouseholdsDep, PrincipalDep, SettingsDep
from api.routers.common import problems
from domain.staff import ADMINISTRATOR, PRIVACY_OFFICER
from projections.versions import connect
from waakvlam import checkpoints
from workers.checkpoint_job import make_and_tell

router = APIRouter(prefix="/api/integrity", tags=["integrity"])
ROLES = (PRIVACY_OFFICER, ADMINISTRATOR)
FORBIDDEN = "the integrity of the history is the privacy officer's and the administrator's"
FullQuery = Annotated[bool, Query(description="Walk the whole history, not only what came after the last signed "
                                              "checkpoint (slower; the daily checkpoint does it).")]


class AccessLogIntegrity(BaseModel):
    ok: bool = Field(description="Every access-log entry is stored as it was chained, none missing.")
    checked: int = Field(description="Entries verified intact (since the checkpoint, when one was used).")
    head_hash: str | None = Field(description="SHA-256 (hex) at the log's head, when ok.")
    head_seq: int | None = Field(None, description="The last entry verified, when ok.")
    broken_seq: int | None = Field(None, description="The FIRST entry where the chain breaks.")
    reason: str | None = Field(None, description="changed, deleted, inserted, or rewritten (a checkpoint's hash "
                                                 "is no longer in the log).")


class CheckpointItem(BaseModel):
    file: str = Field(description="Its file in WAAKVLAM_CHECKPOINT_DIR.")
    valid: bool = Field(description="Signed by a trusted key, and unaltered.")
    problem: str | None = Field(None, description="Why it is not valid.")
    schema_name: str | None = Field(None, alias="schema")
    position: int | None = Field(None, description="The chain's head it vouches for.")
    head_hash: str | None = None
    events: int | None = Field(None, description="Events verified before it was signed.")
    access_log_seq: int | None = None
    access_log_hash: str | None = None
    created_at: str | None = None
    key_id: str | None = None
    signature: str | None = None

    model_config = ConfigDict(populate_by_name=True)


class IntegrityReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ok": False, "checked": 0, "last_position": None, "chain_head": 120, "head_hash": None, "pending": 3,
        "broken_position": 100, "reason": "rewritten",
        "detail": "the chain holds another hash at position 100 than the signed checkpoint (9f2c…): the history "
                  "before it was rewritten",
        "verified_from": 100, "pending_verified": 3, "anchors_checked": 0, "checkpoint": None,
        "access_log": {"ok": True, "checked": 12, "head_hash": "9f2c…", "head_seq": 1200, "broken_seq": None,
                       "reason": None},
    }]})

    ok: bool = Field(description="The history extends every signed checkpoint and is stored exactly as chained.")
    checked: int = Field(description="Events verified intact (since `verified_from`).")
    last_position: int | None = Field(description="The last position verified intact.")
    chain_head: int | None = Field(description="The last position chained.")
    head_hash: str | None = Field(description="SHA-256 (hex) at the chain's head, when ok.")
    pending: int = Field(description="Events after the chain's head, not yet chained (not a break).")
    pending_verified: int = Field(0, description="Of those, how many match their fingerprint taken at insert.")
    broken_position: int | None = Field(None, description="The FIRST position where the history breaks.")
    reason: str | None = Field(None, description="changed, deleted, inserted, relinked, or rewritten (the chain "
                                                 "no longer holds a signed checkpoint's hash).")
    detail: str | None = None
    verified_from: int | None = Field(None, description="The walk started after this position, the last signed "
                                                        "checkpoint's (what came before it is vouched for by its "
                                                        "signature and re-walked daily); null: from the start.")
    anchors_checked: int = Field(0, description="Signed checkpoints the history was found to extend.")
    checkpoint: CheckpointItem | None = Field(None, description="The last valid checkpoint, the walk's start.")
    access_log: AccessLogIntegrity = Field(description="The access log's own chain.")


class CheckpointList(BaseModel):
    items: list[CheckpointItem] = Field(description="Every checkpoint file, oldest position first.")
    public_keys: dict[str, str] = Field(description="The trusted public keys (base64, Ed25519) by key id.")
    directory: str


def _require(request: Request, principal: PrincipalDep) -> None:
    if role_and_team(request, principal)[0] not in ROLES:
        raise HTTPException(403, FORBIDDEN)


def _stored(settings: SettingsDep, schema: str) -> list[checkpoints.Stored]:
    return checkpoints.read_all(checkpoints.directory(settings), checkpoints.trusted_keys(settings), schema)


@router.get("", response_model=IntegrityReport, responses=problems(401, 422, 503, described={403: FORBIDDEN}),
            summary="Verify the history against its signed checkpoints: the first break, if any")
def integrity(request: Request, principal: PrincipalDep, households: HouseholdsDep, settings: SettingsDep,
              full: FullQuery = False) -> IntegrityReport:
    """Verifies the hash chain over the stored events and the one over the NEN 7513 access log: that the history
    still holds the hash of every signed checkpoint (a rewrite of the whole chain is caught there), that the rows
    since the last checkpoint (`full`: all rows) are stored exactly as they were chained, and that events not yet
    chained match the fingerprint taken when they were stored. Names the first break (changed, deleted, inserted,
    relinked, rewritten)."""
    _require(request, principal)
    datastore = households.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn:
        result, log, last = checkpoints.verify_history(conn, datastore.schema, settings, full=full)
    item = CheckpointItem(file=last.file_name, valid=True, **last.__dict__) if last else None
    return IntegrityReport(**result.as_dict(), checkpoint=item, access_log=AccessLogIntegrity(**log.as_dict()))


@router.get("/checkpoints", response_model=CheckpointList, responses=problems(401, 503, described={403: FORBIDDEN}),
            summary="The signed checkpoints of the history, and the keys they are checked with")
def list_checkpoints(request: Request, principal: PrincipalDep, households: HouseholdsDep,
                     settings: SettingsDep) -> CheckpointList:
    """Every checkpoint file in the configured directory, each checked against the trusted public keys (an altered
    or foreign file is listed as not valid, with why)."""
    _require(request, principal)
    schema = households.recorder.datastore.schema  # type: ignore[attr-defined]
    items = [CheckpointItem(**stored.as_dict()) for stored in _stored(settings, schema)]
    keys = {key_id: checkpoints.public_text(key) for key_id, key in checkpoints.trusted_keys(settings).items()}
    return CheckpointList(items=items, public_keys=keys, directory=str(checkpoints.directory(settings)))


@router.post("/checkpoints", response_model=CheckpointItem, status_code=201,
             responses=problems(401, 422, 503, described={
                 403: FORBIDDEN, 409: "The history does not verify (or holds nothing yet): no checkpoint made"}),
             summary="Make a signed checkpoint now (and mail it to the privacy officers)")
def make_checkpoint(request: Request, principal: PrincipalDep, households: HouseholdsDep, settings: SettingsDep,
                    full: FullQuery = False) -> CheckpointItem:
    """Chains the events the chain worker has not reached yet, verifies the history (since the last checkpoint, or
    `full`), and signs its head: written as a new file to the checkpoint directory, and sent to the privacy
    officers. When the history does not verify no checkpoint is made (409, naming the break) and the privacy
    officers are told."""
    _require(request, principal)
    env = request.app.state.env
    try:
        with connect(env) as conn:
            made = make_and_tell(env, settings, households, conn, full=full)
    except checkpoints.CheckpointKeyMissing as error:
        raise HTTPException(503, str(error)) from None
    if made.checkpoint is None:
        if made.ok:
            raise HTTPException(409, "the history holds no chained event yet: there is nothing to sign")
        broken = made.events if not made.events.ok else None
        where = (f"event {broken.broken_position} ({broken.reason}): {broken.detail}" if broken else
                 f"access-log entry {made.access_log.broken_seq} ({made.access_log.reason})")
        raise HTTPException(409, f"the history does not verify at {where}; no checkpoint was made")
    return CheckpointItem(file=made.checkpoint.file_name, valid=True, **made.checkpoint.__dict__)
