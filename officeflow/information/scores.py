"""信息考核: points per department for a month (items submitted, adopted, commented on by a
leader, commissioned reports answered late or not at all), the trend by month, the chart and
the monthly bulletin."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pendulum
from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.orm import Session

from models.information import InfoComment, InfoItem, ItemStatus
from models.information_input import ScoreRow, ScoresResult
from models.org import Department, Role
from models.supervision import Assignment
from officeflow import clock
from officeflow.delivery import plan_notice
from officeflow.information.common import files_dir, keep_file, relative_to_home
from officeflow.inputs import input_error, read_yaml
from officeflow.org import general_office, people_with_role
from officeflow.settings import get_settings
from officeflow.text import md
from rules.information import month_bounds, months_up_to, points, weights_from

# CJK fonts the chart may use, best first, and where Debian installs them (scripts/system-deps.sh
# installs fonts-wqy-zenhei). matplotlib's font cache may predate the package, so a font found
# only on disk is added by file.
CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
CJK_FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
CHART_FONT = CJK_FONTS[0]
CHART_WORDS = {
    "zh-CN": ("{month} 信息考核得分", "近六个月得分趋势"),
    "en": ("{month} information points", "Points over six months"),
}
TREND_MONTHS = 6


def load_weights(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """The defaults, then the settings' YAML file (``OFFICEFLOW_INFO_WEIGHTS``), then
    ``overrides`` (a flow parameter)."""
    path = get_settings().info_weights
    try:
        weights = weights_from(None)
        if path is not None:
            data, _ = read_yaml(Path(path))
            if data is not None and not isinstance(data, dict):
                raise ValueError("the weights file must be a mapping of name: number")
            weights = weights_from(data)
        return {**weights, **weights_from(overrides)} if overrides else weights
    except ValueError as exc:
        raise input_error("weights", str(exc)) from exc


def _instant(day: dt.date) -> dt.datetime:
    return pendulum.datetime(day.year, day.month, day.day, tz=get_settings().timezone)


def month_counts(session: Session, month: str) -> dict[str, dict[str, int]]:
    """Per department: submitted, adopted, commented, overdue in the month."""
    first, after = month_bounds(month)
    start, end = _instant(first), _instant(after)
    now = clock.now()
    counts: dict[str, dict[str, int]] = {}

    def add(name: str, rows: object) -> None:
        for dept, n in rows:  # type: ignore[attr-defined]
            counts.setdefault(dept, {})[name] = n

    dept = InfoItem.department_id
    add(
        "submitted",
        session.execute(
            select(dept, func.count())
            .where(InfoItem.submitted_at >= start, InfoItem.submitted_at < end)
            .group_by(dept)
        ),
    )
    add(
        "adopted",
        session.execute(
            select(dept, func.count())
            .where(
                InfoItem.status == ItemStatus.ADOPTED,
                InfoItem.decided_at >= start,
                InfoItem.decided_at < end,
            )
            .group_by(dept)
        ),
    )
    add(
        "commented",
        session.execute(
            select(dept, func.count(distinct(InfoItem.id)))
            .join(InfoComment, InfoComment.item_id == InfoItem.id)
            .where(InfoComment.at >= start, InfoComment.at < end)
            .group_by(dept)
        ),
    )
    # A 约稿 assignment due in the month that was answered after its deadline, or is past it
    # and still unanswered now.
    late = or_(
        Assignment.closed_at > Assignment.due_at,
        and_(Assignment.closed_at.is_(None), Assignment.due_at < now),
    )
    add(
        "overdue",
        session.execute(
            select(Assignment.lead_department_id, func.count())
            .where(
                Assignment.source_ref.like("info-request:%"),
                Assignment.due_at >= start,
                Assignment.due_at < end,
                late,
            )
            .group_by(Assignment.lead_department_id)
        ),
    )
    return counts


def score_rows(
    session: Session, month: str, weights: dict[str, float] | None = None
) -> list[ScoreRow]:
    """The month's rows, highest points first; departments with nothing to count are left out."""
    weights = weights or load_weights()
    names = {d: n for d, n in session.execute(select(Department.id, Department.name))}
    rows = [
        ScoreRow(
            department=dept,
            name=names.get(dept, dept),
            submitted=c.get("submitted", 0),
            adopted=c.get("adopted", 0),
            commented=c.get("commented", 0),
            overdue=c.get("overdue", 0),
            points=points(c, weights),
        )
        for dept, c in month_counts(session, month).items()
    ]
    return sorted(rows, key=lambda r: (-r.points, r.department))


