"""Issue 12 §5: the libraries that replaced hand-written code, measured against that code in one run.

The hand-written versions are copied here as they were at e7dc782 (before the switch), trimmed to what runs:
- mail: `waakvlam.mail.compose` (email.message.EmailMessage, SMTP policy) against the hand-made headers and
  quopri, for a reminder mail as the reminder worker composes it (the reason given for the hand-written code:
  "EmailMessage takes a millisecond per message: ten seconds of a reminder worker's time for 10,000 reminders");
- calendar: `api.routers.calendar.calendar` (icalendar) against the hand-made serialiser, a feed of 50 check-ins;
- export: `projections.export.as_html` (Jinja2, autoescape) against string concatenation, a household of 200
  events;
- jwks: finding the signing key of a token (PyJWKClient's cached key set against the old dict lookup), and a
  whole `OidcVerifier.verify` (RS256) for scale.

Each case runs ROUNDS rounds, the two sides interleaved within a round; the figure is the median round's time per
operation. In-process, CPU only: no database, no network.

    .venv/bin/python benchmarks/libraries.py            # about 30 s
    .venv/bin/python benchmarks/libraries.py --quick    # one short round per case
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import quopri
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from api import auth
from api.routers import calendar as calendar_routes
from projections import export
from waakvlam import mail
from waakvlam.mail import household_link, message_id, one_line
from waakvlam.settings import Settings

# ---- the hand-written code, as it was (e7dc782) -----------------------------------------------


def _header(name: str, value: str) -> str:
    value = one_line(value)
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8", maxlinelen=76, header_name=name).encode(linesep="\r\n")


def _address(address: str) -> str:
    name, bare = parseaddr(one_line(address))
    return formataddr((name, bare), charset="utf-8") if bare else one_line(address)


def hand_compose(*, mail_id: uuid.UUID, sender: str, to: str, subject: str, body: str, domain: str,
                 sent_at: datetime, headers: dict[str, str] | None = None) -> bytes:
    fields = [("From", _address(sender)), ("To", _address(to)), ("Subject", _header("Subject", subject)),
              ("Date", format_datetime(sent_at)), ("Message-ID", message_id(mail_id, domain)),
              ("Auto-Submitted", "auto-generated")]
    fields += [(name, _header(name, value)) for name, value in (headers or {}).items()]
    fields += [("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="utf-8"'),
               ("Content-Transfer-Encoding", "quoted-printable")]
    head = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("ascii")
    text = "\n".join(line.rstrip("\r") for line in body.split("\n"))
    return head + b"\r\n" + quopri.encodestring(text.encode("utf-8")).replace(b"\n", b"\r\n")


def _ics_escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    if len(line.encode("utf-8")) <= 75:
        return line
    parts, current, size, limit = [], [], 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, 74
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def hand_calendar(rows: list[Any], owner: str, *, now: datetime, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "waakvlam"
    name = _ics_escape(f"Waakvlamcontacten van {owner}")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{calendar_routes.PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"NAME:{name}", f"X-WR-CALNAME:{name}", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
             "X-PUBLISHED-TTL:PT1H"]
    for row in rows:
        link = household_link(base_url, row.household_id)
        summary = _ics_escape(f"Waakvlamcontact: {row.label}")
        description = _ics_escape(f"Waakvlamcontact met {row.label} ({row.team}, {row.intensity}).\n{link}")
        lines += ["BEGIN:VEVENT", f"UID:waakvlam-check-in-{row.check_in_id}@{host}",
                  f"DTSTAMP:{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
                  f"DTSTART;VALUE=DATE:{row.due.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(row.due + timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{summary}", f"DESCRIPTION:{description}", f"URL:{link}", "CATEGORIES:Waakvlam",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "<ul>" + "".join(f"<li>{_e(k)}: {_value(v)}</li>" for k, v in value.items()) + "</ul>" if value else "—"
    if isinstance(value, list):
        return "<ul>" + "".join(f"<li>{_value(v)}</li>" for v in value) + "</ul>" if value else "—"
    return _e(value) if value not in (None, "") else "—"


def hand_html(export: dict[str, Any]) -> str:  # the rows of the old as_html; the page's fixed text left out
    plan = export["plan"] or {}
    label = plan.get("label") or "huishouden"
    parts = ["<!doctype html>", f"<title>Inzage: {_e(label)}</title>",
             f"<h1>Inzage in het dossier van {_e(label)}</h1>",
             f"<p>opgesteld op {_e(export['exported_at'][:16].replace('T', ' '))} (UTC).</p>"]
    if plan:
        parts += [f"<tr><td>{_e(plan.get('team'))}</td><td>{_e(plan.get('coordinator'))}</td>"
                  f"<td>{_e(plan.get('intensity'))}</td></tr></table>"]
        for domain, found in (plan.get("life_domains") or {}).items():
            goals = "".join(f"<li>{_e(g.get('description'))} ({_e(g.get('status'))})</li>" for g in found["goals"])
            parts.append(f"<h3>{_e(domain)}</h3><p>Score: {_e(found.get('score'))}</p>"
                         + (f"<ul>{goals}</ul>" if goals else ""))
    parts += [f"<tr><td>{_e(r['occurred_at'][:10])}</td><td>{_e(r['summary'])}</td><td>{_e(r['actor'])}</td></tr>"
              for r in reversed(export["timeline"])]
    parts += [f"<tr><td>{_e(s['occurred_at'][:10])}</td><td>{_e(s['reporter_name'] or s['source'])}</td>"
              f"<td>{_e(s['about_name'])} {_e(s['about_address'])}</td><td>{_e(s['description'])}</td></tr>"
              for s in export["signals"]]
    parts += [f"<tr><td>{_e(str(a['wanneer'])[:19].replace('T', ' '))}</td><td>{_e(a['wie'])}</td>"
              f"<td>{_e(a['functie'])}</td><td>{_e(a['wat'])}</td><td>{'ja' if a['noodtoegang'] else 'nee'}</td></tr>"
              for a in reversed(export.get("access_log") or [])]
    parts += [f"<tr><td>{_e(e['version'])}</td><td>{_e(export_kind(e['kind']))}</td>"
              f"<td>{_e(e['recorded_at'][:16].replace('T', ' '))} door {_e(e['actor'])}</td>"
              f"<td>{_value(e['fields'])}</td></tr>" for e in export["events"]]
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts)


def export_kind(kind: str) -> str:
    return export.KIND_NL.get(kind, kind)


class HandJwks:
    """The old cache's hot path: a dict lookup under a lock (a fetch only when a kid is unknown or an hour old)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.fetched = auth._keys(document)
        self.fetched_at = time.monotonic()
        self.lock = threading.Lock()

    def key(self, kid: str) -> jwt.PyJWK:
        with self.lock:
            age = time.monotonic() - self.fetched_at
            if age > 3600 or (kid not in self.fetched and age > 60):
                raise AssertionError("no fetch in the benchmark")
            return self.fetched[kid]


