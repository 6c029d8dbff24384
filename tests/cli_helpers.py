"""Run the real `officeflow` console script as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OFFICEFLOW = Path(sys.executable).parent / "officeflow"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # A wide terminal, whatever the runner's own (pytest-xdist workers report 80 columns).
    full_env = {**os.environ, "COLUMNS": "200"}
    full_env.update(env or {})
    return subprocess.run(
        [str(OFFICEFLOW), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
    )
