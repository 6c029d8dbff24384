"""The rules in force for emergencies: the grading matrix and the response plan, from the files
the settings name or the shipped ones in officeflow/config/."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from officeflow.inputs import load_yaml_model
from officeflow.settings import Settings, get_settings
from rules.grading import GradingMatrix
from rules.response_plan import ResponsePlan

OBJECT = "incident"  # the object type of every incident event and notice
_CONFIG = resources.files("officeflow") / "config"


def load_grading_matrix(settings: Settings | None = None) -> GradingMatrix:
    settings = settings or get_settings()
    path = settings.grading_matrix or Path(str(_CONFIG / "grading_matrix.yaml"))
    return load_yaml_model(path, GradingMatrix)[0]


def load_response_plan(settings: Settings | None = None) -> ResponsePlan:
    settings = settings or get_settings()
    path = settings.response_plan or Path(str(_CONFIG / "response_plan.yaml"))
    return load_yaml_model(path, ResponsePlan)[0]
