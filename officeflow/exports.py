"""Stored text in an exported file: the one guard for every cell of every export (the 督办台账
.xlsx now; a later CSV or .docx table field goes through the same function).

A spreadsheet reads a cell that starts with ``= + - @``, a tab or a line break as a formula
(Excel, LibreOffice, and any CSV they open), and openpyxl itself writes a string starting with
``=`` as a formula and ``#N/A``-like strings as error values. `cell_text` makes each stored
string plain data: such a string gets a leading apostrophe (shown, so the cell reads exactly as
the text does and stays text when the sheet is saved as CSV and opened again), characters an
.xlsx cannot hold (C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF) become
spaces, and the text is cut at a cell's 32,767 characters. Pure: no openpyxl here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

# What makes a spreadsheet (or openpyxl) read a cell as a formula or an error value.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
ERROR_VALUES = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)
QUOTE = "'"
MAX_CELL = 32767  # a cell's limit in Excel; openpyxl cuts silently past it

# Not allowed in an .xlsx (XML 1.0 and openpyxl's ILLEGAL_CHARACTERS_RE).
_NOT_IN_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cell_text(value: object) -> str:
    """``value`` as the text of one exported cell: never a formula, never an error value, and
    always storable. ``None`` is the empty cell's text."""
    text = _NOT_IN_XLSX.sub(" ", "" if value is None else str(value))
    if text.startswith(FORMULA_START) or text.strip() in ERROR_VALUES:
        text = QUOTE + text
    return text[:MAX_CELL]


def cell(value: Any) -> Any:
    """One exported cell: text through `cell_text`; numbers, dates and empty cells as they
    are."""
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    return cell_text(value)


def row(values: Iterable[Any]) -> list[Any]:
    """Every cell of one exported row through `cell`."""
    return [cell(v) for v in values]
