"""Bodies and answers of logging in and out (local accounts, api/routers/login.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"username": "anna", "password": "waakvlam-demo"}]})

    username: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]*$")
    password: str = Field(min_length=1, max_length=1024, pattern=r"^[^\x00]*$")


class LoginResult(BaseModel):
    access_token: str = Field(description="Send it as `Authorization: Bearer <access_token>`.")
    token_type: str = "bearer"
    expires_at: datetime
    expires_in: int = Field(description="Seconds until the session ends.")
    user_id: str
    role: str
    team: str | None = None
