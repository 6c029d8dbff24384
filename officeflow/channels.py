"""The one place that turns settings plus a contact point into an Apprise URL, and sends.

Credentials come from settings only. A URL with credentials is never returned to callers for
display: use `masked` (Apprise's ``url(privacy=True)``) for that.
"""

from __future__ import annotations

import atexit
import email.policy
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import time
import types
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import quote, urlencode

from models.org import Channel
from officeflow import direct_messages
from officeflow.settings import Settings

log = logging.getLogger("officeflow.channels")

direct_messages.register()  # dingtalkdm://, wecomdm://, feishudm:// (Apprise custom plugins)
direct_messages.register_robots()  # wecombotat:// (the WeCom robot with @-mentions)

# A group robot and the direct message on the same platform. A personal notice goes by direct
# message when the person has that id, else through the robot; a broadcast goes through the
# robot once per group, @-mentioning everyone it concerns (see `choose_reach`).
ROBOT_OF_DM = {
    Channel.DINGTALK_DM: Channel.DINGTALK,
    Channel.WECOM_DM: Channel.WECOM,
    Channel.FEISHU_DM: Channel.FEISHU,
}
ROBOTS = frozenset(ROBOT_OF_DM.values())
# Notices that concern a group of people alike (a bulletin, the month's scores): one robot post
# per group, not one per person.
BROADCAST_TEMPLATES = frozenset({"supervision_bulletin", "info_scores"})
# `officeflow notify test`: a test message on every channel the person has, robots included.
CHECK_TEMPLATES = frozenset({"test"})
# A broadcast robot row names everyone it @-mentions in its address, comma-separated
# (contact_points.address / deliveries.address hold 320 characters; more people: more posts).
MENTIONS_MAX = 320


