"""The pages (issue 11): the Dutch web application beside the JSON API, installed into the same app.

The screens are the modules of web/routes/; what they share is in web/common.py. Authorisation and the
NEN 7513 access log are the API's own code (api/authz.py), so a page that shows household data writes the
same access-log entry as the API read it corresponds to.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from web import routes
from web.assets import CompressedStatic, PagesGzip
from web.common import HERE, error_page
from web.sessions import CsrfRefused, LoginNeeded, current_principal, to_login

# What a browser is told, in Dutch, for an address of the pages that answers no page.
STATUS_NL = {404: ("Pagina niet gevonden", "Deze pagina bestaat niet. Misschien is de link onvolledig of verouderd. "
                                           "Ga naar Mijn werk om verder te gaan."),
             405: ("Dit kan hier niet", "Deze pagina kan dit niet. Ga terug en probeer het via de knoppen op de "
                                        "pagina.")}


async def login_needed(request: Request, _error: LoginNeeded) -> Response:
    return to_login(request)


async def csrf_refused(request: Request, _error: CsrfRefused) -> Response:
    return error_page(request, None, 403, "Formulier verlopen",
                      "Dit formulier kon niet worden verwerkt: het was verlopen of kwam niet van deze pagina. "
                      "Ga terug, laad de pagina opnieuw en probeer het nog eens.")


def _wants_a_page(request: Request) -> bool:
    path = request.url.path
    return "text/html" in request.headers.get("accept", "") and not path.startswith(("/api/", "/api?", "/static/")) \
        and path not in ("/api", "/openapi.json", "/docs", "/redoc", "/healthz")


def pages_errors(problem_handler: Any) -> Any:
    """The app's handler of HTTP errors, answering a browser on a page's address with a Dutch page (a mistyped
    address, a form sent to a page that takes none) and everyone else as before (problem+json)."""
    async def handler(request: Request, error: StarletteHTTPException) -> Response:
        if not _wants_a_page(request) or error.status_code not in STATUS_NL:
            return await problem_handler(request, error)
        try:
            principal = await current_principal(request)
        except (LoginNeeded, StarletteHTTPException):
            principal = None
        title, text = STATUS_NL[error.status_code]
        return error_page(request, principal, error.status_code, title, text)
    return handler


def install(app: FastAPI) -> None:
    """The pages, their static files and the redirect to the login page, in `app` (api/main.py)."""
    for module in routes.modules():
        app.include_router(module.router)
    app.mount("/static", CompressedStatic(directory=HERE / "static", check_dir=False), name="static")
    app.add_exception_handler(LoginNeeded, login_needed)
    # Level 1, as nginx compresses by default: a third of the time of level 6, for 1 KB more.
    app.add_middleware(PagesGzip, minimum_size=1000, compresslevel=1)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(StarletteHTTPException, pages_errors(app.exception_handlers[StarletteHTTPException]))
