"""The ``smtp`` rate limit: each email send first takes a slot from a Prefect global
concurrency limit (one with slot decay), so every worker of the office together stays under
what the mail relay accepts.

The limit is named by ``OFFICEFLOW_SMTP_LIMIT`` (default ``smtp``; empty disables it) and is
used only when a Prefect API is configured (``PREFECT_API_URL``, a profile, or a flow run).
It is created by the operator, e.g.
``prefect gcl create smtp --limit 5 --slot-decay-per-second 5`` (bursts of 5, then 5 a second).

Prefect's own ``rate_limit(name, strict=False)`` does not block on a missing limit, but it still
asks the API on every call and logs nothing outside a flow run. So this module calls it with
``strict=True`` and handles the refusal here, in one place: a limit that is missing, or that
cannot rate-limit (no slot decay), or an API that cannot be reached, never blocks sending. It is
logged once per limit and reason, and the limit is asked about again after
``RECHECK_S`` seconds (so a limit created later is noticed within that time).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from officeflow.settings import Settings

log = logging.getLogger("officeflow.ratelimit")

RECHECK_S = 30.0

_lock = threading.Lock()
_unusable_until: dict[str, float] = {}
_warned: set[tuple[str, str]] = set()


def prefect_api_configured() -> bool:
    """True when a Prefect API is set (environment, profile or temporary settings) or this
    thread runs inside a flow or task run (which may be on an ephemeral API)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        return True
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def smtp_limit(settings: Settings) -> str | None:
    """The limit email sends of this batch wait for, or None. Call it once per batch, in the
    calling thread (a flow run's context does not reach the sender threads).

    Cheap when unused: with the setting empty, or in a process that has not loaded Prefect
    and has no ``PREFECT_API_URL`` in its environment, Prefect is not even imported (importing
    it costs seconds, and doing so from 16 sender threads at once stalled them)."""
    name = settings.smtp_limit.strip()
    if not name:
        return None
    if not os.environ.get("PREFECT_API_URL") and "prefect" not in sys.modules:
        return None
    if not prefect_api_configured():
        return None
    import prefect.concurrency.sync  # noqa: F401  (imported here, not in the sender threads)

    return name


def forget() -> None:
    """Forget which limits were found unusable (and which warnings were logged)."""
    with _lock:
        _unusable_until.clear()
        _warned.clear()


def take_slot(name: str | None) -> bool:
    """Block until the rate limit ``name`` grants a slot. Returns True when a slot was taken,
    False when sending goes ahead unthrottled (no limit, or the limit is unusable)."""
    if name is None:
        return False
    now = time.monotonic()
    with _lock:
        if _unusable_until.get(name, 0.0) > now:
            return False
    from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
    from prefect.concurrency.sync import rate_limit

    try:
        rate_limit(name, strict=True)
    except ConcurrencySlotAcquisitionError as exc:
        _unusable(name, now, str(exc))
        return False
    return True


def _unusable(name: str, now: float, reason: str) -> None:
    if "must be created" in reason:
        kind = "missing"
        message = (
            f"email rate limit {name!r} does not exist in Prefect: sending unthrottled "
            f"(create it with slot decay, or set OFFICEFLOW_SMTP_LIMIT='' to silence this)"
        )
    else:
        kind = reason[:200]
        message = f"email rate limit {name!r} is unusable, sending unthrottled: {reason}"
    with _lock:
        _unusable_until[name] = now + RECHECK_S
        first = (name, kind) not in _warned
        _warned.add((name, kind))
    if first:
        log.warning(message)
