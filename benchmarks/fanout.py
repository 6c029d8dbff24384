"""A 500-recipient fan-out (email + webhook) through the project's delivery path, at two server
latencies in one run: servers that answer after 50 ms (a relay or chat API across a network)
and servers that answer at once (then the send path's own CPU is all there is).

For each latency: the sequential Apprise loop (one sender, one Apprise connection per message,
OFFICEFLOW_SMTP_SESSION_REUSE=false: what the project did before session reuse) against the
concurrent path (FANOUT_CONCURRENCY sender threads, each keeping one SMTP session and one HTTP
keep-alive session for all its messages, claiming and marking rows a batch at a time). Each
run plans its own notice, so each must record one delivery row per recipient and channel.

Prints one JSON object on its last line and writes it to benchmarks/results/fanout.json."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support

N = int(os.environ.get("FANOUT_RECIPIENTS", "500"))
LATENCY_MS = float(os.environ.get("FANOUT_LATENCY_MS", "50"))
CONCURRENCY = int(os.environ.get("FANOUT_CONCURRENCY", "48"))
# Set FANOUT_SEQUENTIAL=0 to skip the (slow, ~1 minute at 50 ms) sequential baselines.
SEQUENTIAL = os.environ.get("FANOUT_SEQUENTIAL", "1") != "0"


def main() -> None:
    _support.private_home()
    from pydantic import SecretStr
    from sqlalchemy import func, select

    from models.ledger import Delivery, DeliveryStatus
    from officeflow import db
    from officeflow.delivery import plan_notice, send_pending
    from officeflow.settings import reload_settings

    settings = reload_settings()
    # The org's contact points need the channels configured while it is planned.
    os.environ.update(OFFICEFLOW_SMTP_HOST="127.0.0.1", OFFICEFLOW_WEBHOOK_URL="json://127.0.0.1/")
    settings = reload_settings()
    _support.load(_support.org(N, webhook=True))
    recipients = [f"p{i}" for i in range(N)]
    per_key: Counter[tuple[str, ...]] = Counter()
    delivered = 0

    def measure(label: str, latency_ms: float) -> dict[str, float]:
        nonlocal delivered
        servers = _support.Servers(delay=latency_ms / 1000)
        wired = settings.model_copy(
            update={
                "smtp_host": servers.smtp_host,
                "smtp_port": servers.smtp_port,
                "webhook_url": SecretStr(servers.webhook_url),
            }
        )

        def run(key: str, **update: Any) -> float:
            with db.session_scope() as s:
                plan_notice(
                    s,
                    key=key,
                    template="notice",
                    object_type="bench",
                    object_id=key,
                    recipients=recipients,
                    context={"title": "Fan-out", "message": "Benchmark"},
                )
            start = time.perf_counter()
            report = send_pending([key], settings=wired.model_copy(update=update))
            elapsed = time.perf_counter() - start
            assert report.sent == 2 * N and report.failed == 0, report
            return elapsed

        try:
            out = {}
            if SEQUENTIAL:
                out["sequential_s"] = run(
                    f"bench:{label}:sequential",
                    delivery_concurrency=1,
                    smtp_session_reuse=False,
                )
            out["concurrent_s"] = run(f"bench:{label}:concurrent", delivery_concurrency=CONCURRENCY)
        finally:
            mail, posts = servers.stop()
        per_key.update(("mail", notice, rcpt) for notice, rcpt in mail)
        per_key.update(("hook", notice, recipient) for notice, recipient in posts)
        delivered += len(mail) + len(posts)
        return out

    slow = measure("50ms", LATENCY_MS)
    instant = measure("instant", 0.0)
    with db.session_scope() as s:
        rows = dict(
            s.execute(
                select(Delivery.notice_key, func.count())
                .where(Delivery.status == DeliveryStatus.SENT)
                .group_by(Delivery.notice_key)
            ).all()
        )
    runs = 2 * (2 if SEQUENTIAL else 1)
    expected = runs * 2 * N

    def speedup(r: dict[str, float]) -> float | None:
        return round(r["sequential_s"] / r["concurrent_s"], 2) if "sequential_s" in r else None

    figures = {
        "recipients": N,
        "channels": ["email", "webhook"],
        "concurrency": CONCURRENCY,
        "server_latency_ms": LATENCY_MS,
        "concurrent_s": round(slow["concurrent_s"], 3),
        "sequential_s": round(slow.get("sequential_s", 0.0), 3),
        "speedup": speedup(slow),
        "instant_concurrent_s": round(instant["concurrent_s"], 3),
        "instant_sequential_s": round(instant.get("sequential_s", 0.0), 3),
        "instant_speedup": speedup(instant),
        "messages_per_s_instant": round(2 * N / instant["concurrent_s"], 1),
        "delivered": delivered,
        "expected": expected,
        "delivered_pct": round(100 * delivered / expected, 2),
        "ledger_rows_sent": rows,
        "rows_per_message": round(sum(rows.values()) / max(delivered, 1), 3),
        "duplicates": sum(c - 1 for c in per_key.values()),
    }
    _support.report("fanout", figures)


if __name__ == "__main__":
    main()
