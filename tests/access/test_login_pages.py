"""Logins from the pages: a manager gives a person a login, sets a new password, switches it off and on; everyone
changes their own password. The denials: another area's person, a non-manager, an administrator's login, one's own."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import Api

from zhili.access.deps import SESSION_COOKIE
from zhili.access.models import Account, ApiToken, LoginFailure
from zhili.access.pages import LOGIN_CSRF_COOKIE
from zhili.access.service import MAX_FAILURES
from zhili.org.models import Person, Position

HTML = {"accept": "text/html"}
FUSHAN_GRID = "330802006001001"
GRIDWORKER = 1646  # 廖梅, the demo grid worker (login `gridworker`), in 府山街道
NEW_PASSWORD = "wangxiaoyan-2026"


def _key(page: str) -> str:
    return page.split('name="idempotency_key" value="', 1)[1].split('"', 1)[0]


def _new_grid_worker(session: Session) -> int:
    """A person of 府山街道's grid without a login."""
    person = Person(name="王小燕", phone=None, email=None)
    session.add(person)
    session.flush()
    session.add(Position(person_id=person.id, role="grid_worker", division_code=FUSHAN_GRID))
    session.commit()
    return person.id


def _login_status(api: Api, username: str, password: str) -> int:
    """What the login form answers (303: in), sent as a browser sends it."""
    api.client.cookies.clear()
    api.client.cookies.set(LOGIN_CSRF_COOKIE, "form-token", domain=api._cookie_domain())
    form = {"username": username, "password": password, "csrf_token": "form-token", "next": "/"}
    return int(api.client.post("/login", data=form, follow_redirects=False).status_code)


def _account(session: Session, username: str) -> Account:
    session.expire_all()
    return session.scalars(select(Account).where(Account.username == username)).one()


