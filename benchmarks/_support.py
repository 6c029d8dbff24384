"""Shared set-up of the benchmarks: a private ledger, a generated org, local servers."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


KEEP = "BENCH_KEEP_HOME"  # set to 1: keep each benchmark's scratch folder (ledger, files, logs)


def scratch_home(prefix: str = "officeflow-bench-") -> Path:
    """A new folder under the temporary directory for one benchmark run (its ledger, files and
    logs), removed when the benchmark exits, a year's ledger of a gigabyte included. With
    ``BENCH_KEEP_HOME=1`` in the environment it is kept, and its path printed, for a look at
    the ledger afterwards (``sqlite3 <folder>/ledger.db``)."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(_leave, home, os.environ.get(KEEP, "") not in ("", "0"))
    return home


def _leave(home: Path, keep: bool) -> None:
    if keep:
        print(f"[bench] kept {home} ({KEEP} is set)", file=sys.stderr, flush=True)
    else:
        shutil.rmtree(home, ignore_errors=True)


def private_home() -> Path:
    home = scratch_home()
    os.environ["OFFICEFLOW_HOME"] = str(home)
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    return home


def org(n_people: int, *, webhook: bool) -> dict[str, Any]:
    people = [
        {"id": "duty", "name": "Duty", "department": "office", "roles": ["duty_officer"]},
        {"id": "boss", "name": "Boss", "department": "office", "roles": ["leader"]},
        {"id": "director", "name": "Dir", "department": "office", "roles": ["office_director"]},
    ]
    people += [
        {"id": f"p{i}", "name": f"Person {i}", "department": "dept", "roles": ["staff"]}
        for i in range(n_people)
    ]
    people[3]["roles"] = ["department_head"]
    for p in people:
        p["email"] = f"{p['id']}@example.org"
        if webhook:
            p["chat"] = {"webhook": f"chat-{p['id']}"}
    return {
        "organisation": "Bench City",
        "departments": [
            {"id": "office", "name": "Office", "general_office": True, "leader": "boss"},
            {"id": "dept", "name": "Dept", "leader": "boss"},
        ],
        "people": people,
    }


def load(data: dict[str, Any]) -> None:
    from models.org_input import OrgFile
    from officeflow import db
    from officeflow.org import load_org
    from officeflow.settings import get_settings

    db.upgrade(get_settings().database_url)
    with db.session_scope() as session:
        load_org(session, OrgFile.model_validate(data))


class Hooks:
    """A webhook receiver on 127.0.0.1 keeping every JSON body (with ``lean``: only each
    body's notice, recipient and a digest's items, for a year's hundreds of thousands of
    posts)."""

    def __init__(self, delay: float = 0.0, *, lean: bool = False) -> None:
        self.bodies: list[dict[str, Any]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as a chat API or a webhook receiver behind a proxy would offer.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if delay:
                    time.sleep(delay)
                body = json.loads(raw)
                if lean:
                    body = {
                        "notice": body.get("notice", ""),
                        "recipient": body.get("recipient"),
                        "items": tuple((body.get("items") or "").split()),
                    }
                with lock:
                    outer.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def report(name: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))


