"""Tamper evidence: verify the hash chain over the stored events (projections/chain.py) and the one over
the NEN 7513 access log (waakvlam/access_log.py)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import HouseholdsDep, PrincipalDep
from api.routers.common import problems
from waakvlam.access_log import verify as verify_access_log
from waakvlam.integrity import verify

router = APIRouter(prefix="/api", tags=["integrity"])


class AccessLogIntegrity(BaseModel):
    ok: bool = Field(description="Every access-log entry is stored as it was chained, none missing.")
    checked: int = Field(description="Entries verified intact.")
    head_hash: str | None = Field(description="SHA-256 (hex) at the log's head, when ok: keep it elsewhere.")
    broken_seq: int | None = Field(None, description="The FIRST entry where the chain breaks.")
    reason: str | None = Field(None, description="changed, deleted or inserted.")


class IntegrityReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "ok": False, "checked": 41, "last_position": 41, "chain_head": 120, "head_hash": None, "pending": 3,
        "broken_position": 42, "reason": "changed", "detail": "event 42 hashes differently than when it was chained",
        "access_log": {"ok": True, "checked": 1200, "head_hash": "9f2c…", "broken_seq": None, "reason": None},
    }]})

    ok: bool = Field(description="Every chained event is stored exactly as it was chained.")
    checked: int = Field(description="Events verified intact.")
    last_position: int | None = Field(description="The last position verified intact.")
    chain_head: int | None = Field(description="The last position the chain worker has chained.")
    head_hash: str | None = Field(description="SHA-256 (hex) at the chain's head, when ok: keep it elsewhere.")
    pending: int = Field(description="Events after the chain's head, not yet chained (not a break).")
    broken_position: int | None = Field(None, description="The FIRST position where the chain breaks.")
    reason: str | None = Field(None, description="changed, deleted, inserted or relinked.")
    detail: str | None = None
    access_log: AccessLogIntegrity = Field(description="The access log's own chain.")


@router.get("/integrity", response_model=IntegrityReport,
            responses=problems(401, 403, 503),
            summary="Verify the hash chains over the stored events and the access log: the first break, if any")
def integrity(principal: PrincipalDep, households: HouseholdsDep) -> IntegrityReport:
    """Verifies the hash chain over the stored events (as far as the chain worker has chained them) and the one over
    the NEN 7513 access log: whether every entry is stored exactly as it was chained, and where the first break is
    (changed, deleted, inserted or relinked). Keep `head_hash` elsewhere to detect a rewrite of the whole chain."""
    datastore = households.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn:
        result = verify(conn, datastore.schema)
        log = verify_access_log(conn, datastore.schema)
    return IntegrityReport(**result.as_dict(), access_log=AccessLogIntegrity(**log.as_dict()))
