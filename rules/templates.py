"""Message templates: Jinja2 files with a ``subject`` and a ``body`` block, one folder per locale.

An office edits wording by pointing ``OFFICEFLOW_TEMPLATES_DIR`` at a folder laid out like the
shipped one (``<locale>/<name>.j2``); its files take precedence. Templates are rendered in
Jinja's immutable sandbox: a template can read the values it is given, but cannot reach Python
internals (``__globals__``, ``os``…) nor change the context; trying is a `TemplateRefused`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import pendulum

from rules.calendar import MINUTE, format_instant

SHIPPED = Path(__file__).resolve().parent.parent / "officeflow" / "templates"
LOCALES = ("zh-CN", "en")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


class TemplateMissing(LookupError):
    pass


class TemplateRefused(ValueError):
    """A template tried something the sandbox forbids (e.g. reaching ``os``). ``str()`` is the
    text a user sees."""


def _format_time(value: Any, tz: str = "Asia/Shanghai", fmt: str = MINUTE) -> str:
    if isinstance(value, str):
        value = pendulum.parse(value)
    if isinstance(value, dt.datetime):
        return format_instant(value, tz, fmt)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


LINK_MARKER = "[[officeflow-link:{action}]]"
_MARKER_START = "[[officeflow-link:"


class _Marker(str):
    """A link marker the template itself wrote (`action_link`), as opposed to a value."""


def action_link(action: str) -> str:
    """What ``{{ action_link("acknowledge") }}`` leaves in a rendered body: a marker, not a URL.
    The body is stored in the ledger, and a signed token must never be; the sender replaces the
    marker with the recipient's own signed link just before sending (`officeflow.links`)."""
    return _Marker(LINK_MARKER.format(action=action))


def _finalize(value: Any) -> Any:
    """Every ``{{ … }}`` output: a value (a person's text) that spells a link marker is broken
    (``[ [officeflow-link:``), so only the template's own `action_link` becomes a signed link
    and a chat card's button (`officeflow.direct_messages`)."""
    if isinstance(value, str) and not isinstance(value, _Marker) and _MARKER_START in value:
        return value.replace(_MARKER_START, "[ [officeflow-link:")
    return value


@lru_cache(maxsize=16)
def environment(override_dir: str | None = None) -> jinja2.Environment:
    paths = [override_dir] if override_dir else []
    paths.append(str(SHIPPED))
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(paths),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters["localtime"] = _format_time
    env.globals["action_link"] = action_link
    return env


def render(
    name: str, context: dict[str, Any], *, locale: str = "zh-CN", override_dir: str | None = None
) -> Rendered:
    """Render template ``name`` in ``locale`` (falling back to ``en``) into subject and body."""
    env = environment(override_dir)
    for candidate in (f"{locale}/{name}.j2", f"en/{name}.j2"):
        try:
            template = env.get_template(candidate)
            break
        except jinja2.TemplateNotFound:
            continue
    else:
        raise TemplateMissing(f"no template {name!r} for locale {locale!r}")
    ctx = template.new_context(dict(context))
    try:
        # Run the top level once so `{% set %}` outside the blocks is visible inside them.
        for _ in template.root_render_func(ctx):
            pass
        subject = "".join(template.blocks["subject"](ctx)).strip()
        body = "".join(template.blocks["body"](ctx)).strip()
    except KeyError as exc:
        raise TemplateMissing(f"template {template.name} lacks a {exc.args[0]!r} block") from exc
    except jinja2.UndefinedError as exc:
        raise ValueError(f"template {template.name}: {exc.message}") from exc
    except jinja2.sandbox.SecurityError as exc:
        raise TemplateRefused(
            f"template {template.name} was refused by the sandbox: {exc.message} "
            "(templates may only read the values they are given)"
        ) from None
    return Rendered(subject=" ".join(subject.split()), body=body)
