"""The rules in force for emergencies: the grading matrix and the response plan, from the files
the settings name or the shipped ones in officeflow/config/."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from officeflow.inputs import load_yaml_model
from officeflow.settings import Settings, get_settings
from rules.grading import GradingMatrix
from rules.response_plan import ResponsePlan

OBJECT = "incident"  # the object type of every incident event and notice
_CONFIG = resources.files("officeflow") / "config"


def load_grading_matrix(settings: Settings | None = None) -> GradingMatrix:
    settings = settings or get_settings()
    path = settings.grading_matrix or Path(str(_CONFIG / "grading_matrix.yaml"))
    return _cached(path, GradingMatrix, settings)


def load_response_plan(settings: Settings | None = None) -> ResponsePlan:
    settings = settings or get_settings()
    path = settings.response_plan or Path(str(_CONFIG / "response_plan.yaml"))
    return _cached(path, ResponsePlan, settings)


M = TypeVar("M", bound=BaseModel)
_PARSED: dict[tuple[object, ...], BaseModel] = {}
_LOCK = threading.Lock()


def _cached(path: Path, model: type[M], settings: Settings) -> M:
    """The file's model, parsed once while the file is unchanged (same size and mtime): an
    emergency run read both YAML files twice, a quarter of its time to the first alert. A
    copy each time, so no caller can change another's rules."""
    try:
        stat = path.stat()
    except OSError:
        return load_yaml_model(path, model)[0]  # the same clear error as before
    key = (str(path), stat.st_mtime_ns, stat.st_size, settings.input_max_bytes, model)
    with _LOCK:
        parsed = _PARSED.get(key)
    if parsed is None:
        parsed = load_yaml_model(path, model)[0]
        with _LOCK:
            for old in [k for k in _PARSED if k[0] == key[0] and k[-1] is model]:
                del _PARSED[old]
            _PARSED[key] = parsed
    return parsed.model_copy(deep=True)  # type: ignore[return-value]
