"""The board's charts as server-rendered SVG (no JavaScript, no image files): a line chart of the
on-time rate per department by week, and a stacked bar chart of the lights over time. Built by
hand from the board's series (fast: a few hundred microseconds, no matplotlib import in the web
process); every label is XML-escaped, and every word is in one locale (`WORDS`)."""

from __future__ import annotations

from html import escape
from typing import Any

from officeflow.board.data import LIGHTS
from officeflow.settings import get_settings

FONT = "'WenQuanYi Zen Hei','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif"
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
LIGHT_COLOURS = {"green": "#2e9d4f", "blue": "#2f6fd0", "yellow": "#e6b800", "red": "#d33a2c"}
LIGHT_NAMES = {
    "zh-CN": {"green": "绿", "blue": "蓝", "yellow": "黄", "red": "红"},
    "en": {"green": "green", "blue": "blue", "yellow": "yellow", "red": "red"},
}
# Every word a chart shows, in each locale (one language per chart).
WORDS = {
    "zh-CN": {
        "on_time": "按期办结率（按周）",
        "nothing_due": "暂无到期事项",
        "lights": "督办灯色变化",
        "items": "件",
        "no_sweep": "督查尚未运行",
        "no_data": "暂无数据",
        "sep": "；",
        "comma": "，",
    },
    "en": {
        "on_time": "On-time rate by week",
        "nothing_due": "nothing was due in these weeks",
        "lights": "Lights over time",
        "items": "items",
        "no_sweep": "no sweep has run yet",
        "no_data": "no data",
        "sep": "; ",
        "comma": ", ",
    },
}


def _words(locale: str | None) -> tuple[str, dict[str, str]]:
    locale = locale or get_settings().locale
    return locale, WORDS.get(locale, WORDS["en"])


W, H = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 170, 28, 46


def _svg(title: str, body: list[str], desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'class="chart" font-family="{escape(FONT)}" font-size="11">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>"
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _axes(y_max: float, y_label: str, ticks: int = 5) -> list[str]:
    plot_h = H - TOP - BOTTOM
    out = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{H - BOTTOM}" stroke="#444"/>',
        f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="#444"/>',
    ]
    for i in range(ticks + 1):
        value = y_max * i / ticks
        y = H - BOTTOM - plot_h * i / ticks
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{value:.0f}</text>'
        )
    out.append(
        f'<text x="10" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 10 {TOP + plot_h / 2:.0f})"'
        f' text-anchor="middle">{escape(y_label)}</text>'
    )
    return out


def _x_labels(labels: list[str], xs: list[float], every: int = 1) -> list[str]:
    return [
        f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % every == 0 or i == len(labels) - 1
    ]


def _legend(items: list[tuple[str, str]]) -> list[str]:
    out = []
    for i, (name, colour) in enumerate(items[:14]):
        y = TOP + 6 + 17 * i
        out.append(
            f'<rect x="{W - RIGHT + 12}" y="{y - 9}" width="12" height="10" fill="{colour}"/>'
            f'<text x="{W - RIGHT + 28}" y="{y}">{escape(name[:18])}</text>'
        )
    return out


def on_time_chart(
    on_time: dict[str, Any], max_series: int = 10, *, locale: str | None = None
) -> str:
    """Lines: on-time rate (%) per department by ISO week of the deadline. Its words in
    ``locale`` (default: the office's)."""
    _, w = _words(locale)
    weeks: list[str] = on_time["weeks"]
    series = list(on_time["series"].items())[:max_series]
    title = w["on_time"]
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    n = max(len(weeks), 1)
    xs = [LEFT + plot_w * (i + 0.5) / n for i in range(len(weeks))]
    body = _axes(100, "%")
    body += _x_labels([w[-3:] for w in weeks], xs)
    if not series:
        body.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" '
            f'fill="#777">{escape(w["nothing_due"])}</text>'
        )
    legend = []
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        legend.append((name, colour))
        points = [
            (x, H - BOTTOM - plot_h * v / 100)
            for x, v in zip(xs, values, strict=True)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for (x, y), v in zip(points, [v for v in values if v is not None], strict=True):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)}: {v}%</title></circle>"
            )
    body += _legend(legend)
    desc = w["sep"].join(
        f"{name}: "
        + w["comma"].join(
            f"{week} {'—' if v is None else f'{v}%'}" for week, v in zip(weeks, values, strict=True)
        )
        for name, values in series
    )
    return _svg(title, body, desc or w["no_data"])


def lights_chart(days: list[dict[str, Any]], *, locale: str | None = None) -> str:
    """Stacked bars: the open assignments per light after each day's sweep. Its words in
    ``locale`` (default: the office's)."""
    locale, w = _words(locale)
    names = LIGHT_NAMES.get(locale, LIGHT_NAMES["en"])
    title = w["lights"]
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    top = max((sum(d[light] for light in LIGHTS) for d in days), default=0)
    y_max = _nice(top)
    body = _axes(y_max, w["items"])
    n = max(len(days), 1)
    bar = plot_w / n
    xs = [LEFT + bar * (i + 0.5) for i in range(len(days))]
    body += _x_labels([d["day"][5:] for d in days], xs, every=max(1, len(days) // 8))
    if not days:
        body.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" '
            f'fill="#777">{escape(w["no_sweep"])}</text>'
        )
    for x, d in zip(xs, days, strict=True):
        y = H - BOTTOM
        for light in reversed(LIGHTS):  # green at the bottom, red on top
            h = plot_h * d[light] / y_max if y_max else 0
            if h <= 0:
                continue
            y -= h
            body.append(
                f'<rect x="{x - bar * 0.4:.1f}" y="{y:.1f}" width="{bar * 0.8:.1f}" '
                f'height="{h:.1f}" fill="{LIGHT_COLOURS[light]}">'
                f"<title>{escape(d['day'])} {names[light]}: {d[light]}</title></rect>"
            )
    body += _legend([(names[light], LIGHT_COLOURS[light]) for light in LIGHTS])
    desc = w["sep"].join(
        f"{d['day']}: " + w["comma"].join(f"{names[light]} {d[light]}" for light in LIGHTS)
        for d in days[-14:]
    )
    return _svg(title, body, desc or w["no_data"])


def _nice(value: float) -> float:
    """A round axis maximum at or above ``value`` (at least 5)."""
    if value <= 5:
        return 5
    step = 10 ** (len(str(int(value))) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * step:
            return m * step
    return 10 * step
