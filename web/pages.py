"""The pages (issue 11): the Dutch web application beside the JSON API, installed into the same app.

The screens are the modules of web/routes/; what they share is in web/common.py. Authorisation and the
NEN 7513 access log are the API's own code (api/authz.py), so a page that shows household data writes the
same access-log entry as the API read it corresponds to.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from web import routes
from web.assets import CompressedStatic
from web.common import HERE, error_page
from web.sessions import CsrfRefused, LoginNeeded, to_login


async def login_needed(request: Request, _error: LoginNeeded) -> Response:
    return to_login(request)


async def csrf_refused(request: Request, _error: CsrfRefused) -> Response:
    return error_page(request, None, 403, "Formulier verlopen",
                      "Dit formulier kon niet worden verwerkt: het was verlopen of kwam niet van deze pagina. "
                      "Ga terug, laad de pagina opnieuw en probeer het nog eens.")


def install(app: FastAPI) -> None:
    """The pages, their static files and the redirect to the login page, in `app` (api/main.py)."""
    for module in routes.modules():
        app.include_router(module.router)
    app.mount("/static", CompressedStatic(directory=HERE / "static", check_dir=False), name="static")
    app.add_exception_handler(LoginNeeded, login_needed)
    app.add_exception_handler(CsrfRefused, csrf_refused)