class MailCounter:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that reads only each message's headers and keeps
    (X-Officeflow-Notice, recipient, a digest's X-Officeflow-Items) per recipient: a year's
    mail in a few megabytes."""

    def __init__(self) -> None:
        from email.parser import BytesHeaderParser

        from aiosmtpd.controller import Controller

        from officeflow.mailcatcher import free_port

        self.seen: list[tuple[str, str, tuple[str, ...]]] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                headers = BytesHeaderParser().parsebytes(envelope.content)
                key = str(headers.get("X-Officeflow-Notice") or "")
                items = tuple(str(headers.get("X-Officeflow-Items") or "").split())
                outer.seen.extend((key, rcpt, items) for rcpt in envelope.rcpt_tos)
                return "250 OK"

        self.host, self.port = "127.0.0.1", free_port()
        self.controller = Controller(Handler(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Arrived:
    """What the lean servers received: one fingerprint (`benchmarks._year_check`) per notice a
    message carried, as (notice, recipient, channel), a digest counting once per notice it
    names (X-Officeflow-Items, ``items``); and the messages."""

    prints: Any  # numpy uint64 array, in arrival order, duplicates kept
    messages: int
    digest_messages: int
    digest_items: int


def _serve(conn: Any, delay: float, lean: bool) -> None:  # runs in the server process
    from officeflow.mailcatcher import MailCatcher

    smtp: Any = MailCounter() if lean else MailCatcher(delay=delay, keep=None).start()
    hooks = Hooks(delay=delay, lean=lean)
    conn.send((smtp.host, smtp.port, hooks.url))
    conn.recv()  # "stop"
    smtp.stop()
    hooks.stop()
    if lean:
        _answer_lean(
            conn, smtp.seen, [(b["notice"], b["recipient"], b["items"]) for b in hooks.bodies]
        )
        return
    mail = [(m.notice, m.rcpt_tos[0]) for m in smtp.messages]
    conn.send((mail, [(b["notice"], b["recipient"]) for b in hooks.bodies]))


def _answer_lean(conn: Any, mail: list[tuple[Any, ...]], hooks: list[tuple[Any, ...]]) -> None:
    """Send `Arrived`, then name the notices of the fingerprints asked for, until "bye"."""
    from benchmarks._year_check import fingerprints, named

    def received() -> Any:
        for key, rcpt, items in mail:
            who = rcpt.split("@")[0]
            yield from ((n, who, "email") for n in items or (key,))
        for key, who, items in hooks:
            yield from ((n, who, "webhook") for n in items or (key,))

    digests = [items for _, _, items in [*mail, *hooks] if items]
    arrived = Arrived(
        fingerprints(received()), len(mail) + len(hooks), len(digests), sum(map(len, digests))
    )
    conn.send(arrived)
    while (request := conn.recv()) != "bye":  # ("name", [fingerprint, …])
        conn.send(named(received(), request[1]))


class Servers:
    """A local SMTP server and a webhook receiver in a process of their own, as real servers
    are: their CPU then does not compete for this process's GIL with the senders it measures.
    ``stop()`` returns what arrived: ([(notice, rcpt)], [(notice, recipient)]). With ``lean``
    the servers keep only each message's notice, recipient and a digest's items (no parsed
    messages), for a whole year of mail; ``stop()`` then returns `Arrived`, and ``name()``
    names the notices of given fingerprints until ``close()``."""

    def __init__(self, delay: float = 0.0, *, lean: bool = False) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.lean = lean
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, delay, lean), daemon=True)
        self._proc.start()
        if not self._conn.poll(120):  # the process died or hangs: say so, do not wait forever
            self._proc.kill()
            raise RuntimeError("the local SMTP and webhook servers did not start in 120 s")
        self.smtp_host, self.smtp_port, self.webhook_url = self._conn.recv()
        self._arrived: Any = None

    def stop(self) -> Any:
        """Stop the servers (once; a second call returns the same)."""
        if self._arrived is None:
            self._conn.send("stop")
            self._arrived = self._conn.recv()
            if not self.lean:
                self._proc.join(timeout=30)
        return self._arrived

    def name(self, prints: Any) -> list[tuple[str, str, str]]:
        """(notice, recipient, channel) of the received notices with these fingerprints."""
        self._conn.send(("name", [int(p) for p in prints]))
        return self._conn.recv()  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the servers if need be, and their process."""
        if self._proc.is_alive():
            try:
                self.stop()
                if self.lean:
                    self._conn.send("bye")
            except (BrokenPipeError, EOFError, OSError):
                pass
            self._proc.join(timeout=30)
        if self._proc.is_alive():
            self._proc.kill()