class _LazySSLContext:
    """An ``ssl.create_default_context()`` that is built only when first used.

    Apprise's SMTP plugin builds a default SSL context for every message, even over plain
    SMTP. Loading the CA bundle costs about 22 ms of CPU with the GIL held, so concurrent
    email sends ran one at a time (28 ms a mail). Plain SMTP never touches the context; a
    STARTTLS or SSL connection builds the real one exactly as before.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        object.__setattr__(self, "_args", (args, kwargs))
        object.__setattr__(self, "_context", None)

    def _real(self) -> ssl.SSLContext:
        if self._context is None:
            args, kwargs = self._args
            object.__setattr__(self, "_context", ssl.create_default_context(*args, **kwargs))
        return self._context  # type: ignore[return-value]

    def __getattr__(self, name: str) -> object:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self._real(), name, value)


def _lazy_smtp_ssl() -> None:
    try:
        from apprise.plugins.email import smtp as apprise_smtp
    except ImportError:  # another Apprise layout: keep its behaviour
        return
    if getattr(apprise_smtp, "ssl", None) is ssl:
        shim = types.ModuleType("ssl")
        shim.__dict__.update({k: v for k, v in vars(ssl).items() if not k.startswith("__")})
        shim.create_default_context = _LazySSLContext  # type: ignore[attr-defined]
        apprise_smtp.ssl = shim  # type: ignore[attr-defined]


_lazy_smtp_ssl()


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None  # masked; the cause first, so a cut keeps it
    # True when retrying cannot help (an SMTP 5xx for the mailbox or the message): the row
    # becomes `undeliverable` and is reported at once. Everything else (4xx, connection
    # refused, timeouts, refused authentication) is transient and retried with backoff.
    permanent: bool = False


def configured_channels(settings: Settings) -> set[Channel]:
    present = {
        Channel.EMAIL: settings.smtp_host,
        Channel.DINGTALK: settings.dingtalk_token,
        Channel.WECOM: settings.wecom_key,
        Channel.FEISHU: settings.feishu_token,
        Channel.SLACK: settings.slack_webhook,
        Channel.WEBHOOK: settings.webhook_url,
        Channel.DINGTALK_DM: settings.dingtalk_app_key
        and settings.dingtalk_app_secret
        and settings.dingtalk_agent_id,
        Channel.WECOM_DM: settings.wecom_corp_id
        and settings.wecom_corp_secret
        and settings.wecom_agent_id,
        Channel.FEISHU_DM: settings.feishu_app_id and settings.feishu_app_secret,
        Channel.SMS: settings.sms_gateway if settings.sms_token else None,
    }
    return {channel for channel, value in present.items() if value}


def choose_reach(reach: list[tuple[Channel, str]], template: str) -> list[tuple[Channel, str]]:
    """Of one person's usable (channel, address) pairs, those a notice of ``template`` goes to.

    On each platform with both: a personal notice goes by direct message and skips the group
    robot (which would tell the whole group about one person); a broadcast goes through the
    robot (one post per group, see `mention_groups`) and skips the direct message. A channel
    check (`officeflow notify test`) goes to every channel."""
    if template in CHECK_TEMPLATES:
        return reach
    broadcast = template in BROADCAST_TEMPLATES
    channels_ = {channel for channel, _ in reach}
    drop = set()
    for dm, robot in ROBOT_OF_DM.items():
        if dm in channels_ and robot in channels_:
            drop.add(dm if broadcast else robot)
    return [(channel, address) for channel, address in reach if channel not in drop]


def mention_groups(members: list[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """(person_id, address) pairs → ([person_id, …], "a1,a2,…") groups whose address lists
    are at most `MENTIONS_MAX` characters: one robot post per group (one, for most offices)."""
    groups: list[tuple[list[str], list[str]]] = []
    for person_id, address in members:
        if groups and len(",".join([*groups[-1][1], address])) <= MENTIONS_MAX:
            groups[-1][0].append(person_id)
            groups[-1][1].append(address)
        else:
            groups.append(([person_id], [address]))
    return [(ids, ",".join(addresses)) for ids, addresses in groups]


def _mentions(address: str) -> list[str]:
    return [a.strip() for a in address.split(",") if a.strip()]


def _secret(value: object) -> str:
    return value.get_secret_value() if value is not None else ""  # type: ignore[attr-defined]


PLAIN_AUTH_REFUSED = (
    "email: refusing to send the SMTP password without TLS: set OFFICEFLOW_SMTP_STARTTLS=true, "
    "or, for a relay on this machine or a trusted network, OFFICEFLOW_SMTP_ALLOW_PLAIN_AUTH=true"
)


def plain_auth_refused(settings: Settings) -> bool:
    """True when the SMTP settings would send the password in clear and nobody opted in."""
    return bool(settings.smtp_user) and not (
        settings.smtp_starttls or settings.smtp_allow_plain_auth
    )


def apprise_url(
    settings: Settings,
    channel: Channel,
    address: str,
    *,
    key: str = "",
    items: Sequence[str] = (),
    links: Sequence[str] = (),
) -> str:
    """The Apprise URL that reaches ``address`` on ``channel``. Contains secrets: never log it.
    ``items``: the notice keys a digest carries (`ITEMS_HEADER`); ``links``: the message's
    signed links, which a direct message's card makes its button (never a URL in the text)."""
    if channel is Channel.EMAIL:
        scheme = "mailtos" if settings.smtp_starttls else "mailto"
        auth = ""
        if settings.smtp_user:
            user = quote(settings.smtp_user, safe="")
            auth = f"{user}:{quote(_secret(settings.smtp_password), safe='')}@"
        query = urlencode(
            {
                "smtp": settings.smtp_host,
                "from": settings.smtp_from,
                "name": settings.smtp_from_name,
                "to": address,
                "format": "text",
                # Lets a mail server, a client rule or a test tell notices apart.
                "+X-Officeflow-Notice": key,
                **({f"+{ITEMS_HEADER}": " ".join(items)} if items else {}),
            },
            # %20, not +: Apprise does not decode + in the display name ("General+Office").
            quote_via=quote,
        )
        return f"{scheme}://{auth}{settings.smtp_host}:{settings.smtp_port}/?{query}"
    if channel is Channel.DINGTALK:
        secret = _secret(settings.dingtalk_secret)
        prefix = f"{quote(secret, safe='')}@" if secret else ""
        token = quote(_secret(settings.dingtalk_token), safe="")
        targets = "/".join(quote(a, safe="") for a in _mentions(address))
        return f"dingtalk://{prefix}{token}/{targets}/"
    if channel is Channel.WECOM:
        targets = "/".join(quote(a, safe="") for a in _mentions(address))
        return f"wecombotat://{quote(_secret(settings.wecom_key), safe='')}/{targets}/"
    if channel is Channel.DINGTALK_DM:
        return direct_messages.dm_url(
            "dingtalkdm",
            settings.dingtalk_app_key or "",
            _secret(settings.dingtalk_app_secret),
            settings.dingtalk_agent_id or "",
            address,
            settings.dingtalk_api_base,
            links,
        )
    if channel is Channel.WECOM_DM:
        return direct_messages.dm_url(
            "wecomdm",
            settings.wecom_corp_id or "",
            _secret(settings.wecom_corp_secret),
            settings.wecom_agent_id or "",
            address,
            settings.wecom_api_base,
            links,
        )
    if channel is Channel.FEISHU_DM:
        return direct_messages.dm_url(
            "feishudm",
            settings.feishu_app_id or "",
            _secret(settings.feishu_app_secret),
            "open_id",
            address,
            settings.feishu_api_base,
            links,
        )
    if channel is Channel.FEISHU:
        return f"feishu://{quote(_secret(settings.feishu_token), safe='')}"
    if channel is Channel.SLACK:
        raw = _secret(settings.slack_webhook)
        tokens = re.sub(r"^https://hooks\.slack\.com/services/", "", raw).strip("/")
        target = address if address.startswith(("@", "#")) else f"@{address}"
        return f"slack://{tokens}/{quote(target, safe='@#')}"
    if channel is Channel.WEBHOOK:
        base = _webhook_base(_secret(settings.webhook_url))
        sep = "&" if "?" in base else "?"
        fields = {":recipient": address, ":notice": key}
        if items:
            fields[":items"] = " ".join(items)
        # %20, not +, between a digest's items: Apprise does not decode + in a query value.
        return f"{base}{sep}{urlencode(fields, quote_via=quote, safe='')}"
    if channel is Channel.SMS:
        return sms_url(settings, address)
    raise ValueError(f"unknown channel {channel!r}")


