"""A local emulator of the DingTalk, WeCom and Feishu application APIs (one HTTP server on
127.0.0.1), answering as each API is documented:

- DingTalk: ``GET /gettoken?appkey=&appsecret=`` → ``{errcode, errmsg, access_token,
  expires_in}``; ``POST /topapi/message/corpconversation/asyncsend_v2?access_token=`` →
  ``{errcode: 0, errmsg: "ok", task_id, request_id}``, or ``errcode`` 40014/88 for a bad token.
- WeCom: ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` → ``{errcode, errmsg, access_token,
  expires_in}``; ``POST /cgi-bin/message/send?access_token=`` → ``{errcode: 0, errmsg: "ok",
  invaliduser, msgid}`` (a userid the app cannot reach comes back in ``invaliduser``), or
  42001 for an expired token.
- Feishu: ``POST /open-apis/auth/v3/tenant_access_token/internal`` → ``{code, msg,
  tenant_access_token, expire}``; ``POST /open-apis/im/v1/messages?receive_id_type=open_id``
  with ``Authorization: Bearer …`` → ``{code: 0, msg: "success", data: {message_id…}}``, or
  HTTP 400 with ``code`` 99991663 for an invalid token.

Scripted faults: ``revoke()`` makes every issued token invalid (as an expired one);
``fail[platform] = (code, message)`` answers the next sends with that vendor error;
``unreachable`` holds WeCom userids answered in ``invaliduser``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

APPS = {
    "dingtalk": ("dingAppKey7", "DingAppSecret-9f8e7d6c5b4a"),
    "wecom": ("ww1234corp", "WeComCorpSecret-1a2b3c4d5e"),
    "feishu": ("cli_a1b2c3d4", "FeishuAppSecret-0a9b8c7d6e"),
}


class PlatformEmulator:
    def __init__(self) -> None:
        self.token_fetches: Counter[str] = Counter()
        self.sends: list[dict[str, Any]] = []  # accepted messages: platform, token, query, body
        self.refused: Counter[str] = Counter()  # sends refused for a bad token
        self.valid: dict[str, set[str]] = {p: set() for p in APPS}
        self.fail: dict[str, tuple[int, str]] = {}
        self.unreachable: set[str] = set()
        self.expires_in = 7200
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer._handle(self, self.rfile.read(length))

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> PlatformEmulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def revoke(self) -> None:
        with self._lock:
            for tokens in self.valid.values():
                tokens.clear()

    def to(self, platform: str) -> list[dict[str, Any]]:
        return [s for s in self.sends if s["platform"] == platform]

    def _issue(self, platform: str) -> str:
        token = f"{platform}-token-{next(self._ids)}-{'x' * 24}"
        self.valid[platform].add(token)
        self.token_fetches[platform] += 1
        return token

    def _handle(self, request: BaseHTTPRequestHandler, raw: bytes) -> None:
        url = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body: Any = json.loads(raw) if raw else {}
        with self._lock:
            status, answer = self._answer(request, url.path, query, body)
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def _answer(
        self, request: BaseHTTPRequestHandler, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, dict[str, Any]]:
        # --- DingTalk ---
        if path == "/gettoken":
            if (query.get("appkey"), query.get("appsecret")) != APPS["dingtalk"]:
                return 200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
            token = self._issue("dingtalk")
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": token,
                "expires_in": self.expires_in,
            }
        if path == "/topapi/message/corpconversation/asyncsend_v2":
            if query.get("access_token") not in self.valid["dingtalk"]:
                self.refused["dingtalk"] += 1
                return 200, {"errcode": 40014, "errmsg": "不合法的access_token"}
            if "dingtalk" in self.fail:
                code, message = self.fail["dingtalk"]
                return 200, {"errcode": code, "errmsg": message}
            self._record("dingtalk", query["access_token"], query, body)
            return 200, {"errcode": 0, "errmsg": "ok", "task_id": 256271667526, "request_id": "r1"}
        # --- WeCom ---
        if path == "/cgi-bin/gettoken":
            if (query.get("corpid"), query.get("corpsecret")) != APPS["wecom"]:
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            token = self._issue("wecom")
            return 200, {
                "errcode": 0,
                "errmsg": "ok",
                "access_token": token,
                "expires_in": self.expires_in,
            }
        if path == "/cgi-bin/message/send":
            if query.get("access_token") not in self.valid["wecom"]:
                self.refused["wecom"] += 1
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            if "wecom" in self.fail:
                code, message = self.fail["wecom"]
                return 200, {"errcode": code, "errmsg": message}
            if body.get("touser") in self.unreachable:
                return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": body["touser"]}
            self._record("wecom", query["access_token"], query, body)
            return 200, {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m1"}
        # --- Feishu ---
        if path == "/open-apis/auth/v3/tenant_access_token/internal":
            if (body.get("app_id"), body.get("app_secret")) != APPS["feishu"]:
                return 200, {"code": 10014, "msg": "app secret invalid"}
            token = self._issue("feishu")
            return 200, {
                "code": 0,
                "msg": "ok",
                "tenant_access_token": token,
                "expire": self.expires_in,
            }
        if path == "/open-apis/im/v1/messages":
            auth = request.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ")
            if not auth.startswith("Bearer ") or token not in self.valid["feishu"]:
                self.refused["feishu"] += 1
                return 400, {
                    "code": 99991663,
                    "msg": "Invalid access token for authorization. Please make a request "
                    "with token attached.",
                }
            if "feishu" in self.fail:
                code, message = self.fail["feishu"]
                return 400, {"code": code, "msg": message}
            self._record("feishu", token, query, body)
            return 200, {"code": 0, "msg": "success", "data": {"message_id": "om_1"}}
        return 404, {"errcode": 404, "errmsg": f"no such API {path}"}

    def _record(self, platform: str, token: str, query: dict[str, str], body: Any) -> None:
        self.sends.append({"platform": platform, "token": token, "query": query, "body": body})
