"""The pages' words, in zh-CN (the default) and en. A page asks ``t("key")``; the locale comes
from ``?lang=`` (remembered in a cookie), else the ``lang`` cookie, else ``Accept-Language``,
else the office's setting. A missing key falls back to zh-CN, then to the key itself."""

from __future__ import annotations

from fastapi import Request

LOCALES = ("zh-CN", "en")
LANG_COOKIE = "officeflow_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "app.title": "办公室",
        "lang.other": "English",
        "submit": "提交",
        "back": "返回",
        "you": "您好，{name}",
        "error.title": "无法办理",
        "error.tampered": "该链接无效：可能被截断或改动。请使用通知中的原始链接。",
        "error.expired": "该链接已过期。请联系办公室重新发送通知。",
        "error.csrf": "页面已失效（缺少安全校验）。请重新打开通知中的链接再提交，未做任何更改。",
        "error.notfound": "没有找到该页面。",
        "error.unknown_action": "该链接对应的事项无法在网页上办理。",
        "error.input": "填写有误：",
        "error.not_allowed": "无权办理：",
        "error.nothing_changed": "未做任何更改。",
        "error.stale": "该事项在您打开页面后已有变化，或此表单已提交过。"
        "未做任何更改；请核对后重新提交。",
        "done.title": "已办理",
        "declared.done": "已办理：{zh}。",
        "form.one_per_line": "每行填写一项。",
        "done.already": "此事项已经办理过，无需重复操作。",
        "home.title": "办公室网页",
        "home.text": "请通过通知中的链接办理事项。",
        # incidents
        "incident.title": "突发事件 #{id}",
        "incident.grade": "等级",
        "incident.status": "状态",
        "incident.occurred": "发生时间",
        "incident.location": "地点",
        "incident.acknowledged": "已确认",
        "incident.not_acknowledged": "尚无人确认",
        "incident.ack.button": "确认收到",
        "incident.ack.ask": "请确认您已收到该突发事件的预警。确认后停止逐级上报提醒。",
        "incident.ack.done": "已确认收到。逐级上报已停止（{n} 级未再发送）。",
        "incident.ack.already": "您已确认过该事件，无需重复操作。",
        "incident.report.title": "报送登记",
        "incident.report.kind": "类别",
        "incident.report.summary": "报送内容",
        "incident.report.button": "登记报送",
        "incident.report.done": "已登记：{label}",
        "incident.report.late": "（已超时）",
        "incident.timeline": "时间线",
        "incident.nav.file-report": "登记报送（电话报告、初报、续报、终报）",
        "incident.nav.acknowledge": "确认收到",
        "incident.reports": "报送",
        "incident.report.due": "时限",
        "incident.report.filed": "已报送",
        "incident.report.open": "待报送",
        "incident.ladder": "逐级通知",
        "incident.rung": "级次",
        "incident.rung.due": "时限",
        "incident.rung.fired": "发出时间",
        "incident.rung.reached": "送达情况",
        "incident.rung.stopped": "已停止",
        "delivery.delivered": "已送达",
        "delivery.retrying": "待重试",
        "delivery.undeliverable": "无法送达",
        "delivery.retry_at": "将于 {at} 重试",
        "delivery.retry_now": "正在重试",
        "channel.email": "邮件",
        "channel.sms": "短信",
        "channel.dingtalk": "钉钉群",
        "channel.wecom": "企业微信群",
        "channel.feishu": "飞书群",
        "channel.slack": "Slack",
        "channel.webhook": "Webhook",
        "channel.dingtalk_dm": "钉钉",
        "channel.wecom_dm": "企业微信",
        "channel.feishu_dm": "飞书",
        "kind.phone": "电话报告",
        "kind.initial": "初报",
        "kind.follow_up": "续报",
        "kind.final": "终报",
        # assignments
        "assignment.title": "督办事项 #{id}",
        "assignment.task": "任务",
        "assignment.standard": "办结标准",
        "assignment.department": "牵头单位",
        "assignment.owner": "责任人",
        "assignment.due": "时限",
        "assignment.status": "状态",
        "assignment.progress": "进度",
        "assignment.light": "亮灯",
        "assignment.report.title": "反馈进展",
        "assignment.report.progress": "完成百分比（0–100）",
        "assignment.report.note": "进展说明",
        "assignment.report.button": "提交进展",
        "assignment.report.done": "进展已登记：{progress}%",
        "assignment.complete.title": "申请办结",
        "assignment.complete.evidence": "办结依据",
        "assignment.complete.files": "附件",
        "assignment.complete.button": "提交办结申请",
        "assignment.complete.done": "办结申请已提交，等待办公室核验。",
        "assignment.extension.title": "申请延期",
        "assignment.extension.to": "新的时限（工作日）",
        "assignment.extension.reason": "理由",
        "assignment.extension.button": "提交延期申请",
        "assignment.extension.done": "延期申请已提交，等待交办领导审批。",
        "assignment.verify.title": "核验办结",
        "assignment.verify.accept": "核验通过（销号）",
        "assignment.verify.reject": "退回",
        "assignment.verify.comment": "意见（退回时必填）",
        "assignment.verify.done.accept": "已核验通过，事项销号。",
        "assignment.verify.done.reject": "已退回责任单位。",
        "assignment.verify.none": "该事项当前没有待核验的办结申请。",
        "assignment.decide.title": "审批延期",
        "assignment.decide.request": "申请：由 {old} 延至 {new}，理由：{reason}",
        "assignment.decide.approve": "同意延期",
        "assignment.decide.refuse": "不同意",
        "assignment.decide.comment": "意见",
        "assignment.decide.done.approve": "已同意延期。",
        "assignment.decide.done.refuse": "已不同意延期。",
        "assignment.decide.none": "该事项当前没有待审批的延期申请。",
        "assignment.decide.resumed": "已通知等待中的流程继续运行。",
        "assignment.evidence": "办结依据",
        "assignment.files": "附件",
        "assignment.history": "记录",
        "assignment.closed": "该事项已销号，无需再办理。",
        "assignment.complete.already": "办结申请已提交，正在等待办公室核验。",
        "assignment.extension.already": "已有延期申请在等待交办领导审批。",
        "assignment.nav.report-progress": "反馈进展",
        "assignment.nav.request-completion": "申请办结",
        "assignment.nav.request-extension": "申请延期",
        "status.open": "办理中",
        "status.completion_requested": "已申请办结，待核验",
        "status.closed": "已销号",
        "light.green": "绿灯",
        "light.blue": "蓝灯（临近时限）",
        "light.yellow": "黄灯（进度滞后）",
        "light.red": "红灯（逾期）",
        "view.title": "{type} #{id}",
        "view.text": "以下为办理记录。本事项请按通知要求办理；如有疑问请联系办公室。",
        "object.incident": "突发事件",
        "object.assignment": "督办事项",
        "object.meeting": "会议",
        "object.document": "公文",
        "object.duty": "值班",
        "object.info_item": "信息",
        "ev.incident.reported": "事件登记",
        "ev.incident.notified": "发出预警",
        "ev.incident.escalated": "升级通知",
        "istatus.open": "处置中",
        "istatus.closed": "已结束",
        "actor.system": "系统",
        "via.web": "网页",
        "via.cli": "命令行",
        "via.prefect-ui": "管理界面",
        "ev.incident.acknowledged": "确认收到",
        "ev.incident.report_filed": "登记报送",
        "ev.incident.report_reminder": "报送提醒",
        "ev.incident.report_overdue": "报送超时",
        "ev.incident.closed": "处置结束",
        "ev.incident.grade_set_by_hand": "人工定级",
        "ev.incident.review_requested": "要求复盘",
        "ev.assignment.issued": "交办",
        "ev.assignment.progress": "反馈进展",
        "ev.assignment.completion_requested": "申请办结",
        "ev.assignment.completion_rejected": "退回",
        "ev.assignment.closed": "核验销号",
        "ev.assignment.extension_requested": "申请延期",
        "ev.assignment.extension_approved": "同意延期",
        "ev.assignment.extension_refused": "不同意延期",
        "event.at": "时间",
        "event.actor": "办理人",
        "event.action": "事项",
        "event.via": "渠道",
    },
    "en": {
        "app.title": "General Office",
        "lang.other": "中文",
        "submit": "Submit",
        "back": "Back",
        "you": "Hello, {name}",
        "error.title": "This cannot be done",
        "error.tampered": "This link is not valid: it may have been cut or changed. Use the "
        "link in the notice as it came.",
        "error.expired": "This link has expired. Ask the office to send the notice again.",
        "error.csrf": "This page has expired (its security check is missing). Open the link "
        "in the notice again and resubmit; nothing was changed.",
        "error.notfound": "There is no such page.",
        "error.unknown_action": "What this link asks for cannot be done on the web pages.",
        "error.input": "Please correct: ",
        "error.not_allowed": "Not allowed: ",
        "error.nothing_changed": "Nothing was changed.",
        "error.stale": "This item changed after you opened the page, or this form was already "
        "sent. Nothing was changed; check it and submit again.",
        "done.title": "Done",
        "declared.done": "Done: {en}.",
        "form.one_per_line": "One item a line.",
        "done.already": "This was already done; there is nothing more to do.",
        "home.title": "Office web pages",
        "home.text": "Open the link in a notice to act on it.",
        "incident.title": "Incident #{id}",
        "incident.grade": "Grade",
        "incident.status": "Status",
        "incident.occurred": "Occurred",
        "incident.location": "Location",
        "incident.acknowledged": "Acknowledged",
        "incident.not_acknowledged": "Not yet acknowledged",
        "incident.ack.button": "Acknowledge",
        "incident.ack.ask": "Confirm that you received this incident alert. This stops the "
        "escalation ladder.",
        "incident.ack.done": "Acknowledged. Escalation stopped ({n} rungs not sent).",
        "incident.ack.already": "You had already acknowledged this incident.",
        "incident.report.title": "Record a report",
        "incident.report.kind": "Kind",
        "incident.report.summary": "What was reported",
        "incident.report.button": "Record the report",
        "incident.report.done": "Recorded: {label}",
        "incident.report.late": " (late)",
        "incident.timeline": "Timeline",
        "incident.nav.file-report": "Record a report (phone, initial, follow-up, final)",
        "incident.nav.acknowledge": "Acknowledge",
        "incident.reports": "Reports",
        "incident.report.due": "Due",
        "incident.report.filed": "Filed",
        "incident.report.open": "open",
        "incident.ladder": "Escalation ladder",
        "incident.rung": "Rung",
        "incident.rung.due": "Due",
        "incident.rung.fired": "Fired",
        "incident.rung.reached": "Delivery",
        "incident.rung.stopped": "stopped",
        "delivery.delivered": "delivered",
        "delivery.retrying": "retrying",
        "delivery.undeliverable": "undeliverable",
        "delivery.retry_at": "retrying at {at}",
        "delivery.retry_now": "retrying now",
        "channel.email": "email",
        "channel.sms": "SMS",
        "channel.dingtalk": "DingTalk group",
        "channel.wecom": "WeCom group",
        "channel.feishu": "Feishu group",
        "channel.slack": "Slack",
        "channel.webhook": "webhook",
        "channel.dingtalk_dm": "DingTalk",
        "channel.wecom_dm": "WeCom",
        "channel.feishu_dm": "Feishu",
        "kind.phone": "Phone report",
        "kind.initial": "Initial report (初报)",
        "kind.follow_up": "Follow-up (续报)",
        "kind.final": "Final report (终报)",
        "assignment.title": "Assignment #{id}",
        "assignment.task": "Task",
        "assignment.standard": "Standard",
        "assignment.department": "Lead department",
        "assignment.owner": "Owner",
        "assignment.due": "Due",
        "assignment.status": "Status",
        "assignment.progress": "Progress",
        "assignment.light": "Light",
        "assignment.report.title": "Report progress",
        "assignment.report.progress": "Percent done (0–100)",
        "assignment.report.note": "What was done",
        "assignment.report.button": "Report",
        "assignment.report.done": "Progress recorded: {progress}%",
        "assignment.complete.title": "Request completion",
        "assignment.complete.evidence": "Evidence",
        "assignment.complete.files": "Attachments",
        "assignment.complete.button": "Request completion",
        "assignment.complete.done": "Completion requested; the office will verify it.",
        "assignment.extension.title": "Request an extension",
        "assignment.extension.to": "New deadline (a working day)",
        "assignment.extension.reason": "Reason",
        "assignment.extension.button": "Request the extension",
        "assignment.extension.done": "Extension requested; the issuing leader decides.",
        "assignment.verify.title": "Verify completion",
        "assignment.verify.accept": "Accept (close)",
        "assignment.verify.reject": "Send back",
        "assignment.verify.comment": "Comment (needed to send it back)",
        "assignment.verify.done.accept": "Verified: the assignment is closed.",
        "assignment.verify.done.reject": "Sent back to the lead department.",
        "assignment.verify.none": "There is no completion request awaiting verification.",
        "assignment.decide.title": "Decide the extension",
        "assignment.decide.request": "Requested: from {old} to {new}. Reason: {reason}",
        "assignment.decide.approve": "Approve",
        "assignment.decide.refuse": "Refuse",
        "assignment.decide.comment": "Comment",
        "assignment.decide.done.approve": "Extension approved.",
        "assignment.decide.done.refuse": "Extension refused.",
        "assignment.decide.none": "There is no extension request awaiting a decision.",
        "assignment.decide.resumed": "The waiting workflow run was resumed.",
        "assignment.evidence": "Evidence",
        "assignment.files": "Attachments",
        "assignment.history": "History",
        "assignment.closed": "This assignment is closed; there is nothing more to do.",
        "assignment.complete.already": "Completion was requested; the office is verifying it.",
        "assignment.extension.already": "An extension request awaits the issuing leader.",
        "assignment.nav.report-progress": "Report progress",
        "assignment.nav.request-completion": "Request completion",
        "assignment.nav.request-extension": "Request an extension",
        "status.open": "open",
        "status.completion_requested": "completion requested, awaiting verification",
        "status.closed": "closed",
        "light.green": "green",
        "light.blue": "blue (deadline near)",
        "light.yellow": "yellow (behind plan)",
        "light.red": "red (overdue)",
        "view.title": "{type} #{id}",
        "view.text": "The record so far. Act as the notice asks; ask the office if in doubt.",
        "object.incident": "Incident",
        "object.assignment": "Assignment",
        "object.meeting": "Meeting",
        "object.document": "Document",
        "object.duty": "Duty",
        "object.info_item": "Information",
        "ev.incident.reported": "recorded",
        "ev.incident.notified": "alert sent",
        "ev.incident.escalated": "escalated",
        "istatus.open": "open",
        "istatus.closed": "closed",
        "actor.system": "system",
        "via.web": "web",
        "via.cli": "CLI",
        "via.prefect-ui": "admin UI",
        "ev.incident.acknowledged": "acknowledged",
        "ev.incident.report_filed": "report recorded",
        "ev.incident.report_reminder": "report reminder",
        "ev.incident.report_overdue": "report overdue",
        "ev.incident.closed": "closed",
        "ev.incident.grade_set_by_hand": "grade set by hand",
        "ev.incident.review_requested": "review requested",
        "ev.assignment.issued": "issued",
        "ev.assignment.progress": "progress",
        "ev.assignment.completion_requested": "completion requested",
        "ev.assignment.completion_rejected": "sent back",
        "ev.assignment.closed": "verified and closed",
        "ev.assignment.extension_requested": "extension requested",
        "ev.assignment.extension_approved": "extension approved",
        "ev.assignment.extension_refused": "extension refused",
        "event.at": "At",
        "event.actor": "By",
        "event.action": "Action",
        "event.via": "Via",
    },
}


