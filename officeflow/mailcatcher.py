"""A real local SMTP server (aiosmtpd) that keeps every message: the outbox for the embedded
stack and the mail server of the tests.

The outbox folder (owner-only) is the record; in memory the catcher keeps only the newest
``keep`` messages, so a stack that runs for weeks does not grow without bound."""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Caught:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    received_at: float = 0.0  # time.monotonic() when the server accepted it

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def notice(self) -> str:
        """The business key of the notice (the X-Officeflow-Notice header)."""
        return str(self.message["X-Officeflow-Notice"] or "")

    @property
    def items(self) -> list[str]:
        """A digest's notice keys (the X-Officeflow-Items header); [] for a single notice."""
        return str(self.message["X-Officeflow-Items"] or "").split()

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    def text(self) -> str:
        """The plain-text body (first text/plain part)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.catcher.delay:
            await asyncio.sleep(self.catcher.delay)
        if self.catcher._must_hold():
            # The whole message has arrived; the client now waits for our answer. Whatever
            # happens to the client meanwhile decides whether this message counts.
            try:
                await self.catcher._wait_for_release()
            except asyncio.CancelledError:  # aiosmtpd cancels us when the client disconnects
                self.catcher._drop()
                raise
            if server.transport is None or server.transport.is_closing():
                self.catcher._drop()
                return "451 Client went away before the message was accepted"
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        caught = Caught(
            str(envelope.mail_from), tuple(envelope.rcpt_tos), message, time.monotonic()
        )
        self.catcher._keep(caught, raw)
        return "250 Message accepted for delivery"


def _date_of(message: EmailMessage) -> datetime | None:
    """The message's Date as a datetime, or None when it is missing or unreadable (the message
    is still accepted and stored: a bad Date header is the sender's problem, not a reason to
    lose the mail)."""
    try:
        value = message["Date"]
        return email.utils.parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class MailCatcher:
    """Start with `start()`, stop with `stop()`; ``messages`` lists what arrived."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        outbox: Path | None = None,
        auth: tuple[str, str] | None = None,
        delay: float = 0.0,
        hold_after: int | None = None,
        keep: int | None = 10_000,
    ) -> None:
        self.auth = auth
        # Seconds to wait before accepting each message, like a relay across a network.
        self.delay = delay
        # Accept this many messages normally, then hold every further one after its DATA
        # (no answer, the client waits) until `release()`. A held message whose client has
        # gone by then (killed, timed out) is NOT delivered: it is counted in `dropped` and
        # never appears in `messages`, exactly as a real server never took responsibility
        # for a message it did not answer 250 to. Held messages of live clients are accepted.
        self.hold_after = hold_after
        self.held = 0  # messages that were held (in total)
        self.dropped = 0  # held messages whose client went away before the answer
        self._released = False
        self._release_event: asyncio.Event | None = None
        self.host = host
        self.port = port or free_port(host)
        self.outbox = outbox
        # The newest `keep` messages (None: all); `received` counts every accepted message.
        self.keep = keep
        self.messages: list[Caught] = []
        self.received = 0
        self.auth_attempts = 0  # AUTH commands received (tests check no password was sent)
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def _keep(self, caught: Caught, raw: bytes) -> None:
        with self._lock:
            self.messages.append(caught)
            if self.keep is not None and len(self.messages) > self.keep:
                del self.messages[: len(self.messages) - self.keep]
            self.received += 1
            n = self.received
        if self.outbox is not None:
            self.outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
            stamp = _date_of(caught.message)
            prefix = stamp.strftime("%Y%m%dT%H%M%S") if stamp else "undated"
            path = self.outbox / f"{prefix}-{n:05d}.eml"
            # Owner-only: the outbox holds every notice the office sent.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(raw)

    def _must_hold(self) -> bool:  # runs in the server's event loop
        with self._lock:
            hold = (
                self.hold_after is not None
                and not self._released
                and len(self.messages) >= self.hold_after
            )
            if hold:
                self.held += 1
            return hold

    async def _wait_for_release(self) -> None:
        if self._release_event is None:
            self._release_event = asyncio.Event()
        if not self._released:
            await self._release_event.wait()

    def _drop(self) -> None:
        with self._lock:
            self.dropped += 1

    def release(self) -> None:
        """Answer the held messages (and stop holding): see ``hold_after``."""
        with self._lock:
            self._released = True
        if self._controller is not None and self._release_event is not None:
            self._controller.loop.call_soon_threadsafe(self._release_event.set)

    def start(self) -> MailCatcher:
        extra: dict[str, object] = {}
        if self.auth is not None:
            # Plain AUTH without TLS is only acceptable because this server is on loopback.
            extra = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, ready_timeout=10, **extra
        )
        self._controller.start()
        return self

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        with self._lock:
            self.auth_attempts += 1
        ok = (
            isinstance(data, LoginPassword)
            and self.auth is not None
            and (data.login.decode(), data.password.decode()) == self.auth
        )
        return AuthResult(success=ok, handled=False)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[Caught]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def read_outbox(folder: Path) -> list[tuple[Path, EmailMessage]]:
    out = []
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        out.append((path, msg))
    return out
