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
    pool_size: int = Field(default=10, alias="WAAKVLAM_POOL_SIZE", ge=1, le=200,
                           description="Connections of an API process's pool (its requests, views and services).")
    worker_pool_size: int = Field(default=4, alias="WAAKVLAM_WORKER_POOL_SIZE", ge=1, le=200,
                                  description="Connections of the projection worker's pool, shared by its "
                                              "projections (each writes in batches, one at a time).")
    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=8000, alias="PORT", ge=1, le=65535)
    demo: bool = Field(default=False, alias="WAAKVLAM_DEMO",
                       description="Accept the demo bearer tokens and load demo data on first start.")
    kek: SecretStr | None = Field(
        default=None, alias="WAAKVLAM_KEK",
        description="Key-encryption key wrapping the per-household data keys (crypto-shredding): base64 of 32 "
                    "random bytes. Unset: one is generated once in WAAKVLAM_DATA_DIR/kek for the embedded database "
                    "or the demo; with DATABASE_URL outside demo mode it is required (the processes must share "
                    "it). A deployment keeps it out of the database's backups.",
    )
    # Signed checkpoints of the history (waakvlam/checkpoints.py, issue 12 §2).
    checkpoint_key: SecretStr | None = Field(
        default=None, alias="WAAKVLAM_CHECKPOINT_KEY",
        description="Ed25519 private key that signs the checkpoints: base64 of its 32 raw bytes. Unset: one is "
                    "generated once in WAAKVLAM_DATA_DIR/checkpoint_key for the embedded database or the demo; with "
                    "DATABASE_URL outside demo mode no checkpoint is made until it is set. Keep it out of the "
                    "database and its backups: whoever has it can sign a rewritten history.")
    checkpoint_public_keys: list[str] = Field(
        default=[], alias="WAAKVLAM_CHECKPOINT_PUBLIC_KEYS",
        description="Ed25519 public keys (base64 of 32 raw bytes, JSON list) whose checkpoints are trusted, "
                    "besides the signing key's own: a key used before, or the key published in the README's "
                    "configuration when verifying on another machine.")
    checkpoint_dir: Path | None = Field(
        default=None, alias="WAAKVLAM_CHECKPOINT_DIR",
        description="Where checkpoints are written, each as a new file (meant for write-once storage: a WORM "
                    "volume, an object store with retention lock). Default WAAKVLAM_DATA_DIR/checkpoints.")
    checkpoint_hour: int = Field(default=2, alias="WAAKVLAM_CHECKPOINT_HOUR", ge=0, le=23,
                                 description="From this hour (Europe/Amsterdam) the reminder worker makes the "
                                             "day's checkpoint, after verifying the whole history.")
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
    # Authentication (api/auth.py, waakvlam/accounts.py).
    oidc_issuer: str | None = Field(default=None, alias="WAAKVLAM_OIDC_ISSUER",
                                    description="OpenID Connect issuer whose bearer tokens (JWTs) are accepted.")
    oidc_audience: str | None = Field(default=None, alias="WAAKVLAM_OIDC_AUDIENCE",
                                      description="The `aud` the tokens must carry (this service's client id).")
    oidc_jwks_url: str | None = Field(default=None, alias="WAAKVLAM_OIDC_JWKS_URL",
                                      description="Where the issuer publishes its signing keys (JWKS).")
    oidc_jwks: str | None = Field(default=None, alias="WAAKVLAM_OIDC_JWKS",
                                  description="The issuer's signing keys inline, as JWKS JSON.")
    oidc_algorithms: list[Literal["RS256", "ES256"]] = Field(default=["RS256", "ES256"],
                                                             alias="WAAKVLAM_OIDC_ALGORITHMS")
    oidc_leeway: int = Field(default=30, alias="WAAKVLAM_OIDC_LEEWAY", ge=0, le=300,
                             description="Seconds of clock skew allowed on exp and nbf.")
    oidc_user_claim: str = Field(default="sub", alias="WAAKVLAM_OIDC_USER_CLAIM")
    oidc_role_claim: str = Field(default="waakvlam_role", alias="WAAKVLAM_OIDC_ROLE_CLAIM")
    oidc_team_claim: str = Field(default="waakvlam_team", alias="WAAKVLAM_OIDC_TEAM_CLAIM")
    # Logging in on the pages through the issuer (web/oidc.py): the authorization-code flow with PKCE.
    oidc_client_id: str | None = Field(default=None, alias="WAAKVLAM_OIDC_CLIENT_ID",
                                       description="This service's client id at the issuer (the ID token's `aud`); "
                                                   "set with WAAKVLAM_OIDC_ISSUER, the pages log in through it.")
    oidc_client_secret: SecretStr | None = Field(default=None, alias="WAAKVLAM_OIDC_CLIENT_SECRET",
                                                 description="Its secret (HTTP Basic at the token endpoint); "
                                                             "unset: a public client (PKCE only).")
    oidc_redirect_url: str | None = Field(default=None, alias="WAAKVLAM_OIDC_REDIRECT_URL",
                                          description="The callback registered at the issuer; default "
                                                      "WAAKVLAM_BASE_URL + /inloggen/oidc/terug.")
    oidc_scope: str = Field(default="openid", alias="WAAKVLAM_OIDC_SCOPE")
    oidc_organisation: str = Field(default="uw organisatie", alias="WAAKVLAM_OIDC_ORGANISATION",
                                   description="The name on the login button: 'Inloggen via <organisatie>'.")
    local_accounts: bool | None = Field(default=None, alias="WAAKVLAM_LOCAL_ACCOUNTS",
                                        description="Accept POST /api/login with local accounts; "
                                                    "default: when no OIDC issuer is configured.")
    session_hours: float = Field(default=10.0, alias="WAAKVLAM_SESSION_HOURS", gt=0, le=24 * 30)
    # A live session is read from the database at most this often per process (0: on every request); a logout
    # in this process ends it at once, a logout or disabled account elsewhere within these seconds.
    session_recheck: float = Field(default=5.0, alias="WAAKVLAM_SESSION_RECHECK_SECONDS", ge=0, le=60)
    login_max_failures: int = Field(default=5, alias="WAAKVLAM_LOGIN_MAX_FAILURES", ge=1, le=1000,
                                    description="Failed logins of one user name within the window before 429.")
    login_max_failures_per_address: int = Field(default=20, alias="WAAKVLAM_LOGIN_MAX_FAILURES_PER_ADDRESS",
                                                ge=1, le=100_000,
                                                description="Failed logins from one client address (an office "
                                                            "behind one NAT address) within the window before 429.")
    login_window: int = Field(default=900, alias="WAAKVLAM_LOGIN_WINDOW", ge=1, le=86400,
                              description="Seconds over which failed logins count (per user and per address).")
    # Hardening (api/security.py).
    cors_origins: list[str] = Field(default=[], alias="WAAKVLAM_CORS_ORIGINS",
                                    description="Origins whose browsers may call the API (JSON list); none by default.")
    max_body_bytes: int = Field(default=1_048_576, alias="WAAKVLAM_MAX_BODY_BYTES", ge=1024, le=100 * 1_048_576)
    hsts: bool = Field(default=False, alias="WAAKVLAM_HSTS",
                       description="Send Strict-Transport-Security (set when served over TLS).")

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_audience and (self.oidc_jwks_url or self.oidc_jwks))

    @property
    def oidc_login_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def oidc_callback_url(self) -> str:
        return self.oidc_redirect_url or self.base_url.rstrip("/") + "/inloggen/oidc/terug"

    @property
    def local_accounts_enabled(self) -> bool:
        if self.local_accounts is not None:
            return self.local_accounts
        return not (self.oidc_enabled or self.oidc_login_enabled)


@lru_cache
def get_settings() -> Settings:
    return Settings()
