"""Servers for the delivery drills: an SMTP server that answers per recipient (and speaks
STARTTLS with a self-signed certificate), and an SMS gateway that answers like SMSEagle's
JSON-RPC API (what Apprise's ``smseagle://`` plugin posts to)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from officeflow.mailcatcher import MailCatcher, _Handler


class _RcptHandler(_Handler):
    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        catcher = self.catcher
        assert isinstance(catcher, ReplyingCatcher)
        reply = catcher.reply_for(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"


class ReplyingCatcher(MailCatcher):
    """A MailCatcher whose RCPT answer is scripted per address: ``replies[address]`` is a list
    of answers used one per RCPT (then 250), or a single string answered every time. With
    ``tls`` (a server SSLContext) it offers STARTTLS and requires it before MAIL/AUTH."""

    def __init__(
        self,
        *args: Any,
        replies: dict[str, str | list[str]] | None = None,
        tls: ssl.SSLContext | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.replies: dict[str, str | list[str]] = dict(replies or {})
        self.tls = tls
        self.rcpts: list[tuple[str, str]] = []  # (address, answer), every RCPT
        self.tls_sessions = 0

    def reply_for(self, address: str) -> str | None:
        with self._lock:
            script = self.replies.get(address)
            scripted = isinstance(script, list)
            answer = (script.pop(0) if script else None) if scripted else script  # type: ignore[union-attr]
            self.rcpts.append((address, answer or "250 OK"))
            return answer

    def start(self) -> ReplyingCatcher:
        extra: dict[str, object] = {}
        if self.auth is not None:
            extra = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": self.tls is not None,
            }
        if self.tls is not None:
            extra |= {"tls_context": self.tls, "require_starttls": True}
        self._controller = Controller(
            _RcptHandler(self), hostname=self.host, port=self.port, ready_timeout=10, **extra
        )
        self._controller.start()
        return self


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (PEM files in ``folder``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "officeflow test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class SmsGateway:
    """An HTTP server answering ``POST /jsonrpc/sms`` as SMSEagle's API does
    (``{"result": {"message_id": N, "status": "ok"}}``). ``fail`` (a callable of the phone
    number) scripts refusals, answered 500 with an error result."""

    def __init__(self, token: str = "sms-token-123") -> None:
        self.token = token
        self.messages: list[dict[str, Any]] = []  # accepted: {"to", "message"}
        self.refused = 0
        self.fail: Callable[[str], bool] = lambda _to: False
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                params = payload.get("params", {})
                to = str(params.get("to", ""))
                if self.path != "/jsonrpc/sms" or params.get("access_token") != outer.token:
                    status, body = 401, {"result": {"error_text": "Invalid login or password"}}
                elif outer.fail(to):
                    with outer._lock:
                        outer.refused += 1
                    status, body = 500, {"result": {"error_text": "modem not registered"}}
                else:
                    with outer._lock:
                        outer.messages.append({"to": to, "message": params.get("message", "")})
                        n = len(outer.messages)
                    status, body = 200, {"result": {"message_id": n, "status": "ok"}}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == phone]

    def start(self) -> SmsGateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
