"""Accounts: credentials, profile updates, lookup, statuses filters, follows
and relationships, locked accounts and follow requests, search; plus the
per-user preferences, markers and custom emoji endpoints."""

import uuid

import pytest
from mastodon import MastodonError

from conftest import (api_error_status, assert_error, assert_json, html_links, html_text, ids)


# ---- credentials ---------------------------------------------------------------

def test_verify_credentials_has_source(make_user):
    u = make_user("creds")
    me = u.api.account_verify_credentials()
    assert me["username"] == u.name and me["acct"] == u.name
    src = me["source"]
    assert src["privacy"] == "public"
    assert src["sensitive"] is False
    assert src["note"] == ""
    assert src["fields"] == []
    assert "language" in src
    for key in ("statuses_count", "followers_count", "following_count"):
        assert me[key] == 0
    assert me["locked"] is False and me["bot"] is False
    for key in ("avatar", "avatar_static", "header", "header_static", "url"):
        assert isinstance(me[key], str) and me[key].startswith("http"), key


def test_public_account_has_no_source(make_user, http):
    u = make_user("nosource")
    acct = assert_json(http.get(f"/api/v1/accounts/{u.sid}"))
    assert acct["id"] == u.sid
    assert acct["username"] == u.name
    assert "source" not in acct
    for key in ("display_name", "note", "url", "avatar", "header", "locked", "bot", "created_at",
                "followers_count", "following_count", "statuses_count", "fields", "emojis"):
        assert key in acct, key


def test_update_credentials_profile(make_user, http):
    u = make_user("profile")
    note = "Survivor & advocate.\nFollow #MeToo <3"
    me = u.api.account_update_credentials(
        display_name="Dana 🌻 Movement", note=note, locked=True, bot=True,
        fields=[("Pronouns", "she/her"), ("Site", "https://example.org/dana")])
    assert me["display_name"] == "Dana 🌻 Movement"
    assert me["locked"] is True and me["bot"] is True
    assert me["source"]["note"] == note
    assert "<p>" in me["note"]
    assert "&lt;3" in me["note"] and "<3" not in me["note"]
    assert "&amp;" in me["note"]
    tags = [l for l in html_links(me["note"]) if "hashtag" in l["classes"]]
    assert len(tags) == 1 and tags[0]["text"] == "#MeToo"
    assert [f["name"] for f in me["fields"]] == ["Pronouns", "Site"]
    assert html_text(me["fields"][0]["value"]) == "she/her"
    assert html_text(me["fields"][1]["value"]) == "https://example.org/dana"
    assert [(f["name"], f["value"]) for f in me["source"]["fields"]] == \
        [("Pronouns", "she/her"), ("Site", "https://example.org/dana")]
    public = assert_json(http.get(f"/api/v1/accounts/{u.sid}"))
    assert public["display_name"] == "Dana 🌻 Movement"
    assert public["locked"] is True and public["bot"] is True
    assert public["note"] == me["note"]


def test_profile_field_url_is_a_link(make_user):
    """Mastodon renders field values as HTML with URLs linked (rel="me"
    links are how profile verification works)."""
    u = make_user("fieldlink")
    me = u.api.account_update_credentials(fields=[("Site", "https://example.org/dana")])
    links = html_links(me["fields"][0]["value"])
    assert [l["attrs"].get("href") for l in links] == ["https://example.org/dana"]


def test_profile_field_values_are_escaped_html(make_user, http):
    """Field values are HTML in the API: user text must be escaped, or every
    web client rendering profiles is open to injection."""
    u = make_user("fieldxss")
    raw = '<script>alert(1)</script> <img src=x onerror=alert(2)> & "q"'
    me = u.api.account_update_credentials(fields=[("About", raw)])
    value = me["fields"][0]["value"]
    assert "<script" not in value and "<img" not in value
    assert html_text(value) == raw
    assert me["source"]["fields"][0]["value"] == raw
    public = assert_json(http.get(f"/api/v1/accounts/{u.sid}"))
    assert "<script" not in public["fields"][0]["value"]


def test_update_credentials_is_partial(make_user):
    u = make_user("partial")
    u.api.account_update_credentials(display_name="First Name", note="keep this note")
    me = u.api.account_update_credentials(display_name="Second Name")
    assert me["display_name"] == "Second Name"
    assert me["source"]["note"] == "keep this note"


def test_update_credentials_display_name_too_long(make_user, http):
    u = make_user("longname")
    r = http.patch("/api/v1/accounts/update_credentials", token=u.token,
                   data={"display_name": "x" * 31})
    assert_error(r, 422)
    assert u.api.account_verify_credentials()["display_name"] != "x" * 31


def test_update_credentials_json_body(make_user, http):
    u = make_user("jsonpatch")
    r = http.patch("/api/v1/accounts/update_credentials", token=u.token,
                   json={"display_name": "Json Name", "locked": False})
    assert assert_json(r)["display_name"] == "Json Name"


# ---- lookup -----------------------------------------------------------------------

