"""Direct messages on the Chinese work platforms, as Apprise custom notification plugins.

A personal notice must reach one person only. The group robots (``dingtalk://``,
``wecombot://``, ``feishu://``) post into a group; these three plugins send through the
platform's *application* API to one user id:

=============  ==================================================  ===========================
URL            API                                                 recipient
=============  ==================================================  ===========================
dingtalkdm://  DingTalk 工作通知 ``/topapi/message/corpconversation/  userid (``userid_list``)
               asyncsend_v2``, token ``GET /gettoken``
wecomdm://     WeCom 应用消息 ``/cgi-bin/message/send``, token         userid (``touser``)
               ``GET /cgi-bin/gettoken``
feishudm://    Feishu ``POST /open-apis/im/v1/messages``, token       open_id (``receive_id``)
               ``POST /open-apis/auth/v3/tenant_access_token/internal``
=============  ==================================================  ===========================

URLs (the secret is the URL's password; ``base`` points at another API host, e.g. a private
deployment or a test's emulator):

- ``dingtalkdm://{appkey}:{appsecret}@{agent_id}/{userid}?base=https://oapi.dingtalk.com``
- ``wecomdm://{corpid}:{corpsecret}@{agentid}/{userid}?base=https://qyapi.weixin.qq.com``
- ``feishudm://{app_id}:{app_secret}@open_id/{open_id}?base=https://open.feishu.cn``

Apprise 2.0 has a WeCom application plugin (``wechat://``), but it keeps its token in the
plugin instance's store (a new instance per send here, so a token fetch per message, which
WeCom limits), reports a message whose ``invaliduser`` names the recipient as sent, and has
a fixed host. It has nothing for DingTalk's work notification or Feishu's im/v1 messages.

The access token is fetched once per app (keyed by base, app id and a hash of the secret),
kept in this process until shortly before it expires (`officeflow.clock`), shared by every
sender thread, and fetched again once when the platform answers that it is invalid or
expired. Tokens and app secrets never appear in a log line or an error: the messages name
the platform, the user id, the vendor's code and message, nothing else; `live_tokens` lets
`officeflow.channels.scrub` remove a token a vendor might echo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import requests
from apprise.common import NotifyType
from apprise.plugins.base import NotifyBase

# A token is renewed this long before the platform says it expires.
TOKEN_MARGIN = dt.timedelta(seconds=300)

_tokens: dict[tuple[str, ...], tuple[str, dt.datetime]] = {}
_locks: dict[tuple[str, ...], threading.Lock] = {}
_guard = threading.Lock()
_live: set[str] = set()  # every token fetched in this process, for scrubbing


def live_tokens() -> list[str]:
    """Access tokens this process has fetched (to scrub from any text before it is kept)."""
    with _guard:
        return list(_live)


def forget_tokens() -> None:
    """Drop every cached token (tests; a changed app secret is a new cache key anyway)."""
    with _guard:
        _tokens.clear()


def _now() -> dt.datetime:
    from officeflow import clock

    return clock.now()


class VendorError(Exception):
    """The platform refused: ``str()`` names the platform, code and message, never a secret."""

    def __init__(self, code: object, message: str) -> None:
        super().__init__(message)
        self.code = code


class _AppMessage(NotifyBase):  # type: ignore[misc]
    """Shared shape: credentials in the URL's user and password, one user id in the path."""

    # No client-side pacing: each send is its own instance in its own thread.
    request_rate_per_sec = 0
    title_maxlen = 250
    body_maxlen = 5000
    default_base: ClassVar[str] = ""
    platform: ClassVar[str] = ""
    invalid_token_codes: ClassVar[frozenset[object]] = frozenset()

    templates = ("{schema}://{user}:{password}@{host}/{target}",)
    template_tokens = dict(
        NotifyBase.template_tokens,
        **{
            "user": {"name": "App key / id", "type": "string", "required": True},
            "password": {"name": "App secret", "type": "string", "private": True, "required": True},
            "host": {"name": "Agent id", "type": "string", "required": True},
            "target": {"name": "User id", "type": "string", "required": True},
        },
    )
    template_args = dict(
        NotifyBase.template_args,
        **{
            "base": {"name": "API base URL", "type": "string"},
            "links": {"name": "The notice's signed links", "type": "string", "private": True},
        },
    )

    def __init__(
        self,
        app: str,
        secret: str,
        agent: str,
        target: str,
        base: str | None = None,
        links: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        from apprise.exception import AppriseImproperlyConfigured

        if not app or not secret or not agent or not target:
            raise AppriseImproperlyConfigured(
                f"{self.platform}: app id, app secret, agent and user id are all required"
            )
        self.app, self.secret, self.agent, self.target = app, secret, agent, target
        self.base = (base or self.default_base).rstrip("/")
        # The signed links the sender minted from the notice's link markers (never from the
        # text): the only URLs that become a button or a link in the message.
        if isinstance(links, str):
            links = links.split()
        self.links = [u for u in (links or []) if u.startswith(("https://", "http://"))]

    # --- URL ----------------------------------------------------------------------------------

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.url_parameters(privacy=privacy, *args, **kwargs)  # noqa: B026
        params["base"] = self.base
        if self.links:  # bearer tokens: never in the privacy form
            params["links"] = "****" if privacy else " ".join(self.links)
        return "{schema}://{app}:{secret}@{agent}/{target}/?{params}".format(
            schema=self.secure_protocol,
            app=self.quote(self.app, safe=""),
            secret=self.pprint(self.secret, privacy, safe=""),
            agent=self.quote(self.agent, safe=""),
            target=self.quote(self.target, safe=""),
            params=self.urlencode(params),
        )

    @property
    def url_identifier(self) -> tuple[str, ...]:
        return (self.secure_protocol, self.base, self.app, self.secret, self.agent)

    @classmethod
    def parse_url(cls, url: str) -> dict[str, Any] | None:
        results = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        path = cls.split_path(results["fullpath"])
        results["app"] = cls.unquote(results.get("user") or "")
        results["secret"] = cls.unquote(results.get("password") or "")
        results["agent"] = cls.unquote(results.get("host") or "")
        results["target"] = path[0] if path else ""
        if results["qsd"].get("base"):
            results["base"] = results["qsd"]["base"]
        if results["qsd"].get("links"):
            results["links"] = results["qsd"]["links"]
        return results

    # --- token ------------------------------------------------------------------------------

    def _cache_key(self) -> tuple[str, ...]:
        digest = hashlib.sha256(self.secret.encode("utf-8")).hexdigest()
        return (self.secure_protocol, self.base, self.app, digest)

    def _token(self, *, stale: str | None = None) -> str:
        """The cached token; a fresh one when none is cached, it is about to expire, or the
        platform just refused ``stale`` (one fetch however many threads saw it refused)."""
        key = self._cache_key()
        with _guard:
            lock = _locks.setdefault(key, threading.Lock())
        with lock:
            cached = _tokens.get(key)
            if cached is not None and cached[0] != stale and cached[1] > _now():
                return cached[0]
            token, lifetime = self._fetch_token()
            margin = min(TOKEN_MARGIN, dt.timedelta(seconds=lifetime) / 2)
            with _guard:
                _live.add(token)
                _tokens[key] = (token, _now() + dt.timedelta(seconds=lifetime) - margin)
            return token

    def _fetch_token(self) -> tuple[str, float]:
        raise NotImplementedError

    def _post(self, token: str) -> dict[str, Any]:
        raise NotImplementedError

    def _json(self, response: requests.Response, what: str) -> dict[str, Any]:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise VendorError(
                response.status_code, f"{what}: HTTP {response.status_code}, not a JSON answer"
            )
        return answer

    # --- send -------------------------------------------------------------------------------

    def send(
        self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO, **kwargs: Any
    ) -> bool:
        self.title, self.body = title, body
        try:
            token = self._token()
            try:
                self._post(token)
            except VendorError as exc:
                if exc.code not in self.invalid_token_codes:
                    raise
                self.logger.info(
                    "%s: the access token was refused (%s); fetching a new one",
                    self.platform,
                    exc.code,
                )
                self._post(self._token(stale=token))
        except VendorError as exc:
            self.logger.warning("%s to %s failed: %s", self.platform, self.target, exc)
            return False
        except requests.RequestException as exc:
            self.logger.warning(
                "%s to %s failed: %s (connection error)",
                self.platform,
                self.target,
                type(exc).__name__,
            )
            return False
        self.logger.info("%s sent to %s", self.platform, self.target)
        return True

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            f"{self.base}{path}",
            verify=self.verify_certificate,
            timeout=self.request_timeout,
            allow_redirects=False,
            **kwargs,
        )

    def button(self) -> str | None:
        """The 查看详情 button's URL: the notice's one signed link (a digest, with several, has
        none; each of its links stays beside its item). Never a URL found in the text."""
        distinct = list(dict.fromkeys(self.links))
        return distinct[0] if len(distinct) == 1 else None

    def text(self) -> str:
        """Markdown text: the subject as a heading, then the body, both as inert text
        (`chat_markdown`); only the notice's signed links are links."""
        body = chat_markdown(self.body, self.links)
        return f"### {chat_markdown(self.title)}\n\n{body}" if self.title else body