def trend(
    session: Session, month: str, weights: dict[str, float], months: int = TREND_MONTHS
) -> dict[str, dict[str, float]]:
    """Points by department name, by month, for the ``months`` months ending with ``month``."""
    out: dict[str, dict[str, float]] = {}
    for m in months_up_to(month, months):
        for row in score_rows(session, m, weights):
            out.setdefault(row.name, {})[m] = row.points
    return out


def chart_labels(month: str, locale: str | None = None) -> tuple[str, str]:
    """The chart's two panel titles in ``locale`` (default: the office's)."""
    bars, lines = CHART_WORDS.get(locale or get_settings().locale, CHART_WORDS["en"])
    return bars.format(month=month), lines


def cjk_font() -> str | None:
    """The name of an installed CJK font matplotlib can draw with, or None (then the chart's
    Chinese falls back quietly to matplotlib's default font)."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((name for name in CJK_FONTS if name in names), None)

    found = known()
    if found is None:
        for file in CJK_FONT_FILES:
            if Path(file).is_file():
                try:
                    font_manager.fontManager.addfont(file)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = known()
    return found


def render_chart(
    month: str,
    rows: list[ScoreRow],
    by_month: dict[str, dict[str, float]],
    path: Path,
    *,
    locale: str | None = None,
) -> Path:
    """Two panels: the month's points per department (bars), the trend by month (lines), titled
    in ``locale``; drawn with a CJK font where one is installed (`cjk_font`)."""
    import logging

    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    from matplotlib import pyplot as plt

    font = cjk_font()
    if font is not None:
        plt.rcParams["font.family"] = "sans-serif"
        plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    bars_title, lines_title = chart_labels(month, locale)
    months = months_up_to(month, TREND_MONTHS)
    fig, (bars, lines) = plt.subplots(1, 2, figsize=(11, 4.5), dpi=90)
    try:
        bars.bar([r.name for r in rows], [r.points for r in rows], color="#c00000")
        bars.set_title(bars_title)
        bars.tick_params(axis="x", labelrotation=30)
        for name, series in sorted(by_month.items()):
            lines.plot(months, [series.get(m, 0) for m in months], marker="o", label=name)
        lines.set_title(lines_title)
        lines.tick_params(axis="x", labelrotation=30)
        if by_month:
            lines.legend(fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def scores_markdown(month: str, rows: list[ScoreRow], chart: Path | None) -> str:
    out = [
        f"# 信息考核通报 {month}",
        "",
        "| 单位 | 报送 | 采用 | 批示 | 约稿逾期 | 得分 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    out += [
        f"| {md(r.name)} | {r.submitted} | {r.adopted} | {r.commented} | {r.overdue} "
        f"| {r.points:g} |"
        for r in rows
    ]
    if chart is not None and chart.is_file():
        data = base64.b64encode(chart.read_bytes()).decode("ascii")
        out += ["", f"![信息考核 {month}](data:image/png;base64,{data})"]
    return "\n".join(out) + "\n"


def bulletin_recipients(session: Session) -> list[str]:
    """The leaders and the general office."""
    office = general_office(session)
    staff = []
    if office is not None:
        from models.org import Person

        staff = list(
            session.scalars(
                select(Person.id)
                .where(Person.department_id == office.id, Person.active.is_(True))
                .order_by(Person.id)
            )
        )
    return list(dict.fromkeys([*people_with_role(session, Role.LEADER), *staff]))


def plan_scores(
    session: Session, *, month: str, weights: dict[str, float] | None = None
) -> tuple[ScoresResult, str]:
    """The month's rows, the chart under the home folder, the bulletin notice (chart attached)
    and the Markdown for the artifact. Sent once per month, however often it runs."""
    weights = load_weights(weights)
    rows = score_rows(session, month, weights)
    if not rows:
        return ScoresResult(
            skipped=True, reason=f"no information activity in {month}", month=month
        ), scores_markdown(month, [], None)
    chart = render_chart(
        month, rows, trend(session, month, weights), files_dir("scores") / f"scores-{month}.png"
    )
    document = relative_to_home(chart)
    key = f"info-scores:{month}"
    plan_notice(
        session,
        key=key,
        template="info_scores",
        object_type="info_scores",
        object_id=month,
        recipients=bulletin_recipients(session),
        context={"month": month, "rows": [r.model_dump() for r in rows], "weights": weights},
        attachment_id=keep_file(
            session, chart, object_type="info_scores", object_id=month, actor="system"
        ),
    )
    result = ScoresResult(month=month, rows=rows, chart=document, notice_keys=[key])
    return result, scores_markdown(month, rows, chart)
