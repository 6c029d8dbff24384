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
    full_env = {k: v for k, v in os.environ.items()}
    full_env.update(env or {})
    full_env.setdefault("COLUMNS", "200")
    return subprocess.run(
        [str(OFFICEFLOW), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=cwd,
    )