# The vendors' chat markdown (DingTalk, WeCom and Feishu cards) renders the HTML character
# references, as it renders the few HTML tags it allows (<font>, <at>): so a character that
# makes a link, an image, emphasis, code, a heading, a quote, a table or a tag is written as a
# reference and shown as itself. "://" and "www." are broken the same way, so that no client
# turns a URL in user text into a link by itself.
_CHAT_MD = {c: f"&#{ord(c)};" for c in "&<>[]()*_~`#!|\\\"'{}$"}
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+(?=[.)]))", re.MULTILINE)
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])://|(?<![a-z0-9.])(www)\.")


def escape_chat_markdown(text: str) -> str:
    """``text`` as inert chat markdown: shown as typed, line breaks kept, nothing a link."""
    escaped = "".join(_CHAT_MD.get(c, c) for c in text)
    escaped = _AUTOLINK.sub(lambda m: f"{m.group(1)}&#46;" if m.group(1) else "&#58;//", escaped)
    return _LINE_START.sub(
        lambda m: m.group(1) + "".join(f"&#{ord(c)};" for c in m.group(2)), escaped
    )


def chat_markdown(text: str, links: list[str] | tuple[str, ...] = ()) -> str:
    """``text`` as chat markdown where each of ``links`` (the notice's signed links) is a link
    and everything else is inert text (`escape_chat_markdown`)."""
    trusted = sorted(set(links), key=len, reverse=True)
    if not trusted:
        return escape_chat_markdown(text)
    pieces = re.split("(" + "|".join(map(re.escape, trusted)) + ")", text)
    return "".join(
        f"[{escape_chat_markdown(p)}]({p})" if i % 2 else escape_chat_markdown(p)
        for i, p in enumerate(pieces)
    )