def locale_of(request: Request, default: str = "zh-CN") -> str:
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LOCALES:
            return candidate
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default if default in LOCALES else "zh-CN"


def declared_words(locale: str) -> dict[str, str]:
    """The words the processes declare (`officeflow.actions.Process.words`), with their objects'
    names (``object.<name>``) and the verbs (``verb.<verb>``): a new process brings its own."""
    cached = _declared.get(locale)
    if cached is not None:
        return cached
    from officeflow import actions

    zh = locale == "zh-CN"
    words = {
        f"verb.{v}": (w[0] if zh else w[1].capitalize()) for v, w in actions.VOCABULARY.items()
    }
    for process in actions.processes():
        for obj in process.objects:
            words[f"object.{obj.name}"] = obj.zh if zh else obj.en.capitalize()
        words.update(process.words.get(locale, {}))
    _declared[locale] = words
    return words


_declared: dict[str, dict[str, str]] = {}


def _lookup(locale: str, key: str) -> str | None:
    return (
        MESSAGES.get(locale, {}).get(key)
        or declared_words(locale).get(key)
        or MESSAGES["zh-CN"].get(key)
        or declared_words("zh-CN").get(key)
    )


def event_label(locale: str, action: str) -> str:
    """An event's action in words (``incident.acknowledged`` → 确认收到), else the action."""
    return (
        MESSAGES.get(locale, {}).get(f"ev.{action}")
        or declared_words(locale).get(f"ev.{action}")
        or action
    )


