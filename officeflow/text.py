"""Stored text is data: the one way to show a user's string on a terminal (control characters
removed) and in a Markdown artifact (escaped for the place it lands). The CLI's Rich side is
`officeflow.cli.common.plain`."""

from __future__ import annotations

import re

# C0 controls (ESC, BEL, CR, …), DEL and C1 controls (CSI, OSC, NEL, …), plus the Unicode line
# and paragraph separators. A terminal acts on these; a person never means them as text.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

# Escaped with a backslash wherever a user string lands in Markdown: emphasis, code, headings,
# links and images (no link or image without an unescaped `[`), table columns, strikethrough.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]#|~])")
_MD_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_LIST_AT_START = re.compile(r"^(?:(\d+)([.)])|()([-=+]))")


def strip_controls(text: object, *, keep_newlines: bool = True) -> str:
    """``text`` without terminal control characters (escape sequences lose their ESC and are
    shown as the harmless text that remains). Newlines and tabs stay unless
    ``keep_newlines=False``, which turns every control into one space."""
    if keep_newlines:
        return _CONTROLS.sub("", str(text))
    return _LINE_CONTROLS.sub(" ", str(text))


def md(text: object) -> str:
    """A user's string as inert Markdown text, safe in each place it lands in an artifact: a
    table cell, a heading, a list item or a paragraph. It stays on one line (CR, LF and every
    other control become a space, so it cannot break out of a heading or a row), HTML is shown
    as text (``<script>`` → ``&lt;script&gt;``), and the characters that make links, images,
    emphasis, code, headings and table columns are backslash-escaped."""
    one_line = strip_controls(text, keep_newlines=False).strip()
    escaped = _MD_PUNCTUATION.sub(r"\\\1", one_line)
    escaped = "".join(_MD_HTML.get(c, c) for c in escaped)
    # A list marker or a setext underline at the start of a line ("- x", "1. x", "==", "+ x").
    return _LIST_AT_START.sub(r"\1\3\\\2\4", escaped)