def test_lookup_by_name_and_acct(make_user, http, anon):
    u = make_user("lookup")
    assert anon.account_lookup(u.name)["id"] == u.id
    domain = assert_json(http.get("/api/v1/instance"))["uri"]
    assert anon.account_lookup(f"{u.name}@{domain}")["id"] == u.id
    assert assert_json(http.get("/api/v1/accounts/lookup", params={"acct": u.name}))["id"] == u.sid


def test_lookup_unknown_is_404(http):
    assert_error(http.get("/api/v1/accounts/lookup", params={"acct": "no_such_user_" + uuid.uuid4().hex[:6]}),
                 404, "Record not found")


def test_unknown_account_id_is_404(http):
    assert_error(http.get("/api/v1/accounts/999999999999999"), 404, "Record not found")


# ---- account statuses filters ----------------------------------------------------------

@pytest.fixture(scope="module")
def timeline_user(make_user):
    u, other = make_user("filters"), make_user("filters_o")
    tag = "ftag" + uuid.uuid4().hex[:8]
    o1 = other.api.status_post("someone else's post")
    o2 = other.api.status_post("boost this")
    p1 = u.api.status_post(f"original #{tag}")
    p2 = u.api.status_post("reply to someone else", in_reply_to_id=o1["id"])
    p3 = u.api.status_post("continuing my own thread", in_reply_to_id=p1["id"])
    rb = u.api.status_reblog(o2["id"])
    return dict(u=u, tag=tag, p1=str(p1["id"]), p2=str(p2["id"]), p3=str(p3["id"]), rb=str(rb["id"]))


def test_account_statuses_all(timeline_user):
    t = timeline_user
    assert ids(t["u"].api.account_statuses(t["u"].id)) == [t["rb"], t["p3"], t["p2"], t["p1"]]


def test_account_statuses_exclude_replies_keeps_self_thread(timeline_user):
    t = timeline_user
    got = ids(t["u"].api.account_statuses(t["u"].id, exclude_replies=True))
    assert got == [t["rb"], t["p3"], t["p1"]]


def test_account_statuses_exclude_reblogs(timeline_user):
    t = timeline_user
    assert ids(t["u"].api.account_statuses(t["u"].id, exclude_reblogs=True)) == [t["p3"], t["p2"], t["p1"]]


def test_account_statuses_tagged(timeline_user):
    t = timeline_user
    assert ids(t["u"].api.account_statuses(t["u"].id, tagged=t["tag"])) == [t["p1"]]
    assert ids(t["u"].api.account_statuses(t["u"].id, tagged=t["tag"].upper())) == [t["p1"]]


def test_account_statuses_only_media_and_pinned_empty(timeline_user):
    t = timeline_user
    assert t["u"].api.account_statuses(t["u"].id, only_media=True) == []
    assert t["u"].api.account_statuses(t["u"].id, pinned=True) == []


def test_statuses_count_and_last_status_at(timeline_user, http):
    t = timeline_user
    acct = assert_json(http.get(f"/api/v1/accounts/{t['u'].sid}"))
    assert acct["statuses_count"] == 4
    assert acct["last_status_at"] is not None


# ---- follows and relationships ----------------------------------------------------------

def test_follow_relationships_lists_unfollow(make_user):
    x, y, z = make_user("fx"), make_user("fy"), make_user("fz")
    rel = x.api.account_follow(y.id)
    assert rel["id"] == y.id and rel["following"] is True and rel["requested"] is False
    rels = x.api.account_relationships([y.id, z.id])
    assert [r["id"] for r in rels] == [y.id, z.id]
    assert rels[0]["following"] is True and rels[1]["following"] is False
    back = y.api.account_relationships([x.id])[0]
    assert back["followed_by"] is True and back["following"] is False
    for key in ("showing_reblogs", "notifying", "blocking", "muting", "blocked_by", "requested",
                "domain_blocking", "endorsed", "note"):
        assert key in back, key
    assert ids(y.api.account_followers(y.id)) == [x.sid]
    assert ids(x.api.account_following(x.id)) == [y.sid]
    assert y.api.account(y.id)["followers_count"] == 1
    assert x.api.account(x.id)["following_count"] == 1
    rel = x.api.account_unfollow(y.id)
    assert rel["following"] is False
    assert y.api.account_followers(y.id) == []
    assert x.api.account_following(x.id) == []
    assert y.api.account(y.id)["followers_count"] == 0


def test_follow_is_idempotent(make_user):
    x, y = make_user("idemf_x"), make_user("idemf_y")
    x.api.account_follow(y.id)
    x.api.account_follow(y.id)
    assert y.api.account(y.id)["followers_count"] == 1
    assert len(y.api.account_followers(y.id)) == 1


def test_follow_creates_notification(make_user):
    x, y = make_user("fn_x"), make_user("fn_y")
    x.api.account_follow(y.id)
    notes = y.api.notifications(types=["follow"])
    assert [n["account"]["id"] for n in notes] == [x.id]


def test_follow_unknown_account_is_404(make_user, http):
    x = make_user("fnf")
    assert_error(http.post("/api/v1/accounts/999999999999999/follow", token=x.token), 404)