def test_a_manager_gives_a_login_and_its_owner_changes_the_password(api: Api, session: Session) -> None:
    person_id = _new_grid_worker(session)
    api.login("fushan")
    person_page = api.get(f"/org/people/{person_id}", headers=HTML).text
    assert f'href="/org/people/{person_id}/login"' in person_page
    page = api.get(f"/org/people/{person_id}/login", headers=HTML)
    assert "此人还没有登录账号" in page.text
    form = {"username": "WangXY ", "password": "first-pass-1", "idempotency_key": _key(page.text)}
    for _ in range(2):  # sent twice, given once
        given = api.send("POST", f"/org/people/{person_id}/login", data=form, follow_redirects=False)
        assert given.status_code == 303
    assert "登录账号已创建" in api.get(given.headers["location"], headers=HTML).text
    account = _account(session, "wangxy")  # the username is taken in lower case
    assert (account.person_id, account.is_admin, account.is_active) == (person_id, False, True)
    assert "first-pass-1" not in account.password_hash

    api.login("wangxy", "first-pass-1")
    first_browser = api.client.cookies[SESSION_COOKIE]
    api.login("wangxy", "first-pass-1")  # a second browser
    own = api.get("/account/password", headers=HTML)
    assert own.status_code == 200
    assert 'href="/account/password"' in own.text  # the name in the top bar leads here
    changed = api.send(
        "POST",
        "/account/password",
        data={"current": "first-pass-1", "new": NEW_PASSWORD, "again": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert "密码已修改" in api.get(changed.headers["location"], headers=HTML).text  # this browser stays in
    api.client.cookies.set(SESSION_COOKIE, first_browser, domain=api._cookie_domain())
    assert api.get("/", headers=HTML, follow_redirects=False).status_code in {302, 303}  # the other one is out
    api.login("wangxy", NEW_PASSWORD)


def test_a_refused_login_form_keeps_the_username_and_says_why(api: Api, session: Session) -> None:
    person_id = _new_grid_worker(session)
    api.login("fushan")
    url = f"/org/people/{person_id}/login"
    short = api.send("POST", url, data={"username": "wangxy", "password": "short"})
    assert short.status_code == 422
    assert 'data-field="password">密码至少 8 个字符' in short.text
    assert 'value="wangxy"' in short.text
    taken = api.send("POST", url, data={"username": "gridworker", "password": "long-enough-1"})
    assert taken.status_code == 422
    assert 'data-field="username">该用户名已被使用' in taken.text
    bad = api.send("POST", url, data={"username": "王小燕", "password": "short"})
    assert 'data-field="username">只能用小写字母' in bad.text
    assert 'data-field="password">密码至少 8 个字符' in bad.text  # both reasons at once, not one per try
    assert session.scalar(select(func.count()).select_from(Account).where(Account.person_id == person_id)) == 0


def test_a_new_password_ends_the_sessions_and_switching_off_revokes_tokens(api: Api, session: Session) -> None:
    api.login("gridworker")
    token = api.send("POST", "/api/v1/tokens", json={"name": "手机"})
    assert token.status_code == 201, token.text
    api.login("fushan")
    account = _account(session, "gridworker")
    reset = api.send(
        "POST",
        f"/org/people/{GRIDWORKER}/login/{account.id}/password",
        data={"new_password": "reset-by-fushan"},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    reset_page = api.get(reset.headers["location"], headers=HTML).text
    assert "密码已重置" in reset_page
    assert "<h2>重置密码</h2>" in reset_page
    assert "此人忘记密码时使用" in reset_page
    assert '<button type="submit" class="danger">停用账号</button>' in reset_page
    api.login("gridworker", "reset-by-fushan")
    api.login("fushan")
    off = api.send("POST", f"/org/people/{GRIDWORKER}/login/{account.id}/active", data={}, follow_redirects=False)
    assert off.status_code == 303
    switched_off = api.get(off.headers["location"], headers=HTML).text
    assert "已停用" in switched_off
    assert "<h2>恢复账号</h2>" in switched_off  # each action under its heading, with what it does
    assert "恢复后，此人可用原密码再次登录" in switched_off
    assert _account(session, "gridworker").is_active is False
    assert (
        session.scalar(select(func.count()).where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None)))
        == 0
    )
    assert _login_status(api, "gridworker", "reset-by-fushan") == 401
    api.login("fushan")
    on = api.send(
        "POST", f"/org/people/{GRIDWORKER}/login/{account.id}/active", data={"active": "1"}, follow_redirects=False
    )
    assert on.status_code == 303
    api.login("gridworker", "reset-by-fushan")


def test_who_may_manage_a_login(api: Api, session: Session) -> None:
    gridworker = _account(session, "gridworker")
    password_hash = gridworker.password_hash
    admin = _account(session, "admin")
    fushan = _account(session, "fushan")
    api.login("huzhen")  # another township's command room: cannot even see the person
    assert api.get(f"/org/people/{GRIDWORKER}/login", headers=HTML).status_code == 404
    reset = f"/org/people/{GRIDWORKER}/login/{gridworker.id}/password"
    assert api.send("POST", reset, data={"new_password": "x" * 12}).status_code == 404
    api.login("gridworker")  # sees their own page, manages nobody
    assert api.get(f"/org/people/{GRIDWORKER}/login", headers=HTML).status_code == 403
    api.login("kc-centre")  # manages the county, not an administrator's login
    elsewhere = api.send("POST", f"/org/people/{GRIDWORKER}/login/{admin.id}/password", data={"new_password": "x" * 12})
    assert elsewhere.status_code == 404  # not the person's login
    gridworker.is_admin = True  # an administrator who also holds a post in the county
    session.commit()
    refused = api.send("POST", reset, data={"new_password": "x" * 12})
    assert refused.status_code == 403
    api.login("fushan")  # nobody switches off their own login
    own = api.send("POST", f"/org/people/{fushan.person_id}/login/{fushan.id}/active", data={})
    assert own.status_code == 409
    assert "不能停用自己的账号" in own.text
    assert _account(session, "fushan").is_active is True
    assert _account(session, "gridworker").password_hash == password_hash


def test_changing_ones_own_password_checks_the_current_one(api: Api, session: Session) -> None:
    api.login("gridworker")
    wrong = api.send("POST", "/account/password", data={"current": "nope", "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert 'data-field="current">当前密码不正确' in wrong.text
    differ = api.send(
        "POST", "/account/password", data={"current": "zhili-demo", "new": NEW_PASSWORD, "again": "other-one-1"}
    )
    assert 'data-field="again">两次输入的新密码不一致' in differ.text
    short = api.send("POST", "/account/password", data={"current": "zhili-demo", "new": "short", "again": "short"})
    assert 'data-field="new">密码至少 8 个字符' in short.text
    for _ in range(MAX_FAILURES):
        api.send("POST", "/account/password", data={"current": "guess", "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    limited = api.send(
        "POST", "/account/password", data={"current": "zhili-demo", "new": NEW_PASSWORD, "again": NEW_PASSWORD}
    )
    assert limited.status_code == 429
    assert 'data-field="current">当前密码错误次数过多，请 15 分钟后再试' in limited.text  # by the field, on the form
    assert 'id="change-password"' in limited.text
    assert session.scalar(select(func.count()).where(LoginFailure.username == "gridworker")) >= MAX_FAILURES
    api.login("gridworker", fresh=True)  # the form still takes the old password: it is unchanged


def test_a_login_is_managed_only_by_who_manages_every_post_it_opens(api: Api, session: Session) -> None:
    """A grid's command room does not set the password of someone who is also a centre's staff or an administrator."""
    person_id = _new_grid_worker(session)
    session.add(Position(person_id=person_id, role="centre_staff", division_code="330802"))
    session.commit()
    api.login("fushan")  # manages the grid post, not the district centre's
    assert 'id="login-link"' not in api.get(f"/org/people/{person_id}", headers=HTML).text
    assert api.get(f"/org/people/{person_id}/login", headers=HTML).status_code == 403
    form = {"username": "wxy2", "password": "first-pass-1"}
    assert api.send("POST", f"/org/people/{person_id}/login", data=form).status_code == 403
    api.login("kc-centre")  # manages both
    assert 'id="login-link"' in api.get(f"/org/people/{person_id}", headers=HTML).text
    given = api.send("POST", f"/org/people/{person_id}/login", data=form, follow_redirects=False)
    assert given.status_code == 303
    account = _account(session, "wxy2")
    session.add(Position(person_id=person_id, role="admin", division_code="330802"))
    session.commit()
    url = f"/org/people/{person_id}/login/{account.id}/password"
    assert api.send("POST", url, data={"new_password": "taken-over-1"}).status_code == 403  # an administrator's
    api.login("admin")
    assert api.send("POST", url, data={"new_password": "set-by-admin-1"}, follow_redirects=False).status_code == 303


def test_an_address_that_is_no_page_keeps_a_logged_in_persons_menu(api: Api) -> None:
    # A mistyped or stale link: staff are told so inside their own menu, not sent to the public's 12345 page.
    api.client.cookies.clear()
    public = api.get("/supervision/no-such-page", headers=HTML)
    assert public.status_code == 404
    assert 'href="/report"' in public.text
    api.login("kc-centre")
    staff = api.get("/supervision/no-such-page", headers=HTML)
    assert staff.status_code == 404
    assert 'href="/inbox"' in staff.text  # their menu
    assert 'href="/report">' not in staff.text.split('id="error"', 1)[1]  # no 我要反映 for staff
    api.client.cookies.set(SESSION_COOKIE, "stale")
    expired = api.get("/supervision/no-such-page", headers=HTML)
    assert expired.status_code == 404  # a stale cookie: the public page, not a 500
