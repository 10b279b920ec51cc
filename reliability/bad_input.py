"""Hostile requests, sent as raw bytes to the running server (so the HTTP server's own limits count too):
each must get a clear 4xx, and none may write anything."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

TOKEN = b"Bearer dev-anna"


@dataclass
class Probe:
    name: str
    status: int | None  # None: the connection closed without an answer
    ok: bool


def _request(method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None,
             chunked: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Authorization: " + TOKEN,
             b"Connection: close"]
    lines += [name + b": " + value for name, value in headers or []]
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
        piece = 64 * 1024
        chunks = b"".join(f"{len(body[i:i + piece]):x}\r\n".encode() + body[i:i + piece] + b"\r\n"
                          for i in range(0, len(body), piece))
        return b"\r\n".join(lines) + b"\r\n\r\n" + chunks + b"0\r\n\r\n"
    if body or method in ("POST", "PUT"):
        lines += [b"Content-Type: application/json", f"Content-Length: {len(body)}".encode()]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def send(port: int, raw: bytes, timeout: float = 30) -> int | None:
    """The status of the answer, or None when the server closed the connection without one."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before reading everything; its answer is still there to read
        received = b""
        try:
            while b"\r\n" not in received:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    if not received.startswith(b"HTTP/1."):
        return None
    return int(received.split(b" ", 2)[1])


def probes(household_id: str, max_body: int) -> dict[str, Callable[[], bytes]]:
    contacts = f"/api/households/{household_id}/contacts"
    deep = b'{"kind": "telefonisch", "summary": "x", "life_domains": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return {
        "body over the size limit (Content-Length)": lambda: _request(
            "POST", contacts, b'{"kind": "telefonisch", "summary": "' + b"x" * (max_body + 10) + b'"}'),
        "body over the size limit (chunked)": lambda: _request(
            "POST", contacts, b'{"kind": "telefonisch", "summary": "' + b"x" * (max_body + 10) + b'"}', chunked=True),
        "JSON nested 100,000 deep": lambda: _request("POST", contacts, deep),
        "invalid UTF-8 in the body": lambda: _request(
            "POST", contacts, b'{"kind": "telefonisch", "summary": "Caf\xe9 \xff\xfe"}'),
        "NUL byte in a JSON string": lambda: _request(
            "POST", contacts, b'{"kind": "telefonisch", "summary": "een\\u0000twee"}'),
        "NUL byte in a household's label": lambda: _request(
            "POST", "/api/households", b'{"label": "Fam.\\u0000X", "team": "Wijkteam Noord"}'),
        "NUL byte in a query parameter": lambda: _request("GET", "/api/households?team=Noord%00x"),
        "NUL byte in a path segment": lambda: _request("GET", f"/api/households/{household_id}%00"),
        "query string of 1 MB": lambda: _request("GET", "/api/households?team=" + "x" * 1_048_576),
        "query string of 20,000 parameters": lambda: _request(
            "GET", "/api/households?" + "&".join(f"p{n}=x" for n in range(20_000))),
        "10,000 headers": lambda: _request(
            "GET", "/api/households", headers=[(f"X-Flood-{n}".encode(), b"x") for n in range(10_000)]),
        "one header of 1 MB": lambda: _request("GET", "/api/households", headers=[(b"X-Big", b"x" * 1_048_576)]),
        "JSON that is not an object": lambda: _request("POST", contacts, b'"telefonisch"'),
        "truncated JSON": lambda: _request("POST", contacts, b'{"kind": "telefonisch", "summ'),
    }


def run_probes(port: int, household_id: str, max_body: int) -> list[Probe]:
    found = []
    for name, build in probes(household_id, max_body).items():
        status = send(port, build())
        found.append(Probe(name, status, status is not None and 400 <= status < 500))
    return found
