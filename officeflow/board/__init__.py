"""The office's board and each person's own work list, as plain queries the web pages render.

Modules: `data` (the board: lights by department, overdue items, incident clocks, meetings,
the chart series, a short cache; who may see it), `charts` (server-rendered SVG), `export`
(督办台账 as .xlsx), `mywork` (one person's open assignments, unacknowledged incidents, pending
decisions and meetings).
"""

from __future__ import annotations

from officeflow.board.charts import lights_chart, on_time_chart
from officeflow.board.data import board, cached_board, check_board_access, may_see_board
from officeflow.board.export import ledger_rows, ledger_workbook
from officeflow.board.mywork import my_work

__all__ = [
    "board",
    "cached_board",
    "check_board_access",
    "ledger_rows",
    "ledger_workbook",
    "lights_chart",
    "may_see_board",
    "my_work",
    "on_time_chart",
]
