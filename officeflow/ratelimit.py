"""The ``smtp`` rate limit: each email send first takes a slot from a Prefect global
concurrency limit (one with slot decay), so every worker of the office together stays under
what the mail relay accepts.

The limit is named by ``OFFICEFLOW_SMTP_LIMIT`` (default ``smtp``; empty disables it) and is
used only when a Prefect API is configured: ``PREFECT_API_URL`` in the environment, or, in a
process that has loaded Prefect, its settings (profile, temporary settings) or a flow run. The
operator creates it, e.g. ``prefect gcl create smtp --limit 5 --slot-decay-per-second 5``
(bursts of 5, then 5 a second).

Prefect's own ``rate_limit(name, strict=False)`` does not block on a missing limit, but it
still asks the API on every call and warns only inside a flow run (on every call). So a batch
checks the limit once (`smtp_limit`), and each email attempt calls ``rate_limit(name,
strict=True)`` (`take_slot`). A limit that is missing, inactive, has no slot decay (Prefect
refuses to rate-limit with it), or an API that cannot be reached never blocks sending: it is
logged once per limit and reason, and asked about again after ``RECHECK_S`` seconds (so a
limit created later is used within that time).
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
    """The limit that email sends of this batch wait for, or None. Call it once per batch, in
    the calling thread (a flow run's context does not reach the sender threads).

    Cheap when unused: with the setting empty, or in a process that has not loaded Prefect
    and has no ``PREFECT_API_URL`` in its environment, Prefect is not even imported (importing
    it costs seconds, and doing so from 16 sender threads at once stalled them). Otherwise one
    API call per batch checks that the limit exists and can rate-limit."""
    name = settings.smtp_limit.strip()
    if not name:
        return None
    if not os.environ.get("PREFECT_API_URL") and "prefect" not in sys.modules:
        return None
    now = time.monotonic()
    with _lock:
        if _unusable_until.get(name, 0.0) > now:
            return None
    if not prefect_api_configured():
        return None
    import prefect.concurrency.sync  # noqa: F401  (imported here, not in the sender threads)
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        _unusable(name, now, "missing", "does not exist in Prefect")
        return None
    except Exception as exc:  # the API is down or refuses: never block sending on it
        _unusable(name, now, "api", f"could not be read ({type(exc).__name__}: {exc})")
        return None
    if not limit.active:
        return None  # switched off by the operator: that is its meaning
    if not limit.slot_decay_per_second:
        _unusable(name, now, "decay", "has no slot decay, so it cannot rate-limit")
        return None
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
    except ConcurrencySlotAcquisitionError as exc:  # deleted or changed since the batch began
        _unusable(name, now, "acquire", f"refused a slot ({exc})")
        return False
    return True


def _unusable(name: str, now: float, kind: str, reason: str) -> None:
    """Send unthrottled for RECHECK_S seconds; log once per limit and kind of reason."""
    with _lock:
        _unusable_until[name] = now + RECHECK_S
        first = (name, kind) not in _warned
        _warned.add((name, kind))
    if first:
        log.warning(
            "email rate limit %r %s: sending unthrottled (checked again every %d s; set "
            "OFFICEFLOW_SMTP_LIMIT='' to switch it off)",
            name,
            reason,
            RECHECK_S,
        )
