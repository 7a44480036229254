"""Moderators act on accounts (issue 15): suspend, silence, force media
sensitive, disable sign-in, and undo each; through Mastodon.py's admin
API and `chorus admin` on a running server; every action in the audit log;
the servers this one limits through /api/v1/admin/domain_blocks. Nobody
beyond their role may do any of it.

The suspension's effect on every read path is pinned on the authorization
matrix's own path list, in tests/api/test_safety_matrix.py
(test_a_suspension_empties_every_path_and_its_undo_restores_them)."""

import time

import pytest
import requests
from mastodon.errors import MastodonAPIError, MastodonError

from conftest import (assert_error, assert_json, api_error_status, login, make_client,
                      unique_name)

ADMIN_SCOPES = ["read", "write", "follow", "admin:read", "admin:write"]


def staff_member(server, role):
    name = unique_name(role[:5])
    server.create_user(name, f"{name}@example.com", f"pw-{name}", role=role)
    api = login(server, f"{name}@example.com", f"pw-{name}", scopes=ADMIN_SCOPES)
    api.me = api.account_verify_credentials()
    api.name = name
    return api


@pytest.fixture(scope="module")
def staff(server):
    return {role: staff_member(server, role) for role in ("moderator", "admin")}


def status_code(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except MastodonAPIError as e:
        return api_error_status(e)
    return 200


def test_a_report_is_answered_with_a_suspension_and_its_undo_restores_the_account(
        server, make_user, staff, http):
    reporter, target = make_user("reporter"), make_user("troll")
    follower = make_user("fan")
    follower.api.account_follow(target.id)
    loud = target.api.status_post("an insult for #moderationtag")
    mod = staff["moderator"]
    report = reporter.api.report(target.id, status_ids=[loud["id"]], comment="abuse")
    mod.admin_report_assign(report["id"])

    mod.admin_account_moderate(target.id, action="suspend", report_id=report["id"],
                               text="harassment")
    # the report it answers is resolved with it, by the moderator
    rep = mod.admin_report(report["id"])
    assert rep["action_taken"] is True
    assert rep["action_taken_by_account"]["id"] == mod.me["id"]
    acct = mod.admin_account(target.id)
    assert acct["suspended"] is True and acct["account"]["suspended"] is True

    # gone: by id, from the follower's home, the tag, the profile; the
    # account shows nothing it wrote
    assert_error(http.get(f"/api/v1/statuses/{loud['id']}"), 404)
    assert str(loud["id"]) not in {str(s["id"]) for s in follower.api.timeline_home()}
    assert loud["id"] not in [s["id"] for s in follower.api.timeline_hashtag("moderationtag")]
    assert follower.api.account_statuses(target.id) == []
    shown = assert_json(http.get(f"/api/v1/accounts/{target.id}"))
    assert shown["suspended"] is True and shown["display_name"] == ""
    assert shown["statuses_count"] == 0
    assert http.get(f"/@{target.name}/{loud['id']}").status_code == 404
    # its sessions ended, and it may not sign in again
    assert_error(http.get("/api/v1/accounts/verify_credentials", token=target.token), 401)
    r = http.post("/oauth/token", data={
        "grant_type": "password", "username": target.email, "password": target.password,
        "client_id": target.api.client_id, "client_secret": target.api.client_secret,
        "scope": "read"})
    assert_error(r, 403, "Your login is currently disabled")
    # a second suspension is refused: it is so already
    assert status_code(mod.admin_account_moderate, target.id, action="suspend") == 403

    back = mod.admin_account_unsuspend(target.id)
    assert back["suspended"] is False
    assert assert_json(http.get(f"/api/v1/statuses/{loud['id']}"))["id"] == str(loud["id"])
    assert str(loud["id"]) in {str(s["id"]) for s in follower.api.timeline_home()}
    assert follower.api.account_relationships(target.id)[0]["following"] is True
    again = login(server, target.email, target.password)
    assert again.account_verify_credentials()["id"] == target.id

    log = assert_json(
        http.get("/api/v1/admin/audit_log", token=staff["admin"].access_token,
                 params={"target_account_id": target.sid}))
    assert [e["action"] for e in log] == ["unsuspend", "suspend"]
    assert log[1]["actor"] == mod.name and log[1]["report_id"] == str(report["id"])
    assert log[1]["text"] == "harassment" and log[1]["target"] == target.name
    everything = assert_json(http.get("/api/v1/admin/audit_log",
                                      token=staff["admin"].access_token, params={"limit": 200}))
    assert {"assign_to_self", "suspend", "unsuspend"} <= {e["action"] for e in everything}


def test_a_silenced_account_leaves_the_public_lists_but_not_its_followers(
        make_user, staff, http):
    target, follower, stranger = make_user("loud"), make_user("fan"), make_user("stranger")
    follower.api.account_follow(target.id)
    post = target.api.status_post("shouting in #silencedtag")
    mod = staff["moderator"]
    mod.admin_account_moderate(target.id, action="silence")
    assert mod.admin_account(target.id)["silenced"] is True
    assert assert_json(http.get(f"/api/v1/accounts/{target.id}"))["limited"] is True
    public = lambda who: {str(s["id"]) for s in who.api.timeline_public(limit=40)}
    tag = lambda who: {str(s["id"]) for s in who.api.timeline_hashtag("silencedtag")}
    assert str(post["id"]) not in public(stranger) | tag(stranger)
    assert str(post["id"]) in public(follower) & tag(follower)
    anon_public = assert_json(http.get("/api/v1/timelines/public", params={"limit": 40}))
    assert str(post["id"]) not in {s["id"] for s in anon_public}
    # asked for by id it is there
    assert_json(http.get(f"/api/v1/statuses/{post['id']}"))
    # its mention of a stranger is a filtered notification (a limited
    # account, the policy's default)
    target.api.status_post(f"@{stranger.name} hello")
    assert not [n for n in stranger.api.notifications() if n["account"]["id"] == target.id]
    mod.admin_account_unsilence(target.id)
    assert str(post["id"]) in public(stranger)


def test_sensitive_marks_every_post_and_disable_stops_sign_in(server, make_user, staff, http):
    target = make_user("pics")
    post = target.api.status_post("no media, but marked all the same")
    assert post["sensitive"] is False
    mod = staff["moderator"]
    mod.admin_account_moderate(target.id, action="sensitive")
    assert assert_json(http.get(f"/api/v1/statuses/{post['id']}"))["sensitive"] is True
    mod.admin_account_unsensitive(target.id)
    assert assert_json(http.get(f"/api/v1/statuses/{post['id']}"))["sensitive"] is False

    mod.admin_account_moderate(target.id, action="disable")
    assert mod.admin_account(target.id)["disabled"] is True
    assert_error(http.get("/api/v1/accounts/verify_credentials", token=target.token), 401)
    # the posts stay
    assert_json(http.get(f"/api/v1/statuses/{post['id']}"))
    with pytest.raises(MastodonError, match="Your login is currently disabled"):
        login(server, target.email, target.password)
    mod.admin_account_enable(target.id)
    assert login(server, target.email, target.password).account_verify_credentials()


def test_roles_reach_only_as_far_as_they_go(server, make_user, staff, http):
    user = make_user("plain")
    mod, admin = staff["moderator"], staff["admin"]
    other_mod = staff_member(server, "moderator")
    # a user token with the admin scopes is still no staff member's
    name = unique_name("plain")
    server.create_user(name, f"{name}@example.com", f"pw-{name}")
    plain = login(server, f"{name}@example.com", f"pw-{name}", scopes=ADMIN_SCOPES)
    target = make_user("target")
    tid = target.sid
    every = [
        ("GET", "/api/v1/admin/accounts", None),
        ("GET", "/api/v2/admin/accounts", None),
        ("GET", f"/api/v1/admin/accounts/{tid}", None),
        ("POST", f"/api/v1/admin/accounts/{tid}/action", {"type": "silence"}),
        ("POST", f"/api/v1/admin/accounts/{tid}/unsilence", None),
        ("POST", f"/api/v1/admin/accounts/{tid}/unsuspend", None),
        ("POST", f"/api/v1/admin/accounts/{tid}/unsensitive", None),
        ("POST", f"/api/v1/admin/accounts/{tid}/enable", None),
        ("DELETE", f"/api/v1/admin/accounts/{tid}", None),
        ("GET", "/api/v1/admin/audit_log", None),
        ("GET", "/api/v1/admin/domain_blocks", None),
        ("POST", "/api/v1/admin/domain_blocks", {"domain": "spam.example"}),
        ("GET", "/api/v1/admin/domain_blocks/1", None),
        ("PUT", "/api/v1/admin/domain_blocks/1", {"severity": "suspend"}),
        ("DELETE", "/api/v1/admin/domain_blocks/1", None),
        ("GET", "/api/v1/admin/reports", None),
        ("GET", "/api/v1/admin/reports/1", None),
        ("POST", "/api/v1/admin/reports/1/resolve", None),
    ]
    for method, path, data in every:
        r = http.request(method, path, token=plain.access_token, data=data)
        assert r.status_code == 403 and r.text.startswith('{"error"'), (
            method, path, r.status_code, r.text[:200])
        # a plain user token (without the admin scopes) is refused too
        assert http.request(method, path, token=user.token, data=data).status_code == 403
    # beyond a moderator: the audit log, the domain blocks, erasing,
    # addresses, and anyone staff
    admin_only = [e for e in every if "audit_log" in e[1] or "domain_blocks" in e[1]
                  or e[0] == "DELETE" and "accounts" in e[1]]
    for method, path, data in admin_only:
        r = http.request(method, path, token=mod.access_token, data=data)
        assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
    assert_error(http.get("/api/v1/admin/accounts", token=mod.access_token,
                          params={"email": "x"}), 403)
    seen_by_mod = mod.admin_account(target.id)
    assert seen_by_mod["email"] is None and seen_by_mod["ip"] is None
    assert admin.admin_account(target.id)["email"] == target.email
    for victim in (other_mod.me["id"], admin.me["id"]):
        assert status_code(mod.admin_account_moderate, victim, action="suspend") == 403
    assert status_code(mod.admin_account_moderate, mod.me["id"], action="silence") == 403
    # an admin reaches a moderator, not another admin or the owner
    admin.admin_account_moderate(other_mod.me["id"], action="silence")
    admin.admin_account_unsilence(other_mod.me["id"])
    other_admin = staff_member(server, "admin")
    assert status_code(admin.admin_account_moderate, other_admin.me["id"],
                       action="silence") == 403


def test_bad_actions_are_json_errors(make_user, staff, http):
    target = make_user("target")
    tok = staff["moderator"].access_token
    path = f"/api/v1/admin/accounts/{target.sid}/action"
    assert_error(http.post(path, token=tok, data={"type": "banish"}), 422)
    assert_error(http.post(path, token=tok, data={}), 422)
    assert_error(http.post(path, token=tok, data={"type": "unsuspend"}), 422)
    assert_error(http.post(path, token=tok, data={"type": "silence", "report_id": "x"}), 404)
    other = make_user("other")
    rep = other.api.report(other.id, comment="not of the target")
    assert_error(http.post(path, token=tok, data={"type": "silence", "report_id": rep["id"]}),
                 404)
    # nothing of that was done
    assert staff["moderator"].admin_account(target.id)["silenced"] is False
    assert_error(http.post("/api/v1/admin/accounts/999999999/action", token=tok,
                           data={"type": "silence"}), 404)
    assert_error(http.post(f"/api/v1/admin/accounts/{target.sid}/unsuspend", token=tok), 403)
    assert_error(http.post(path, token=tok, data={"type": "silence", "text": "x" * 1001}), 422)


def test_the_staff_list_accounts_by_what_was_done_to_them(make_user, staff, http):
    a, b = make_user("lista"), make_user("listb")
    mod, admin = staff["moderator"], staff["admin"]
    mod.admin_account_moderate(a.id, action="silence")
    ids = lambda got: {str(x["id"]) for x in got}
    assert a.sid in ids(mod.admin_accounts_v1(status="silenced"))
    assert b.sid not in ids(mod.admin_accounts_v1(status="silenced"))
    assert {a.sid, b.sid} <= ids(mod.admin_accounts_v1(limit=200))
    assert a.sid in ids(mod.admin_accounts_v2(status="silenced"))
    assert ids(mod.admin_accounts_v2(username=a.name)) == {a.sid}
    assert ids(admin.admin_accounts_v1(email=b.email)) == {b.sid}
    assert ids(admin.admin_accounts_v2(email=b.email.upper())) == {b.sid}
    staff_ids = ids(mod.admin_accounts_v2(permissions="staff", limit=200))
    assert mod.me["id"] in {int(i) for i in staff_ids} and a.sid not in staff_ids
    assert a.sid in ids(mod.admin_accounts_v2(origin="local", limit=200))
    assert ids(mod.admin_accounts_v2(origin="remote")) & {a.sid, b.sid} == set()
    page = assert_json(http.get("/api/v1/admin/accounts", token=mod.access_token,
                                params={"limit": 1}))
    assert len(page) == 1


def test_suspension_erased_by_an_admin_leaves_no_account(make_user, staff, http):
    target = make_user("erased")
    post = target.api.status_post("soon gone")
    admin = staff["admin"]
    assert_error(http.delete(f"/api/v1/admin/accounts/{target.sid}",
                             token=admin.access_token), 403)  # not suspended
    admin.admin_account_moderate(target.id, action="suspend")
    gone = assert_json(http.delete(f"/api/v1/admin/accounts/{target.sid}",
                                   token=admin.access_token))
    assert gone["id"] == target.sid
    assert_error(http.get(f"/api/v1/accounts/{target.sid}"), 404)
    assert_error(http.get(f"/api/v1/statuses/{post['id']}"), 404)
    log = assert_json(http.get("/api/v1/admin/audit_log", token=admin.access_token,
                               params={"target_account_id": target.sid}))
    assert [e["action"] for e in log] == ["erase", "suspend"]


def test_domain_blocks_through_the_admin_api(staff, http):
    admin = staff["admin"]
    made = admin.admin_create_domain_block("spam.example", severity="silence",
                                           reject_media=True, private_comment="waves",
                                           public_comment="spam")
    assert made["domain"] == "spam.example" and made["severity"] == "silence"
    assert made["reject_media"] is True and made["private_comment"] == "waves"
    got = admin.admin_domain_blocks(made["id"])
    assert got["public_comment"] == "spam"
    changed = admin.admin_update_domain_block(made["id"], severity="suspend")
    assert changed["severity"] == "suspend" and changed["id"] == made["id"]
    assert changed["reject_media"] is True  # what was not asked stays
    assert "spam.example" in [b["domain"] for b in admin.admin_domain_blocks()]
    # the shell's list is the same one
    r = http.request("DELETE", f"/api/v1/admin/domain_blocks/{made['id']}",
                     token=admin.access_token)
    assert_json(r)
    assert "spam.example" not in [b["domain"] for b in admin.admin_domain_blocks()]
    assert_error(http.get(f"/api/v1/admin/domain_blocks/{made['id']}",
                          token=admin.access_token), 404)
    tok = admin.access_token
    for bad in ({"domain": ""}, {"domain": "not a domain"}, {"domain": "x.example",
                                                             "severity": "banish"}):
        assert_error(http.post("/api/v1/admin/domain_blocks", token=tok, data=bad), 422)
    log = assert_json(http.get("/api/v1/admin/audit_log", token=tok, params={"limit": 200}))
    actions = [(e["action"], e["target"]) for e in log if e["target_type"] == "domain_block"]
    assert ("domain_silence", "spam.example") in actions
    assert ("domain_unblock", "spam.example") in actions


def test_the_shell_suspends_on_a_running_server_without_stale_caches(server, make_user,
                                                                     staff, http):
    target, follower = make_user("shelled"), make_user("fan")
    follower.api.account_follow(target.id)
    post = target.api.status_post("cached before the shell acts")
    # read twice: the rendering and the home feed are cached now
    for _ in range(2):
        assert_json(http.get(f"/api/v1/statuses/{post['id']}"))
        assert str(post["id"]) in {str(s["id"]) for s in follower.api.timeline_home()}
    res = server.cli("admin", "suspend", target.name, "--text", "from the shell",
                     *server.backend_args())
    assert "the running server has it" in res.stdout
    # at once, with no wait: the shell returned after the server forgot
    assert_error(http.get(f"/api/v1/statuses/{post['id']}"), 404)
    assert str(post["id"]) not in {str(s["id"]) for s in follower.api.timeline_home()}
    assert_error(http.get("/api/v1/accounts/verify_credentials", token=target.token), 401)
    bad = server.cli("admin", "suspend", target.name, *server.backend_args(), check=False)
    assert bad.returncode != 0 and "so already" in bad.stderr
    server.cli("admin", "unsuspend", target.name, *server.backend_args())
    assert_json(http.get(f"/api/v1/statuses/{post['id']}"))
    log = server.cli("admin", "log", "--limit", "5", *server.backend_args()).stdout
    lines = [l for l in log.splitlines() if target.name in l]
    assert "unsuspend" in lines[0] and "chorus admin" in lines[0]
    assert "suspend" in lines[1] and "from the shell" in lines[1]
    assert server.cli("admin", "banish", target.name, *server.backend_args(),
                      check=False).returncode == 2
    assert server.cli("admin", "suspend", "nobody_here", *server.backend_args(),
                      check=False).returncode == 1


def test_the_shell_deletes_a_user_on_a_running_server(server, make_user, http):
    target = make_user("deleted")
    post = target.api.status_post("cached, then deleted from the shell")
    for _ in range(2):
        assert_json(http.get(f"/api/v1/statuses/{post['id']}"))
        assert_json(http.get(f"/api/v1/accounts/{target.sid}"))
    server.cli("user", "delete", target.name, *server.backend_args())
    assert_error(http.get(f"/api/v1/statuses/{post['id']}"), 404)
    assert_error(http.get(f"/api/v1/accounts/{target.sid}"), 404)
