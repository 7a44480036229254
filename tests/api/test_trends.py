"""Trends: trending hashtags (with their history) and statuses through
Mastodon.py, their paging and its bad input, and the moderators' review
of hashtags (the admin trends API), with and without
[trends] require_review."""

import time

import pytest
import requests

from conftest import (ChorusServer, assert_error, assert_json, chorus_bin, login,
                      unique_name)

ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"]
CROWD = 6  # distinct accounts: above Mastodon's threshold of 5


def midnight():
    return str(int(time.time()) // 86400 * 86400)


def all_trending(http, path="/api/v1/trends/tags", token=None):
    """Every item of a trends list, paging by offset to its end."""
    items, offset = [], 0
    while True:
        page = assert_json(http.get(path, token=token,
                                    params={"limit": 20, "offset": offset}))
        items += page
        if len(page) < 20:
            return items
        offset += 20


def crowd_posts(users, text):
    for u in users:
        u.api.status_post(text)


@pytest.fixture(scope="module")
def crowd(make_user):
    return [make_user(f"crowd{i}") for i in range(CROWD)]


def test_many_accounts_make_a_tag_trend_one_noisy_account_does_not(
        http, anon, crowd, make_user):
    rising, noisy = unique_name("Rising"), unique_name("Noisy")
    loud = make_user("loud")
    for i in range(50):
        loud.api.status_post(f"again {i} #{noisy}")
    crowd_posts(crowd, f"we are many #{rising}")
    names = [t["name"] for t in all_trending(http)]
    assert rising in names
    assert noisy not in names
    # Mastodon.py's call, and its hashtag dicts with the history
    shown = {t["name"]: t for t in anon.trending_tags(limit=20)}
    if rising in shown:  # other tests' tags may rank above it
        assert shown[rising]["history"][0]["accounts"] == str(CROWD)
    t = next(t for t in all_trending(http) if t["name"] == rising)
    assert t["url"].endswith(f"/tags/{rising}")
    assert len(t["history"]) == 7
    assert t["history"][0] == {"day": midnight(), "uses": str(CROWD),
                               "accounts": str(CROWD)}
    assert "following" not in t  # anonymous
    # the tag's own page reads the same counters
    one = assert_json(http.get(f"/api/v1/tags/{noisy}"))
    assert one["history"][0] == {"day": midnight(), "uses": "50", "accounts": "1"}
    assert assert_json(http.get(f"/api/v1/tags/{rising}"))["history"] == t["history"]


def test_trending_tags_show_following_with_a_token(http, crowd):
    tag = unique_name("Followed")
    crowd_posts(crowd, f"#{tag}")
    fan = crowd[0]
    assert_json(http.post(f"/api/v1/tags/{tag}/follow", token=fan.token))
    mine = {t["name"]: t for t in all_trending(http, token=fan.token)}
    assert mine[tag]["following"] is True


def test_private_unlisted_and_boosted_uses_do_not_count(http, crowd):
    tag = unique_name("Quiet")
    first = crowd[0].api.status_post(f"#{tag}")
    for u in crowd[1:]:
        u.api.status_post(f"#{tag}", visibility="unlisted")
        u.api.status_post(f"#{tag}", visibility="private")
        u.api.status_reblog(first["id"])
    assert tag not in [t["name"] for t in all_trending(http)]
    h = assert_json(http.get(f"/api/v1/tags/{tag}"))["history"][0]
    assert (h["uses"], h["accounts"]) == ("1", "1")


def test_trending_statuses_through_mastodon_py(http, anon, crowd, make_user):
    author = make_user("trendsetter")
    loved = author.api.status_post("a post everyone loves")
    hidden = author.api.status_post("only for followers", visibility="private")
    warned = author.api.status_post("behind a warning", spoiler_text="cw")
    parent = author.api.status_post("a thread")
    answer = author.api.status_post("and a reply", in_reply_to_id=parent["id"])
    for u in crowd[:4]:
        u.api.status_favourite(loved["id"])
    ids = lambda: [str(s["id"]) for s in all_trending(http, "/api/v1/trends/statuses")]
    assert str(loved["id"]) not in ids()  # four is not yet five
    crowd[4].api.status_reblog(loved["id"])
    for u in crowd[:5]:
        u.api.status_favourite(warned["id"])
        u.api.status_favourite(answer["id"])
    author.api.status_favourite(hidden["id"])  # its author may; nobody sees it
    now = ids()
    assert str(loved["id"]) in now
    assert str(warned["id"]) not in now and str(answer["id"]) not in now
    assert str(hidden["id"]) not in now
    via_client = anon.trending_statuses()
    assert isinstance(via_client, list)
    if len(via_client) < 20:
        assert loved["id"] in [s["id"] for s in via_client]
    got = next(s for s in all_trending(http, "/api/v1/trends/statuses")
               if str(s["id"]) == str(loved["id"]))
    assert got["favourites_count"] == 4 and got["reblogs_count"] == 1
    # the viewer's flags, as in timelines
    mine = all_trending(http, "/api/v1/trends/statuses", token=crowd[0].token)
    assert next(s for s in mine if s["id"] == got["id"])["favourited"] is True
    # taking a favourite back takes it out again
    crowd[0].api.status_unfavourite(loved["id"])
    assert str(loved["id"]) not in ids()


def test_trends_alias_and_links(http, crowd):
    crowd_posts(crowd, f"#{unique_name('Alias')}")
    tags = assert_json(http.get("/api/v1/trends/tags"))
    assert tags and assert_json(http.get("/api/v1/trends")) == tags
    assert assert_json(http.get("/api/v1/trends/links")) == []


def test_paging_and_bad_input(http, crowd, server):
    for _ in range(3):
        crowd_posts(crowd, f"#{unique_name('Page')}")
    everything = [t["name"] for t in all_trending(http)]
    assert len(everything) >= 3
    first = http.get("/api/v1/trends/tags", params={"limit": 1})
    assert [t["name"] for t in assert_json(first)] == everything[:1]
    assert 'rel="next"' in first.headers["Link"] and "offset=1" in first.headers["Link"]
    second = http.get("/api/v1/trends/tags", params={"limit": 1, "offset": 1})
    assert [t["name"] for t in assert_json(second)] == everything[1:2]
    assert 'rel="prev"' in second.headers["Link"]
    # limit is clamped as Mastodon clamps it
    assert len(assert_json(http.get("/api/v1/trends/tags", params={"limit": -1}))) == 1
    assert len(assert_json(http.get("/api/v1/trends/tags", params={"limit": 10**9}))) <= 20
    assert len(assert_json(http.get("/api/v1/trends/tags",
                                    params={"limit": "many"}))) <= 1
    assert len(assert_json(http.get("/api/v1/trends/statuses",
                                    params={"limit": 10**12}))) <= 40
    # a bad offset is a clear 400; one past the end is simply empty
    for path in ("/api/v1/trends/tags", "/api/v1/trends/statuses"):
        for bad in ("-1", "abc", "1e3", " 2"):
            assert_error(http.get(path, params={"offset": bad}), 400, contains="offset")
        assert assert_json(http.get(path, params={"offset": "9" * 30})) == []
        assert assert_json(http.get(path, params={"offset": 10**6})) == []
    assert requests.get(server.url + "/api/v1/instance", timeout=5).status_code == 200


def test_admin_review_needs_staff_and_admin_scopes(http, server, alice, crowd):
    tag = unique_name("Reviewed")
    crowd_posts(crowd, f"#{tag}")
    owner = login(server, "alice@example.com", "alice-secret-pw", scopes=ADMIN_SCOPES)
    listed = {t["name"]: t for t in owner.admin_trending_tags(limit=20)}
    assert tag in listed or len(listed) == 20
    mine = next(t for t in all_trending(http, "/api/v1/admin/trends/tags",
                                        token=owner.access_token) if t["name"] == tag)
    assert (mine["trendable"], mine["usable"], mine["requires_review"]) == (True, True, True)
    # a user is not staff, whatever the token's scopes
    bob = login(server, "bob@example.com", "bob-secret-pw1", scopes=ADMIN_SCOPES)
    assert_error(http.get("/api/v1/admin/trends/tags", token=bob.access_token), 403)
    assert_error(http.post(f"/api/v1/admin/trends/tags/{mine['id']}/reject",
                           token=bob.access_token), 403)
    # staff without the admin scopes is refused too
    assert_error(http.get("/api/v1/admin/trends/tags", token=alice.token), 403)
    assert_error(http.get("/api/v1/admin/trends/tags"), 401)
    # a rejected tag stops trending at once; approval brings it back
    r = assert_json(http.post(f"/api/v1/admin/trends/tags/{mine['id']}/reject",
                              token=owner.access_token))
    assert (r["name"], r["trendable"], r["requires_review"]) == (tag, False, False)
    assert tag not in [t["name"] for t in all_trending(http)]
    r = assert_json(http.post(f"/api/v1/admin/trends/tags/{mine['id']}/approve",
                              token=owner.access_token))
    assert r["trendable"] is True
    assert tag in [t["name"] for t in all_trending(http)]
    assert_error(http.post("/api/v1/admin/trends/tags/123456789/approve",
                           token=owner.access_token), 404)
    assert_error(http.post("/api/v1/admin/trends/tags/nope/approve",
                           token=owner.access_token), 404)


def test_require_review_shows_only_approved_tags(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path, config="[trends]\nrequire_review = true\n")
    srv.create_user("keeper", "keeper@example.com", "mod-password-1", role="moderator")
    for i in range(CROWD):
        srv.create_user(f"v{i}", f"v{i}@example.com", "voice-password")
    srv.start()
    try:
        voices = [login(srv, f"v{i}@example.com", "voice-password") for i in range(CROWD)]
        mod = login(srv, "keeper@example.com", "mod-password-1", scopes=ADMIN_SCOPES)
        for v in voices:
            v.status_post("#Unreviewed #Approved")
        pub = lambda: [t["name"] for t in
                       requests.get(srv.url + "/api/v1/trends/tags", timeout=10).json()]
        assert pub() == []
        queue = {t["name"]: t for t in mod.admin_trending_tags()}
        assert set(queue) == {"Unreviewed", "Approved"}
        assert all(t["requires_review"] and not t["trendable"] for t in queue.values())
        r = requests.post(f"{srv.url}/api/v1/admin/trends/tags/{queue['Approved']['id']}"
                          "/approve", headers={"Authorization": f"Bearer {mod.access_token}"},
                          timeout=10)
        assert r.status_code == 200 and r.json()["trendable"] is True
        assert pub() == ["Approved"]
        assert [t["name"] for t in voices[0].trending_tags()] == ["Approved"]
    finally:
        assert srv.stop() == 0
