"""The office year's check, in little memory (`benchmarks/office_year.py`).

A notice is (business key, recipient, channel). The full-scale year has 1.2 million of them, and
the check holds three views of them at once: what the oracle expects, what the servers
received and what the ledger holds. As Python tuples and sets they took about 1 GB on top of
the year's script and the oracle's state (measured: the process peaked at 1,745 MB), more than
the office itself uses. So:

- each notice becomes a 64-bit fingerprint (BLAKE2b of its three fields), and each view a numpy
  array of them (10 MB a view): sorted, then compared with ``np.setdiff1d`` and
  ``np.unique(return_counts=True)``. Two notices of a year sharing a fingerprint has a
  probability of about 1e-7; the oracle's side checks that its fingerprints are distinct.
- the oracle runs in a process of its own (`OracleProcess`), from the same seed, while the
  office plays: it shares nothing with the office but the script's seed, and its memory and CPU
  are its own. Its peak is reported apart (``oracle_peak_rss_mb``).
- names are looked up only for differences, and only a few: the oracle's process names the
  missing ones, the servers' process the extra and duplicated ones, the ledger its own.

numpy is a dependency of the project (pyproject.toml), and matplotlib's.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

import numpy as np

Notice = tuple[str, str, str]  # (key, person, channel)
EXAMPLES = 5  # names looked up for each kind of difference


def fingerprint(key: str, person: str, channel: str) -> int:
    return int.from_bytes(
        blake2b(f"{key}\x1f{person}\x1f{channel}".encode(), digest_size=8).digest(), "little"
    )


def fingerprints(notices: Iterable[Notice]) -> np.ndarray:
    """The fingerprints of ``notices``, in their order (duplicates kept)."""
    return np.fromiter((fingerprint(*n) for n in notices), dtype=np.uint64)


def named(notices: Iterable[Notice], wanted: Sequence[int]) -> list[Notice]:
    """The notices among ``notices`` whose fingerprint is in ``wanted``, sorted."""
    want = {int(w) for w in wanted}
    return sorted({n for n in notices if fingerprint(*n) in want})


# --- the oracle, in a process of its own --------------------------------------------------


@dataclass(frozen=True)
class YearId:
    """What the oracle's process checks it regenerated: the same year as the office plays."""

    scale: float
    seed: int
    incidents: int | None
    until: Any  # a datetime, or None for the whole year
    steps: int
    last_step: str


@dataclass
class Expected:
    prints: np.ndarray  # sorted, distinct: one per notice
    keys: int  # distinct business keys
    seconds: float  # the oracle's time, in its process
    peak_rss_mb: int  # its process's peak


def _oracle_main(conn: Any, year_id: YearId) -> None:  # runs in the oracle's process
    from benchmarks.office_oracle import expected_notices
    from benchmarks.office_plan import generate

    start = time.perf_counter()
    year = generate(year_id.scale, year_id.seed, year_id.incidents)
    if year_id.until is not None:
        year = year.until(year_id.until)
    again = (len(year.timeline), year.timeline[-1].at.isoformat() if year.timeline else "")
    if again != (year_id.steps, year_id.last_step):
        conn.send(("error", f"the oracle generated another year: {again} steps, not {year_id}"))
        return
    expected, oracle = expected_notices(year)
    del year
    prints = np.unique(fingerprints(expected))
    if len(prints) != len(expected):  # never seen; would make the check blind to a notice
        conn.send(("error", f"{len(expected) - len(prints)} fingerprint collisions"))
        return
    conn.send(
        (
            "ok",
            prints.tobytes(),
            len(oracle.notices),
            time.perf_counter() - start,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        )
    )
    while (request := conn.recv()) != "stop":  # ("name", [fingerprint, …])
        conn.send(named(expected, request[1]))


class OracleProcess:
    """`benchmarks.office_oracle.expected_notices` of the year ``year_id`` names, computed in a
    process of its own from the seed, while the caller plays the year."""

    def __init__(self, year_id: YearId) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_oracle_main, args=(child, year_id), daemon=True)
        self._proc.start()

    def result(self, timeout: float = 7200) -> Expected:
        if not self._conn.poll(timeout):
            self._proc.kill()
            raise RuntimeError(f"the oracle gave no answer in {timeout:.0f} s")
        answer = self._conn.recv()
        if answer[0] != "ok":
            raise RuntimeError(answer[1])
        _, raw, keys, seconds, peak = answer
        return Expected(np.frombuffer(raw, dtype=np.uint64), keys, seconds, peak)

    def name(self, prints: Sequence[int]) -> list[Notice]:
        self._conn.send(("name", [int(p) for p in prints]))
        return self._conn.recv()  # type: ignore[no-any-return]

    def stop(self) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send("stop")
            self._proc.join(timeout=30)
        if self._proc.is_alive():
            self._proc.kill()


# --- the comparison -----------------------------------------------------------------------


@dataclass
class Differences:
    missing: np.ndarray  # expected, never received
    extra: np.ndarray  # received, not expected
    duplicates: int  # messages received more than once, beyond the first
    duplicated: np.ndarray  # the notices received more than once
    ledger_missing: np.ndarray  # expected, no delivery row
    ledger_extra: np.ndarray  # a delivery row the oracle does not expect


def compare(expected: np.ndarray, received: np.ndarray, ledger: np.ndarray) -> Differences:
    """``expected`` sorted and distinct (`Expected.prints`); ``received`` one fingerprint per
    notice a message carried (duplicates kept); ``ledger`` one per delivery row."""
    got, counts = np.unique(received, return_counts=True)
    rows = np.unique(ledger)
    repeated = counts > 1
    return Differences(
        missing=np.setdiff1d(expected, got, assume_unique=True),
        extra=np.setdiff1d(got, expected, assume_unique=True),
        duplicates=int((counts[repeated] - 1).sum()),
        duplicated=got[repeated],
        ledger_missing=np.setdiff1d(expected, rows, assume_unique=True),
        ledger_extra=np.setdiff1d(rows, expected, assume_unique=True),
    )