def sms_url(settings: Settings, address: str) -> str:
    """Apprise's SMSEagle plugin (an SMS gateway the office runs, reached over its JSON-RPC
    API at ``/jsonrpc/sms``): ``smseagle(s)://token@host[:port]/+8613800000000``."""
    from urllib.parse import urlsplit

    gateway = urlsplit(settings.sms_gateway or "")
    scheme = "smseagles" if gateway.scheme == "https" else "smseagle"
    phone = re.sub(r"[\s()-]", "", address)
    token = quote(_secret(settings.sms_token), safe="")
    return f"{scheme}://{token}@{gateway.netloc}/{quote(phone, safe='+')}?batch=no&status=no"


def _webhook_base(url: str) -> str:
    """The configured webhook URL as an Apprise ``json://`` URL that POSTs to the same address.

    Apprise's JSON plugin drops query parameters it does not know; a parameter of the
    configured URL (``?apikey=…``) is passed on as Apprise's ``-name`` (a query parameter of
    the POST). Apprise's own options (``method``, ``verify``, ``+Header``, ``-param``,
    ``:field``…) keep their Apprise meaning."""
    from apprise.plugins.custom_json import NotifyJSON

    url = re.sub(r"^https://", "jsons://", re.sub(r"^http://", "json://", url))
    head, sep, query = url.partition("?")
    if not sep:
        return url
    pairs = []
    for pair in query.split("&"):  # as written: "+" starts an Apprise header, not a space
        name = pair.partition("=")[0]
        if name and not name.startswith(("+", "-", ":")) and name not in NotifyJSON.template_args:
            pair = f"-{pair}"
        pairs.append(pair)
    return f"{head}?{'&'.join(pairs)}"


def masked(url: str) -> str:
    """Apprise's privacy form of a URL: what may appear in logs, errors and the ledger."""
    import apprise  # here, not at the top: commands that send nothing never load Apprise

    obj = apprise.Apprise.instantiate(url)
    return obj.url(privacy=True) if obj else "<unparseable url>"


def scrub(text: str, settings: Settings) -> str:
    """Remove every configured secret from free text (errors from libraries may echo them)."""
    forms = {
        form
        for secret in [*settings.secret_values(), *direct_messages.live_tokens()]
        for form in (secret, quote(secret, safe=""), quote(secret, safe="/"))
        if form
    }
    for form in sorted(forms, key=len, reverse=True):  # a whole URL before its parts
        text = text.replace(form, "****")
    return text


