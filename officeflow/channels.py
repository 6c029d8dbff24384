"""The one place that turns settings plus a contact point into an Apprise URL, and sends.

Credentials come from settings only. A URL with credentials is never returned to callers for
display: use `masked` (Apprise's ``url(privacy=True)``) for that.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import types
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from urllib.parse import quote, urlencode

import apprise

from models.org import Channel
from officeflow.settings import Settings

log = logging.getLogger("officeflow.channels")


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
    error: str | None = None  # masked


def configured_channels(settings: Settings) -> set[Channel]:
    present = {
        Channel.EMAIL: settings.smtp_host,
        Channel.DINGTALK: settings.dingtalk_token,
        Channel.WECOM: settings.wecom_key,
        Channel.FEISHU: settings.feishu_token,
        Channel.SLACK: settings.slack_webhook,
        Channel.WEBHOOK: settings.webhook_url,
    }
    return {channel for channel, value in present.items() if value}


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


def apprise_url(settings: Settings, channel: Channel, address: str, *, key: str = "") -> str:
    """The Apprise URL that reaches ``address`` on ``channel``. Contains secrets: never log it."""
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
            },
            # %20, not +: Apprise does not decode + in the display name ("General+Office").
            quote_via=quote,
        )
        return f"{scheme}://{auth}{settings.smtp_host}:{settings.smtp_port}/?{query}"
    if channel is Channel.DINGTALK:
        secret = _secret(settings.dingtalk_secret)
        prefix = f"{quote(secret, safe='')}@" if secret else ""
        token = quote(_secret(settings.dingtalk_token), safe="")
        return f"dingtalk://{prefix}{token}/{quote(address, safe='')}/"
    if channel is Channel.WECOM:
        return f"wecombot://{quote(_secret(settings.wecom_key), safe='')}"
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
        return f"{base}{sep}{urlencode({':recipient': address, ':notice': key})}"
    raise ValueError(f"unknown channel {channel!r}")


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
    obj = apprise.Apprise.instantiate(url)
    return obj.url(privacy=True) if obj else "<unparseable url>"


def scrub(text: str, settings: Settings) -> str:
    """Remove every configured secret from free text (errors from libraries may echo them)."""
    forms = {
        form
        for secret in settings.secret_values()
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

        secrets = get_settings().secret_values()
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
    invite: str | None = None,
    attachment: Attachment | None = None,
) -> Outcome:
    """One attempt on one channel. Never raises; a False from Apprise is a failure.

    An email with an ``invite`` or an ``attachment`` is built here, not by Apprise: Apprise
    cannot set the ``text/calendar; method=REQUEST`` part that makes mail clients offer
    Accept/Decline. Chat channels get the text alone."""
    if channel is Channel.EMAIL and plain_auth_refused(settings):
        return Outcome(False, PLAIN_AUTH_REFUSED)
    if channel is Channel.EMAIL and (invite or attachment is not None):
        try:
            msg = email_message(
                settings, address, subject, body, invite=invite, attachment=attachment, key=key
            )
        except Exception as exc:  # e.g. an address the email package refuses
            return Outcome(False, scrub(f"email: {type(exc).__name__}: {exc}", settings)[:2000])
        return send_built_email(settings, msg)
    url = apprise_url(settings, channel, address, key=key)
    # service_timeout=0: Apprise then sends a single URL inline, in this thread. With its
    # default (60 s) every send goes through Apprise's process-wide pool of min(32, CPUs + 4)
    # threads, so 16 sender threads got at most 6 sends at once on 2 cores, and a few slow
    # or hung SMTP sessions stalled all the others. Each attempt stays bounded by the
    # plugins' socket timeouts (SMTP 15 s, HTTP 4 s connect / 4 s read).
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


@dataclass(frozen=True)
class Attachment:
    """A file an email carries (an issued document's .docx, a 每日要情 issue, a chart)."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def send_built_email(settings: Settings, msg: EmailMessage) -> Outcome:
    """Send a message built here with the SMTP settings Apprise would use. Never raises."""
    if plain_auth_refused(settings):
        return Outcome(False, PLAIN_AUTH_REFUSED)
    try:
        with smtplib.SMTP(
            settings.smtp_host or "localhost",
            settings.smtp_port,
            timeout=settings.delivery_timeout_s,
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, _secret(settings.smtp_password))
            smtp.send_message(msg)
    except Exception as exc:  # every SMTP or socket error is a failed attempt
        return Outcome(False, scrub(f"email: {type(exc).__name__}: {exc}", settings)[:2000])
    return Outcome(True)


def itip_method(invite: str) -> str:
    """The METHOD line of an iCalendar text (REQUEST when absent)."""
    match = re.search(r"^METHOD:([A-Z-]+)\s*$", invite, re.MULTILINE)
    return match.group(1) if match else "REQUEST"


def email_message(
    settings: Settings,
    address: str,
    subject: str,
    body: str,
    *,
    invite: str | None = None,
    attachment: Attachment | None = None,
    key: str = "",
) -> EmailMessage:
    """text/plain; with an ``invite``, a ``text/calendar; method=…`` alternative (what clients
    act on) and the same calendar as an ``invite.ics`` attachment (for clients that only show
    files); with an ``attachment``, that file (an issued document, a 每日要情 issue, a chart)."""
    from officeflow import clock

    msg = EmailMessage()
    msg["From"] = formataddr((settings.smtp_from_name, settings.smtp_from))
    msg["To"] = address
    msg["Subject"] = subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    if key:  # as on every mail Apprise sends (apprise_url's +X-Officeflow-Notice)
        msg["X-Officeflow-Notice"] = key
    msg.set_content(body)
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
