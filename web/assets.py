"""The pages' own static files (web/static/*.css, *.js) compressed as the vendored ones are: gzip made once per
file version, in memory, where web/vendor.sh made no `.gz` beside the file (ours change with the code, so a copy
made at set-up could go stale)."""

from __future__ import annotations

import functools
import gzip
import mimetypes
from pathlib import Path
from typing import Any

from fastapi.responses import Response
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

from web.common import Static

COMPRESSIBLE = (".css", ".js", ".svg", ".json")


@functools.lru_cache(maxsize=64)
def _compressed(path: str, mtime_ns: int, size: int) -> bytes:
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


class CompressedStatic(Static):
    def file_response(self, full_path: Any, stat_result: Any, scope: Any, status_code: int = 200) -> Response:
        path = str(full_path)
        accepts = dict(scope.get("headers") or []).get(b"accept-encoding", b"")
        if not path.endswith(COMPRESSIBLE) or Path(path + ".gz").is_file() or b"gzip" not in accepts \
                or status_code != 200:
            return super().file_response(full_path, stat_result, scope, status_code)
        plain = super().file_response(full_path, stat_result, scope, status_code)  # its cache headers
        body = _compressed(path, stat_result.st_mtime_ns, stat_result.st_size)
        headers = {k: v for k, v in plain.headers.items() if k.lower() not in ("content-length", "content-type")}
        headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(body, status_code, headers=headers,
                        media_type=mimetypes.guess_type(path)[0] or "text/plain")


class PagesGzip(GZipMiddleware):
    """The pages' HTML compressed (a household page: 35 KB to about 6 KB). Only the pages: the API's answers and
    the static files (compressed above) pass as they are. The forms' CSRF tokens are masked afresh on every page
    (web/sessions.masked_csrf), so compression leaks nothing about them."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else "/api"
        if path.startswith(("/api", "/static/", "/openapi.json", "/docs", "/redoc", "/healthz")):
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)
