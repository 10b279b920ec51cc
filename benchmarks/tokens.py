"""Bearer tokens for benchmark users, as a deployment's identity provider would issue them (OpenID
Connect, RS256): the benchmark's server is given the matching key set inline (`server_env`), so a
benchmark can act as any team's lead or coordinator, as the authorisation (api/authz.py) requires."""

from __future__ import annotations

import json
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER, AUDIENCE, KID = "https://login.benchmark.invalid", "waakvlam", "bench"


class Issuer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def server_env(self) -> dict[str, str]:
        """The settings that make the API accept this issuer's tokens."""
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"WAAKVLAM_OIDC_ISSUER": ISSUER, "WAAKVLAM_OIDC_AUDIENCE": AUDIENCE,
                "WAAKVLAM_OIDC_JWKS": json.dumps({"keys": [{**public, "kid": KID, "use": "sig"}]})}

    def token(self, user: str, role: str, team: str, hours: float = 4) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": user, "iat": now, "exp": now + int(hours * 3600),
                  "waakvlam_role": role, "waakvlam_team": team}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})

    def header(self, user: str, role: str, team: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user, role, team)}"}