# ---- the inputs -----------------------------------------------------------------------------------


@dataclass
class Row:
    household_id: uuid.UUID
    label: str
    team: str
    intensity: str
    check_in_id: str
    due: date


def reminder_mail() -> dict[str, Any]:
    today = date(2026, 3, 3)
    reminder = mail.Reminder("due_soon", uuid.uuid4(), "Fam. Öztürk-Jansen", "Wijkteam Noord",
                             today + timedelta(days=2), "bram")
    return {"mail_id": uuid.uuid4(), "sender": "Waakvlam <waakvlam@example.nl>", "to": "bram@example.nl",
            "subject": mail.reminder_title(reminder.label, reminder.due, today),
            "body": mail.reminder_body(reminder, "bram", as_lead=False, today=today,
                                       base_url="https://waakvlam.example.nl"),
            "domain": "example.nl", "sent_at": datetime(2026, 3, 3, 7, tzinfo=UTC),
            "headers": {"X-Waakvlam-Reminder": "due_soon", "X-Waakvlam-Check-In": uuid.uuid4().hex}}


def feed_rows(n: int = 50) -> list[Row]:
    today = date(2026, 3, 3)
    return [Row(uuid.uuid4(), f"Fam. Öztürk-Van den Bergh {i}, de héle familie van de Rozenstraat", "Wijkteam Noord",
                ("waakvlam", "licht")[i % 2], uuid.uuid4().hex, today + timedelta(days=i - 10)) for i in range(n)]


def household_export(events: int = 200) -> dict[str, Any]:
    at = "2026-03-03T08:05:06+00:00"
    return {
        "household_id": "h", "exported_at": at, "status": "open",
        "plan": {"label": "Fam. <b>Jansen</b>", "team": "Wijkteam Noord", "coordinator": "bram", "intensity": "licht",
                 "life_domains": {f"domein {d}": {"score": 3, "goals": [{"description": f"Doel {d} & meer",
                                                                        "status": "open"}] * 3} for d in range(13)}},
        "timeline": [{"version": i, "kind": "ContactRecorded", "summary": f"Huisbezoek {i}: post <doorgenomen>",
                      "actor": "bram", "occurred_at": at, "recorded_at": at} for i in range(events)],
        "signals": [{"occurred_at": at, "reporter_name": None, "source": "huisarts", "about_name": "Fam. Jansen",
                     "about_address": "Kerkstraat 12", "description": "Slaapt slecht"}] * 5,
        "events": [{"version": i, "kind": "ContactRecorded", "recorded_at": at, "actor": "bram",
                    "fields": {"kind": "huisbezoek", "summary": f"Post <doorgenomen> {i}", "people": ["Sanne", "Piet"],
                               "extra": {"a": 1, "b": None}}} for i in range(events)],
        "access_log": [{"wanneer": at, "wie": "anna", "functie": "generalist", "wat": "ingezien",
                        "noodtoegang": False}] * 100,
    }


