"""Hashtags: a tag's page with its daily history, following and
unfollowing it, and the list of followed tags (Mastodon.py 1.8 has no
calls for these, so raw HTTP, as masto.js sends them)."""

import time

from conftest import assert_error, assert_json, unique_name


def test_tag_history_counts_posts_and_distinct_accounts(http, make_user):
    tag = unique_name("Voices")
    a, b = make_user("histA"), make_user("histB")
    for i in range(3):
        a.api.status_post(f"story {i} #{tag}")
    b.api.status_post(f"mine too #{tag.upper()}")
    b.api.status_post(f"only my followers #{tag}", visibility="private")
    t = assert_json(http.get(f"/api/v1/tags/{tag.lower()}"))
    assert t["name"] == tag  # as first written
    assert t["url"].endswith(f"/tags/{tag}")
    assert "following" not in t  # no token, no opinion
    assert len(t["history"]) == 7
    today = t["history"][0]
    midnight = int(time.time()) // 86400 * 86400
    assert today == {"day": str(midnight), "uses": "4", "accounts": "2"}
    days = [int(h["day"]) for h in t["history"]]
    assert days == [midnight - 86400 * i for i in range(7)]
    assert all(h["uses"] == "0" for h in t["history"][1:])


def test_follow_and_unfollow_a_tag(http, make_user):
    u = make_user("tagfan")
    tag = unique_name("NewTag")
    fresh = assert_json(http.get(f"/api/v1/tags/{tag}", token=u.token))
    assert "id" not in fresh and fresh["following"] is False
    followed = assert_json(http.post(f"/api/v1/tags/{tag}/follow", token=u.token))
    assert followed["following"] is True and followed["id"]
    assert assert_json(http.get(f"/api/v1/tags/{tag}", token=u.token))["following"] is True
    # twice is fine
    assert_json(http.post(f"/api/v1/tags/{tag}/follow", token=u.token))
    other = unique_name("Other")
    assert_json(http.post(f"/api/v1/tags/{other}/follow", token=u.token))
    listed = assert_json(http.get("/api/v1/followed_tags", token=u.token))
    assert [t["name"] for t in listed] == [other, tag]
    page = http.get("/api/v1/followed_tags", token=u.token, params={"limit": 1})
    assert [t["name"] for t in assert_json(page)] == [other]
    assert 'rel="next"' in page.headers["Link"]
    unf = assert_json(http.post(f"/api/v1/tags/{tag}/unfollow", token=u.token))
    assert unf["following"] is False
    listed = assert_json(http.get("/api/v1/followed_tags", token=u.token))
    assert [t["name"] for t in listed] == [other]


def test_tag_errors(http, make_user):
    u = make_user("tagerr")
    assert_error(http.get("/api/v1/tags/not%20a%20tag"), 404)
    assert_error(http.post("/api/v1/tags/fine/follow"), 401)
    assert_error(http.get("/api/v1/followed_tags"), 401)
    assert_error(http.post("/api/v1/tags/%23%23/follow", token=u.token), 404)


def test_posts_with_a_followed_tag_reach_home(http, make_user):
    fan, stranger = make_user("tagfan2"), make_user("stranger")
    tag = unique_name("Movement")
    home = lambda: [s["id"] for s in fan.api.timeline_home(limit=40)]
    assert home() == []  # reads (and keeps) the empty home first
    assert_json(http.post(f"/api/v1/tags/{tag}/follow", token=fan.token))
    public = stranger.api.status_post(f"me too #{tag}")
    private = stranger.api.status_post(f"only followers #{tag}", visibility="private")
    stranger.api.status_post("no tag here")
    assert home() == [public["id"]]
    later = stranger.api.status_post(f"and me #{tag.lower()}")
    assert home() == [later["id"], public["id"]]
    assert private["id"] not in home()
    assert_json(http.post(f"/api/v1/tags/{tag}/unfollow", token=fan.token))
    assert home() == []


def test_featured_tags_through_mastodon_py(make_user, anon):
    u = make_user("featurer")
    tag, other = unique_name("Survivors"), unique_name("HeardYou")
    u.api.status_post(f"first #{tag}")
    u.api.status_post(f"second #{tag} #{other}")
    u.api.status_post(f"third #{tag}", visibility="private")  # not counted
    sugg = [t["name"] for t in u.api.featured_tag_suggestions()]
    assert sugg[:2] == [tag, other]  # most used first
    f = u.api.featured_tag_create(tag)
    assert f["name"] == tag and f["statuses_count"] == "2"
    assert f["url"].endswith(f"/@{u.name}/tagged/{tag}")
    # Mastodon.py parses the date ("YYYY-MM-DD") into a datetime
    assert str(f["last_status_at"])[:10] == time.strftime("%Y-%m-%d", time.gmtime())
    assert [t["name"] for t in u.api.featured_tag_suggestions()] == [other]
    assert [t["id"] for t in u.api.featured_tags()] == [f["id"]]
    shown = anon.account_featured_tags(u.id)
    assert [t["name"] for t in shown] == [tag]
    u.api.featured_tag_delete(f["id"])
    assert u.api.featured_tags() == []


def test_featured_tag_errors(http, make_user):
    u, v = make_user("feat2"), make_user("feat3")
    assert_error(http.post("/api/v1/featured_tags", token=u.token,
                           data={"name": "not a tag"}), 422)
    assert_error(http.post("/api/v1/featured_tags", token=u.token, data={}), 422)
    name = unique_name("Dup")
    f = assert_json(http.post("/api/v1/featured_tags", token=u.token, data={"name": name}))
    assert_error(http.post("/api/v1/featured_tags", token=u.token,
                           data={"name": "#" + name.lower()}), 422)
    # someone else's featured tag is not theirs to delete
    assert_error(http.delete(f"/api/v1/featured_tags/{f['id']}", token=v.token), 404)
    for i in range(9):
        assert_json(http.post("/api/v1/featured_tags", token=u.token,
                              data={"name": unique_name("Many")}))
    assert_error(http.post("/api/v1/featured_tags", token=u.token,
                           data={"name": unique_name("Eleventh")}), 422)
    assert_error(http.get("/api/v1/accounts/999999999/featured_tags"), 404)
