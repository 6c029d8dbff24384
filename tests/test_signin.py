"""One-time sign-in links: asked for by id or email, sent through the delivery ledger, used
once, expired after 15 minutes; how many are sent is limited per person and per client address,
silently (the answer never says so: tests/test_web_doors.py)."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest
from sqlalchemy import func, select

from models.ledger import Delivery, Event
from models.signin import SigninLink
from officeflow import clock, db, signin
from officeflow.delivery import send_pending
from officeflow.inputs import InputError
from officeflow.mailcatcher import MailCatcher

TZ = "Asia/Shanghai"


def at(text: str) -> None:
    clock.set_now(pendulum.parse(text, tz=TZ))


def ask(who: str, ip: str | None = "203.0.113.7") -> signin.SigninRequest:
    with db.session_scope() as s:
        return signin.request_link(s, who=who, client_ip=ip)


def use(link_id: int, person: str) -> str:
    with db.session_scope() as s:
        return signin.consume(s, link_id=link_id, person_id=person)


@pytest.fixture
def office(org: Any, mail_office: MailCatcher) -> MailCatcher:
    at("2026-09-28T10:00:00")
    return mail_office


def test_a_link_is_sent_and_works_once(office: MailCatcher) -> None:
    req = ask("Zhang.Wei@example.gov.cn")  # an email address, any case
    assert req.person_id == "zhang.wei" and req.notice_key == f"signin:zhang.wei:{req.link_id}"
    with db.session_scope() as s:  # email and WeCom: every channel of the person
        channels = set(
            s.scalars(select(Delivery.channel).where(Delivery.notice_key == req.notice_key))
        )
        assert {c.value for c in channels} >= {"email"}
        bodies = s.scalars(select(Delivery.body).where(Delivery.notice_key == req.notice_key)).all()
        assert all("[[officeflow-link:sign-in]]" in b for b in bodies)  # a marker, no token
    at("2026-09-28T10:14:00")
    assert use(req.link_id, "zhang.wei") == "zhang.wei"
    with pytest.raises(signin.SigninRefused, match="already used") as refused:
        use(req.link_id, "zhang.wei")
    assert refused.value.status == 410
    with db.session_scope() as s:
        actions = s.scalars(select(Event.action).where(Event.object_type == "signin")).all()
        assert actions == ["signin.requested", "signin.used"]


def test_an_expired_or_foreign_link_is_refused(office: MailCatcher) -> None:
    req = ask("zhang.wei")
    with pytest.raises(signin.SigninRefused, match="not valid"):
        use(req.link_id, "lin.tao")
    at("2026-09-28T10:15:01")
    with pytest.raises(signin.SigninRefused, match="expired at 2026-09-28 10:15"):
        use(req.link_id, "zhang.wei")
    with db.session_scope() as s:
        assert s.get(SigninLink, req.link_id).used_at is None


def test_the_fourth_request_in_15_minutes_sends_nothing_and_says_nothing(
    office: MailCatcher,
) -> None:
    for minute in ("00", "05", "10"):
        at(f"2026-09-28T10:{minute}:00")
        ask("zhang.wei", ip=f"198.51.100.{minute}")
    at("2026-09-28T10:12:00")
    capped = ask("zhang.wei@example.gov.cn", ip="198.51.100.99")
    assert (capped.person_id, capped.notice_key, capped.limited) == (None, None, "person")
    at("2026-09-28T10:15:01")  # the first one left the window
    assert ask("zhang.wei").person_id == "zhang.wei"
    with db.session_scope() as s:
        rows = s.scalars(select(SigninLink.person_id).order_by(SigninLink.id)).all()
        assert rows == ["zhang.wei"] * 3 + [None, "zhang.wei"]  # the capped one: the client's
        sent = s.scalars(select(Event.action).where(Event.action == "signin.requested")).all()
        assert len(sent) == 4  # the capped request left no event: nothing was asked of anyone


def test_per_client_limit_counts_unknown_addresses_and_says_nothing_about_them(
    office: MailCatcher, office_env: Any
) -> None:
    office_env.set(signin_per_client=3)
    for _ in range(3):
        req = ask("nobody@example.org", ip="192.0.2.1")
        assert req.person_id is None and req.notice_key is None and req.limited is None
    capped = ask("zhang.wei", ip="192.0.2.1")
    assert (capped.link_id, capped.person_id, capped.limited) == (None, None, "client")
    assert ask("zhang.wei", ip="192.0.2.2").person_id == "zhang.wei"
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(SigninLink)) == 4
        assert s.scalar(select(func.count()).select_from(Delivery)) > 0
        assert not s.scalars(select(Delivery).where(Delivery.address == "nobody@example.org")).all()


def test_an_empty_request_names_the_field(office: MailCatcher) -> None:
    with pytest.raises(InputError, match="who: enter your person id or email address"):
        ask("  ")


def test_the_mail_carries_the_link(office: MailCatcher, monkeypatch: pytest.MonkeyPatch) -> None:
    from officeflow import links

    monkeypatch.setattr(  # the sender mints every link of a run through one Linker
        links.Linker,
        "url",
        lambda self, target, action: f"https://office.test/a/{action}/{target.object_id}",
    )
    req = ask("lin.tao")
    send_pending([req.notice_key])
    [mail] = office.to("lin.tao@example.gov.cn")
    assert f"https://office.test/a/sign-in/{req.link_id}" in mail.text()
    assert "15 分钟内有效" in mail.text()


# --- the pages ------------------------------------------------------------------------------


def test_sign_in_through_the_pages(office: MailCatcher) -> None:
    from tests.web2_helpers import client, hidden, link_in, submit

    c = client()
    assert c.get("/me").headers["location"] == "/signin?next=/me"
    sent = submit(c, "/signin", {"who": "zhang.wei@example.gov.cn"})
    assert sent.status_code == 200 and "登录链接已发送" in sent.text
    [mail] = office.to("zhang.wei@example.gov.cn")
    path = link_in(mail.text())

    # Opening the link (as a mail gateway's preview would) uses nothing up.
    page = c.get(path)
    assert page.status_code == 200 and "张伟，请点击下方按钮登录" in page.text
    with db.session_scope() as s:
        assert s.scalar(select(SigninLink.used_at)) is None
    form = hidden(page.text)
    assert set(form) == {"csrf_token", "token", "next"}

    done = c.post("/signin/use", data=form)
    assert done.status_code == 303 and done.headers["location"] == "/me"
    cookie = done.headers["set-cookie"]
    assert "officeflow_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = c.get("/me")
    assert me.status_code == 200 and "我的工作 · 张伟" in me.text

    # The same link again (a second click, or a replay): refused, no new session.
    other = client()
    again = other.post("/signin/use", data={**form, "csrf_token": other_csrf(other)})
    assert again.status_code == 410 and "already used" in again.text
    assert "officeflow_session" not in again.headers.get("set-cookie", "")
    assert other.get("/me").status_code == 303
    with db.session_scope() as s:
        assert s.scalars(select(Event.via).where(Event.action == "signin.used")).all() == ["web"]


def other_csrf(c: Any) -> str:
    from tests.web2_helpers import hidden

    return hidden(c.get("/signin").text)["csrf_token"]


def test_the_pages_answer_the_fourth_request_alike_and_refuse_a_post_without_csrf(
    office: MailCatcher,
) -> None:
    from tests.web2_helpers import client, submit

    c = client()
    answers = [submit(c, "/signin", {"who": "lin.tao"}) for _ in range(4)]
    assert {(a.status_code, a.text) for a in answers} == {(200, answers[0].text)}
    assert "登录链接已发送" in answers[0].text
    assert len(office.to("lin.tao@example.gov.cn")) == 3  # the fourth sent nothing
    bare = client().post("/signin", data={"who": "lin.tao"})
    assert bare.status_code == 403
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(SigninLink)) == 4


def test_a_tampered_sign_in_token_is_refused(office: MailCatcher) -> None:
    from tests.web2_helpers import client, hidden, link_in, submit

    c = client()
    submit(c, "/signin", {"who": "lin.tao"})
    path = link_in(office.to("lin.tao@example.gov.cn")[0].text())
    form = hidden(c.get(path).text)
    form["token"] = form["token"][:-3] + ("AAA" if not form["token"].endswith("AAA") else "BBB")
    refused = c.post("/signin/use", data=form)
    assert refused.status_code == 400 and "officeflow_session" not in refused.headers.get(
        "set-cookie", ""
    )
    with db.session_scope() as s:
        assert s.scalar(select(SigninLink.used_at)) is None


def test_oidc_is_offered_only_when_configured(office: MailCatcher, office_env: Any) -> None:
    from officeflow.web import oidc
    from tests.web2_helpers import client

    assert not oidc.configured()
    assert client().get("/login/oidc").status_code == 404
    assert 'id="oidc"' not in client().get("/signin").text
    settings = office_env.set(
        oidc_issuer="https://idp.example.org/realms/office",
        oidc_client_id="officeflow",
        oidc_client_secret="s3cret-value",
        public_url="https://office.example.org",
    )
    assert oidc.configured(settings)
    assert oidc.metadata_url(settings) == (
        "https://idp.example.org/realms/office/.well-known/openid-configuration"
    )
    assert oidc.callback_url(settings) == "https://office.example.org/login/oidc/callback"
    assert "s3cret-value" in settings.secret_values()  # scrubbed from anything stored
    assert 'id="oidc"' in client().get("/signin").text


@pytest.mark.parametrize(
    ("email", "outcome"), [("Lin.Tao@example.gov.cn", "signed in"), ("x@elsewhere.org", "refused")]
)
def test_oidc_callback_against_a_local_provider(
    office: MailCatcher, office_env: Any, email: str, outcome: str
) -> None:
    from urllib.parse import parse_qs, urlsplit

    from tests.oidc_provider import Provider
    from tests.web2_helpers import client

    with Provider() as idp:
        office_env.set(
            oidc_issuer=idp.issuer,
            oidc_client_id="officeflow",
            oidc_client_secret="s3cret-value",
            public_url="http://testserver",
        )
        c = client()
        start = c.get("/login/oidc")
        assert start.status_code == 302
        to = urlsplit(start.headers["location"])
        query = {k: v[0] for k, v in parse_qs(to.query).items()}
        assert f"{to.scheme}://{to.netloc}{to.path}" == f"{idp.issuer}/authorize"
        assert query["redirect_uri"] == "http://testserver/login/oidc/callback"
        assert query["client_id"] == "officeflow" and "email" in query["scope"]
        idp.grant("code-1", nonce=query["nonce"], email=email)

        # A forged state is refused before the provider is even asked.
        forged = c.get("/login/oidc/callback", params={"code": "code-1", "state": "forged"})
        assert forged.status_code == 400 and idp.token_requests == []

        back = c.get("/login/oidc/callback", params={"code": "code-1", "state": query["state"]})
        if outcome == "signed in":
            assert back.status_code == 303 and back.headers["location"] == "/me"
            assert "我的工作 · 林涛" in c.get("/me").text
            with db.session_scope() as s:
                assert s.scalars(
                    select(Event.actor).where(Event.action == "signin.oidc")
                ).all() == ["lin.tao"]
        else:
            assert back.status_code == 403 and "不属于本单位任何人员" in back.text
            assert c.get("/me").status_code == 303
        assert idp.token_requests[0]["code"] == ["code-1"]
