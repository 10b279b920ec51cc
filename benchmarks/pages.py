"""The pages (issue 11 §4), in one run on one database: a small generated store and a large one.

    stores     a generated store of --small events (default 10,000) and one of --events (default 1,000,000) over
               at least --households (20,000) households (benchmarks/store.py), views rebuilt (read_path.py)
    server     GET /households/{id} (the household page) and GET /huishoudens (the caseload page) through the real
               HTTP server, logged in through the login form as anna (generalist, Wijkteam Noord) with the session
               cookie, one keep-alive connection, random Noord households; interleaved with the JSON reads of
               the same households (GET /api/households/{id}/plan) and of the same list (GET /api/households).
               p50/p99 of the time to the full response, and the server's own duration (its JSON request log)
    bytes      the household page in Chromium (Debian's, through Playwright): bytes transferred (CDP
               Network.loadingFinished encodedDataLength: compressed bodies and headers) for the first load with
               an empty cache and for the next page (a second household, warm cache), per resource
    contact    Chromium at 360 px: from the tap on "Opslaan" on /households/{id}/contact to the household page
               showing the new contact in its timeline (a projection worker running), p50/p95

    .venv/bin/python benchmarks/pages.py                     # the issue's sizes (the large fill takes minutes)
    .venv/bin/python benchmarks/pages.py --events 100000     # a quicker look

DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory; schemas of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
import psycopg
from psycopg.sql import SQL, Identifier

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.read_path import Latency, catch_up_all, env_for, rebuild_all, worker
from benchmarks.store import fill
from benchmarks.write_path import database, fresh_schema, http_server, machine_busy, server_facts
from waakvlam.accounts import Accounts
from waakvlam.demo_users import BY_NAME, DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
USER = BY_NAME["anna"]  # a generalist of Wijkteam Noord: the household's team
TARGET_PAGE_P99_MS = 30.0
TARGET_RATIO = 1.5
TARGET_FIRST_KB = 150.0
TARGET_NEXT_KB = 30.0
TARGET_CONTACT_P95_MS = 500.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


# ---- the server time, logged in through the login form ------------------------------


class Session:
    """One keep-alive connection with the session cookie of a user who logged in through the login form."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.wire = 0

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                ) -> tuple[int, bytes, http.client.HTTPResponse]:
        sent = {"Connection": "keep-alive", "Accept-Encoding": "gzip", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=sent)
        response = self.conn.getresponse()
        content = response.read()
        self.wire = len(content)  # bytes as sent (compressed when the server compressed them)
        if response.getheader("Content-Encoding", "") == "gzip":
            content = gzip.decompress(content)
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if value and "max-age=0" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response.status, content, response

    def log_in(self, user: str, password: str = DEMO_PASSWORD) -> None:
        status, content, _ = self.request("GET", "/inloggen?volgende=/")
        found = CSRF.search(content.decode())
        if status != 200 or found is None:
            raise RuntimeError(f"GET /inloggen: {status}, no CSRF field")
        form = urlencode({"gebruikersnaam": user, "wachtwoord": password, "csrf": found.group(1), "volgende": "/"})
        status, content, _ = self.request("POST", "/inloggen", form.encode(),
                                          {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303 or "waakvlam_sessie" not in self.cookies:
            raise RuntimeError(f"POST /inloggen: {status} {content[:200]!r}")

    def timed(self, path: str, request_id: str, bearer: bool = False) -> tuple[float, int, int]:
        headers = {"X-Request-Id": request_id, **({"Authorization": f"Bearer {USER.token}"} if bearer else {})}
        started = time.perf_counter()
        status, content, _ = self.request("GET", path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {content[:200]!r}")
        return elapsed, self.wire, len(content)


@dataclass
class Reads:
    """Per kind of read: the client's times, the request ids (for the server's own durations), body sizes."""

    label: str
    client: dict[str, Latency] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=dict)  # bytes as sent
    decoded: dict[str, list[int]] = field(default_factory=dict)  # bytes decompressed
    server: dict[str, Latency] = field(default_factory=dict)
    page_gzip: tuple[int, int, int, str] = (0, 0, 0, "")  # one household page: HTML, gzip -6, as sent, encoding


KINDS = {  # kind: (path of a household or of the list, sent with the bearer token instead of the cookie)
    "household page": ("/households/{id}", False),
    "JSON plan": ("/api/households/{id}/plan", True),
    "caseload page": ("/huishoudens", False),
    "JSON caseload": ("/api/households?limit=25", True),
}


def bench_server(port: int, households: list[uuid.UUID], label: str, requests: int) -> Reads:
    session = Session(port)
    session.log_in(USER.name)
    reads = Reads(label)
    for kind in KINDS:
        reads.client[kind] = Latency(f"{kind} ({label})", [])
        reads.ids[kind], reads.sizes[kind], reads.decoded[kind] = [], [], []
    for household_id in households[:50]:  # warm-up: connections, prepared statements, templates
        for path, bearer in KINDS.values():
            session.timed(path.format(id=household_id), "warmup", bearer)
    rng = random.Random(7)
    for n in range(requests):  # interleaved, so that drift hits every kind alike
        household_id = rng.choice(households)
        for kind, (path, bearer) in KINDS.items():
            request_id = f"bench{n}x{list(KINDS).index(kind)}"
            elapsed, size, decoded = session.timed(path.format(id=household_id), request_id, bearer)
            reads.client[kind].samples.append(elapsed)
            reads.ids[kind].append(request_id)
            reads.sizes[kind].append(size)
            reads.decoded[kind].append(decoded)
    _, page, response = session.request("GET", KINDS["household page"][0].format(id=households[0]))
    reads.page_gzip = (len(page), len(gzip.compress(page, compresslevel=6)), session.wire,
                       response.getheader("Content-Encoding", "") or "none")
    return reads


def server_durations(reads: Reads, log_path: Path) -> None:
    """The server's own duration of each request (api/logging.py: one JSON line per request, `duration_ms`)."""
    durations: dict[str, float] = {}
    for line in log_path.read_text(errors="replace").splitlines():
        if '"request_id"' in line and '"duration_ms"' in line:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            durations[entry["request_id"]] = entry["duration_ms"]
    for kind, ids in reads.ids.items():
        found = [durations[i] for i in ids if i in durations]
        if found:
            reads.server[kind] = Latency(f"{kind} ({reads.label}), server's own", found)


def noord_households(url: str, schema: str, count: int, seed: int, *, open_only: bool = False) -> list[uuid.UUID]:
    status = SQL(" AND status = 'open'" if open_only else "")
    with psycopg.connect(url) as conn:
        ids = [row[0] for row in conn.execute(SQL("SELECT household_id FROM {0}.caseload WHERE team = %s{1}"
                                                  " ORDER BY household_id").format(Identifier(schema), status),
                                              (USER.team,))]
    return random.Random(seed).sample(ids, min(count, len(ids)))


# ---- Chromium: bytes, and from the tap on Opslaan to the contact in the timeline -------


class Transfers:
    """What Chromium fetched, from the DevTools protocol: per request its URL, type, encoding, cache and bytes."""

    def __init__(self, cdp: Any) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", self._cached)

    def _response(self, event: dict[str, Any]) -> None:
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        self.rows.setdefault(event["requestId"], {}).update(
            url=response["url"], type=event.get("type", ""), status=response.get("status"),
            encoding=headers.get("content-encoding", ""), cache=headers.get("cache-control", ""),
            from_cache=bool(response.get("fromDiskCache") or response.get("fromPrefetchCache")))

    def _finished(self, event: dict[str, Any]) -> None:
        self.rows.setdefault(event["requestId"], {})["bytes"] = event.get("encodedDataLength", 0)

    def _cached(self, event: dict[str, Any]) -> None:
        self.rows.setdefault(event["requestId"], {})["from_cache"] = True

    def take(self) -> list[dict[str, Any]]:
        rows = [{"bytes": 0, "from_cache": False, **row} for row in self.rows.values() if "url" in row]
        self.rows = {}
        return rows


def show_transfers(name: str, rows: list[dict[str, Any]]) -> float:
    total = sum(row["bytes"] for row in rows)
    print(f"    {name}: {total / 1024:.1f} KB over {len(rows)} requests", flush=True)
    for row in sorted(rows, key=lambda r: -r["bytes"]):
        path = row["url"].split("127.0.0.1", 1)[-1].split(":", 1)[-1].lstrip("0123456789")
        cached = "from cache" if row["from_cache"] else f"HTTP {row['status']}"
        print(f"      {row['bytes'] / 1024:7.1f} KB  {row['type']:<10} {cached:<10} "
              f"{row['encoding'] or 'uncompressed':<12} {row['cache'] or '-':<38} {path[:90]}")
    return total / 1024


def log_in_browser(page: Any, base: str) -> None:
    page.goto(f"{base}/inloggen")
    page.get_by_label("Gebruikersnaam").fill(USER.name)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(lambda address: "/inloggen" not in address)


MARK_TAP = """() => document.querySelector('form.wv-form button[type=submit]').addEventListener('pointerdown',
  () => sessionStorage.setItem('tap', String(performance.timeOrigin + performance.now())), {capture: true})"""
BROWSER_TIMES = """() => {
  const tap = Number(sessionStorage.getItem('tap')); const nav = performance.getEntriesByType('navigation')[0];
  const paint = performance.getEntriesByType('paint').find(p => p.name === 'first-contentful-paint');
  return {load: performance.timeOrigin + nav.domContentLoadedEventEnd - tap,
          paint: paint ? performance.timeOrigin + paint.startTime - tap : null};
}"""


def bench_browser(port: int, households: list[uuid.UUID], contacts: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    found: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--lang=nl-NL"])
        found["chromium"] = browser.version
        try:
            # Bytes: a fresh context (empty cache), logged in through the form, then the cache emptied again.
            context = browser.new_context(viewport={"width": 360, "height": 800}, locale="nl-NL",
                                          has_touch=True)  # a phone: "Opslaan" is tapped
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            log_in_browser(page, base)
            cdp.send("Network.clearBrowserCache")
            transfers = Transfers(cdp)
            page.goto(f"{base}/households/{households[0]}", wait_until="networkidle")
            found["first"] = transfers.take()
            page.goto(f"{base}/households/{households[1]}", wait_until="networkidle")
            found["next"] = transfers.take()
            # performance API, for comparison: navigation + resource transferSize of the page just loaded
            found["next_performance"] = page.evaluate(
                "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                ".reduce((sum, e) => sum + e.transferSize, 0)")

            # From the tap on Opslaan to the contact in the timeline, at 360 px, one household after another.
            python_ms, load_ms, paint_ms = [], [], []
            for n in range(contacts):
                household_id = households[2 + n % (len(households) - 2)]
                page.goto(f"{base}/households/{household_id}/contact", wait_until="networkidle")
                page.locator("input[name=soort]").first.check()
                text = f"Benchmarkcontact {n}: {uuid.uuid4().hex[:10]}"
                page.locator("#wat").fill(text)
                page.evaluate(MARK_TAP)
                button = page.get_by_role("button", name="Opslaan")
                button.scroll_into_view_if_needed()
                started = time.perf_counter()
                button.tap()
                page.locator("p.wv-what", has_text=text).wait_for(state="visible", timeout=15_000)
                python_ms.append((time.perf_counter() - started) * 1000)
                if f"/households/{household_id}" not in page.url or "vastgelegd=1" not in page.url:
                    raise RuntimeError(f"after saving, the browser is at {page.url}")
                times = page.evaluate(BROWSER_TIMES)
                load_ms.append(times["load"])
                if times["paint"] is not None:
                    paint_ms.append(times["paint"])
            found["contact"] = Latency("tap Opslaan → contact in the timeline", python_ms)
            found["contact_load"] = Latency("tap → DOMContentLoaded of the household page (browser clock)", load_ms)
            if paint_ms:
                found["contact_paint"] = Latency("tap → first contentful paint (browser clock)", paint_ms)
            context.close()
        finally:
            browser.close()
    return found


# ---- the run ---------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def pct(latency: Latency, q: float) -> float:
    return latency.pct(q)


def load_now() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} (1 / 5 min)"


def run(args: argparse.Namespace, workdir: Path) -> int:
    with database(workdir) as (url, where), fresh_schema(url) as small, fresh_schema(url) as big:
        facts = server_facts(url)
        print(f"Waakvlam pages benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}")
        print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GB RAM, "
              f"Python {platform.python_version()}, {platform.platform()}, Playwright {version('playwright')}")
        print(f"PostgreSQL {facts['version']} ({where}); shared_buffers={facts['shared_buffers']}")
        print(f"other load before starting: {machine_busy():.2f} cores busy; {load_now()}", flush=True)

        stores = [("small", small, args.small, 0), ("large", big, args.events, args.households)]
        results: dict[str, dict[str, Any]] = {}
        for label, schema, events, households in stores:
            if events <= 0:
                continue
            info = fill(url, schema, events=events, households=households, seed=2026, long_history=args.long_history)
            print(f"store {label}: {info.events} events, {info.households} households, filled in "
                  f"{info.seconds:.0f} s", flush=True)
            rebuild_all(url, schema)
            accounts = Accounts(env_for(url, schema))
            try:
                accounts.ensure_demo_accounts()
            finally:
                accounts.close()
            results[label] = measure(url, schema, label, info.events, args, workdir)
        summary(results)
    return 0


def measure(url: str, schema: str, label: str, events: int, args: argparse.Namespace, workdir: Path,
            ) -> dict[str, Any]:
    server_log = workdir / f"server-{label}.log"
    name = f"{events} events"
    found: dict[str, Any] = {}
    with http_server(url, schema, server_log, {"WAAKVLAM_LOG_LEVEL": "INFO"}) as server:
        households = noord_households(url, schema, 2000, seed=11)
        print(f"  server time ({label} store, {len(households)} Noord households; {load_now()})", flush=True)
        reads = bench_server(server.port, households, name, args.requests)
        found["reads"] = reads
        for kind in KINDS:
            print(f"    {reads.client[kind]}  body {statistics.median(reads.sizes[kind]) / 1024:.1f} KB as sent, "
                  f"{statistics.median(reads.decoded[kind]) / 1024:.1f} KB decoded", flush=True)
        plain, packed, sent, encoding = reads.page_gzip
        print(f"    one household page's HTML: {plain / 1024:.1f} KB, sent as {sent / 1024:.1f} KB (Content-Encoding: "
              f"{encoding}); gzip -6 makes {packed / 1024:.1f} KB", flush=True)
        with worker(url, schema, workdir / f"worker-{label}.log") as process:
            catch_up_all(url, schema, process, workdir / f"worker-{label}.log")
            open_ids = noord_households(url, schema, args.contacts + 2, seed=13, open_only=True)
            print(f"  Chromium ({label} store; {load_now()})", flush=True)
            found["browser"] = browser = bench_browser(server.port, open_ids, args.contacts)
            found["first_kb"] = show_transfers("household page, first load (empty cache)", browser["first"])
            found["next_kb"] = show_transfers("next household page (warm cache)", browser["next"])
            print(f"    next page by performance.getEntries transferSize: {browser['next_performance'] / 1024:.1f} KB")
            for key in ("contact", "contact_load", "contact_paint"):
                if key in browser:
                    latency = browser[key]
                    print(f"    {latency.name:<62} n={len(latency.samples)}  p50 {latency.p50:6.1f} ms  "
                          f"p95 {pct(latency, 0.95):6.1f} ms  max {max(latency.samples):6.1f} ms", flush=True)
    server_durations(reads, server_log)
    for kind in KINDS:
        if kind in reads.server:
            print(f"    {reads.server[kind]}", flush=True)
    return found


def summary(results: dict[str, dict[str, Any]]) -> None:
    print("\nsummary")
    for label, found in results.items():
        reads: Reads = found["reads"]
        for page, json_kind in (("household page", "JSON plan"), ("caseload page", "JSON caseload")):
            shown, against = reads.client[page], reads.client[json_kind]
            ratio = shown.p99 / against.p99
            own = reads.server.get(page)
            own_text = f"; server's own p50 {own.p50:.2f} / p99 {own.p99:.2f} ms" if own else ""
            print(f"  {label:<5} {page:<15} p50 {shown.p50:6.2f} ms p99 {shown.p99:6.2f} ms ≤ {TARGET_PAGE_P99_MS:g} "
                  f"{verdict(shown.p99 <= TARGET_PAGE_P99_MS)}; {json_kind} p50 {against.p50:.2f} p99 "
                  f"{against.p99:.2f} ms; p99 ratio {ratio:.2f} (p50 {shown.p50 / against.p50:.2f}) ≤ "
                  f"{TARGET_RATIO} {verdict(ratio <= TARGET_RATIO)}{own_text}")
        print(f"  {label:<5} bytes: first load {found['first_kb']:.1f} KB ≤ {TARGET_FIRST_KB:g} "
              f"{verdict(found['first_kb'] <= TARGET_FIRST_KB)}; next page {found['next_kb']:.1f} KB ≤ "
              f"{TARGET_NEXT_KB:g} {verdict(found['next_kb'] <= TARGET_NEXT_KB)}")
        contact = found["browser"]["contact"]
        print(f"  {label:<5} contact: tap Opslaan → in the timeline p50 {contact.p50:.0f} ms, p95 "
              f"{pct(contact, 0.95):.0f} ms (n={len(contact.samples)}) ≤ {TARGET_CONTACT_P95_MS:g} "
              f"{verdict(pct(contact, 0.95) <= TARGET_CONTACT_P95_MS)}")
    print(f"  Chromium {next(iter(results.values()))['browser']['chromium'] if results else '?'}; {load_now()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the large store (0: none)")
    parser.add_argument("--households", type=int, default=20_000, help="households in the large store (at least)")
    parser.add_argument("--small", type=int, default=10_000, help="events in the small store (0: none)")
    parser.add_argument("--long-history", type=int, default=2000, help="events of the store's long household")
    parser.add_argument("--requests", type=int, default=2000, help="reads of each kind per store")
    parser.add_argument("--contacts", type=int, default=30, help="contacts recorded in Chromium per store")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        parser.error(f"no {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda received, _frame: sys.exit(128 + received))
    workdir = Path(tempfile.mkdtemp(prefix="waakvlam-bench-pages-"))
    try:
        return run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