class NotifyDingTalkDM(_AppMessage):
    """DingTalk 工作通知 to one userid, from an internal app (AppKey/AppSecret, AgentId)."""

    service_name = "DingTalk work notification"
    service_url = "https://open.dingtalk.com/"
    secure_protocol = "dingtalkdm"
    platform = "dingtalk_dm"
    default_base = "https://oapi.dingtalk.com"
    invalid_token_codes = frozenset({88, 40014, 42001})

    def _fetch_token(self) -> tuple[str, float]:
        answer = self._json(
            self._request(
                "GET", "/gettoken", params={"appkey": self.app, "appsecret": self.secret}
            ),
            "gettoken",
        )
        if answer.get("errcode") != 0 or not answer.get("access_token"):
            raise VendorError(
                answer.get("errcode"),
                f"gettoken errcode {answer.get('errcode')}: {answer.get('errmsg', '')}",
            )
        return str(answer["access_token"]), float(answer.get("expires_in") or 7200)

    def _post(self, token: str) -> dict[str, Any]:
        link = self.button()
        title = self.title or self.body[:40]
        if link:
            msg = {
                "msgtype": "action_card",
                "action_card": {
                    "title": title,
                    "markdown": self.text(),
                    "single_title": "查看详情",
                    "single_url": link,
                },
            }
        else:
            msg = {"msgtype": "markdown", "markdown": {"title": title, "text": self.text()}}
        payload = {"agent_id": int(self.agent), "userid_list": self.target, "msg": msg}
        answer = self._json(
            self._request(
                "POST",
                "/topapi/message/corpconversation/asyncsend_v2",
                params={"access_token": token},
                json=payload,
            ),
            "asyncsend_v2",
        )
        if answer.get("errcode") != 0:
            raise VendorError(
                answer.get("errcode"),
                f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}",
            )
        return answer


