"""The chat bots' hosts (DingTalk, WeCom, Feishu, Slack), redirected to a local HTTP server.

Apprise posts to fixed public hosts; a test must not depend on whether the CI machine can
reach them. ``redirect(base)`` points each plugin's endpoint at ``base`` (the real plugin code
still builds and sends the request), with a path prefix that names the service. A CLI
subprocess gets the same redirect through ``subprocess_env(base)``, which puts
``tests/chat_redirect`` (a ``sitecustomize``) on its PYTHONPATH.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENV = "OFFICEFLOW_TEST_CHAT_BASE"
SITE = Path(__file__).resolve().parent / "chat_redirect"
SERVICES = ("dingtalk", "wecom", "feishu", "slack")


def endpoints(base: str) -> dict[tuple[str, str, str], str]:
    """(module, class, attribute) → the local endpoint that replaces the public one."""
    return {
        ("apprise.plugins.dingtalk", "NotifyDingTalk", "notify_url"): (
            f"{base}/dingtalk/robot/send?access_token={{token}}"
        ),
        ("apprise.plugins.wecombot", "NotifyWeComBot", "notify_url"): (
            f"{base}/wecom/cgi-bin/webhook/send?key={{key}}"
        ),
        ("apprise.plugins.feishu", "NotifyFeishu", "notify_url"): (
            f"{base}/feishu/open-apis/bot/v2/hook/{{token}}/"
        ),
        ("apprise.plugins.slack", "NotifySlack", "webhook_url"): f"{base}/slack/services",
    }


def redirect(base: str, monkeypatch: Any = None) -> None:
    """Point the four chat plugins at ``base`` (with ``monkeypatch``: undone after the test)."""
    import importlib

    for (module, cls, attr), url in endpoints(base).items():
        target = getattr(importlib.import_module(module), cls)
        if monkeypatch is not None:
            monkeypatch.setattr(target, attr, url)
        else:
            setattr(target, attr, url)


def subprocess_env(base: str) -> dict[str, str]:
    """Environment for a CLI subprocess whose chat posts must also go to ``base``."""
    path = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH", "")) if p)
    return {ENV: base, "PYTHONPATH": path}


def service_of(path: str) -> str:
    """The service a request to the local server was meant for (its first path segment)."""
    return path.lstrip("/").split("/", 1)[0]