def test_followers_visible_anonymously(make_user, http):
    x, y = make_user("fa_x"), make_user("fa_y")
    x.api.account_follow(y.id)
    assert ids(assert_json(http.get(f"/api/v1/accounts/{y.sid}/followers"))) == [x.sid]
    assert ids(assert_json(http.get(f"/api/v1/accounts/{x.sid}/following"))) == [y.sid]


# ---- locked accounts ---------------------------------------------------------------------

def test_locked_account_follow_request_authorize(make_user):
    lk, r = make_user("locked"), make_user("requester")
    lk.api.account_update_credentials(locked=True)
    rel = r.api.account_follow(lk.id)
    assert rel["requested"] is True and rel["following"] is False
    assert ids(lk.api.follow_requests()) == [r.sid]
    assert [n["account"]["id"] for n in lk.api.notifications(types=["follow_request"])] == [r.id]
    assert lk.api.account_followers(lk.id) == []
    out = lk.api.follow_request_authorize(r.id)
    assert out["id"] == r.id and out["followed_by"] is True
    rel = r.api.account_relationships([lk.id])[0]
    assert rel["following"] is True and rel["requested"] is False
    assert ids(lk.api.account_followers(lk.id)) == [r.sid]
    assert lk.api.follow_requests() == []


def test_locked_account_follow_request_reject(make_user):
    lk, r = make_user("locked2"), make_user("rejected")
    lk.api.account_update_credentials(locked=True)
    r.api.account_follow(lk.id)
    out = lk.api.follow_request_reject(r.id)
    assert out["followed_by"] is False
    rel = r.api.account_relationships([lk.id])[0]
    assert rel["following"] is False and rel["requested"] is False
    assert lk.api.follow_requests() == []
    assert lk.api.account(lk.id)["followers_count"] == 0


def test_locked_account_private_posts_after_authorize(make_user, http):
    lk, r = make_user("locked3"), make_user("approved")
    lk.api.account_update_credentials(locked=True)
    secret = lk.api.status_post("followers only", visibility="private")
    r.api.account_follow(lk.id)
    assert_error(http.get(f"/api/v1/statuses/{secret['id']}", token=r.token), 404)
    lk.api.follow_request_authorize(r.id)
    assert assert_json(http.get(f"/api/v1/statuses/{secret['id']}", token=r.token))["id"] == str(secret["id"])


def test_authorize_without_request_is_404(make_user):
    lk, r = make_user("locked4"), make_user("norequest")
    with pytest.raises(MastodonError) as ei:
        lk.api.follow_request_authorize(r.id)
    assert api_error_status(ei.value) == 404


# ---- search --------------------------------------------------------------------------

def test_account_search_by_username_and_display_name(make_user):
    u, s = make_user("findme"), make_user("searcher")
    word = "Zephyr" + uuid.uuid4().hex[:6]
    u.api.account_update_credentials(display_name=f"{word} Person")
    assert u.id in [a["id"] for a in s.api.account_search(u.name)]
    assert u.id in [a["id"] for a in s.api.account_search(u.name[:8])]
    found = s.api.account_search(word)
    assert [a["id"] for a in found] == [u.id]


def test_account_search_limit(make_user):
    prefix = "srch" + uuid.uuid4().hex[:4]
    users = [make_user(prefix) for _ in range(3)]
    got = users[0].api.account_search(prefix, limit=2)
    assert len(got) == 2
    assert {a["id"] for a in got} <= {u.id for u in users}


# ---- preferences / markers / emojis --------------------------------------------------------

def test_preferences(make_user):
    u = make_user("prefs")
    p = u.api.preferences()
    assert p["posting:default:visibility"] == "public"
    assert p["posting:default:sensitive"] is False
    assert "posting:default:language" in p
    assert p["reading:expand:media"] == "default"
    assert p["reading:expand:spoilers"] is False


def test_markers_set_and_get(make_user):
    u = make_user("markers")
    s = u.api.status_post("a marker target")
    out = u.api.markers_set(["home"], [s["id"]])
    assert out["home"]["last_read_id"] == s["id"]
    v1 = out["home"]["version"]
    got = u.api.markers_get(["home"])
    assert got["home"]["last_read_id"] == s["id"]
    s2 = u.api.status_post("newer")
    out = u.api.markers_set(["home"], [s2["id"]])
    assert out["home"]["last_read_id"] == s2["id"]
    assert out["home"]["version"] > v1
    assert "notifications" not in u.api.markers_get(["home"])


def test_markers_form_body(make_user, http):
    u = make_user("markersform")
    r = http.post("/api/v1/markers", token=u.token, data={"notifications[last_read_id]": "12345"})
    assert assert_json(r)["notifications"]["last_read_id"] == "12345"
    got = assert_json(http.get("/api/v1/markers", token=u.token, params={"timeline[]": "notifications"}))
    assert got["notifications"]["last_read_id"] == "12345"


def test_custom_emojis_is_a_list(http):
    assert assert_json(http.get("/api/v1/custom_emojis")) == []


def test_lookup_is_case_insensitive(make_user, anon):
    u = make_user("casey")
    assert anon.account_lookup(u.name.upper())["id"] == u.id