class NotifyWeComDM(_AppMessage):
    """WeCom 应用消息 to one userid, from a self-built app (corpid, app Secret, AgentId)."""

    service_name = "WeCom application message"
    service_url = "https://work.weixin.qq.com/"
    secure_protocol = "wecomdm"
    platform = "wecom_dm"
    default_base = "https://qyapi.weixin.qq.com"
    body_maxlen = 2048
    invalid_token_codes = frozenset({40001, 40014, 42001})

    def _fetch_token(self) -> tuple[str, float]:
        answer = self._json(
            self._request(
                "GET", "/cgi-bin/gettoken", params={"corpid": self.app, "corpsecret": self.secret}
            ),
            "gettoken",
        )
        if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
            raise VendorError(
                answer.get("errcode"),
                f"gettoken errcode {answer.get('errcode')}: {answer.get('errmsg', '')}",
            )
        return str(answer["access_token"]), float(answer.get("expires_in") or 7200)

    def _post(self, token: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "touser": self.target,
            "agentid": int(self.agent),
            "msgtype": "markdown",
            "markdown": {"content": self.text()},
        }
        answer = self._json(
            self._request(
                "POST", "/cgi-bin/message/send", params={"access_token": token}, json=payload
            ),
            "message/send",
        )
        if answer.get("errcode", 0) != 0:
            raise VendorError(
                answer.get("errcode"),
                f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}",
            )
        invalid = [u for u in str(answer.get("invaliduser") or "").split("|") if u]
        unlicensed = [u for u in str(answer.get("unlicenseduser") or "").split("|") if u]
        if self.target in invalid or self.target in unlicensed:
            which = "invaliduser" if self.target in invalid else "unlicenseduser"
            raise VendorError(
                which,
                f"user {self.target!r} was not reached ({which}: not a member, outside the "
                "app's visible range, or not licensed)",
            )
        return answer


