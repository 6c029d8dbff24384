"""Direct messages on DingTalk (工作通知), WeCom (应用消息) and Feishu (im/v1), through
`officeflow.delivery` (plan_notice + send_pending) against a local emulator of the three APIs
(tests/platform_apis.py): each personal notice reaches one user id, with an app token fetched
once and then cached; a refused token is refreshed once; a vendor error is a failed delivery
naming the person and the vendor's message, never a secret. Broadcasts (the bulletin) go to
each group robot once, @-mentioning everyone."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.ledger import Delivery, DeliveryStatus
from models.org import Channel, ContactPoint
from officeflow import clock, db, direct_messages
from officeflow.delivery import plan_notice, send_pending
from officeflow.inputs import InputError
from officeflow.org import load_org, parse_org_file
from officeflow.web import tokens as web_tokens
from tests.chat_hosts import service_of
from tests.conftest import org_data, write_yaml
from tests.notice_helpers import plan_demo
from tests.platform_apis import APPS, PlatformEmulator
from tests.test_secrets import ledger_dump

DM = (Channel.DINGTALK_DM, Channel.WECOM_DM, Channel.FEISHU_DM)
ROBOT_SECRETS = {
    "dingtalk_token": "dtkRobotToken0123456789abcdef",
    "wecom_key": "wecom-robot-key-3f9a1c",
    "feishu_token": "feishu-robot-hook-8b2d4e",
}
MOBILES = {"p0-0": "13800000000", "p0-1": "13800000001", "p0-2": "13800000002"}


def ids(n: int) -> dict[str, str]:
    return {
        "dingtalk_dm": f"ding-u-0{n}",
        "wecom_dm": f"WeComUser0{n}",
        "feishu_dm": f"ou_0{n}aa",
    }


def office_org(tmp_path: Path) -> dict[str, Any]:
    """p0-0 and p0-1 have a direct-message id on each platform and a robot id; p0-2 only a
    robot id."""
    data = org_data(departments=1, people_per_department=3)
    for person in data["people"]:
        if person["id"] in MOBILES:
            n = int(person["id"][-1])
            person["chat"] = {
                "dingtalk": MOBILES[person["id"]],
                "wecom": f"WeComUser0{n}",
                "feishu": f"ou_0{n}aa",
                **(ids(n) if n < 2 else {}),
            }
    with db.session_scope() as s:
        load_org(s, parse_org_file(write_yaml(tmp_path / "org.yaml", data)))
    return data


@pytest.fixture
def platforms(office_env: Any) -> Iterator[PlatformEmulator]:
    emulator = PlatformEmulator().start()
    office_env.set(
        dingtalk_app_key=APPS["dingtalk"][0],
        dingtalk_app_secret=APPS["dingtalk"][1],
        dingtalk_agent_id="300000001",
        dingtalk_api_base=emulator.base,
        wecom_corp_id=APPS["wecom"][0],
        wecom_corp_secret=APPS["wecom"][1],
        wecom_agent_id="1000002",
        wecom_api_base=emulator.base,
        feishu_app_id=APPS["feishu"][0],
        feishu_app_secret=APPS["feishu"][1],
        feishu_api_base=emulator.base,
        **ROBOT_SECRETS,
    )
    clock.set_now("2026-09-21T10:00:00+08:00")
    try:
        yield emulator
    finally:
        emulator.stop()
        direct_messages.forget_tokens()


def plan(key: str, recipients: list[str], message: str = "请于周五前报送进展。") -> str:
    return plan_demo(key, recipients, title="督办提醒", message=message).key


def rows() -> list[Delivery]:
    with db.session_scope() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)))


def test_personal_notices_reach_each_user_id_by_direct_message_with_one_token_fetch(
    ledger: Any, tmp_path: Path, platforms: PlatformEmulator, chat_hosts: Any
) -> None:
    office_org(tmp_path)
    keys = [
        plan("demo:1", ["p0-0", "p0-1"]),
        plan("demo:2", ["p0-0", "p0-1"], "详见 https://office.example.org/a/42 ，请及时办理。"),
    ]
    report = send_pending(keys)
    assert (report.sent, report.failed) == (12, 0), report.errors

    # One token per platform, fetched once, for four messages sent by concurrent threads.
    assert platforms.token_fetches == Counter(dingtalk=1, wecom=1, feishu=1)
    for platform in ("dingtalk", "wecom", "feishu"):
        assert len({s["token"] for s in platforms.to(platform)}) == 1

    ding = platforms.to("dingtalk")
    assert sorted(s["body"]["userid_list"] for s in ding) == ["ding-u-00"] * 2 + ["ding-u-01"] * 2
    assert {s["body"]["agent_id"] for s in ding} == {300000001}
    kinds = Counter(s["body"]["msg"]["msgtype"] for s in ding)
    # A URL in the text is not a button (issue 30): only a notice's signed link makes a card.
    assert kinds == Counter(markdown=4)
    for s in ding:
        msg = s["body"]["msg"]
        text = msg["markdown"]["text"] if "markdown" in msg else msg["action_card"]["markdown"]
        name = "Person 0-0" if s["body"]["userid_list"] == "ding-u-00" else "Person 0-1"
        assert f"{name}，您好" in text and "督办提醒" in text
        assert ("Person 0-1" if name == "Person 0-0" else "Person 0-0") not in text
        assert "](" not in text  # and not a link either

    wecom = platforms.to("wecom")
    assert sorted(s["body"]["touser"] for s in wecom) == ["WeComUser00"] * 2 + ["WeComUser01"] * 2
    assert {(s["body"]["agentid"], s["body"]["msgtype"]) for s in wecom} == {(1000002, "markdown")}
    assert all("督办提醒" in s["body"]["markdown"]["content"] for s in wecom)

    feishu = platforms.to("feishu")
    assert {s["query"]["receive_id_type"] for s in feishu} == {"open_id"}
    assert sorted(s["body"]["receive_id"] for s in feishu) == ["ou_00aa"] * 2 + ["ou_01aa"] * 2
    by_type = Counter(s["body"]["msg_type"] for s in feishu)
    assert by_type == Counter(post=4)
    for s in feishu:
        content = json.loads(s["body"]["content"])  # the API takes content as a JSON string
        assert content["zh_cn"]["title"].endswith("督办提醒")

    # The group robots (configured too) got nothing: a personal notice is not a group post.
    assert chat_hosts.received == []
    delivered = rows()
    assert Counter(d.channel for d in delivered) == Counter({c: 4 for c in DM})
    assert all(d.status == DeliveryStatus.SENT and d.attempts == 1 for d in delivered)
    assert {d.address for d in delivered if d.person_id == "p0-0"} == set(ids(0).values())

    # Re-running sends nothing more.
    assert send_pending(keys).sent == 0
    assert len(platforms.sends) == 12


def test_a_refused_token_is_refreshed_once_and_an_expired_one_is_not_used(
    ledger: Any, tmp_path: Path, platforms: PlatformEmulator, chat_hosts: Any
) -> None:
    office_org(tmp_path)
    assert send_pending([plan("demo:1", ["p0-0"])]).sent == 3
    assert platforms.token_fetches == Counter(dingtalk=1, wecom=1, feishu=1)

    platforms.revoke()  # the platforms forget every token (as after a secret reset)
    report = send_pending([plan("demo:2", ["p0-0"])])
    assert (report.sent, report.failed) == (3, 0), report.errors
    # Each platform refused the old token once (DingTalk 40014, WeCom 42001, Feishu 99991663);
    # the sender fetched a new one and sent again within the same attempt.
    assert platforms.refused == Counter(dingtalk=1, wecom=1, feishu=1)
    assert platforms.token_fetches == Counter(dingtalk=2, wecom=2, feishu=2)
    assert all(d.attempts == 1 for d in rows())

    # Two hours later the cached token has expired: a new one is fetched before sending.
    clock.set_now("2026-09-21T12:00:00+08:00")
    assert send_pending([plan("demo:3", ["p0-0"])]).sent == 3
    assert platforms.refused == Counter(dingtalk=1, wecom=1, feishu=1)
    assert platforms.token_fetches == Counter(dingtalk=3, wecom=3, feishu=3)
    assert len(platforms.sends) == 9


def test_a_vendor_error_is_a_failed_delivery_naming_the_person_and_no_secret(
    ledger: Any,
    tmp_path: Path,
    platforms: PlatformEmulator,
    office_env: Any,
    caplog: Any,
    capfd: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    office_env.set(delivery_attempts=1)
    office_org(tmp_path)
    platforms.fail["dingtalk"] = (33012, "无效的USERID")
    platforms.unreachable.add("WeComUser00")
    platforms.fail["feishu"] = (230013, "Bot has NO availability to this user.")
    report = send_pending([plan("demo:1", ["p0-0"])])
    assert (report.sent, report.failed) == (0, 3)

    errors = {d.channel: d.last_error or "" for d in rows()}
    assert all(d.status == DeliveryStatus.FAILED for d in rows())
    assert "ding-u-00" in errors[Channel.DINGTALK_DM]
    assert "33012" in errors[Channel.DINGTALK_DM] and "无效的USERID" in errors[Channel.DINGTALK_DM]
    assert "'WeComUser00' was not reached (invaliduser" in errors[Channel.WECOM_DM]
    assert "230013" in errors[Channel.FEISHU_DM]
    assert "Bot has NO availability to this user." in errors[Channel.FEISHU_DM]

    # Wrong app credentials: the token request fails, with the vendor's words only.
    office_env.set(wecom_corp_secret="WeComCorpSecret-WRONG-77")
    direct_messages.forget_tokens()
    send_pending([plan("demo:2", ["p0-1"])])
    wrong = [d for d in rows() if d.notice_key == "demo:2" and d.channel == Channel.WECOM_DM]
    assert "gettoken errcode 40001: invalid credential" in (wrong[0].last_error or "")

    secrets = [*(secret for _, secret in APPS.values()), "WeComCorpSecret-WRONG-77"]
    tokens = direct_messages.live_tokens()
    assert tokens  # tokens were fetched, so looking for them below means something
    captured = capfd.readouterr()
    haystacks = {
        "errors": "\n".join(errors.values()) + (wrong[0].last_error or ""),
        "report": "\n".join(report.errors),
        "logs": caplog.text,
        "output": captured.out + captured.err,
        "ledger": ledger_dump(),
    }
    assert "ding-u-00" in haystacks["ledger"]
    for where, text in haystacks.items():
        for secret in [*secrets, *tokens]:
            assert secret not in text, (where, secret[:6])


def test_a_broadcast_is_one_post_per_group_robot_mentioning_everyone(
    ledger: Any, tmp_path: Path, platforms: PlatformEmulator, chat_hosts: Any
) -> None:
    office_org(tmp_path)
    start = clock.now() - dt.timedelta(days=7)
    everyone = ["p0-0", "p0-1", "p0-2"]
    with db.session_scope() as s:
        planned = plan_notice(
            s,
            key="bulletin:demo",
            template="supervision_bulletin",
            object_type="bulletin",
            object_id="demo",
            recipients=everyone,
            context={
                "bulletin": "| 部门 | 逾期 |\n| --- | --- |\n| 一处 | 2 |",
                "start": start,
                "end": clock.now(),
            },
        )
    assert planned.reserved == 3 and planned.unreachable == []
    report = send_pending([planned.key])
    assert (report.sent, report.failed) == (3, 0), report.errors
    assert platforms.sends == []  # no direct message for a broadcast

    posts = {service_of(p["path"]): p["body"] for p in chat_hosts.posts}
    assert sorted(posts) == ["dingtalk", "feishu", "wecom"] and len(chat_hosts.posts) == 3
    assert posts["dingtalk"]["at"]["atMobiles"] == list(MOBILES.values())
    assert all(f"@{m}" in posts["dingtalk"]["text"]["content"] for m in MOBILES.values())
    wecom = posts["wecom"]["text"]
    assert wecom["mentioned_list"] == ["WeComUser00", "WeComUser01", "WeComUser02"]
    feishu = posts["feishu"]["content"]["text"]
    assert all(f'<at user_id="ou_0{n}aa"></at>' in feishu for n in range(3))
    for body in (posts["dingtalk"]["text"]["content"], wecom["content"], feishu):
        assert "Person 0-0、Person 0-1、Person 0-2，您好" in body
        assert "| 一处 | 2 |" in body

    robot_rows = rows()
    assert [(d.channel, d.person_id) for d in robot_rows] == [
        (Channel.DINGTALK, "p0-0"),
        (Channel.FEISHU, "p0-0"),
        (Channel.WECOM, "p0-0"),
    ]
    assert robot_rows[2].address == "WeComUser00,WeComUser01,WeComUser02"

    # Planned again (a re-run): nothing new, nothing sent twice.
    with db.session_scope() as s:
        again = plan_notice(
            s,
            key="bulletin:demo",
            template="supervision_bulletin",
            object_type="bulletin",
            object_id="demo",
            recipients=everyone,
            context={"bulletin": "x", "start": start, "end": clock.now()},
        )
    assert again.reserved == 0 and send_pending([planned.key]).sent == 0

    # A personal notice to someone with no direct-message id: the robots, mentioning them only.
    assert send_pending([plan("demo:9", ["p0-2"])]).sent == 3
    latest = {service_of(p["path"]): p["body"] for p in chat_hosts.posts[3:]}
    assert latest["wecom"]["text"]["mentioned_list"] == ["WeComUser02"]
    assert latest["dingtalk"]["at"]["atMobiles"] == ["13800000002"]
    assert latest["feishu"]["content"]["text"].endswith('\n\n<at user_id="ou_02aa"></at>')
    assert platforms.sends == []


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_org_file_direct_message_ids_are_contact_points_without_a_migration(
    ledger: Any, tmp_path: Path, backend: str
) -> None:
    office_org(tmp_path)  # the new channel values fit the existing VARCHAR(32) enum columns
    with db.session_scope() as s:
        points = {
            (c.person_id, c.channel): c.address
            for c in s.scalars(select(ContactPoint).where(ContactPoint.channel.in_(DM)))
        }
    assert points == {
        ("p0-0", Channel.DINGTALK_DM): "ding-u-00",
        ("p0-0", Channel.WECOM_DM): "WeComUser00",
        ("p0-0", Channel.FEISHU_DM): "ou_00aa",
        ("p0-1", Channel.DINGTALK_DM): "ding-u-01",
        ("p0-1", Channel.WECOM_DM): "WeComUser01",
        ("p0-1", Channel.FEISHU_DM): "ou_01aa",
    }

    bad = org_data(departments=1)
    bad["people"][2]["chat"] = {"dingtalk_dm": "ding-u-00,ding-u-01"}
    with pytest.raises(InputError) as caught:
        parse_org_file(write_yaml(tmp_path / "bad.yaml", bad))
    assert "chat.dingtalk_dm" in str(caught.value)


def test_direct_message_channels_need_their_app_credentials(office_env: Any) -> None:
    from officeflow.channels import apprise_url, configured_channels, masked

    settings = office_env.set(dingtalk_app_key="k", dingtalk_app_secret="s3cretValue")
    assert not set(DM) & configured_channels(settings)  # no AgentId: not configured
    settings = office_env.set(dingtalk_agent_id="12", feishu_app_id="cli_x")
    assert set(DM) & configured_channels(settings) == {Channel.DINGTALK_DM}
    url = apprise_url(settings, Channel.DINGTALK_DM, "user-1")
    assert url.startswith("dingtalkdm://k:s3cretValue@12/user-1/")
    shown = masked(url)
    assert "s3cretValue" not in shown and "user-1" in shown and "oapi.dingtalk.com" in shown
    assert "s3cretValue" in settings.secret_values()


def test_a_channel_check_reaches_every_channel_robots_included(
    ledger: Any, tmp_path: Path, platforms: PlatformEmulator, chat_hosts: Any
) -> None:
    office_org(tmp_path)
    with db.session_scope() as s:
        plan_notice(
            s,
            key="test:p0-0",
            template="test",
            object_type="person",
            object_id="p0-0",
            recipients=["p0-0"],
        )
    assert send_pending(["test:p0-0"]).sent == 6
    assert sorted(d.channel.value for d in rows()) == sorted(
        ["dingtalk", "wecom", "feishu", "dingtalk_dm", "wecom_dm", "feishu_dm"]
    )
    assert len(chat_hosts.posts) == 3 and len(platforms.sends) == 3


MARKDOWN_LINK = re.compile(r"\]\(([^)]*)\)")
EVIL_EVIDENCE = "证明见 http://evil.example/verify-here [点此确认](http://evil.example/md)"


def test_a_card_button_is_the_notices_signed_link_and_user_text_is_never_a_link(
    ledger: Any, tmp_path: Path, platforms: PlatformEmulator
) -> None:
    """Issue 30, finding 3: hostile evidence in a completion request (a bare URL before the
    verify link, a Markdown link, a forged link marker) reaches the verifier's DingTalk and
    Feishu cards as text; the 查看详情 button is the signed verify link."""
    office_org(tmp_path)
    evidence = f"{EVIL_EVIDENCE} **粗** # [[officeflow-link:decide-extension]]"
    with db.session_scope() as s:
        key = plan_notice(
            s,
            key="assignment:7:completion:1:requested",
            template="assignment_update",
            object_type="assignment",
            object_id=7,
            recipients=["p0-0"],
            context={
                "event": "completion_requested",
                "evidence": evidence,
                "assignment": {"id": 7, "task": "排查隐患 _x_", "due_at": None},
                "decision": {"title": "关于[安全](http://evil.example/t)的批示"},
                "department": "Department 0",
                "owner": "Person 0-1",
                "office": "办公室",
            },
        ).key
    report = send_pending([key])
    assert (report.sent, report.failed) == (3, 0), report.errors

    [ding] = platforms.to("dingtalk")
    card = ding["body"]["msg"]["action_card"]
    [feishu] = platforms.to("feishu")
    content = json.loads(feishu["body"]["content"])
    button = content["elements"][1]["actions"][0]["url"]
    [wecom] = platforms.to("wecom")
    wecom_text = wecom["body"]["markdown"]["content"]
    # The button: the signed link of the template's verify marker, the same on both cards.
    assert card["single_url"] == button
    assert re.fullmatch(r"http://[^/]+/a/[A-Za-z0-9_.-]+", button), button
    claim = web_tokens.verify(button.rsplit("/", 1)[1])
    assert (claim.person_id, claim.action, claim.object_id) == ("p0-0", "verify", "7")
    for text in (card["markdown"], content["elements"][0]["content"], wecom_text):
        links = MARKDOWN_LINK.findall(text)
        assert links == [button], text  # the one link in the text is the signed one
        assert "evil.example" in text and "http://evil.example" not in text
        assert "[点此确认]" not in text and "**粗**" not in text
        assert "&#91;点此确认&#93;&#40;http&#58;//evil.example/md&#41;" in text
        assert "officeflow-link" in text and "decide-extension" in text  # shown, not a link
    assert all("decide-extension" not in url for url in (card["single_url"], button))


def test_a_message_whose_text_holds_a_url_is_not_a_card(
    ledger: Any, tmp_path: Path, platforms: PlatformEmulator
) -> None:
    """No marker, no button: a URL in the text does not make a card (it used to be its button)."""
    office_org(tmp_path)
    report = send_pending([plan("demo:evil", ["p0-0"], f"请核验。{EVIL_EVIDENCE}")])
    assert report.sent == 3, report.errors
    [ding] = platforms.to("dingtalk")
    assert ding["body"]["msg"]["msgtype"] == "markdown"
    assert MARKDOWN_LINK.findall(ding["body"]["msg"]["markdown"]["text"]) == []
    [feishu] = platforms.to("feishu")
    assert feishu["body"]["msg_type"] == "post"  # plain text elements, no button