# ---- measuring ------------------------------------------------------------------------------------


def per_op(fn: Callable[[], Any], seconds: float) -> float:
    """Seconds per call of `fn`, called for about `seconds`."""
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            fn()
        n += 10
        now = time.perf_counter()
        if now >= deadline:
            return (now - start) / n


def compare(name: str, hand: Callable[[], Any], library: Callable[[], Any], rounds: int, seconds: float,
            note: str = "") -> dict[str, Any]:
    hand(), library()  # warm: imports, template compilation, caches
    times: dict[str, list[float]] = {"hand": [], "library": []}
    for r in range(rounds):
        order = (("hand", hand), ("library", library)) if r % 2 == 0 else (("library", library), ("hand", hand))
        for side, fn in order:
            times[side].append(per_op(fn, seconds))
    h, lib = statistics.median(times["hand"]), statistics.median(times["library"])
    result = {"case": name, "hand_us": h * 1e6, "library_us": lib * 1e6, "ratio": lib / h,
              "hand_range": [min(times["hand"]) * 1e6, max(times["hand"]) * 1e6],
              "library_range": [min(times["library"]) * 1e6, max(times["library"]) * 1e6], "note": note}
    print(f"{name:<44} hand {h * 1e6:9.1f} µs   library {lib * 1e6:9.1f} µs   x{lib / h:5.2f}   {note}",
          flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round per case")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rounds, seconds = (1, 0.3) if args.quick else (5, 1.0)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}; "
          f"Python {platform.python_version()}; {rounds} rounds of {seconds} s per side", flush=True)

    results = []
    m = reminder_mail()
    results.append(compare("mail: compose one reminder", lambda: hand_compose(**m), lambda: mail.compose(**m),
                           rounds, seconds, "10,000 reminders: CPU s = µs x 0.01"))
    rows, now = feed_rows(), datetime(2026, 3, 3, 7, tzinfo=UTC)
    results.append(compare("calendar: a feed of 50 check-ins",
                           lambda: hand_calendar(rows, "bram", now=now, base_url="https://waakvlam.example.nl"),
                           lambda: calendar_routes.calendar(rows, "bram", now=now,
                                                            base_url="https://waakvlam.example.nl"),
                           rounds, seconds))
    found = household_export()
    results.append(compare("export: subject-access HTML, 200 events", lambda: hand_html(found),
                           lambda: export.as_html(found), rounds, seconds, "hand side without the fixed text"))

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    document = {"keys": [{**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": f"k{i}", "use": "sig"}
                         for i in range(3)]}
    client = auth.IssuerKeys("https://login.example.nl/certs", back_off=60, lifespan=3600, cooldown_duration=60)
    client.jwk_set_cache.put(document)  # as after its first fetch
    client._last_successful_fetch = time.monotonic()
    hand_keys = HandJwks(document)
    results.append(compare("jwks: the signing key of a token (kid k2)", lambda: hand_keys.key("k2"),
                           lambda: client.get_signing_key("k2"), rounds, seconds))
    settings = Settings(_env_file=None, WAAKVLAM_OIDC_ISSUER="https://login.example.nl",
                        WAAKVLAM_OIDC_AUDIENCE="waakvlam", WAAKVLAM_OIDC_JWKS_URL="https://login.example.nl/certs")
    verifier = auth.OidcVerifier(settings)
    verifier.jwks = client
    now_s = int(time.time())
    token = jwt.encode({"iss": "https://login.example.nl", "aud": "waakvlam", "sub": "u", "exp": now_s + 3600},
                       key, algorithm="RS256", headers={"kid": "k2"})

    def hand_verify() -> Any:
        return jwt.decode(token, hand_keys.key(jwt.get_unverified_header(token)["kid"]), algorithms=["RS256"],
                          audience="waakvlam", issuer="https://login.example.nl")

    results.append(compare("jwks: a whole RS256 token verified", hand_verify, lambda: verifier.verify(token),
                           rounds, seconds, "the key lookup is a small share"))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
