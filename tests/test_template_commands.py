"""A notice never tells people to type a command: the CLI is for operators. Where a notice asks
its reader to act, it carries a signed action link (``{{ action_link("…") }}``), and every link
names an action a web page handles."""

from __future__ import annotations

import re

import pytest

from officeflow.cli import GROUPS
from rules.templates import LOCALES, SHIPPED

MARKER = re.compile(r"""action_link\(\s*["']([a-z][a-z0-9_-]*)["']\s*\)""")
# `officeflow <group> …` or a CLI option such as `--as`, `--progress`.
_GROUPS = "|".join(map(re.escape, GROUPS))
CLI = re.compile(rf"officeflow (?:{_GROUPS})\b|\s--[a-z][a-z-]+")

# The templates that ask their reader to act, and the actions their links must offer.
ASKS: dict[str, set[str]] = {
    "incident_alert": {"acknowledge"},
    "incident_report_reminder": {"file-report"},
    "incident_final_request": {"file-report"},
    "assignment_issued": {"report-progress"},
    "assignment_reminder": {"report-progress"},
    "assignment_update": {"verify", "decide-extension", "report-progress"},
    "meeting_call": {"submit-topic"},
    "meeting_agenda_approval": {"approve-agenda"},
    "meeting_notice": {"register-attendance"},
    "meeting_materials_reminder": {"submit-materials"},
    "signin_link": {"sign-in"},
}

TEMPLATES = [
    (locale, path.stem, path.read_text(encoding="utf-8"))
    for locale in LOCALES
    for path in sorted((SHIPPED / locale).glob("*.j2"))
]


def test_the_scan_sees_every_template() -> None:
    assert len(TEMPLATES) >= 50
    assert {name for _, name, _ in TEMPLATES} >= set(ASKS)


@pytest.mark.parametrize(
    ("locale", "name", "text"), TEMPLATES, ids=[f"{loc}/{n}" for loc, n, _ in TEMPLATES]
)
def test_no_cli_syntax_in_a_notice(locale: str, name: str, text: str) -> None:
    found = CLI.search(text)
    assert found is None, f"{locale}/{name}.j2 tells people to type {found.group(0)!r}"


@pytest.mark.parametrize("name", sorted(ASKS))
@pytest.mark.parametrize("locale", LOCALES)
def test_a_notice_that_asks_for_an_action_links_it(locale: str, name: str) -> None:
    text = (SHIPPED / locale / f"{name}.j2").read_text(encoding="utf-8")
    assert set(MARKER.findall(text)) >= ASKS[name]


def test_every_link_names_an_action_with_a_page() -> None:
    from officeflow.web.app import create_app
    from officeflow.web.pages import REGISTRY

    create_app()  # registers every page
    handled = {action for _, action in REGISTRY}
    used = {action for _, _, text in TEMPLATES for action in MARKER.findall(text)}
    assert used >= {
        "acknowledge",
        "file-report",
        "report-progress",
        "verify",
        "decide-extension",
        "view",
    }
    assert used - handled == set(), f"links without a page: {used - handled}"


def test_the_rule_catches_a_command() -> None:  # guards the pattern itself
    assert CLI.search("请确认：officeflow incident ack 7 --as th")
    assert CLI.search("(officeflow assignment report-progress 12 --progress PCT)")
    assert not CLI.search("这是一条来自 officeflow 的测试消息")
