"""信息报送 (information reporting): departments submit items; the office edits, adopts them
into issues (每日要情, 专报) or rejects them; leaders comment (批示) and a comment can become a
supervision decision; commissioned reports (约稿) run as supervision decisions; the monthly
scores (信息考核).

Every function takes an explicit session and never commits. The modules:

- `declarations`: the item's actions, who may take them (and submit, commission), the flows
- `common`: lookups that refuse unknown ids, the refusal of who may not, files, item notices
- `items`: submit (an urgent item alerts the duty officer), edit with revisions, adopt, reject
- `issues`: issue numbers (第N期), allocated once per publication under concurrency
- `comments`: 批示, and the decision it becomes (source ``info:<id>``)
- `requests`: 约稿 as a decision with one assignment per department (``info-request:<id>``)
- `digest`: compile, render (.docx) and publish an issue; `duty_log_lines`
- `document`: the .docx in the layout of official documents
- `scores`: points per department, the trend, the chart and the monthly bulletin
- `views`: read views for the CLI
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from officeflow._lazy import exports

if TYPE_CHECKING:
    from officeflow.information.comments import comment_decision, comment_item
    from officeflow.information.common import get_item, get_request
    from officeflow.information.digest import (
        compile_digest,
        duty_log_lines,
        issue_items,
        publish_issue,
    )
    from officeflow.information.document import render_docx
    from officeflow.information.issues import current_issue, open_issue
    from officeflow.information.items import (
        adopt_item,
        check_item,
        edit_item,
        reject_item,
        submit_item,
    )
    from officeflow.information.requests import check_request, record_request
    from officeflow.information.scores import (
        load_weights,
        month_counts,
        plan_scores,
        render_chart,
        score_rows,
        scores_markdown,
    )
    from officeflow.information.views import item_view, items_table

__getattr__, __dir__ = exports(__name__, __file__)

__all__ = [
    "adopt_item",
    "check_item",
    "check_request",
    "comment_decision",
    "comment_item",
    "compile_digest",
    "current_issue",
    "duty_log_lines",
    "edit_item",
    "get_item",
    "get_request",
    "issue_items",
    "item_view",
    "items_table",
    "load_weights",
    "month_counts",
    "open_issue",
    "plan_scores",
    "publish_issue",
    "record_request",
    "reject_item",
    "render_chart",
    "render_docx",
    "score_rows",
    "scores_markdown",
    "submit_item",
]
