"""The pages' static files: compressed when the browser accepts it, cached for a year only on a versioned URL
(the content hash is in the link, so a new file is a new URL), and the pages' Content-Security-Policy intact."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.support import log_in, pages_client

STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/vendor/utrecht\.css[^"]*)"')


def test_the_pages_link_the_design_system_by_a_versioned_url_cached_for_a_year(client: TestClient) -> None:
    visitor = pages_client(client)
    log_in(visitor, "anna")
    page = visitor.get("/")
    assert page.status_code == 200
    url = STYLESHEET.search(page.text).group(1)
    assert "?v=" in url
    answer = visitor.get(url, headers={"Accept-Encoding": "gzip, br"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert answer.headers["Content-Type"].startswith("text/css")
    assert int(answer.headers["Content-Length"]) < 60_000, "the stylesheet is sent compressed"
    assert ".utrecht-button" in answer.text


def test_an_unversioned_url_is_cached_for_an_hour_only(client: TestClient) -> None:
    visitor = pages_client(client)
    answer = visitor.get("/static/vendor/utrecht.css", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Cache-Control"] == "public, max-age=3600"
    assert "immutable" not in answer.headers["Cache-Control"]


def test_a_browser_that_does_not_accept_gzip_gets_the_plain_file(client: TestClient) -> None:
    visitor = pages_client(client)
    answer = visitor.get("/static/vendor/utrecht.css", headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert "Content-Encoding" not in answer.headers
    assert answer.headers["Vary"] == "Accept-Encoding"
    assert int(answer.headers["Content-Length"]) > 200_000


def test_the_content_security_policy_of_the_pages_is_intact(client: TestClient) -> None:
    visitor = pages_client(client)
    log_in(visitor, "anna")
    policy = visitor.get("/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self'" in policy or "default-src 'self'" in policy


def test_the_pages_own_stylesheet_and_scripts_are_versioned_and_compressed_too(client: TestClient) -> None:
    visitor = pages_client(client)
    log_in(visitor, "anna")
    page = visitor.get("/")
    own = re.search(r'href="(/static/waakvlam\.css\?v=[0-9a-f]+)"', page.text)
    assert own, "the pages' own stylesheet is linked by its content hash"
    plain = visitor.get(own.group(1))
    answer = visitor.get(own.group(1), headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip" and answer.headers["Vary"] == "Accept-Encoding"
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Type"].startswith("text/css")
    assert int(answer.headers["Content-Length"]) < len(plain.content) / 2
    assert answer.text == plain.text  # the same file, decompressed by the client
    script = visitor.get("/static/charts.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip" and "uPlot" in script.text


def test_the_pages_html_is_compressed_and_its_csrf_token_differs_on_every_page(client: TestClient) -> None:
    from tests.web.support import csrf_of

    visitor = pages_client(client)
    log_in(visitor, "anna")
    first = visitor.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and first.headers["Content-Type"].startswith("text/html")
    second = visitor.get("/", headers={"Accept-Encoding": "gzip"})
    older, newer = csrf_of(first.text), csrf_of(second.text)
    assert older != newer  # masked afresh: a compressed page's size tells nothing about the token (BREACH)
    assert visitor.post("/uitloggen", data={"csrf": older}).status_code == 303  # each one is this session's
    api = client.get("/api/households", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in api.headers  # the API's answers pass as they are


def test_the_fonts_are_linked_by_the_version_package_json_pins_and_cached_for_a_year(client: TestClient) -> None:
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pinned = json.loads((root / "package.json").read_text())["dependencies"]["@fontsource/noto-sans"]
    links = re.findall(r'url\("(vendor/fonts/[^"]+)"\)', (root / "web" / "static" / "waakvlam.css").read_text())
    assert links and all(link.endswith(f"?v={pinned}") for link in links), "update the ?v= with the package"
    answer = pages_client(client).get(f"/static/{links[0]}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