class SecretScrubber(logging.Filter):
    """Removes configured secrets from log records of libraries that log request URLs
    (Apprise at DEBUG logs a DingTalk POST URL with its access_token; so does urllib3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from officeflow.settings import get_settings

        secrets = get_settings().secret_values() or direct_messages.live_tokens()
        if not secrets:
            return True
        message = record.getMessage()
        cleaned = scrub(message, get_settings())
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_SCRUBBER = SecretScrubber()
for _name in ("apprise", "urllib3", "urllib3.connectionpool", "requests"):
    logging.getLogger(_name).addFilter(_SCRUBBER)


def send(
    settings: Settings,
    channel: Channel,
    address: str,
    subject: str,
    body: str,
    *,
    key: str = "",
    items: Sequence[str] = (),
    invite: str | None = None,
    attachment: Attachment | None = None,
    links: Sequence[str] = (),
) -> Outcome:
    """One attempt on one channel. Never raises; a False from Apprise is a failure.
    ``links``: the signed links minted from the notice's markers (`officeflow.links`).

    An email with an ``invite`` or an ``attachment`` is built here, not by Apprise: Apprise
    cannot set the ``text/calendar; method=REQUEST`` part that makes mail clients offer
    Accept/Decline. Chat channels get the text alone."""
    if channel is Channel.EMAIL and plain_auth_refused(settings):
        return Outcome(False, PLAIN_AUTH_REFUSED)
    if channel is Channel.EMAIL:
        # Built and sent here, not by Apprise: Apprise logs an SMTP failure as "Connection
        # error while submitting email" and keeps the server's reply (the cause, and whether it
        # is permanent) at DEBUG only; it also cannot carry an invitation or a file.
        try:
            msg = email_message(
                settings,
                address,
                subject,
                body,
                invite=invite,
                attachment=attachment,
                key=key,
                items=items,
            )
        except Exception as exc:  # e.g. an address the email package refuses
            text = scrub(f"email: cannot build the message: {type(exc).__name__}: {exc}", settings)
            return Outcome(False, text[:2000], permanent=True)
        return send_built_email(settings, msg)
    url = apprise_url(settings, channel, address, key=key, items=items, links=links)
    body = with_mentions(channel, address, body)
    # service_timeout=0: Apprise then sends a single URL inline, in this thread. With its
    # default (60 s) every send goes through Apprise's process-wide pool of min(32, CPUs + 4)
    # threads, so 16 sender threads got at most 6 sends at once on 2 cores, and a few slow
    # or hung SMTP sessions stalled all the others. Each attempt stays bounded by the
    # plugins' socket timeouts (SMTP 15 s, HTTP 4 s connect / 4 s read).
    import apprise

    asset = apprise.AppriseAsset(secure_logging=True, service_timeout=0)
    sender = apprise.Apprise(asset=asset)
    if not sender.add(url):
        return Outcome(
            False, scrub(f"{channel.value}: Apprise refused the URL {masked(url)}", settings)
        )
    try:
        result = sender.notify(title=subject, body=body)
    except Exception as exc:  # Apprise promises not to raise; a plugin bug still might
        return Outcome(False, scrub(f"{channel.value}: {type(exc).__name__}: {exc}", settings))
    if result:
        return Outcome(True)
    reasons = []
    for service in getattr(result, "results", ()):
        lines = [e.message for e in service.logs() if e.level in ("ERROR", "WARNING")]
        reasons.append(f"{service.url}: {'; '.join(lines[-3:]) or service.status.name}")
    detail = " | ".join(reasons) or f"{masked(url)}: notify returned False"
    return Outcome(False, scrub(f"{channel.value}: {detail}", settings)[:2000])


def with_mentions(channel: Channel, address: str, body: str) -> str:
    """The text a group robot posts: DingTalk shows an @-mention only when the text holds
    ``@mobile`` (``atMobiles`` alone notifies without showing it); Feishu's robot mentions
    ``<at user_id="ou_…"></at>`` in the text. WeCom's mentions travel in ``mentioned_list``."""
    if channel is Channel.DINGTALK:
        return f"{body}\n\n{' '.join(f'@{a}' for a in _mentions(address))}"
    if channel is Channel.FEISHU:
        tags = "".join(f'<at user_id="{a}"></at>' for a in _mentions(address))
        return f"{body}\n\n{tags}"
    return body


@dataclass(frozen=True)
class Attachment:
    """A file an email carries (an issued document's .docx, a 每日要情 issue, a chart)."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def smtp_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context for STARTTLS: the system's authorities, or ``OFFICEFLOW_SMTP_CA_FILE``."""
    return _tls_context(str(settings.smtp_ca_file) if settings.smtp_ca_file else None)


def send_built_email(settings: Settings, msg: EmailMessage) -> Outcome:
    """Send a message built here over the SMTP settings. Never raises; the outcome says
    whether the failure is permanent (`smtp_failure`)."""
    if plain_auth_refused(settings):
        return Outcome(False, PLAIN_AUTH_REFUSED)
    try:
        with smtplib.SMTP(
            settings.smtp_host or "localhost",
            settings.smtp_port,
            timeout=settings.delivery_timeout_s,
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=smtp_context(settings))
            if settings.smtp_user:
                smtp.login(settings.smtp_user, _secret(settings.smtp_password))
            smtp.sendmail(settings.smtp_from, [str(msg["To"])], wire_bytes(msg))
    except Exception as exc:  # every SMTP or socket error is a failed attempt
        return smtp_failure(exc, settings)
    return Outcome(True)


