"""The FastAPI application: JSON under /api, OpenAPI at /openapi.json, its docs at /docs and /redoc (api/docs.py)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api import docs, problems, security
from api.committed import CommittedAccess
from api.logging import RequestLog
from api.routers import access_log as access_log_routes
from api.routers import calendar as calendar_routes
from api.routers import care, course, households, integrated_plan, integrity, people, plan, schedule, teams, timeline
from api.routers import login as login_routes
from api.routers import notifications as notification_routes
from api.routers import privacy as privacy_routes
from api.routers import retention as retention_routes
from api.routers import signals as signal_routes
from api.routers import staff as staff_routes
from domain.application import Households
from projections.caseload import CaseloadProjection, CaseloadView
from projections.notifications import NotificationsProjection, NotificationsView
from projections.plan import PlanProjection, PlanView
from projections.schedule import ScheduleProjection, ScheduleView
from projections.signals import SignalsProjection, SignalsView
from projections.timeline import TimelineProjection, TimelineView
from projections.versions import open_reader
from waakvlam import demo_users
from waakvlam.access_log import AccessLog
from waakvlam.access_log import logging_enabled as access_logging
from waakvlam.accounts import Accounts
from waakvlam.database import eventsourcing_env
from waakvlam.demo import STAFF as DEMO_STAFF
from waakvlam.demo_users import DEMO_PASSWORD
from waakvlam.logs import configure_logging
from waakvlam.settings import Settings, get_settings
from web import pages

DESCRIPTION = f"""
Event-sourced case management for *sociale wijkteams*: one household, one plan, one coordinator.

Every write answers with the household's new `version` (also its `ETag`) and the store `position`;
pass `?after=<position>` to a list to read your own write. Send `If-Match` to write only on the version
you saw, and `Idempotency-Key` to make a retry safe. Errors are `application/problem+json`.

Demo mode (`make run`) accepts these bearer tokens (and each user logs in at `POST /api/login` with the
password `{DEMO_PASSWORD}`); outside demo mode they are refused. A partner may report signals (`POST /api/signals`)
and see the status of its own reports, and nothing else (every other route answers 403). A wijkteam sees its own
households; outside one's team only by emergency access, the header `X-Emergency-Access: <reason>`, which is
allowed, logged and flagged. Every read and change of household data is in the NEN 7513 access log
(`GET /api/households/{{id}}/access-log`).

{demo_users.markdown_list()}
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        env = eventsourcing_env(settings)
        app.state.env = env
        # Sync routes run in threads; more threads than connections only queue on the pool.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.pool_size * 2
        app.state.households = Households(env=env, background_snapshots=True)
        if settings.demo:  # the demo tokens' people, until the staff registry knows them (domain/staff.py)
            app.state.households.demo_staff = dict(DEMO_STAFF)
        app.state.access_log = AccessLog(env, enabled=access_logging(settings.demo))  # NEN 7513
        # A change's entry commits in its events' transaction (waakvlam/store.py); others before the answer.
        app.state.households.recorder.access_entries = app.state.access_log.held_rows
        app.state.caseload = open_reader(CaseloadProjection.name, CaseloadView, env)
        app.state.plans = open_reader(PlanProjection.name, PlanView, env)
        app.state.timeline = open_reader(TimelineProjection.name, TimelineView, env)
        app.state.schedule = open_reader(ScheduleProjection.name, ScheduleView, env)
        app.state.signals = open_reader(SignalsProjection.name, SignalsView, env)
        app.state.notifications = open_reader(NotificationsProjection.name, NotificationsView, env)
        app.state.accounts = Accounts(env, session_hours=settings.session_hours,
                                      session_recheck=settings.session_recheck,
                                      max_failures=settings.login_max_failures,
                                      max_failures_per_address=settings.login_max_failures_per_address,
                                      window_seconds=settings.login_window)
        # What start-up made lives as long as the process: out of the collector's way, so that a full
        # collection during a request walks only what requests made (no pause of tens of ms on a page).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.households.close()
            app.state.caseload.datastore.close()
            app.state.plans.datastore.close()
            app.state.timeline.datastore.close()
            app.state.schedule.datastore.close()
            app.state.signals.datastore.close()
            app.state.notifications.datastore.close()
            app.state.access_log.close()
            app.state.accounts.close()

    app = FastAPI(title="Waakvlam", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_tags=docs.TAGS, servers=docs.SERVERS, contact=docs.CONTACT,
                  generate_unique_id_function=docs.operation_id)
    app.state.settings = settings
    problems.install(app)
    for module in (households, integrated_plan, people, care, plan, course, timeline, integrity, schedule, teams):
        app.include_router(module.router)
    app.include_router(signal_routes.router)
    app.include_router(notification_routes.router)
    app.include_router(calendar_routes.router)
    app.include_router(staff_routes.router)
    app.include_router(privacy_routes.router)
    app.include_router(retention_routes.router)
    app.include_router(access_log_routes.router)
    app.include_router(login_routes.router)
    pages.install(app)  # the werkplek: the Dutch pages (web/), outside the OpenAPI document
    docs.install(app, settings)
    security.install(app, settings)
    app.add_middleware(CommittedAccess)  # no answer before its access-log entries are committed
    app.add_middleware(RequestLog)

    # A module-level endpoint, never a closure over `app`: FastAPI caches endpoint functions (api/docs.py).
    app.add_api_route("/healthz", health, methods=["GET"], include_in_schema=False)
    return app


def health(request: Request) -> JSONResponse:
    request.app.state.households.recorder.max_notification_id()
    return JSONResponse({"status": "ok"})
