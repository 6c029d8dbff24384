"""Where a supervised decision came from, in words: the source kind's label and the source
reference as the thing it names (``doc:5`` is the document's 文号 and title, ``meeting:3:item:2``
the meeting's minutes item), in one locale. Shared by the 交办单, the 督办台账 export and the
assignment's mails, so no raw enum value or ``kind:id`` reference reaches a reader."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from models.documents import Document
from models.emergency import Incident
from models.information import InfoItem, InfoRequest
from models.meeting import Meeting
from officeflow.settings import get_settings

SOURCE_NAMES = {
    "zh-CN": {
        "leader_instruction": "领导批示",
        "meeting_minutes": "会议纪要",
        "document": "公文",
        "information": "信息报送",
        "other": "其他",
    },
    "en": {
        "leader_instruction": "leader's instruction",
        "meeting_minutes": "meeting minutes",
        "document": "document",
        "information": "information",
        "other": "other",
    },
}
_REF = re.compile(r"(doc|meeting|incident|info|info-request):(\d+)(?::(.+))?")
_KIND_ZH = {
    "doc": "公文",
    "meeting": "会议",
    "incident": "突发事件",
    "info": "信息",
    "info-request": "约稿",
}
_KIND_EN = {
    "doc": "document",
    "meeting": "meeting",
    "incident": "incident",
    "info": "information item",
    "info-request": "commissioned report",
}


def locale_or_default(locale: str | None) -> str:
    return locale or get_settings().locale


def source_name(source: object, locale: str | None = None) -> str:
    """The label of a decision's source kind (`DecisionSource`)."""
    value = str(getattr(source, "value", source))
    return SOURCE_NAMES.get(locale_or_default(locale), SOURCE_NAMES["en"]).get(value, value)


def source_ref_text(session: Session, ref: str | None, locale: str | None = None) -> str:
    """A source reference as a reader knows the thing: free text (a 文号) as it is, a ledger
    reference (``doc:5``) as the document's 文号 and title, a meeting's title, an incident's…"""
    if not ref:
        return ""
    found = _REF.fullmatch(ref)
    if found is None:
        return ref
    zh = locale_or_default(locale) == "zh-CN"
    kind, number, rest = found.group(1), int(found.group(2)), found.group(3) or ""
    model = {
        "doc": Document,
        "meeting": Meeting,
        "incident": Incident,
        "info": InfoItem,
        "info-request": InfoRequest,
    }[kind]
    row = session.get(model, number)
    if row is None:
        return f"{_KIND_ZH[kind]}第{number}号" if zh else f"{_KIND_EN[kind]} no. {number}"
    title = getattr(row, "title", None) or getattr(row, "topic", "")
    quoted = f"《{title}》" if zh else f"“{title}”"
    if kind == "doc":
        return f"{row.number}{quoted}" if row.number else quoted
    if kind == "meeting":
        item = re.fullmatch(r"item:(\d+)", rest)
        if zh:
            return f"{title}纪要" + (f"第{item.group(1)}项" if item else "")
        return f"minutes of {quoted}" + (f", item {item.group(1)}" if item else "")
    if kind == "incident":
        if zh:
            return f"突发事件“{title}”" + ("复盘" if rest == "review" else "")
        return ("review of " if rest == "review" else "") + f"incident {quoted}"
    if zh:
        return f"{_KIND_ZH[kind]}“{title}”"
    return f"{_KIND_EN[kind]} {quoted}"