def _reply(message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return " ".join(text.split())


def smtp_failure(exc: BaseException, settings: Settings) -> Outcome:
    """What an SMTP exception means for the delivery, with its cause in the text.

    Permanent (not retried): the server refused the recipient (RCPT) or the message (DATA)
    with a 5xx reply, e.g. ``550 5.1.1 no such mailbox``. Transient: a 4xx reply, a refused
    or dropped connection, a timeout, a TLS or authentication failure (the relay or its
    settings, not the message: retried, and a channel that keeps failing is reported)."""
    where = f"{settings.smtp_host or 'localhost'}:{settings.smtp_port}"
    permanent = False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = exc.recipients.items()
        detail = "; ".join(f"{addr}: {code} {_reply(msg)}" for addr, (code, msg) in replies)
        text = f"email: {where} refused the recipient: {detail}"
        permanent = bool(exc.recipients) and all(
            500 <= code < 600 for code, _ in exc.recipients.values()
        )
    elif isinstance(exc, smtplib.SMTPDataError):
        text = f"email: {where} refused the message: {exc.smtp_code} {_reply(exc.smtp_error)}"
        permanent = 500 <= exc.smtp_code < 600
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = (
            f"email: {where} answered {exc.smtp_code} {_reply(exc.smtp_error)} "
            f"({type(exc).__name__})"
        )
    else:
        text = f"email: {where}: {type(exc).__name__}: {exc}"
    return Outcome(False, scrub(text, settings)[:2000], permanent=permanent)


def plain_email_bytes(
    settings: Settings,
    address: str,
    subject: str,
    body: str,
    *,
    key: str = "",
    items: Sequence[str] = (),
) -> bytes:
    """The wire form of a plain-text notice (what Apprise's ``format=text`` mail carries):
    text/plain in UTF-8, base64, the subject as RFC 2047 encoded words. Written out directly:
    the email package's header classes cost milliseconds of CPU per message, which matters at
    hundreds of messages a second. Mail with an invite or an attachment, or to a non-ASCII
    address, is built by `email_message`."""
    import base64

    from officeflow import clock

    headers = [
        ("From", _from_header(settings.smtp_from_name, settings.smtp_from)),
        ("To", address),
        ("Subject", _encoded_words(subject)),
        ("Date", format_datetime(clock.now())),
        ("Message-ID", make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "base64"),
    ]
    if key:
        headers.append(("X-Officeflow-Notice", _encoded_words(key)))
    if items:
        headers.append((ITEMS_HEADER, _folded(items)))
    if not address.isprintable():
        raise ValueError("a line break or control character in the address")
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    text = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    return head.encode("ascii") + b"\r\n" + text


# A digest's header naming every notice it carries, space-separated (a mail rule, a test or a
# counting server then sees each notice, as it sees X-Officeflow-Notice on a single one). The
# JSON webhook carries the same as ``items``.
ITEMS_HEADER = "X-Officeflow-Items"


def _folded(items: Sequence[str]) -> str:
    """The keys as one header value, folded between keys into lines of about 78 characters."""
    text = " ".join(items)
    if not (text.isascii() and text.isprintable()):
        return _encoded_words(text)
    lines, line = [], ""
    for item in items:
        if line and len(line) + 1 + len(item) > 76:
            lines.append(line)
            line = item
        else:
            line = f"{line} {item}" if line else item
    lines.append(line)
    return "\r\n ".join(lines)


def _encoded_words(text: str) -> str:
    """``text`` as it may stand in a header: itself when it is short ASCII, else RFC 2047
    base64 encoded words of at most 75 characters, one per folded line."""
    import base64

    if text.isascii() and len(text) <= 900 and text.isprintable():
        return text
    words, chunk = [], ""
    for char in text:
        if len((chunk + char).encode("utf-8")) > 45:  # 45 bytes: 60 base64 characters
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    encoded = (base64.b64encode(w.encode("utf-8")).decode("ascii") for w in words if w)
    return "\r\n ".join(f"=?utf-8?b?{w}?=" for w in encoded)


_FROM: dict[tuple[str, str], str] = {}


def _from_header(name: str, address: str) -> str:
    if (name, address) not in _FROM:
        _FROM[(name, address)] = formataddr((name, address))  # RFC 2047 for a non-ASCII name
    return _FROM[(name, address)]


def itip_method(invite: str) -> str:
    """The METHOD line of an iCalendar text (REQUEST when absent)."""
    match = re.search(r"^METHOD:([A-Z-]+)\s*$", invite, re.MULTILINE)
    return match.group(1) if match else "REQUEST"


# On the wire, headers up to RFC 5322's 998 characters on one line: the default policy (78)
# folds a long Subject right after "Subject:", which readers then show with a leading space.
# (Bodies are encoded when built, with the default policy: base64 lines stay at 76.)
_WIRE = email.policy.SMTP.clone(max_line_length=998)


def wire_bytes(msg: EmailMessage) -> bytes:
    """The message as it is sent (CRLF, unfolded headers)."""
    return msg.as_bytes(policy=_WIRE)


def email_message(
    settings: Settings,
    address: str,
    subject: str,
    body: str,
    *,
    invite: str | None = None,
    attachment: Attachment | None = None,
    key: str = "",
    items: Sequence[str] = (),
) -> EmailMessage:
    """text/plain; with an ``invite``, a ``text/calendar; method=…`` alternative (what clients
    act on) and the same calendar as an ``invite.ics`` attachment (for clients that only show
    files); with an ``attachment``, that file (an issued document, a 每日要情 issue, a chart)."""
    from officeflow import clock

    msg = EmailMessage()
    msg["From"] = formataddr((settings.smtp_from_name, settings.smtp_from))
    msg["To"] = address
    msg["Subject"] = " ".join(subject.split())  # one line, as Apprise sent it
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    if key:
        # Lets a mail server, a client rule or a test tell notices apart (and drop a repeat).
        msg["X-Officeflow-Notice"] = key
    if items:
        msg[ITEMS_HEADER] = " ".join(items)
    # Non-ASCII text as base64 (as Apprise sent it): no relay needs 8BITMIME for it.
    msg.set_content(body, cte=None if body.isascii() else "base64")
    if invite:
        msg.add_alternative(invite, subtype="calendar", params={"method": itip_method(invite)})
        msg.add_attachment(
            invite.encode("utf-8"), maintype="application", subtype="ics", filename="invite.ics"
        )
    if attachment is not None:
        maintype, _, subtype = attachment.content_type.partition("/")
        msg.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return msg


class _SMTPSession(smtplib.SMTP):
    """An SMTP connection that remembers whether the current message reached DATA: a session
    that broke before DATA never carried the message, so it is safe to send again on a new
    connection; one that broke during DATA may have been accepted and is not resent here."""

    data_started = False

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        self.data_started = True
        return super().data(msg)


@dataclass
class _Webhook:
    """The configured JSON webhook, parsed once by Apprise's own JSON plugin."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]
    extras: dict[str, str]
    auth: tuple[str, str] | None
    verify: bool
    timeout: tuple[float, float]
    redirects: bool
    version: str
    shown: str  # the masked URL, for errors

    @classmethod
    def parse(cls, settings: Settings) -> _Webhook | None:
        import apprise

        base = _webhook_base(_secret(settings.webhook_url))
        plugin = apprise.Apprise.instantiate(base)
        if plugin is None or type(plugin).__name__ != "NotifyJSON":
            return None
        port = f":{plugin.port}" if isinstance(plugin.port, int) else ""
        scheme = "https" if plugin.secure else "http"
        return cls(
            method=plugin.method,
            url=f"{scheme}://{plugin.host}{port}{plugin.fullpath}",
            headers={
                "User-Agent": plugin.app_id,
                "Content-Type": "application/json",
                **plugin.headers,
            },
            params=dict(plugin.params),
            extras=dict(plugin.payload_extras),
            auth=(plugin.user, plugin.password) if plugin.user else None,
            verify=plugin.verify_certificate,
            timeout=plugin.request_timeout,
            redirects=plugin.redirects,
            version=plugin.json_version,
            shown=plugin.url(privacy=True),
        )

    def payload(
        self, subject: str, body: str, address: str, key: str, items: Sequence[str] = ()
    ) -> dict[str, object]:
        """Exactly what Apprise's JSON plugin posts for ``…?:recipient=ADDRESS&:notice=KEY``
        (and ``&:items=K1 K2…`` for a digest)."""
        payload: dict[str, object] = {
            "version": self.version,
            "title": subject,
            "message": body,
            "attachments": [],
            "type": "info",
        }
        fields = {**self.extras, "recipient": address, "notice": key}
        if items:
            fields["items"] = " ".join(items)
        for name, value in fields.items():
            if name in payload:
                if value:
                    payload[value] = payload.pop(name)
                else:
                    del payload[name]
            else:
                payload[name] = value
        return payload


class Sender:
    """One sender thread's connections, reused across its messages (not shared between
    threads at once; `close` it when the thread is done, or `release` it to the process's
    next send run, which takes it back with `pooled`).

    Email goes over one persistent SMTP session: connect, STARTTLS and AUTH once, then one
    MAIL/RCPT/DATA transaction per message; a session the server closed meanwhile is opened
    again (at most once per message, and only when the message had not reached DATA). The
    JSON webhook goes over one keep-alive HTTP session, with the payload Apprise would post.
    Every other channel (and everything, with ``smtp_session_reuse`` off) goes through
    Apprise, one connection per message, as `send` does."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reuse = settings.smtp_session_reuse
        self._smtp: _SMTPSession | None = None
        self._http: object | None = None
        self._webhook: _Webhook | None | bool = False  # False: not parsed yet
        self.connections = 0  # SMTP sessions opened (a test checks reuse)

    def send(
        self,
        channel: Channel,
        address: str,
        subject: str,
        body: str,
        *,
        key: str = "",
        items: Sequence[str] = (),
        invite: str | None = None,
        attachment: Attachment | None = None,
        links: Sequence[str] = (),
    ) -> Outcome:
        """One attempt; never raises. ``items``: the notice keys a digest carries; ``links``:
        the signed links of the notice's markers (a direct message's card button)."""
        if self.reuse and channel is Channel.EMAIL:
            if plain_auth_refused(self.settings):
                return Outcome(False, PLAIN_AUTH_REFUSED)
            try:
                if invite or attachment is not None or not address.isascii():
                    msg = email_message(
                        self.settings,
                        address,
                        subject,
                        body,
                        invite=invite,
                        attachment=attachment,
                        key=key,
                        items=items,
                    )
                    return self.send_email(msg)
                raw = plain_email_bytes(self.settings, address, subject, body, key=key, items=items)
            except Exception as exc:  # e.g. an address the email package refuses: for good
                text = f"email: cannot build the message: {type(exc).__name__}: {exc}"
                return Outcome(False, scrub(text, self.settings)[:2000], permanent=True)
            return self.send_email(raw, to=address)
        if self.reuse and channel is Channel.WEBHOOK and self._webhook_target() is not None:
            return self._post(address, subject, body, key, items)
        return send(
            self.settings,
            channel,
            address,
            subject,
            body,
            key=key,
            items=items,
            invite=invite,
            attachment=attachment,
            links=links,
        )

    # --- email -------------------------------------------------------------------------

    def _connect(self) -> _SMTPSession:
        s = self.settings
        smtp = _SMTPSession(s.smtp_host or "localhost", s.smtp_port, timeout=s.delivery_timeout_s)
        try:
            # smtplib writes a command and then waits for its reply; with Nagle's algorithm a
            # small write after another waits for the peer's delayed ACK (40 ms on Linux).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if s.smtp_starttls:
                smtp.starttls(context=smtp_context(s))
            if s.smtp_user:
                smtp.login(s.smtp_user, _secret(s.smtp_password))
        except BaseException:
            smtp.close()
            raise
        self.connections += 1
        return smtp

    def send_email(self, msg: EmailMessage | bytes, to: str = "") -> Outcome:
        """Send a built message (or its bytes, to ``to``) over this thread's session. Never
        raises."""
        for fresh in (False, True):
            reused = self._smtp is not None
            try:
                if self._smtp is None:
                    self._smtp = self._connect()
                self._smtp.data_started = False
                if isinstance(msg, bytes):
                    self._smtp.sendmail(self.settings.smtp_from, [to], msg)
                else:
                    self._smtp.send_message(msg)
                return Outcome(True)
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset()
                return self._failed(exc)
            except smtplib.SMTPResponseException as exc:
                # The server answered (4xx/5xx to MAIL, RCPT or DATA): the session is still
                # good, the message is not sent.
                if exc.smtp_code == 421:  # the server is closing the session
                    self.close()
                else:
                    self._reset()
                return self._failed(exc)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                before_data = self._smtp is not None and not self._smtp.data_started
                self.close()
                if reused and before_data and not fresh:
                    continue  # the idle session had been closed: open a new one, once
                return self._failed(exc)
            except Exception as exc:  # every other SMTP or socket error is a failed attempt
                self.close()
                return self._failed(exc)
        return Outcome(False, "email: not sent")  # pragma: no cover (the loop returns)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def _failed(self, exc: BaseException, channel: str = "email") -> Outcome:
        if channel == "email":  # the server's reply kept, and whether it is for good
            return smtp_failure(exc, self.settings)
        text = f"{channel}: {type(exc).__name__}: {exc}"
        return Outcome(False, scrub(text, self.settings)[:2000])

    # --- webhook -----------------------------------------------------------------------

    def _webhook_target(self) -> _Webhook | None:
        if self._webhook is False:
            try:
                self._webhook = _Webhook.parse(self.settings)
            except Exception:  # an unusual URL: Apprise sends it, and reports what is wrong
                self._webhook = None
        return self._webhook  # type: ignore[return-value]

    def _post(
        self, address: str, subject: str, body: str, key: str, items: Sequence[str] = ()
    ) -> Outcome:
        import json

        import requests

        hook = self._webhook_target()
        assert hook is not None
        if self._http is None:
            self._http = requests.Session()
            # The environment's proxies and CA bundle, read once per session rather than per
            # request (requests scans the whole environment on each call: ~3 ms).
            env = self._http.merge_environment_settings(hook.url, {}, None, hook.verify, None)
            self._http.trust_env = False
            self._http.proxies, self._http.verify = env["proxies"], env["verify"]
        session: requests.Session = self._http  # type: ignore[assignment]
        if log.isEnabledFor(logging.DEBUG):  # as Apprise logs it, scrubbed of secrets
            log.debug("JSON POST URL: %s", scrub(hook.url, self.settings))
        try:
            reply = session.request(
                hook.method,
                hook.url,
                data=json.dumps(hook.payload(subject, body, address, key, items)),
                params=hook.params,
                headers=hook.headers,
                auth=hook.auth,
                timeout=hook.timeout,
                allow_redirects=hook.redirects,
            )
            reply.close()
        except Exception as exc:  # connection refused, timeout, …
            return self._failed(exc, "webhook")
        if not 200 <= reply.status_code < 300:
            text = f"webhook: {hook.shown}: HTTP {reply.status_code} {reply.reason or ''}"
            return Outcome(False, scrub(text.strip(), self.settings)[:2000])
        return Outcome(True)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
        http, self._http = self._http, None
        if http is not None:
            http.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- kept between send runs --------------------------------------------------------

    @classmethod
    def pooled(cls, settings: Settings) -> Sender:
        """A sender an earlier send run of this process left with its sessions open, for the
        same settings, if one was idle less than `IDLE_S`; else a new one. A worker that sends
        after every action then connects, says EHLO, STARTTLS and AUTH once, not once a run.
        Give it back with `release` (or `close` it after an error)."""
        now, found, stale = time.monotonic(), None, []
        with _IDLE_LOCK:
            for entry in list(_IDLE):
                at, sender = entry
                if now - at > IDLE_S:
                    _IDLE.remove(entry)
                    stale.append(sender)
                elif found is None and sender.settings == settings:
                    _IDLE.remove(entry)
                    found = sender
        for sender in stale:
            sender.close()
        return found or cls(settings)

    def release(self) -> None:
        """Keep the open sessions for the next send run of this process (at most `POOL`
        senders, each closed once idle longer than `IDLE_S`); without session reuse, close."""
        if not self.reuse or (self._smtp is None and self._http is None):
            self.close()
            return
        with _IDLE_LOCK:
            if len(_IDLE) < POOL:
                _IDLE.append((time.monotonic(), self))
                return
        self.close()


