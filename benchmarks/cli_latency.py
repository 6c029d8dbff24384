"""Benchmark: how long an everyday `officeflow` command takes, as a person types it.

Starts the embedded stack (`officeflow up`) in a private home, records the example decision, then
measures the median wall time over N runs of:

- `officeflow decision show 1` (reads the ledger, runs no flow);
- `officeflow calendar add-workdays 2026-09-24 5` (no ledger, no flow);
- `officeflow assignment report-progress 1 --progress P --as wu.qiang` (one action on the
  ledger, by the owner of assignment 1);
- `officeflow assignment sweep` with the stack running (the flow reports to its server);
- `officeflow assignment sweep` after the stack has stopped (a temporary Prefect server).

Run: .venv/bin/python benchmarks/cli_latency.py [--runs 10]
Prints one JSON line and writes it to benchmarks/results/cli_latency.json: the median wall times,
and beside them each series' median CPU time (`cpu_s`, user + system) and the median 1-minute
load average while it ran (`load_1min`): on a shared machine the wall time follows the load, the
CPU time much less.
Goals: at most 1 s for commands that run no flow, at most 3 s for a flow with the stack running.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import _support  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent


def _run(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Run one command; its wall time and the CPU time it used (user + system, its children's
    included), which a busy machine inflates much less than the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "officeflow"), *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"officeflow {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


CPU: dict[str, float] = {}  # median CPU seconds of each series
LOAD: dict[str, float] = {}  # median 1-minute load average while each series ran


def _median(env: dict[str, str], runs: int, label: str, make_args) -> float:  # type: ignore[no-untyped-def]
    times, cpus, loads = [], [], []
    for i in range(runs):
        loads.append(os.getloadavg()[0])
        took, cpu = _run(env, *make_args(i))
        times.append(took)
        cpus.append(cpu)
        print(
            f"  {label} {i + 1}/{runs}: {took:.2f} s (cpu {cpu:.2f} s, load {loads[-1]:.1f})",
            file=sys.stderr,
            flush=True,
        )
    CPU[label] = round(statistics.median(cpus), 3)
    LOAD[label] = round(statistics.median(loads), 2)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    args = parser.parse_args()

    from tests.stack_helpers import stack_env, start_stack, stop_stack

    home = _support.scratch_home("officeflow-cli-bench-") / "office"
    env = stack_env(home)
    print("starting the stack (officeflow up)…", file=sys.stderr, flush=True)
    up, _ = start_stack(home, env, home.parent / "up.log", timeout=300)
    try:
        _run(env, "decision", "create", "examples/decision.yaml")
        figures = {
            "show_s": _median(env, args.runs, "decision show", lambda i: ["decision", "show", "1"]),
            "calendar_s": _median(
                env,
                args.runs,
                "calendar",
                lambda i: ["calendar", "add-workdays", "2026-09-24", "5"],
            ),
            "report_s": _median(
                env,
                args.runs,
                "assignment report-progress",
                lambda i: [
                    "assignment",
                    "report-progress",
                    "1",
                    "--progress",
                    str(10 + i),
                    "--as",
                    "wu.qiang",  # the owner of the example decision's assignment 1
                ],
            ),
            "supervise_stack_s": _median(
                env, args.runs, "sweep (stack)", lambda i: ["assignment", "sweep"]
            ),
        }
    finally:
        stop_stack(up, timeout=60)
    figures["supervise_alone_s"] = _median(
        env, args.runs, "sweep (alone)", lambda i: ["assignment", "sweep"]
    )
    figures["runs"] = args.runs
    figures["cores"] = os.cpu_count()
    figures["cpu_s"] = CPU
    figures["load_1min"] = LOAD
    line = json.dumps(figures)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cli_latency.json").write_text(line + "\n", encoding="utf-8")
    print(line)


if __name__ == "__main__":
    main()
