"""Registration modes and invites (issue 15): open, approval required
(the applicant's reason shown to the staff, who approve or reject),
closed; invite links from `chorus admin invite` that let their holders
sign up in any mode without waiting (used up, expired); through
Mastodon.py and the web pages. E-mail addresses reach admins only."""

import re
import time

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonError

from conftest import ChorusServer, Http, assert_error, assert_json, chorus_bin, login

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
STAFF_SCOPES = ["read", "write", "admin:read", "admin:write"]


def start(tmp_path_factory, mode):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp(mode),
                       config=f"[instance]\nregistrations = {mode}\n")
    srv.create_user("modera", "modera@example.com", "mod-password", role="moderator")
    srv.create_user("chief", "chief@example.com", "boss-password", role="admin")
    srv.start()
    srv.app = Mastodon.create_app("sign-ups", scopes=["read", "write"], api_base_url=srv.url)
    srv.mod = login(srv, "modera@example.com", "mod-password", scopes=STAFF_SCOPES)
    srv.boss = login(srv, "chief@example.com", "boss-password", scopes=STAFF_SCOPES)
    return srv


@pytest.fixture(scope="module")
def approval(tmp_path_factory):
    srv = start(tmp_path_factory, "approval")
    yield srv
    assert srv.stop() == 0


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    srv = start(tmp_path_factory, "closed")
    yield srv
    assert srv.stop() == 0


def sign_up(srv, name, **extra):
    """POST /api/v1/accounts with the app's token, as Mastodon.py's
    create_account sends it: the raw answer."""
    tok = assert_json(Http(srv.url).post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": srv.app[0],
        "client_secret": srv.app[1], "scope": "read write"}))["access_token"]
    return Http(srv.url).post("/api/v1/accounts", token=tok, data={
        "username": name, "email": f"{name}@example.org", "password": f"pw-{name}-long",
        "agreement": "true", **extra})


def can_sign_in(srv, name):
    try:
        login(srv, f"{name}@example.org", f"pw-{name}-long", scopes=["read", "write"],
              app=srv.app)
        return True
    except MastodonError as e:
        return str(e)


def invite(srv, *args):
    out = srv.cli("admin", "invite", *args, *srv.backend_args()).stdout.strip()
    # the shell knows the server's address from its configuration only
    assert out.startswith("http") and "/invite/" in out, out
    return out.rsplit("/", 1)[1]


def test_approval_keeps_a_sign_up_waiting_until_a_moderator_approves(approval):
    srv = approval
    r = sign_up(srv, "hopeful", reason="I run the survivors' circle in town")
    got = assert_json(r)  # Mastodon answers a token even for a waiting account
    assert got["access_token"]
    # the token and the password wait for the approval
    assert_error(Http(srv.url).get("/api/v1/accounts/verify_credentials",
                                   token=got["access_token"]), 401)
    assert "pending approval" in can_sign_in(srv, "hopeful")
    pending = srv.mod.admin_accounts_v2(status="pending")
    mine = [a for a in pending if a["username"] == "hopeful"]
    assert len(mine) == 1 and mine[0]["approved"] is False
    assert mine[0]["invite_request"] == "I run the survivors' circle in town"
    # the moderator sees no address; an admin sees both
    assert mine[0]["email"] is None and mine[0]["ip"] is None
    seen = srv.boss.admin_account(mine[0]["id"])
    assert seen["email"] == "hopeful@example.org" and seen["ip"] == "127.0.0.1"
    # nobody else ever does
    me = login(srv, "modera@example.com", "mod-password")
    assert "email" not in me.account(mine[0]["id"])
    approved = srv.mod.admin_account_approve(mine[0]["id"])
    assert approved["approved"] is True
    assert can_sign_in(srv, "hopeful") is True
    # once only
    assert_error(Http(srv.url).post(f"/api/v1/admin/accounts/{mine[0]['id']}/approve",
                                    token=srv.mod.access_token), 403)
    info = assert_json(Http(srv.url).get("/api/v2/instance"))
    assert info["registrations"]["enabled"] is True
    assert info["registrations"]["approval_required"] is True


