"""Driving the office's web pages in-process (Starlette's TestClient, a real ASGI app over the
real ledger): open a page, read its form's hidden fields, post it as the browser would."""

from __future__ import annotations

import html
import re
from typing import Any

from starlette.testclient import TestClient

LINK = re.compile(r"https?://[^/\s]+(/a/[A-Za-z0-9_.\-]+)")
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


def client() -> TestClient:
    from officeflow.web.app import create_app

    return TestClient(create_app(), follow_redirects=False)


def link_in(text: str) -> str:
    """The path of the first action link in a message."""
    found = LINK.search(text)
    assert found, f"no action link in: {text!r}"
    return found.group(1)


def hidden(page: str) -> dict[str, str]:
    """The hidden fields of the page's first form (CSRF token, state, token…)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def submit(c: TestClient, path: str, data: dict[str, Any], *, to: str | None = None, **kw: Any):
    """GET ``path``, then POST its form (to ``to`` or the same path) with its hidden fields."""
    page = c.get(path)
    assert page.status_code == 200, page.text
    return c.post(to or path, data={**hidden(page.text), **data}, **kw)


def sign_in_as(c: TestClient, person: str) -> None:
    """A session cookie for ``person`` (what a used sign-in link sets)."""
    from officeflow.web import session

    c.cookies.set(session.COOKIE, session.cookie_value(person, "t"))
