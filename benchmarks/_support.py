"""Shared set-up of the benchmarks: a private ledger, a generated org, local servers."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def private_home() -> Path:
    home = Path(tempfile.mkdtemp(prefix="officeflow-bench-"))
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
    def __init__(self, delay: float = 0.0) -> None:
        self.bodies: list[dict[str, Any]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if delay:
                    time.sleep(delay)
                with lock:
                    outer.bodies.append(json.loads(raw))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"json://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def report(name: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))
