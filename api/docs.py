"""The API explains itself, offline: the OpenAPI document at /openapi.json, Swagger UI at /docs and ReDoc at
/redoc, with their JavaScript and CSS served by this server from an installed package (`fastapi-offline`, which
ships Swagger UI 5 and ReDoc 2), never from a CDN: on a machine without internet the docs still work.

The document declares how to authenticate (`bearer`: a demo token, a session token of `POST /api/login`, or an
OpenID Connect access token; and `openIdConnect` when an issuer is configured), the security of every operation
(none on the public calendar feed and login; optional on logout), a tag, a description and a camelCase
operationId for every operation, and problem+json for every error. Spectral's `spectral:oas` ruleset and
openapi-spec-validator check it in the tests (tests/api/test_openapi.py)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from api.auth import BEARER_SCHEME, DEMO_TOKENS
from api.routers.common import Problem
from waakvlam.settings import Settings

DOCS = "/docs"
REDOC = "/redoc"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
ASSETS = "/docs/assets"  # swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png
ASSETS_PACKAGE = ("fastapi_offline", "static")
OIDC_SCHEME = "openIdConnect"

TAGS: list[dict[str, str]] = [
    {"name": "households", "description": "Register a household, the caseload, one household's summary and its "
                                          "check-ins."},
    {"name": "people", "description": "Who belongs to a household, who helps from around it, and its one "
                                      "coordinator."},
    {"name": "contacts and signals", "description": "What the team sees and does: signals, contacts and ZRM "
                                                    "assessments."},
    {"name": "plan", "description": "The integrated plan: goals per life domain, agreements and interventions."},
    {"name": "course", "description": "The course of support: intensity, the check-ins of the pilot light, the "
                                      "signaleringsplan, closure, reopening and corrections."},
    {"name": "timeline", "description": "A household's timeline in Dutch, and its audit history of stored events."},
    {"name": "schedule", "description": "The check-ins due, overdue first, and one household's check-in history."},
    {"name": "teams", "description": "A team's policy: cadence, reminders, signal response, lead and addresses."},
    {"name": "signals", "description": "Signals from partners and the team: intake, the inbox and triage."},
    {"name": "notifications", "description": "Your in-app notifications: reminders and signal alerts."},
    {"name": "calendar", "description": "Your open check-ins as an iCalendar feed at a secret address."},
    {"name": "staff", "description": "The staff registry: people, teams and roles, and who changed them."},
    {"name": "privacy", "description": "AVG: subject access (export), consent to share, and erasure."},
    {"name": "access log", "description": "NEN 7513: who accessed a household's file."},
    {"name": "integrity", "description": "Tamper evidence: the hash chains over the events and the access log."},
    {"name": "authentication", "description": "Log in with a local account, and out again."},
]
SERVERS = [{"url": "/", "description": "This server"}]
CONTACT = {"name": "Waakvlam"}


def operation_id(route: APIRoute) -> str:
    """The endpoint function's name in camelCase: `record_contact` -> `recordContact` (unique: tested)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def oidc_discovery_url(settings: Settings) -> str:
    return f"{str(settings.oidc_issuer).rstrip('/')}/.well-known/openid-configuration"


def oidc_origin(settings: Settings) -> str | None:
    """The issuer's origin, which the docs page may connect to (discovery, token endpoint); None without OIDC."""
    if not settings.oidc_enabled:
        return None
    parts = urlsplit(str(settings.oidc_issuer))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


class _Assets(StaticFiles):
    """The docs' assets: cached by the browser, but revalidated (their ETag), so an upgrade shows at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        return response


# The pages are module-level functions that find their app in the request: FastAPI keeps a module-level cache of
# endpoint functions (fastapi.dependencies.models, 4,096 of them), so an endpoint made inside `install` that closed
# over `app` kept every app ever made alive (issue 10, item 8: the test run's memory).


async def swagger_ui(request: Request) -> HTMLResponse:
    app, root = request.app, request.scope.get("root_path", "")
    settings: Settings = app.state.settings
    oauth = {"clientId": settings.oidc_audience, "usePkceWithAuthorizationCodeGrant": True,
             "scopes": "openid"} if settings.oidc_enabled else None
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon.png", oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT}",
        init_oauth=oauth, swagger_ui_parameters={"validatorUrl": None})


async def swagger_ui_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


async def redoc(request: Request) -> HTMLResponse:
    app, root = request.app, request.scope.get("root_path", "")
    return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
                          redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                          redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)


def install(app: FastAPI, settings: Settings) -> None:
    """The docs pages and their assets, and the completed OpenAPI document. `app` is made with
    docs_url=None and redoc_url=None (FastAPI's own pages load from a CDN)."""
    app.mount(ASSETS, _Assets(packages=[ASSETS_PACKAGE]), name="docs-assets")
    app.add_api_route(DOCS, swagger_ui, methods=["GET"], include_in_schema=False)
    app.add_api_route(OAUTH2_REDIRECT, swagger_ui_redirect, methods=["GET"], include_in_schema=False)
    app.add_api_route(REDOC, redoc, methods=["GET"], include_in_schema=False)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(generate(), settings)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What FastAPI does not say by itself: the Problem schema, the bearer scheme's tokens, OpenID Connect
    where configured; and without its own 422 (`HTTPValidationError` as application/json), which this API
    never sends: its 422 is problem+json, declared by each route that can answer it."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for operations in document["paths"].values():
        for operation in operations.values():
            validation = operation.get("responses", {}).get("422", {}).get("content", {}).get("application/json", {})
            if validation.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del operation["responses"]["422"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    assert "#/components/schemas/HTTPValidationError" not in json.dumps(document)

    schemes = components.setdefault("securitySchemes", {})
    schemes[BEARER_SCHEME]["description"] = bearer_description(settings)
    if settings.oidc_enabled:
        schemes[OIDC_SCHEME] = {
            "type": "openIdConnect", "openIdConnectUrl": oidc_discovery_url(settings),
            "description": f"Sign in at the OpenID Connect issuer ({settings.oidc_issuer}); its access token is "
                           "sent as a bearer token."}
        for operations in document["paths"].values():
            for operation in operations.values():
                if "security" in operation:
                    operation["security"] = [entry for requirement in operation["security"] for entry in (
                        [requirement, {OIDC_SCHEME: []}] if BEARER_SCHEME in requirement else [requirement])]
    return document


def bearer_description(settings: Settings) -> str:
    """What Swagger UI's Authorize dialog says about the bearer tokens this server accepts."""
    ways = []
    if settings.demo:
        tokens = ", ".join(f"`{token}` ({p.user_id}, {p.role.replace('_', ' ')})" for token, p in DEMO_TOKENS.items())
        ways.append(f"a demo token (demo mode only): {tokens}")
    if settings.local_accounts_enabled:
        ways.append("the session token of a local account: `POST /api/login` answers it as `access_token`")
    if settings.oidc_enabled:
        ways.append(f"an access token (JWT) of the OpenID Connect issuer {settings.oidc_issuer}")
    return "Send `Authorization: Bearer <token>` with one of:\n\n" + "".join(f"- {way}\n" for way in ways)