IDLE_S = 30.0  # a kept session idle longer than this is closed, not reused
POOL = 8  # senders kept between runs (one per sender thread, up to delivery_concurrency)
_IDLE: list[tuple[float, Sender]] = []
_IDLE_LOCK = threading.Lock()


def close_idle() -> None:
    """Close every sender kept between runs (at exit, and in tests that stop a server)."""
    with _IDLE_LOCK:
        idle = [sender for _at, sender in _IDLE]
        _IDLE.clear()
    for sender in idle:
        sender.close()


def _forget_idle_in_child() -> None:
    # A forked child must not write on its parent's sockets: it drops them unsent. Its lock is
    # new too (another thread of the parent may have held it at the fork).
    global _IDLE, _IDLE_LOCK
    _IDLE, _IDLE_LOCK = [], threading.Lock()


os.register_at_fork(after_in_child=_forget_idle_in_child)
atexit.register(close_idle)


_TLS: dict[tuple[str | None, str | None, str | None], ssl.SSLContext] = {}


def _tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """One TLS context per trust store (loading the CA bundle costs ~20 ms of CPU): the
    system's, or the office relay's own CA file; a changed SSL_CERT_FILE / SSL_CERT_DIR gets
    its own."""
    import os

    where = (cafile, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    if where not in _TLS:
        _TLS[where] = ssl.create_default_context(cafile=cafile)
    return _TLS[where]
