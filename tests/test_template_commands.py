"""The commands a notice tells people to run exist, with the options named, and name every
option the command requires (a notice that says `--by` after the CLI moved to `--as`, or leaves
out a required `--as`, sends people to an error)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer

from officeflow.cli import app
from rules.templates import LOCALES, SHIPPED

COMMAND = re.compile(r"officeflow ((?:[a-z][a-z-]* ?)+)(.*)")


def _lines() -> list[tuple[str, str]]:
    found = []
    for locale in LOCALES:
        for path in sorted((SHIPPED / locale).glob("*.j2")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if "officeflow " in line and COMMAND.search(line):
                    found.append((f"{locale}/{path.name}", line))
    return found


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def _resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The (click) command the words name, and the words that named it."""
    command: Any = typer.main.get_command(app)
    used = []
    for word in words:
        if not _is_group(command) or word not in command.commands:
            break
        command = command.commands[word]
        used.append(word)
    return command, used


LINES = _lines()


def test_templates_name_commands() -> None:
    assert len(LINES) >= 10  # the scan finds the instructions (guards the regex)
    assert (
        sum(len(_resolve(COMMAND.search(line).group(1).split())[1]) == 2 for _, line in LINES) >= 10
    )


@pytest.mark.parametrize(("template", "line"), LINES, ids=[t for t, _ in LINES])
def test_a_notice_names_a_real_command_with_its_required_options(template: str, line: str) -> None:
    match = COMMAND.search(line)
    assert match
    words = match.group(1).split()
    command, used = _resolve(words)
    if not used or _is_group(command):
        pytest.skip(f"not a command instruction: {line.strip()}")  # e.g. prose "officeflow to"
    text = match.group(2)
    flags = set(re.findall(r"--[a-z][a-z-]*", text))
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    assert flags <= known, f"{template}: unknown options {flags - known} in {line.strip()!r}"
    for param in command.params:
        if param.param_type_name == "option" and param.required:
            names = {*param.opts, *param.secondary_opts}
            assert names & flags, f"{template}: {line.strip()!r} leaves out {param.opts[0]}"
