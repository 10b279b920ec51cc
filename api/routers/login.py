"""Logging in with a local account (the embedded and demo mode) and out again.

`POST /api/login` answers an opaque session token for a user name and password;
failed attempts are limited per user name and per client address (429 with
Retry-After). `POST /api/logout` ends the session of the token it is sent with.
Deployments with OpenID Connect get their tokens from the issuer instead."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio.to_thread
import structlog
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from api.auth import BearerCredentials
from api.deps import SettingsDep
from api.routers.common import problems
from api.schemas.auth import LoginRequest, LoginResult
from waakvlam.accounts import UNAVAILABLE, LoginRefused, TooManyAttempts

router = APIRouter(prefix="/api", tags=["authentication"])
log = structlog.get_logger("api")


@router.post("/login", response_model=LoginResult, summary="Log in with a local account: answers a session token",
             responses=problems(413, 422, described={
                 401: "Wrong user name or password",
                 404: "Local accounts are not enabled here (sign in with OpenID Connect)",
                 429: "Too many failed logins for this user or address; see Retry-After",
                 503: "Database unavailable; see Retry-After"}))
async def login(body: LoginRequest, request: Request, settings: SettingsDep) -> LoginResult:
    """Logs in with the user name and password of a local account and answers a session token: send it as
    `Authorization: Bearer <access_token>` (in Swagger UI: Authorize, bearer). Failed attempts are limited per user
    name and per client address (429 with Retry-After). Where OpenID Connect is configured, local accounts are off
    unless WAAKVLAM_LOCAL_ACCOUNTS says otherwise (404)."""
    if not settings.local_accounts_enabled:
        raise HTTPException(404, "local accounts are not enabled here; sign in with OpenID Connect")
    accounts = request.app.state.accounts
    address = request.client.host if request.client else None
    try:
        session = await anyio.to_thread.run_sync(accounts.login, body.username, body.password, address)
    except TooManyAttempts as error:
        log.warning("login.limited", retry_after=error.retry_after)
        raise HTTPException(429, str(error), {"Retry-After": str(error.retry_after)}) from None
    except UNAVAILABLE as error:
        log.error("accounts.unavailable", error=type(error).__name__)
        raise HTTPException(503, "the database is not reachable; try again shortly", {"Retry-After": "5"}) from None
    except LoginRefused:
        log.info("login.refused")  # never the user name: it may be a mistyped password
        raise HTTPException(401, "wrong user name or password",
                            {"WWW-Authenticate": 'Bearer realm="waakvlam"'}) from None
    log.info("login", user=session.account.username)
    return LoginResult(access_token=session.token, expires_at=session.expires_at,
                       expires_in=int((session.expires_at - datetime.now(UTC)).total_seconds()),
                       user_id=session.account.username, role=session.account.role, team=session.account.team)


@router.post("/logout", status_code=204, summary="End the session of the bearer token sent (always answers 204)",
             responses={204: {"description": "The session has ended (or there was none)"},
                        **problems(described={503: "Database unavailable; see Retry-After"})},
             openapi_extra={"security": [{}]})  # the token is optional: without one there is nothing to end
async def logout(request: Request, settings: SettingsDep, _bearer: BearerCredentials = None) -> Response:
    """Ends the session of the local account's token sent as bearer token. Always answers 204: without a token, or with
    one that is no session, there is nothing to end."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() == "bearer" and token and settings.local_accounts_enabled:
        try:
            await anyio.to_thread.run_sync(request.app.state.accounts.logout, token)
        except UNAVAILABLE:
            raise HTTPException(503, "the database is not reachable; try again shortly",
                                {"Retry-After": "5"}) from None
    return Response(status_code=204)
