"""Every setting, from the environment, in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    # Reminders and mail (workers/reminders.py, waakvlam/mail.py).
    base_url: str = Field(default="http://127.0.0.1:8000", alias="WAAKVLAM_BASE_URL",
                          description="Where people reach this service: links in mails and the calendar feed URL.")
    reminder_interval: float = Field(default=30.0, alias="WAAKVLAM_REMINDER_INTERVAL", gt=0, le=3600,
                                     description="Seconds between the reminder worker's looks at the schedule.")
    smtp_host: str | None = Field(default=None, alias="WAAKVLAM_SMTP_HOST",
                                  description="SMTP server for mail; unset: no mail (demo mode: the local sink).")
    smtp_port: int = Field(default=587, alias="WAAKVLAM_SMTP_PORT", ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = Field(default="starttls", alias="WAAKVLAM_SMTP_SECURITY")
    smtp_user: str | None = Field(default=None, alias="WAAKVLAM_SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, alias="WAAKVLAM_SMTP_PASSWORD")
    smtp_timeout: float = Field(default=20.0, alias="WAAKVLAM_SMTP_TIMEOUT", gt=0, le=300)
    smtp_ca_file: Path | None = Field(default=None, alias="WAAKVLAM_SMTP_CA_FILE",
                                      description="CA certificate(s) to trust for the SMTP server's TLS "
                                                  "(default: the system's).")
    mail_from: str = Field(default="Waakvlam <waakvlam@localhost>", alias="WAAKVLAM_MAIL_FROM")
    mail_domain: str = Field(default="localhost", alias="WAAKVLAM_MAIL_DOMAIN",
                             description="Mail domain of users without an address in their team's policy.")
    mail_sink_port: int = Field(default=8025, alias="WAAKVLAM_MAIL_SINK_PORT", ge=1, le=65535,
                                description="Port of the demo's local mail sink (`waakvlam run` in demo mode).")


@lru_cache
def get_settings() -> Settings:
    return Settings()
