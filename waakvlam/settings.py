"""Every setting, from the environment, in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None, alias="DATABASE_URL",
        description="PostgreSQL to use; when unset an embedded PostgreSQL is started in WAAKVLAM_DATA_DIR.",
    )
    data_dir: Path = Field(default=Path(".data"), alias="WAAKVLAM_DATA_DIR")
    postgres_schema: str = Field(default="public", alias="POSTGRES_SCHEMA")
    pool_size: int = Field(default=10, alias="WAAKVLAM_POOL_SIZE", ge=1, le=200)
    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=8000, alias="PORT", ge=1, le=65535)
    demo: bool = Field(default=False, alias="WAAKVLAM_DEMO",
                       description="Accept the demo bearer tokens and load demo data on first start.")
    log_level: str = Field(default="INFO", alias="WAAKVLAM_LOG_LEVEL")
    catch_up_timeout: float = Field(default=5.0, alias="WAAKVLAM_CATCH_UP_TIMEOUT", gt=0, le=60,
                                    description="Seconds a read with ?after= waits for its view.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
