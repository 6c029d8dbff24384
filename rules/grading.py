"""Emergency grading (突发事件分级): which grade the casualties and losses reach.

A grade's thresholds are minimums; an incident takes the most severe grade any one of its
figures reaches, as in State Council Decree 493 (生产安全事故报告和调查处理条例, art. 3).
Pure rules: no Prefect, no database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from pydantic import Field, model_validator

from models.common import StrictInput


class Grade(enum.StrEnum):
    I = "I"  # noqa: E741  特别重大
    II = "II"  # 重大
    III = "III"  # 较大
    IV = "IV"  # 一般

    @property
    def rank(self) -> int:
        """1 is the most severe."""
        return ("I", "II", "III", "IV").index(self.value) + 1

    @property
    def label_zh(self) -> str:
        return {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般"}[self.value]


class Category(enum.StrEnum):
    NATURAL_DISASTER = "natural_disaster"  # 自然灾害
    ACCIDENT = "accident"  # 事故灾难
    PUBLIC_HEALTH = "public_health"  # 公共卫生事件
    SOCIAL_SECURITY = "social_security"  # 社会安全事件

    @property
    def label_zh(self) -> str:
        return {
            "natural_disaster": "自然灾害",
            "accident": "事故灾难",
            "public_health": "公共卫生事件",
            "social_security": "社会安全事件",
        }[self.value]


class Thresholds(StrictInput):
    """The least figures that reach a grade; a missing figure does not count for it."""

    deaths: int | None = Field(None, ge=1)
    serious_injuries: int | None = Field(None, ge=1)
    direct_loss_cny: Decimal | None = Field(None, gt=0)


class GradeTable(StrictInput):
    I: Thresholds  # noqa: E741
    II: Thresholds
    III: Thresholds

    @model_validator(mode="after")
    def _descending(self) -> GradeTable:
        for field in ("deaths", "serious_injuries", "direct_loss_cny"):
            values = [getattr(getattr(self, g), field) for g in ("I", "II", "III")]
            present = [v for v in values if v is not None]
            if present != sorted(present, reverse=True):
                raise ValueError(f"{field}: thresholds must not grow from grade I to III")
        return self

    def for_grade(self, grade: Grade) -> Thresholds:
        return getattr(self, grade.value)  # type: ignore[no-any-return]


class GradingMatrix(StrictInput):
    """``default`` applies to every category without a table of its own."""

    default: GradeTable
    categories: dict[Category, GradeTable] = Field(default_factory=dict)

    def table(self, category: Category) -> GradeTable:
        return self.categories.get(category, self.default)


# State Council Decree 493, art. 3 (production accidents).
DECREE_493 = GradeTable(
    I=Thresholds(deaths=30, serious_injuries=100, direct_loss_cny=Decimal(100_000_000)),
    II=Thresholds(deaths=10, serious_injuries=50, direct_loss_cny=Decimal(50_000_000)),
    III=Thresholds(deaths=3, serious_injuries=10, direct_loss_cny=Decimal(10_000_000)),
)


@dataclass(frozen=True)
class Grading:
    grade: Grade
    reasons: tuple[str, ...]  # which figures reached it, e.g. "deaths 12 ≥ 10"


def grade_incident(
    matrix: GradingMatrix,
    category: Category,
    *,
    deaths: int,
    serious_injuries: int,
    direct_loss_cny: Decimal | int,
) -> Grading:
    """The most severe grade that any one figure reaches; IV when none reaches III."""
    table = matrix.table(category)
    figures = {
        "deaths": Decimal(deaths),
        "serious_injuries": Decimal(serious_injuries),
        "direct_loss_cny": Decimal(direct_loss_cny),
    }
    for grade in (Grade.I, Grade.II, Grade.III):
        limits = table.for_grade(grade)
        reasons = tuple(
            f"{name} {figures[name]} ≥ {limit}"
            for name in figures
            if (limit := getattr(limits, name)) is not None and figures[name] >= limit
        )
        if reasons:
            return Grading(grade, reasons)
    return Grading(Grade.IV, ())
