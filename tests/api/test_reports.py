"""Reports: a user reports an account and its posts through Mastodon.py,
bad reports are answered as Mastodon answers them, and the staff review
them through the admin API (list, show, assign, unassign, resolve,
reopen), which nobody else may use."""

import pytest
import requests
from mastodon.errors import MastodonAPIError

from conftest import api_error_status, login, unique_name

ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"]


@pytest.fixture(scope="module")
def staff(server):
    """A moderator and an admin, logged in with the admin scopes."""
    made = {}
    for role in ("moderator", "admin"):
        name = unique_name(role)
        server.create_user(name, f"{name}@example.com", f"pw-{name}", role=role)
        made[role] = login(server, f"{name}@example.com", f"pw-{name}", scopes=ADMIN_SCOPES)
        made[role].me = made[role].account_verify_credentials()
    return made


def status_of(err):
    return api_error_status(err)


def test_a_report_reaches_the_staff_who_assign_resolve_and_reopen_it(make_user, staff):
    reporter, target = make_user("reporter"), make_user("harasser")
    loud = target.api.status_post("a public insult")
    mod, admin = staff["moderator"], staff["admin"]

    got = reporter.api.report(target.id, status_ids=[loud["id"]], comment="please look",
                              rule_ids=[2])
    assert str(got["target_account"]["id"]) == str(target.id)
    assert got["category"] == "violation" and got["rule_ids"] == ["2"]
    assert got["status_ids"] == [str(loud["id"])]
    assert got["comment"] == "please look" and got["action_taken"] is False
    assert got["forwarded"] is False

    listed = mod.admin_reports()
    mine = [r for r in listed if r["id"] == got["id"]]
    assert len(mine) == 1
    rep = mine[0]
    assert str(rep["account"]["id"]) == str(reporter.id)
    assert str(rep["target_account"]["id"]) == str(target.id)
    assert [s["id"] for s in rep["statuses"]] == [loud["id"]]
    assert [str(r["id"]) for r in rep["rules"]] == ["2"]
    assert rep["assigned_account"] is None and rep["action_taken_by_account"] is None
    # addresses: an admin's view only
    assert rep["account"]["email"] is None
    assert admin.admin_report(got["id"])["account"]["email"] == f"{reporter.name}@example.com"

    rep = mod.admin_report_assign(got["id"])
    assert rep["assigned_account"]["id"] == mod.me["id"]
    rep = mod.admin_report_unassign(got["id"])
    assert rep["assigned_account"] is None
    rep = mod.admin_report_resolve(got["id"])
    assert rep["action_taken"] is True and rep["action_taken_at"] is not None
    assert rep["action_taken_by_account"]["id"] == mod.me["id"]
    assert got["id"] not in [r["id"] for r in mod.admin_reports()]
    assert got["id"] in [r["id"] for r in mod.admin_reports(resolved=True)]
    rep = mod.admin_report_reopen(got["id"])
    assert rep["action_taken"] is False and rep["action_taken_at"] is None
    assert got["id"] in [r["id"] for r in mod.admin_reports()]
    by_target = mod.admin_reports(target_account_id=target.id)
    assert [r["id"] for r in by_target] == [got["id"]]

    # a reported post its author deletes stays named in the report
    target.api.status_delete(loud["id"])
    rep = mod.admin_report(got["id"])
    assert rep["statuses"] == [] and rep["status_ids"] == [str(loud["id"])]


def test_what_the_reporter_cannot_see_cannot_be_reported(make_user):
    reporter, target = make_user("reporter"), make_user("private")
    hidden = target.api.status_post("followers only", visibility="private")
    mine = reporter.api.status_post("my own post")
    for ids in ([hidden["id"]], [mine["id"]], ["999999999999"]):
        with pytest.raises(MastodonAPIError) as e:
            reporter.api.report(target.id, status_ids=ids)
        assert status_of(e.value) == 404
    with pytest.raises(MastodonAPIError) as e:
        reporter.api.report("999999999999")
    assert status_of(e.value) == 404
    # a block either way does not stop a report of the account
    target.api.account_block(reporter.id)
    assert reporter.api.report(target.id, comment="blocked me")["category"] == "other"


@pytest.mark.parametrize("extra", [
    {"category": "nonsense"},
    {"category": "spam", "rule_ids[]": "1"},
    {"rule_ids[]": "99"},
    {"rule_ids[]": "one"},
    {"comment": "x" * 1001},
])
def test_bad_reports_are_422(server, make_user, extra):
    reporter, target = make_user("reporter"), make_user("target")
    r = requests.post(server.url + "/api/v1/reports", timeout=10,
                      headers={"Authorization": f"Bearer {reporter.token}"},
                      data={"account_id": target.id, **extra})
    assert r.status_code == 422, (extra, r.status_code, r.text)
    assert "error" in r.json()
    assert reporter.api.report(target.id, comment="é" * 1000)["comment"] == "é" * 1000


ADMIN_CALLS = [
    ("GET", "/api/v1/admin/reports"),
    ("GET", "/api/v1/admin/reports/{id}"),
    ("POST", "/api/v1/admin/reports/{id}/assign_to_self"),
    ("POST", "/api/v1/admin/reports/{id}/unassign"),
    ("POST", "/api/v1/admin/reports/{id}/resolve"),
    ("POST", "/api/v1/admin/reports/{id}/reopen"),
]


def test_only_the_staff_with_admin_scopes_review_reports(server, make_user, staff):
    reporter, target = make_user("reporter"), make_user("target")
    rid = reporter.api.report(target.id)["id"]
    user = login(server, f"{reporter.name}@example.com", reporter.password, scopes=ADMIN_SCOPES)
    mod = staff["moderator"]
    name = unique_name("mod")
    server.create_user(name, f"{name}@example.com", f"pw-{name}", role="moderator")
    plain_mod = login(server, f"{name}@example.com", f"pw-{name}")  # read write follow push
    for method, path in ADMIN_CALLS:
        url = server.url + path.format(id=rid)
        r = requests.request(method, url, timeout=10,
                             headers={"Authorization": f"Bearer {user.access_token}"})
        assert r.status_code == 403, (method, path, r.status_code)
        assert "error" in r.json()
        r = requests.request(method, url, timeout=10,
                             headers={"Authorization": f"Bearer {plain_mod.access_token}"})
        assert r.status_code == 403, (method, path, "no admin scope", r.status_code)
        r = requests.request(method, url, timeout=10,
                             headers={"Authorization":
                                      f"Bearer {mod.access_token}"})
        assert r.status_code == 200, (method, path, r.status_code, r.text)
    r = requests.get(server.url + "/api/v1/admin/reports/999999999999", timeout=10,
                     headers={"Authorization": f"Bearer {mod.access_token}"})
    assert r.status_code == 404
    r = requests.get(server.url + "/api/v1/admin/reports", params={"account_id": "nope"},
                     headers={"Authorization": f"Bearer {mod.access_token}"}, timeout=10)
    assert r.status_code == 400 and "error" in r.json()
    r = requests.post(server.url + "/api/v1/reports", timeout=10, data={"account_id": target.id})
    assert r.status_code == 401
