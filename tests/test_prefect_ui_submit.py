"""The Prefect UI helper's `submit` (tests/prefect_ui.py) against a stand-in form in Chromium:
a page whose Submit button POSTs to a real HTTP server on 127.0.0.1 and shows the answer as the
Prefect UI does, a sonner toast ("<name> scheduled", or "Unknown error" for a 500).

Issue 30, finding 12: the helper clicked Submit again, up to three times, after an "Unknown
error", so a server error was hidden whenever a later click went through. It must fail on the
first server error, with the text the page showed, after exactly one request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests import prefect_ui as ui

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ui.CHROMIUM.exists(),
        reason="needs Debian's chromium: apt-get install chromium (scripts/system-deps.sh)",
    ),
]

FORM = """<!doctype html><html><body>
<button type="button" onclick="send()">Submit</button><ol id="toasts"></ol>
<script>
async function send() {
  const answer = await fetch('/api/deployments/d/create_flow_run', {method: 'POST'});
  const toast = document.createElement('li');
  toast.setAttribute('data-sonner-toast', '');
  if (answer.ok) {
    toast.setAttribute('data-type', 'success');
    toast.textContent = (await answer.json()).name + ' scheduled';
  } else {
    toast.setAttribute('data-type', 'error');
    toast.textContent = 'Unknown error';
  }
  document.getElementById('toasts').prepend(toast);
}
</script></body></html>"""


class FormServer:
    """Serves FORM; each POST /runs is answered by the next of ``statuses`` (201 when none is
    left), and a 201 creates a run."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.posts = 0
        self.runs: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer(200, "text/html", FORM.encode())

            def do_POST(self) -> None:
                outer.posts += 1
                status = outer.statuses.pop(0) if outer.statuses else 201
                if status == 201:
                    outer.runs.append(f"run-{len(outer.runs) + 1}")
                    body = json.dumps({"name": outer.runs[-1]}).encode()
                else:
                    body = b'{"detail": "database is locked"}'
                self._answer(status, "application/json", body)

            def _answer(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def form() -> Iterator[FormServer]:
    server = FormServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_a_server_error_fails_at_once_with_the_text_shown(form: FormServer) -> None:
    form.statuses = [500]  # a second click would be answered 201 and create a run
    with ui.browser_page(timeout_ms=15_000) as page:
        page.goto(form.url)
        with pytest.raises(AssertionError) as failure:
            ui.submit(page, lambda: len(form.runs), timeout_ms=10_000)
    assert "error toast: 'Unknown error'" in str(failure.value)
    assert (form.posts, form.runs) == (1, [])


def test_a_created_run_is_named_from_its_toast(form: FormServer) -> None:
    with ui.browser_page(timeout_ms=15_000) as page:
        page.goto(form.url)
        run = ui.submit(page, lambda: len(form.runs), timeout_ms=10_000)
    assert run.name == "run-1"
    assert (form.posts, form.runs) == (1, ["run-1"])


def test_the_end_to_end_tests_submit_once_more_after_an_error_and_say_so(
    form: FormServer,
) -> None:
    """`once_more_after_unknown_error` (the stack's end-to-end tests): the first error becomes a
    warning naming what the API answered, the form is submitted once more; a second error
    fails with both answers."""
    form.statuses = [500]
    with ui.browser_page(timeout_ms=15_000) as page:
        page.goto(form.url)
        with pytest.warns(UserWarning, match=r"refused the first Submit.*500 .*database is locked"):
            run = ui.submit(
                page, lambda: len(form.runs), timeout_ms=10_000, once_more_after_unknown_error=True
            )
    assert run.name == "run-1" and (form.posts, form.runs) == (2, ["run-1"])

    form.statuses, form.posts, form.runs = [500, 500], 0, []
    with ui.browser_page(timeout_ms=15_000) as page:
        page.goto(form.url)
        with pytest.warns(UserWarning), pytest.raises(AssertionError) as failure:
            ui.submit(
                page, lambda: len(form.runs), timeout_ms=10_000, once_more_after_unknown_error=True
            )
    assert "first Submit" in str(failure.value) and (form.posts, form.runs) == (2, [])