# An event's details (`officeflow.web.views.DETAIL_KEYS`), in words: the label, then how a value
# is said (``{v}``).
DETAIL_WORDS = {
    "zh-CN": {
        "report": ("报送", "{v}"),
        "progress": ("进度", "{v}%"),
        "note": ("说明", "{v}"),
        "comment": ("意见", "{v}"),
        "reason": ("理由", "{v}"),
        "summary": ("内容", "{v}"),
        "new_due_date": ("延至", "{v}"),
        "rung": ("级次", "{v}"),
    },
    "en": {
        "report": ("report", "{v}"),
        "progress": ("progress", "{v}%"),
        "note": ("note", "{v}"),
        "comment": ("comment", "{v}"),
        "reason": ("reason", "{v}"),
        "summary": ("summary", "{v}"),
        "new_due_date": ("new deadline", "{v}"),
        "rung": ("rung", "{v}"),
    },
}


def event_detail(locale: str, detail: tuple[tuple[str, object], ...]) -> str:
    """An event's details (key, value) as one line in ``locale``: 进度：40%；说明：初稿完成."""
    words = DETAIL_WORDS.get(locale, DETAIL_WORDS["zh-CN"])
    zh = locale == "zh-CN"
    parts = []
    for key, value in detail:
        label, how = words.get(key, (key, "{v}"))
        if key == "report" and isinstance(value, str):
            value = (
                translate(locale, f"kind.{value}") if _lookup(locale, f"kind.{value}") else value
            )
        parts.append(f"{label}：{how.format(v=value)}" if zh else f"{label}: {how.format(v=value)}")
    return ("；" if zh else "; ").join(parts)


def translate(locale: str, key: str, **values: object) -> str:
    text = _lookup(locale, key) or key
    return text.format(**values) if values else text