class NotifyFeishuDM(_AppMessage):
    """Feishu message to one open_id, from a self-built app with the bot ability."""

    service_name = "Feishu message"
    service_url = "https://open.feishu.cn/"
    secure_protocol = "feishudm"
    platform = "feishu_dm"
    default_base = "https://open.feishu.cn"
    body_maxlen = 30000
    invalid_token_codes = frozenset({99991663, 99991661, 99991668})
    ID_TYPES = frozenset({"open_id", "user_id", "union_id", "email", "chat_id"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.agent not in self.ID_TYPES:
            from apprise.exception import AppriseImproperlyConfigured

            raise AppriseImproperlyConfigured(
                f"feishu_dm: the receive id type {self.agent!r} is not one of "
                f"{', '.join(sorted(self.ID_TYPES))}"
            )

    def _fetch_token(self) -> tuple[str, float]:
        answer = self._json(
            self._request(
                "POST",
                "/open-apis/auth/v3/tenant_access_token/internal",
                json={"app_id": self.app, "app_secret": self.secret},
            ),
            "tenant_access_token",
        )
        if answer.get("code") != 0 or not answer.get("tenant_access_token"):
            raise VendorError(
                answer.get("code"),
                f"tenant_access_token code {answer.get('code')}: {answer.get('msg', '')}",
            )
        return str(answer["tenant_access_token"]), float(answer.get("expire") or 7200)

    def _post(self, token: str) -> dict[str, Any]:
        link = self.button()
        if link:
            content: dict[str, Any] = {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": self.title or "通知"}},
                "elements": [
                    {"tag": "markdown", "content": chat_markdown(self.body, self.links)},
                    {
                        "tag": "action",
                        "actions": [
                            {
                                "tag": "button",
                                "text": {"tag": "plain_text", "content": "查看详情"},
                                "type": "primary",
                                "url": link,
                            }
                        ],
                    },
                ],
            }
            msg_type = "interactive"
        else:
            lines = [[{"tag": "text", "text": line}] for line in self.body.splitlines()]
            content = {"zh_cn": {"title": self.title, "content": lines}}
            msg_type = "post"
        payload = {
            "receive_id": self.target,
            "msg_type": msg_type,
            "content": json.dumps(content, ensure_ascii=False),
        }
        answer = self._json(
            self._request(
                "POST",
                "/open-apis/im/v1/messages",
                params={"receive_id_type": self.agent},
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
            ),
            "im/v1/messages",
        )
        if answer.get("code") != 0:
            raise VendorError(
                answer.get("code"), f"code {answer.get('code')}: {answer.get('msg', '')}"
            )
        return answer


PLUGINS = (NotifyDingTalkDM, NotifyWeComDM, NotifyFeishuDM)


def register() -> None:
    """Make the three schemas known to Apprise (idempotent)."""
    from apprise.manager_plugins import NotificationManager

    manager = NotificationManager()
    for plugin in PLUGINS:
        if plugin.secure_protocol not in manager:
            manager.add(plugin)


def dm_url(
    scheme: str,
    app: str,
    secret: str,
    agent: str,
    target: str,
    base: str,
    links: Sequence[str] = (),
) -> str:
    """The Apprise URL of one direct message, with the notice's signed ``links`` (minted by the
    sender from the notice's link markers). Contains the app secret and the links' tokens:
    never log it."""
    url = (
        f"{scheme}://{quote(app, safe='')}:{quote(secret, safe='')}@{quote(agent, safe='')}/"
        f"{quote(target, safe='')}/?base={quote(base, safe='')}"
    )
    if links:
        url += f"&links={quote(' '.join(links), safe='')}"
    return url


# --- Group robots' @-mentions ----------------------------------------------------------------


def _wecom_robot_class() -> type:
    from apprise.plugins.wecombot import NotifyWeComBot

    class NotifyWeComBotAt(NotifyWeComBot):  # type: ignore[misc, valid-type]
        """Apprise's WeCom group robot, plus the people it @-mentions (``mentioned_list`` for
        userids, ``mentioned_mobile_list`` for mobile numbers): ``wecombotat://key/id1/id2``.
        Apprise's own ``wecombot://`` cannot mention anyone."""

        secure_protocol = "wecombotat"
        service_name = "WeCom group robot (with @-mentions)"

        def __init__(self, key: str, targets: list[str] | None = None, **kwargs: Any) -> None:
            super().__init__(key, **kwargs)
            self.targets = [t for t in (targets or []) if t]

        def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
            params = self.url_parameters(privacy=privacy, *args, **kwargs)  # noqa: B026
            return "{schema}://{key}/{targets}/?{params}".format(
                schema=self.secure_protocol,
                key=self.pprint(self.key, privacy, safe=""),
                targets="/".join(self.quote(t, safe="") for t in self.targets),
                params=self.urlencode(params),
            )

        @staticmethod
        def parse_url(url: str) -> dict[str, Any] | None:
            results = NotifyBase.parse_url(url, verify_host=False)
            if not results:
                return results
            results["key"] = NotifyBase.unquote(results["host"])
            results["targets"] = NotifyBase.split_path(results["fullpath"])
            return results

        def send(
            self,
            body: str,
            title: str = "",
            notify_type: NotifyType = NotifyType.INFO,
            **kwargs: Any,
        ) -> bool:
            mobiles = [t for t in self.targets if re.fullmatch(r"\+?[0-9][0-9 -]{4,20}", t)]
            ids = [t for t in self.targets if t not in mobiles]
            text: dict[str, Any] = {"content": body}
            if ids:
                text["mentioned_list"] = ids
            if mobiles:
                text["mentioned_mobile_list"] = mobiles
            try:
                r = requests.post(
                    self.api_url,
                    data=json.dumps({"msgtype": "text", "text": text}).encode("utf-8"),
                    headers={"Content-Type": "application/json; charset=utf-8"},
                    verify=self.verify_certificate,
                    timeout=self.request_timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                self.logger.warning("WeCom robot: %s (connection error)", type(exc).__name__)
                return False
            if r.status_code != requests.codes.ok:
                self.logger.warning(
                    "Failed to send WeCom Bot notification: error=%s.", r.status_code
                )
                return False
            try:
                answer = r.json()
            except ValueError:
                answer = {}
            if isinstance(answer, dict) and answer.get("errcode", 0) not in (0, None):
                self.logger.warning(
                    "WeCom robot errcode %s: %s", answer.get("errcode"), answer.get("errmsg", "")
                )
                return False
            return True

    return NotifyWeComBotAt


def register_robots() -> None:
    from apprise.manager_plugins import NotificationManager

    manager = NotificationManager()
    if "wecombotat" not in manager:
        manager.add(_wecom_robot_class())
