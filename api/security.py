"""Hardening that every response gets (DESIGN §4 of issue 5).

- Security headers: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
  `X-Frame-Options: DENY`, a Content-Security-Policy that allows nothing for the JSON
  API and, for the docs, only this server's own Swagger UI / ReDoc assets (api/docs.py: no CDN), and
  the OpenID Connect issuer where one is configured (Swagger UI's sign-in fetches its discovery
  document and token endpoint), and for the pages (web/) only this server's own scripts, styles and fonts,
  `Strict-Transport-Security` when WAAKVLAM_HSTS is set (behind TLS), and
  `Cache-Control: no-store` unless a route chose its own caching.
- Request size limit: a body larger than WAAKVLAM_MAX_BODY_BYTES is refused with
  413 problem+json before the application sees it, whether it announces its length
  or comes chunked.
- Header limits: more than MAX_HEADERS header fields, one field longer than MAX_HEADER_BYTES or all of
  them longer than MAX_HEADERS_TOTAL (Apache's and nginx's defaults) are refused with 431 problem+json:
  the HTTP server in front accepts a flood of them.
- CORS is closed unless WAAKVLAM_CORS_ORIGINS names origins.

The headers are added outside Starlette's error middleware, so a 500 has them too.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.docs import oidc_origin
from waakvlam.settings import Settings

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS = ("/docs", "/redoc")
# The pages (web/): this server's own scripts, styles, fonts and images only; forms post to this server only.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
NOT_PAGES = ("/api/", "/openapi.json", "/healthz")
MAX_HEADERS = 100  # Apache's LimitRequestFields
MAX_HEADER_BYTES = 8190  # Apache's LimitRequestFieldSize
MAX_HEADERS_TOTAL = 32 * 1024  # nginx's large_client_header_buffers (4 x 8k)


def policy_for(path: str, docs: str) -> str:
    if path.startswith(DOCS):
        return docs
    if path == "/api" or path.startswith(NOT_PAGES):
        return API_POLICY
    return PAGE_POLICY


def docs_policy(settings: Settings) -> str:
    """The docs pages: their inline start-up script and styles, and this server's own assets; nothing else."""
    connect = " ".join(["'self'", *filter(None, [oidc_origin(settings)])])
    return ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:; font-src 'self'; connect-src {connect}; worker-src 'self' blob:; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


log = structlog.get_logger("api")


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.hsts = settings.hsts
        self.docs_policy = docs_policy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        fixed = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                 (b"x-frame-options", b"DENY"), (b"cross-origin-resource-policy", b"same-origin")]
        policy = policy_for(path, self.docs_policy)
        fixed.append((b"content-security-policy", policy.encode()))
        if self.hsts:
            fixed.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dict(fixed)]
                headers.extend(fixed)
                if not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        refused = _headers_refused(scope["headers"])
        if refused:
            await _refuse(431, "Request Header Fields Too Large", refused, send_with_headers, "request.headers_refused")
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await _too_large(self.max_body, send_with_headers)
            return
        if length is None and not _chunked(scope):
            await self.app(scope, receive, send_with_headers)
            return
        # Read the body here (bounded) and hand it on: a chunked body cannot lie about its size.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _too_large(self.max_body, send_with_headers)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _chunked(scope: Scope) -> bool:
    return any(key == b"transfer-encoding" for key, _ in scope["headers"]) or scope.get("method") in (
        "POST", "PUT", "PATCH")


def _headers_refused(headers: list[tuple[bytes, bytes]]) -> str | None:
    """Why the request's header fields are refused, or None."""
    if len(headers) > MAX_HEADERS:
        return f"the request has more than {MAX_HEADERS} header fields"
    total = 0
    for key, value in headers:
        size = len(key) + len(value)
        if size > MAX_HEADER_BYTES:
            return f"a request header field is longer than {MAX_HEADER_BYTES} bytes"
        total += size
    if total > MAX_HEADERS_TOTAL:
        return f"the request's header fields are longer than {MAX_HEADERS_TOTAL} bytes together"
    return None


async def _too_large(limit: int, send: Send) -> None:
    await _refuse(413, "Content Too Large", f"the request body is larger than {limit} bytes", send,
                  "request.too_large")


async def _refuse(status: int, title: str, detail: str, send: Send, event: str) -> None:
    log.warning(event, status=status, detail=detail)  # not the path: it may hold what a user typed
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, settings: Settings) -> None:
    """CORS (only for the configured origins) and the security middleware, outside everything else."""
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key",
                                          "X-Request-Id"],
                           expose_headers=["ETag", "Location", "Retry-After", "X-Request-Id",
                                           "Idempotent-Replayed"], max_age=600)
    build = app.build_middleware_stack

    def build_secured() -> Any:
        return SecurityMiddleware(build(), settings)

    app.build_middleware_stack = build_secured  # type: ignore[method-assign]