def test_a_rejected_sign_up_is_gone_and_its_name_free_again(approval):
    srv = approval
    assert_json(sign_up(srv, "spammer", reason="buy now"))
    acct = [a for a in srv.mod.admin_accounts_v2(status="pending")
            if a["username"] == "spammer"][0]
    srv.mod.admin_account_reject(acct["id"])
    assert_error(Http(srv.url).get(f"/api/v1/accounts/{acct['id']}"), 404)
    assert_json(sign_up(srv, "spammer"))
    # an approved account is not rejected
    boss = srv.boss.account_verify_credentials()["id"]
    assert_error(Http(srv.url).post(f"/api/v1/admin/accounts/{boss}/reject",
                                    token=srv.mod.access_token), 403)
    log = assert_json(Http(srv.url).get("/api/v1/admin/audit_log",
                                        token=srv.boss.access_token))
    assert ("reject", "spammer") in [(e["action"], e["target"]) for e in log]


def test_an_invite_skips_approval_until_used_up(approval):
    srv = approval
    code = invite(srv, "--uses", "1")
    assert_json(sign_up(srv, "invited", invite_code=code))
    assert can_sign_in(srv, "invited") is True
    r = sign_up(srv, "latecomer", invite_code=code)
    body = assert_error(r, 422)
    assert "invite_code" in body["details"]
    # nothing was made of it
    assert_error(Http(srv.url).get("/api/v1/accounts/lookup", params={"acct": "latecomer"}),
                 404)
    listed = srv.cli("admin", "invites", *srv.backend_args()).stdout
    assert re.search(rf"^{code}\t1/1\tnever$", listed, re.M), listed


def test_an_expired_invite_is_refused(approval):
    srv = approval
    code = invite(srv, "--expires", "1")
    time.sleep(1.2)
    assert_error(sign_up(srv, "tooslow", invite_code=code), 422)
    assert srv.cli("admin", "invite", "--uses", "0", *srv.backend_args(),
                   check=False).returncode == 2
    assert srv.cli("admin", "invite", "--expires", "7w", *srv.backend_args(),
                   check=False).returncode == 2


def test_closed_registrations_refuse_all_but_the_invited(closed):
    srv = closed
    assert_error(sign_up(srv, "outsider"), 403, "Registrations are closed")
    code = invite(srv, "--uses", "2", "--expires", "7d")
    assert_json(sign_up(srv, "insider", invite_code=code))
    assert can_sign_in(srv, "insider") is True
    assert_error(sign_up(srv, "forger", invite_code="not-a-code"), 422)
    info = assert_json(Http(srv.url).get("/api/v2/instance"))
    assert info["registrations"]["enabled"] is False
    assert assert_json(Http(srv.url).get("/api/v1/instance"))["invites_enabled"] is True


def test_the_web_sign_up_follows_the_mode_and_the_invite(closed, approval):
    b = Http(closed.url)
    page = b.get("/auth/sign_up")
    assert 'name="password"' not in page.text  # closed, no invite
    code = invite(closed, "--uses", "1")
    r = b.get(f"/invite/{code}")
    assert r.status_code in (302, 303)
    form = b.get(r.headers["Location"])
    assert f'name="invite_code" value="{code}"' in form.text
    token = CSRF_RE.search(form.text).group(1)
    r = b.post("/auth/sign_up", data={"csrf_token": token, "username": "webinvited",
                                      "email": "webinvited@example.org",
                                      "password": "pw-webinvited-long", "agreement": "1",
                                      "invite_code": code})
    assert r.status_code in (302, 303), r.text[:400]
    assert can_sign_in(closed, "webinvited") is True

    a = Http(approval.url)
    form = a.get("/auth/sign_up")
    assert 'name="reason"' in form.text
    token = CSRF_RE.search(form.text).group(1)
    r = a.post("/auth/sign_up", data={"csrf_token": token, "username": "webwaiting",
                                      "email": "webwaiting@example.org",
                                      "password": "pw-webwaiting-long", "agreement": "1",
                                      "reason": "a neighbour sent me"})
    assert r.status_code == 200 and "approved" in r.text
    assert "pending approval" in can_sign_in(approval, "webwaiting")
    waiting = [x for x in approval.mod.admin_accounts_v2(status="pending")
               if x["username"] == "webwaiting"]
    assert waiting[0]["invite_request"] == "a neighbour sent me"
