"""A small but real OpenID Connect issuer for the tests, on a local HTTP server (http.server in a thread).

It serves discovery, its key set, an authorisation endpoint that approves `user` at once (no login screen) and
redirects back with a code, and a token endpoint that gives the code's ID token only to the right client, for
the right redirect URI, once, and only with the code verifier whose S256 challenge came with the request
(RFC 7636). ID tokens are RS256, signed with a key made for the test run. A test changes what comes back with
`id_token_claims` (claims to add, change or, as None, leave out), `sign_with` (another key) or `deny`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KID = "issuer-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Issuer:
    def __init__(self, client_id: str, client_secret: str | None = None, host: str = "127.0.0.1") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.key = new_key()
        self.user: dict[str, Any] = {"sub": "carla"}  # the claims of whoever logs in next
        self.id_token_claims: dict[str, Any] = {}
        self.sign_with: rsa.RSAPrivateKey | None = None
        self.deny = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://{host}:{self.server.server_address[1]}"  # "localhost": another site than 127.0.0.1
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Issuer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def metadata(self) -> dict[str, Any]:
        return {"issuer": self.url, "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token", "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"]}

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}

    # ---- the endpoints --------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect:
            return 400, {}
        if self.deny:
            return 302, {"Location": f"{redirect}?{urlencode({'error': 'access_denied', 'state': query['state']})}"}
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256" \
                or "openid" not in query.get("scope", "").split():
            return 400, {}
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"challenge": query["code_challenge"], "nonce": query.get("nonce"),
                            "redirect_uri": redirect, "user": dict(self.user)}
        return 302, {"Location": f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"}

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if self.client_secret is not None:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if authorization != f"Basic {expected}":
                return 401, {"error": "invalid_client"}
        elif form.get("client_id") != self.client_id:
            return 401, {"error": "invalid_client"}
        grant = self.codes.pop(form.get("code", ""), None)  # a code is good once
        if form.get("grant_type") != "authorization_code" or grant is None \
                or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if not verifier or challenge != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        now = int(time.time())
        claims = {"iss": self.url, "aud": self.client_id, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **grant["user"], **self.id_token_claims}
        claims = {k: v for k, v in claims.items() if v is not None}
        id_token = jwt.encode(claims, self.sign_with or self.key, algorithm="RS256", headers={"kid": KID})
        return 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(200, issuer.metadata())
            elif url.path == "/jwks":
                self._json(200, issuer.jwks())
            elif url.path == "/authorize":
                status, headers = issuer.authorize({k: v[0] for k, v in parse_qs(url.query).items()})
                self._send(status, b"", headers)
            else:
                self._send(404, b"", {})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._send(404, b"", {})
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            status, answer = issuer.token({k: v[0] for k, v in parse_qs(body).items()},
                                          self.headers.get("Authorization"))
            self._json(status, answer)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body)), "Cache-Control": "no-store"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler
