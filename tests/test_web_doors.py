"""The web doors a stranger can knock on (issue 30, findings 4-8): the sign-in answer tells
nobody whether a person exists or was rate-limited, and its mail leaves after the answer; no
stranger can lock a person out; sign-out ends a session everywhere, and a session ends after
an idle time as well as 12 hours after sign-in; ``X-Forwarded-For`` counts only from a proxy
the operator named; a body over the limit is refused while it streams; the access log keeps a
line per request, without tokens, under `officeflow up` too.

The pages run as `officeflow up` runs them (the ``officeflow web`` command, a real uvicorn on
127.0.0.1) wherever the server's own behaviour is what is tested; TestClient where the clock
is moved."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pendulum
import pytest
from sqlalchemy import select

from models.signin import SigninLink
from officeflow import clock, db
from officeflow.mailcatcher import MailCatcher, free_port
from tests.web2_helpers import client, hidden, link_in, submit

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
TZ = "Asia/Shanghai"


def at(text: str) -> None:
    clock.set_now(pendulum.parse(text, tz=TZ))


@pytest.fixture
def office(org: Any, mail_office: MailCatcher) -> MailCatcher:
    return mail_office


# --- `officeflow web` in its own process, as `officeflow up` starts it ------------------------


class Web:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.url = f"http://127.0.0.1:{port}"

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@contextmanager
def web_process(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Web]:
    """``officeflow web`` on a free port with this test's settings (its OFFICEFLOW_* variables:
    the same ledger, key and SMTP server), its output in ``<tmp>/web.log``; stopped (SIGTERM to
    the process this started) at the end."""
    from officeflow.stack import web_args

    port = free_port()
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "officeflow"), *web_args("127.0.0.1", port), *args],
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    web = Web(proc, port, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(web.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield web
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def csrf_of(c: httpx.Client) -> str:
    page = c.get("/signin")
    assert page.status_code == 200
    return hidden(page.text)["csrf_token"]


def wait_until(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout:g} s: {what}"
        time.sleep(0.05)


# --- 4. sign-in: one answer for everyone, the mail after it ----------------------------------


def test_the_sign_in_answer_is_the_same_for_everyone_and_the_mail_leaves_after_it(
    office: MailCatcher, office_env: Any, tmp_path: Path
) -> None:
    office_env.set(delivery_timeout_s=300, smtp_host=office.host, smtp_port=office.port)
    office.hold_after = 0  # the relay takes each message, then does not answer until released
    with web_process(tmp_path) as web, httpx.Client(base_url=web.url, timeout=60) as c:
        token = csrf_of(c)
        answers = {}
        for label, who in [
            ("known", "zhang.wei"),  # mailed: its SMTP session now hangs on the held relay
            ("unknown", "nobody@example.org"),
            ("known 2", "Zhang.Wei@example.gov.cn"),
            ("known 3", "zhang.wei"),
            ("over the person's limit", "zhang.wei"),  # the 4th in 15 minutes: capped, silently
        ]:
            r = c.post("/signin", data={"who": who, "csrf_token": token})
            answers[label] = (r.status_code, r.text)
            # The answer came back while the relay still holds every message: nothing sent yet.
            assert office.received == 0, label
        assert set(answers.values()) == {answers["unknown"]}, {k: v[0] for k, v in answers.items()}
        assert answers["unknown"][0] == 200 and "登录链接已发送" in answers["unknown"][1]
        assert "zhang.wei" not in answers["known"][1]
        # Every answer is out; only now does the relay get (and hold) the first message ...
        wait_until(lambda: office.held >= 1, "a message held by the relay")
        assert office.received == 0
        office.release()  # ... whose sender was still waiting for it: nothing was dropped.
        wait_until(lambda: len(office.to("zhang.wei@example.gov.cn")) == 3, "three links mailed")
        assert office.dropped == 0
    with db.read_scope() as s:
        rows = s.scalars(select(SigninLink).order_by(SigninLink.id)).all()
        # Each answer's work runs after it, in whatever order the threads take: three links for
        # the person, and a row without a person for the unknown id and for the capped ask.
        assert Counter(r.person_id for r in rows) == Counter({"zhang.wei": 3, None: 2})
    assert len(office.to("zhang.wei@example.gov.cn")) == 3  # the capped one sent nothing


def test_no_stranger_can_lock_a_person_out(office: MailCatcher, office_env: Any) -> None:
    at("2026-09-28T10:00:00")
    person = client()  # zhang.wei's own browser, signed in earlier today
    assert submit(person, "/signin", {"who": "zhang.wei"}).status_code == 200
    [first] = office.to("zhang.wei@example.gov.cn")
    used = person.post("/signin/use", data=hidden(person.get(link_in(first.text())).text))
    assert used.status_code == 303 and person.get("/me").status_code == 200
    office.clear()

    at("2026-09-28T10:01:00")
    stranger = client()
    answers = {submit(stranger, "/signin", {"who": "zhang.wei"}).text for _ in range(10)}
    assert len(answers) == 1 and "登录链接已发送" in answers.pop()
    # At most the person's limit of links went out (to the person, nobody else) ...
    assert len(office.to("zhang.wei@example.gov.cn")) == 2  # 3 in 15 minutes, 1 was his own
    # ... the session the person has still works, and so does every link they received.
    assert person.get("/me").status_code == 200
    at("2026-09-28T10:05:00")
    asked = submit(person, "/signin", {"who": "zhang.wei"})  # over the limit: same answer
    assert asked.status_code == 200 and "登录链接已发送" in asked.text
    mail = office.to("zhang.wei@example.gov.cn")[-1]
    again = client()
    done = again.post("/signin/use", data=hidden(again.get(link_in(mail.text())).text))
    assert done.status_code == 303 and again.get("/me").status_code == 200


# --- 5. sessions: sign-out ends them everywhere; idle and absolute limits -------------------


def signed_in(office: MailCatcher, who: str = "zhang.wei") -> Any:
    c = client()
    assert submit(c, "/signin", {"who": who}).status_code == 200
    mail = office.messages[-1]
    done = c.post("/signin/use", data=hidden(c.get(link_in(mail.text())).text))
    assert done.status_code == 303
    return c


def test_sign_out_ends_the_session_everywhere(office: MailCatcher) -> None:
    at("2026-09-28T10:00:00")
    browser = signed_in(office, "sun.li")
    copied = client()  # the same cookie, copied to another machine
    copied.cookies.set("officeflow_session", browser.cookies["officeflow_session"])
    assert copied.get("/me").status_code == 200 and copied.get("/board").status_code == 200
    page = browser.get("/me")
    out = browser.post("/signout", data={"csrf_token": hidden(page.text)["csrf_token"]})
    assert out.status_code == 303
    assert copied.get("/me").status_code == 303  # to /signin
    assert copied.get("/board").status_code == 303
    # A new sign-in works again (a new generation), and does not revive the old cookie.
    again = signed_in(office, "sun.li")
    assert again.get("/me").status_code == 200
    assert copied.get("/me").status_code == 303


def test_a_session_ends_after_two_idle_hours_and_after_twelve_in_any_case(
    office: MailCatcher,
) -> None:
    at("2026-09-28T08:00:00")
    c = signed_in(office)
    for hour in range(9, 20):  # active every hour: the idle limit never strikes
        at(f"2026-09-28T{hour:02d}:00:00")
        assert c.get("/me").status_code == 200, hour
    at("2026-09-28T20:00:01")  # 12 hours after sign-in
    assert c.get("/me").status_code == 303

    at("2026-09-29T08:00:00")
    idle = signed_in(office)
    at("2026-09-29T09:59:00")
    assert idle.get("/me").status_code == 200
    at("2026-09-29T11:59:00")  # 2 h since the last request
    assert idle.get("/me").status_code == 200
    at("2026-09-29T13:59:01")  # 2 h and a second since the last request
    assert idle.get("/me").status_code == 303


def test_the_idle_time_is_a_setting(office: MailCatcher, office_env: Any) -> None:
    office_env.set(session_idle_minutes=30, smtp_host=office.host, smtp_port=office.port)
    at("2026-09-28T08:00:00")
    c = signed_in(office)
    at("2026-09-28T08:30:01")
    assert c.get("/me").status_code == 303


# --- 6. proxies: X-Forwarded-For only from a proxy the operator names ------------------------


def test_a_rotating_forwarded_for_from_loopback_does_not_bypass_the_client_limit(
    office: MailCatcher, office_env: Any, tmp_path: Path
) -> None:
    office_env.set(signin_per_client=3, smtp_host=office.host, smtp_port=office.port)
    with web_process(tmp_path) as web, httpx.Client(base_url=web.url, timeout=60) as c:
        token = csrf_of(c)
        for n in range(6):
            r = c.post(
                "/signin",
                data={"who": f"nobody{n}@example.org", "csrf_token": token},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            assert r.status_code == 200
    with db.read_scope() as s:
        stored = s.scalars(select(SigninLink.client_ip)).all()
    assert stored == ["127.0.0.1"] * 3  # the limit held, and no spoofed address was kept


def test_a_named_proxy_is_trusted(office: MailCatcher, tmp_path: Path) -> None:
    with (
        web_process(tmp_path, "--forwarded-allow-ips", "127.0.0.1") as web,
        httpx.Client(base_url=web.url, timeout=60) as c,
    ):
        token = csrf_of(c)
        r = c.post(
            "/signin",
            data={"who": "nobody@example.org", "csrf_token": token},
            headers={"X-Forwarded-For": "198.51.100.23"},
        )
        assert r.status_code == 200
    with db.read_scope() as s:
        assert s.scalars(select(SigninLink.client_ip)).all() == ["198.51.100.23"]


# --- 7. a body over the limit is refused while it streams ------------------------------------

MB = 1024 * 1024
BODY = 200 * MB


def stream_multipart(port: int, path: str, total: int, *, chunked: bool) -> tuple[bytes, int]:
    """POST a multipart body of ``total`` bytes (generated chunk by chunk) while reading the
    answer; returns (the answer's first bytes, how many body bytes were sent before it came)."""
    boundary = "officeflow-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    filler = total - len(head) - len(tail)
    headers = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
    ]
    headers.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}")
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer = bytearray()
    sent = 0
    answered = threading.Event()

    def reader() -> None:
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer.extend(data)
                answered.set()
        except OSError:
            pass
        answered.set()

    def frame(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        sock.sendall(frame(head))
        chunk = b"x" * MB
        left = filler
        while left > 0 and not answered.is_set():
            piece = chunk[: min(MB, left)]
            sock.sendall(frame(piece))
            sent += len(piece)
            left -= len(piece)
        if not answered.is_set():
            sock.sendall(frame(tail) + (b"0\r\n\r\n" if chunked else b""))
            sent += len(tail)
    except OSError:  # the server closed the connection on us: what it answered is below
        pass
    answered.wait(60)
    sent_before_answer = sent
    thread.join(5)
    sock.close()
    return bytes(answer), sent_before_answer


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_200_mb_body_is_refused_while_it_streams(
    office: MailCatcher, tmp_path: Path, chunked: bool
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    with web_process(tmp_path, env={"TMPDIR": str(spool)}) as web:
        answer, sent = stream_multipart(web.port, "/a/not-a-token", BODY, chunked=chunked)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert sent < BODY  # answered before the body was all sent
        # Nothing spooled: no file under its TMPDIR, and none open (a deleted one included).
        assert list(spool.iterdir()) == []
        fds = Path(f"/proc/{web.proc.pid}/fd")
        if fds.is_dir():
            held = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()]
            assert not [f for f in held if f.startswith(str(spool))], held
        assert httpx.get(web.url + "/healthz").text == "ok"  # and it still serves


# --- 8. the access log under `officeflow up`: a line per request, no token -------------------


def test_the_access_log_keeps_a_line_per_request_without_tokens_under_up(
    office: MailCatcher, tmp_path: Path
) -> None:
    from officeflow.web import tokens

    token = tokens.sign(tokens.Claim("zhang.wei", "assignment", "1", "view", "n:1"))
    with web_process(tmp_path) as web:
        # `officeflow up`'s web process loads Prefect in the background: wait until it has.
        wait_until(
            lambda: any("loaded Prefect and the CLI's flows" in line for line in web.lines()),
            "the warm-up",
            timeout=300,
        )
        before = len([line for line in web.lines() if "HTTP/1.1" in line])
        paths = [f"/healthz?n={n}" for n in range(20)] + [
            f"/a/{token}",
            f"/a/{token}/report-progress",
            f"/signin?token={token}",
            f"/login/oidc/callback?code=secret-code-{token[:8]}&state={token}",
        ]
        with httpx.Client(base_url=web.url, timeout=60) as c:
            for path in paths:
                c.get(path)
        wait_until(
            lambda: (
                len([line for line in web.lines() if "HTTP/1.1" in line]) >= before + len(paths)
            ),
            "an access line per request",
            timeout=30,
        )
        access = [line for line in web.lines() if "HTTP/1.1" in line][before:]
    assert len(access) == len(paths), access
    text = "\n".join(web.lines())
    assert token not in text and token[:20] not in text and "secret-code" not in text
    assert re.search(r'"GET /a/\[token\] HTTP/1.1" ', text), access
