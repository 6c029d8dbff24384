"""A tiny OpenID Connect provider on 127.0.0.1 for the sign-in tests: discovery, token (an RS256
ID token carrying the nonce and an email), userinfo and its keys. The test plays the browser: it
reads the ``state`` and ``nonce`` the app put in the redirect, and the provider issues a code."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from authlib.jose import JsonWebKey, jwt


class Provider:
    def __init__(self, client_id: str = "officeflow") -> None:
        self.client_id = client_id
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True)
        self.codes: dict[str, dict[str, Any]] = {}  # code → {"nonce", "email"}
        self.token_requests: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, body: Any, status: int = 200) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    b = outer.issuer
                    self._json(
                        {
                            "issuer": b,
                            "authorization_endpoint": f"{b}/authorize",
                            "token_endpoint": f"{b}/token",
                            "userinfo_endpoint": f"{b}/userinfo",
                            "jwks_uri": f"{b}/jwks",
                            "response_types_supported": ["code"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        }
                    )
                elif self.path == "/jwks":
                    public = outer.key.as_dict(is_private=False)
                    self._json({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                outer.token_requests.append(form)
                grant = outer.codes.pop(form.get("code", [""])[0], None)
                if self.path != "/token" or grant is None:
                    self._json({"error": "invalid_grant"}, 400)
                    return
                now = int(time.time())
                claims = {
                    "iss": outer.issuer,
                    "sub": grant["email"],
                    "aud": outer.client_id,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": grant["nonce"],
                    "email": grant["email"],
                    "email_verified": True,
                }
                id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, outer.key).decode()
                self._json(
                    {
                        "access_token": "at-1",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": id_token,
                    }
                )

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def grant(self, code: str, *, nonce: str, email: str) -> None:
        self.codes[code] = {"nonce": nonce, "email": email}

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
