"""A 500-recipient fan-out (email + webhook) through the project's delivery path, concurrent
(OFFICEFLOW_DELIVERY_CONCURRENCY threads) against sequential (one sender). Each run plans its
own notice, so each must record one delivery row per recipient and channel.

Prints one JSON object on its last line and writes it to benchmarks/results/fanout.json."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support

N = int(os.environ.get("FANOUT_RECIPIENTS", "500"))
# The local servers answer after this many milliseconds, like a mail relay or chat API across a
# network (a LAN relay answers in a few ms, a cloud API in tens to hundreds). At 0 the servers
# share this process's CPU with the senders and there is no waiting for concurrency to hide.
LATENCY_MS = float(os.environ.get("FANOUT_LATENCY_MS", "50"))


def main() -> None:
    _support.private_home()
    from officeflow.mailcatcher import MailCatcher

    smtp = MailCatcher(delay=LATENCY_MS / 1000).start()
    hooks = _support.Hooks(delay=LATENCY_MS / 1000)
    os.environ.update(
        OFFICEFLOW_SMTP_HOST=smtp.host,
        OFFICEFLOW_SMTP_PORT=str(smtp.port),
        OFFICEFLOW_WEBHOOK_URL=hooks.url,
    )
    from sqlalchemy import func, select

    from models.ledger import Delivery, DeliveryStatus
    from officeflow import db
    from officeflow.delivery import plan_notice, send_pending
    from officeflow.settings import reload_settings

    settings = reload_settings()
    _support.load(_support.org(N, webhook=True))
    recipients = [f"p{i}" for i in range(N)]

    def run(key: str, concurrency: int) -> tuple[float, int]:
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
        report = send_pending(
            [key], settings=settings.model_copy(update={"delivery_concurrency": concurrency})
        )
        return time.perf_counter() - start, report.sent

    try:
        sequential_s, seq_sent = run("bench:sequential", 1)
        concurrent_s, con_sent = run("bench:concurrent", settings.delivery_concurrency)
        with db.session_scope() as s:
            rows = dict(
                s.execute(
                    select(Delivery.notice_key, func.count())
                    .where(Delivery.status == DeliveryStatus.SENT)
                    .group_by(Delivery.notice_key)
                ).all()
            )
        per_key: Counter[tuple[str, ...]] = Counter()
        for m in smtp.messages:
            per_key[("mail", m.notice, m.rcpt_tos[0])] += 1
        for b in hooks.bodies:
            per_key[("hook", b["notice"], b["recipient"])] += 1
        duplicates = sum(c - 1 for c in per_key.values())
        expected = 2 * 2 * N
        figures = {
            "recipients": N,
            "channels": ["email", "webhook"],
            "concurrency": settings.delivery_concurrency,
            "server_latency_ms": LATENCY_MS,
            "concurrent_s": round(concurrent_s, 3),
            "sequential_s": round(sequential_s, 3),
            "speedup": round(sequential_s / concurrent_s, 2),
            "delivered": len(smtp.messages) + len(hooks.bodies),
            "expected": expected,
            "ledger_rows_sent": rows,
            "sent_reported": {"sequential": seq_sent, "concurrent": con_sent},
            "duplicates": duplicates,
        }
    finally:
        smtp.stop()
        hooks.stop()
    _support.report("fanout", figures)


if __name__ == "__main__":
    main()
