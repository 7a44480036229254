"""Statuses end to end through Mastodon.py: the movement thread (#MeToo),
threads and context order, counts, hashtags/mentions markup, notifications,
edits, deletes, bookmarks, favourites, pins, idempotency, character
counting, and the chorus descendants extension for huge threads."""

import uuid
from types import SimpleNamespace

import pytest
from mastodon import MastodonAPIError, MastodonError

from conftest import (api_error_message, api_error_status, assert_error, assert_json,
                      html_links, html_text, ids)


# ---- the movement thread ----------------------------------------------------

@pytest.fixture(scope="module")
def movement(make_user):
    """alice starts a #MeToo thread; bob and carol reply (nested), boost and
    favourite it. No self-replies, so depth-first order is unambiguous."""
    a, b, c = make_user("alice"), make_user("bob"), make_user("carol")
    b.api.account_follow(a.id)
    c.api.account_follow(a.id)
    root = a.api.status_post(
        f"If this happened to you too, reply with #MeToo. You are not alone. "
        f"@{b.name} said she would go first.", visibility="public", language="en")
    r1 = b.api.status_reply(root, "#MeToo it happened at my first job.")
    r2 = c.api.status_reply(root, "#MeToo and I never told anyone until today.")
    r1a = c.api.status_reply(r1, "I believe you.")
    r1a1 = b.api.status_reply(r1a, "Thank you, that means a lot.")
    r1b = a.api.status_reply(r1, "Thank you for trusting us with this.")
    r2a = b.api.status_reply(r2, "Sending you strength.")
    boost_b = b.api.status_reblog(root)
    boost_c = c.api.status_reblog(root)
    b.api.status_favourite(root)
    c.api.status_favourite(root)
    return SimpleNamespace(a=a, b=b, c=c, root=root, r1=r1, r2=r2, r1a=r1a, r1a1=r1a1,
                           r1b=r1b, r2a=r2a, boost_b=boost_b, boost_c=boost_c)


def test_replies_link_to_their_parent(movement):
    m = movement
    assert m.r1["in_reply_to_id"] == m.root["id"]
    assert m.r1["in_reply_to_account_id"] == m.a.id
    assert m.r1a["in_reply_to_id"] == m.r1["id"]
    assert m.r1a["in_reply_to_account_id"] == m.b.id
    assert m.r1a1["in_reply_to_id"] == m.r1a["id"]
    assert m.root["in_reply_to_id"] is None


def test_context_descendants_depth_first(movement):
    m = movement
    ctx = m.a.api.status_context(m.root["id"])
    assert ctx["ancestors"] == []
    assert ids(ctx["descendants"]) == ids([m.r1, m.r1a, m.r1a1, m.r1b, m.r2, m.r2a])


def test_context_ancestors_oldest_first(movement):
    m = movement
    ctx = m.c.api.status_context(m.r1a1["id"])
    assert ids(ctx["ancestors"]) == ids([m.root, m.r1, m.r1a])
    assert ctx["descendants"] == []


def test_context_of_a_middle_reply(movement):
    m = movement
    ctx = m.b.api.status_context(m.r1["id"])
    assert ids(ctx["ancestors"]) == ids([m.root])
    assert ids(ctx["descendants"]) == ids([m.r1a, m.r1a1, m.r1b])


def test_context_anonymous_matches(movement, http):
    m = movement
    body = assert_json(http.get(f"/api/v1/statuses/{m.root['id']}/context"))
    assert ids(body["descendants"]) == ids([m.r1, m.r1a, m.r1a1, m.r1b, m.r2, m.r2a])
    assert body["ancestors"] == []


def test_counts_after_replies_boosts_favourites(movement):
    m = movement
    root = m.a.api.status(m.root["id"])
    assert root["replies_count"] == 2
    assert root["reblogs_count"] == 2
    assert root["favourites_count"] == 2
    r1 = m.a.api.status(m.r1["id"])
    assert r1["replies_count"] == 2
    assert m.a.api.status(m.r1a["id"])["replies_count"] == 1
    assert m.a.api.status(m.r2a["id"])["replies_count"] == 0


def test_viewer_flags(movement):
    m = movement
    as_b = m.b.api.status(m.root["id"])
    assert as_b["favourited"] is True and as_b["reblogged"] is True
    as_a = m.a.api.status(m.root["id"])
    assert as_a["favourited"] is False and as_a["reblogged"] is False


def test_a_single_status_shows_every_flag_of_its_reader(make_user):
    """GET /statuses/:id with its reader's flags (on PostgreSQL read with
    the row, as a page of one), a boost's wrapper mirroring its target's."""
    h, x, z = make_user("one_h"), make_user("one_x"), make_user("one_z")
    post = x.api.status_post("flag me every way")
    h.api.status_favourite(post["id"])
    h.api.status_bookmark(post["id"])
    h.api.status_mute(post["id"])
    mine = h.api.status_post("pinned by me")
    h.api.status_pin(mine["id"])
    theirs = z.api.status_post("boosted by x, favourited by the reader")
    wrapper = x.api.status_reblog(theirs["id"])
    h.api.status_favourite(theirs["id"])
    got = h.api.status(post["id"])
    assert [got[k] for k in ("favourited", "bookmarked", "muted", "reblogged")] == \
        [True, True, True, False]
    assert h.api.status(mine["id"])["pinned"] is True
    w = h.api.status(wrapper["id"])
    assert w["reblog"]["favourited"] is True and w["favourited"] is True
    assert w["reblog"]["reblogged"] is False
    other = z.api.status(post["id"])
    assert [other[k] for k in ("favourited", "bookmarked", "muted")] == [False, False, False]


def test_reblog_returns_wrapper(movement):
    m = movement
    w = m.boost_b
    assert w["reblog"] is not None
    assert w["reblog"]["id"] == m.root["id"]
    assert w["id"] != m.root["id"]
    assert w["account"]["id"] == m.b.id
    assert w["reblog"]["account"]["id"] == m.a.id


def test_hashtag_is_normalised_in_tags(movement):
    m = movement
    tags = m.root["tags"]
    assert len(tags) == 1
    assert tags[0]["name"] == "metoo"
    assert tags[0]["url"].lower().endswith("/tags/metoo")
    assert [t["name"] for t in m.r1["tags"]] == ["metoo"]


def test_hashtag_link_markup(movement):
    links = [l for l in html_links(movement.root["content"]) if "hashtag" in l["classes"]]
    assert len(links) == 1, movement.root["content"]
    link = links[0]
    assert {"mention", "hashtag"} <= link["classes"]
    assert "tag" in link["rel"]
    assert link["text"] == "#MeToo"
    assert link["attrs"]["href"].lower().endswith("/tags/metoo")
    assert link["attrs"]["href"].startswith("http")


def test_mention_entity_and_hcard(movement):
    m = movement
    mentions = m.root["mentions"]
    assert len(mentions) == 1
    mention = mentions[0]
    assert mention["id"] == m.b.id
    assert mention["username"] == m.b.name
    assert mention["acct"] == m.b.name
    assert mention["url"].startswith("http")
    links = [l for l in html_links(m.root["content"]) if "mention" in l["classes"]
             and "hashtag" not in l["classes"]]
    assert len(links) == 1, m.root["content"]
    link = links[0]
    assert "u-url" in link["classes"]
    assert link["text"] == f"@{m.b.name}"
    assert link["attrs"]["href"] == mention["url"]
    assert any("h-card" in cls.split() for cls in link["span_classes"]), m.root["content"]


def test_reply_mentions_the_parent_author(movement):
    m = movement
    assert m.a.id in [x["id"] for x in m.r1["mentions"]]
    assert {x["id"] for x in m.r1a["mentions"]} == {m.a.id, m.b.id}


def test_tag_timeline_has_the_thread(movement, anon):
    m = movement
    got = ids(anon.timeline_hashtag("metoo", limit=40))
    for s in (m.root, m.r1, m.r2):
        assert str(s["id"]) in got
    got_upper = ids(anon.timeline_hashtag("MeToo", limit=40))
    assert str(m.root["id"]) in got_upper


def test_favourited_by_and_reblogged_by(movement):
    m = movement
    favs = m.a.api.status_favourited_by(m.root["id"])
    assert {x["id"] for x in favs} == {m.b.id, m.c.id}
    boosts = m.a.api.status_reblogged_by(m.root["id"])
    assert {x["id"] for x in boosts} == {m.b.id, m.c.id}


def test_favourites_list(movement):
    m = movement
    assert str(m.root["id"]) in ids(m.c.api.favourites())
    assert str(m.root["id"]) not in ids(m.a.api.favourites())


# ---- notifications ------------------------------------------------------------

def test_notifications_for_the_organiser(movement):
    m = movement
    notes = m.a.api.notifications(limit=40)
    by_type = {}
    for n in notes:
        by_type.setdefault(n["type"], []).append(n)
    assert set(by_type) == {"mention", "reblog", "favourite", "follow"}, sorted(by_type)
    assert {str(n["status"]["id"]) for n in by_type["mention"]} == \
        set(ids([m.r1, m.r2, m.r1a, m.r1a1, m.r2a]))
    assert {n["account"]["id"] for n in by_type["follow"]} == {m.b.id, m.c.id}
    for kind in ("reblog", "favourite"):
        assert len(by_type[kind]) == 2
        assert all(n["status"]["id"] == m.root["id"] for n in by_type[kind])
        assert {n["account"]["id"] for n in by_type[kind]} == {m.b.id, m.c.id}
    assert all("status" not in n or n["status"] is None for n in by_type["follow"])
    nids = [n["id"] for n in notes]
    assert nids == sorted(nids, reverse=True), "notifications must be newest first"


def test_notifications_types_filter(movement):
    m = movement
    mentions = m.a.api.notifications(types=["mention"], limit=40)
    assert len(mentions) == 5 and {n["type"] for n in mentions} == {"mention"}
    two = m.a.api.notifications(types=["follow", "favourite"], limit=40)
    assert sorted(n["type"] for n in two) == ["favourite", "favourite", "follow", "follow"]


def test_notifications_exclude_types_filter(movement):
    m = movement
    rest = m.a.api.notifications(exclude_types=["mention"], limit=40)
    assert sorted(n["type"] for n in rest) == ["favourite", "favourite", "follow", "follow",
                                               "reblog", "reblog"]
    only_reblogs = m.a.api.notifications(exclude_types=["mention", "follow", "favourite"], limit=40)
    assert {n["type"] for n in only_reblogs} == {"reblog"} and len(only_reblogs) == 2


def test_notification_get_single(movement):
    m = movement
    n = m.a.api.notifications(types=["follow"], limit=1)[0]
    one = m.a.api.notifications(id=n["id"])
    assert one["id"] == n["id"] and one["type"] == "follow"
    # someone else's notification is not found
    with pytest.raises(MastodonError) as ei:
        m.b.api.notifications(id=n["id"])
    assert api_error_status(ei.value) == 404


def test_notifications_dismiss_and_clear(make_user):
    x, y = make_user("notify_x"), make_user("notify_y")
    y.api.account_follow(x.id)
    post = x.api.status_post("please react")
    y.api.status_favourite(post["id"])
    y.api.status_post(f"@{x.name} hello")
    notes = x.api.notifications()
    assert sorted(n["type"] for n in notes) == ["favourite", "follow", "mention"]
    follow = [n for n in notes if n["type"] == "follow"][0]
    x.api.notifications_dismiss(follow["id"])
    after = x.api.notifications()
    assert sorted(n["type"] for n in after) == ["favourite", "mention"]
    with pytest.raises(MastodonError) as ei:
        x.api.notifications(id=follow["id"])
    assert api_error_status(ei.value) == 404
    x.api.notifications_clear()
    assert x.api.notifications() == []


def test_no_notification_for_own_actions(make_user):
    u = make_user("selfnote")
    s = u.api.status_post(f"talking to myself @{u.name}")
    u.api.status_favourite(s["id"])
    u.api.status_reblog(s["id"])
    assert u.api.notifications() == []


# ---- edit / history / source / delete -------------------------------------------

def test_edit_history_and_source(make_user):
    u = make_user("editor")
    s = u.api.status_post("first version #MeToo", spoiler_text="cw one")
    assert s["edited_at"] is None
    e = u.api.status_update(s["id"], status="second version, edited #MeToo", spoiler_text="cw two")
    assert e["id"] == s["id"]
    assert e["edited_at"] is not None
    assert "second version" in e["content"] and "first version" not in e["content"]
    assert e["spoiler_text"] == "cw two"
    fetched = u.api.status(s["id"])
    assert "second version" in fetched["content"]
    assert fetched["edited_at"] is not None
    hist = u.api.status_history(s["id"])
    assert len(hist) == 2
    assert "first version" in hist[0]["content"] and hist[0]["spoiler_text"] == "cw one"
    assert "second version" in hist[1]["content"] and hist[1]["spoiler_text"] == "cw two"
    assert hist[0]["account"]["id"] == u.id
    assert hist[0]["created_at"] <= hist[1]["created_at"]
    src = u.api.status_source(s["id"])
    assert src["id"] == s["id"]
    assert src["text"] == "second version, edited #MeToo"
    assert src["spoiler_text"] == "cw two"


def test_history_of_unedited_status_has_one_entry(make_user):
    u = make_user("noedit")
    s = u.api.status_post("never edited")
    hist = u.api.status_history(s["id"])
    assert len(hist) == 1 and "never edited" in hist[0]["content"]


def test_edit_updates_tags(make_user, anon):
    u = make_user("retag")
    tag_a, tag_b = "edtag" + uuid.uuid4().hex[:8], "edtag" + uuid.uuid4().hex[:8]
    s = u.api.status_post(f"about #{tag_a}")
    u.api.status_update(s["id"], status=f"now about #{tag_b}")
    assert [t["name"] for t in u.api.status(s["id"])["tags"]] == [tag_b]
    assert ids(anon.timeline_hashtag(tag_b)) == [str(s["id"])]
    assert ids(anon.timeline_hashtag(tag_a)) == []


def test_edit_someone_elses_status_is_404(make_user, http):
    owner, other = make_user("owner"), make_user("other")
    s = owner.api.status_post("mine")
    r = http.put(f"/api/v1/statuses/{s['id']}", token=other.token, data={"status": "hijacked"})
    assert_error(r, 404)
    assert "mine" in owner.api.status(s["id"])["content"]


def test_edit_over_limit_is_422(make_user, http):
    u = make_user("editlong")
    s = u.api.status_post("short")
    r = http.put(f"/api/v1/statuses/{s['id']}", token=u.token, data={"status": "a" * 501})
    assert_error(r, 422, "Validation failed: Text character limit of 500 exceeded")


def test_delete_returns_source_text(make_user, http):
    u = make_user("deleter")
    before = u.api.account_verify_credentials()["statuses_count"]
    s = u.api.status_post("to be deleted & redrafted #MeToo", spoiler_text="cw")
    assert u.api.account_verify_credentials()["statuses_count"] == before + 1
    d = u.api.status_delete(s["id"])
    assert d["id"] == s["id"]
    assert d["text"] == "to be deleted & redrafted #MeToo"
    assert d["spoiler_text"] == "cw"
    assert_error(http.get(f"/api/v1/statuses/{s['id']}"), 404, "Record not found")
    assert_error(http.get(f"/api/v1/statuses/{s['id']}", token=u.token), 404)
    assert_error(http.delete(f"/api/v1/statuses/{s['id']}", token=u.token), 404)
    assert u.api.account_verify_credentials()["statuses_count"] == before


def test_delete_someone_elses_status_is_404(make_user, http):
    owner, other = make_user("owner"), make_user("other")
    s = owner.api.status_post("not yours to delete")
    assert_error(http.delete(f"/api/v1/statuses/{s['id']}", token=other.token), 404)
    assert owner.api.status(s["id"])["id"] == s["id"]


def test_deleted_reply_leaves_thread(make_user):
    a, b = make_user("thr_a"), make_user("thr_b")
    root = a.api.status_post("thread root")
    reply = b.api.status_post("reply", in_reply_to_id=root["id"])
    assert a.api.status(root["id"])["replies_count"] == 1
    b.api.status_delete(reply["id"])
    assert a.api.status_context(root["id"])["descendants"] == []
    assert a.api.status(root["id"])["replies_count"] == 0


# ---- favourite / reblog toggles -------------------------------------------------

def test_counters_move_on_a_cached_status_and_its_page(make_user, http):
    """A status's rendering is cached without its counters, which are added
    as read: every act must show at once, in the API and on the page an
    anonymous visitor was served a moment before."""
    a, b = make_user("cnt_a"), make_user("cnt_b")
    s = a.api.status_post("count me")
    path = "/" + s["url"].split("/", 3)[3]
    page = http.get(path)
    assert page.status_code == 200
    assert "<li>0 favourites</li>" in page.text
    for _ in range(2):  # read twice: the second comes from the caches
        got = b.api.status(s["id"])
        assert (got["replies_count"], got["reblogs_count"], got["favourites_count"]) == (0, 0, 0)
        http.get(path)
    # one's own favourite notifies no one, so no event drops the page:
    # the counter's own change must
    a.api.status_favourite(s["id"])
    assert "<li>1 favourite</li>" in http.get(path).text
    a.api.status_unfavourite(s["id"])
    assert "<li>0 favourites</li>" in http.get(path).text
    b.api.status_favourite(s["id"])
    b.api.status_reblog(s["id"])
    reply = b.api.status_post("counted", in_reply_to_id=s["id"])
    got = a.api.status(s["id"])
    assert (got["replies_count"], got["reblogs_count"], got["favourites_count"]) == (1, 1, 1)
    # in a timeline too, where the cached fields are joined by the counters
    mine = [x for x in a.api.account_statuses(a.id) if str(x["id"]) == str(s["id"])]
    assert mine and mine[0]["favourites_count"] == 1
    html = http.get(path).text
    assert '<ul class="counts">' in html
    counts = html.split('<ul class="counts">', 1)[1].split("</ul>", 1)[0]
    assert counts == "<li>1 reply</li><li>1 boost</li><li>1 favourite</li>", counts
    b.api.status_unfavourite(s["id"])
    b.api.status_unreblog(s["id"])
    b.api.status_delete(reply["id"])
    got = a.api.status(s["id"])
    assert (got["replies_count"], got["reblogs_count"], got["favourites_count"]) == (0, 0, 0)

def test_favourite_unfavourite_idempotent(make_user):
    a, b = make_user("fav_a"), make_user("fav_b")
    s = a.api.status_post("like me")
    r = b.api.status_favourite(s["id"])
    assert r["favourited"] is True and r["favourites_count"] == 1
    r = b.api.status_favourite(s["id"])
    assert r["favourites_count"] == 1
    r = b.api.status_unfavourite(s["id"])
    assert r["favourited"] is False and r["favourites_count"] == 0
    assert str(s["id"]) not in ids(b.api.favourites())


def test_reblog_unreblog(make_user):
    a, b = make_user("rb_a"), make_user("rb_b")
    s = a.api.status_post("boost me")
    w1 = b.api.status_reblog(s["id"])
    w2 = b.api.status_reblog(s["id"])
    assert w1["id"] == w2["id"], "reblogging twice must not create a second boost"
    assert a.api.status(s["id"])["reblogs_count"] == 1
    r = b.api.status_unreblog(s["id"])
    assert r["id"] == s["id"] and r["reblogged"] is False
    assert a.api.status(s["id"])["reblogs_count"] == 0
    assert b.api.status_reblogged_by(s["id"]) == []


# ---- bookmarks / pins ---------------------------------------------------------------

def test_bookmark_unbookmark(movement):
    m = movement
    r = m.b.api.status_bookmark(m.r2["id"])
    assert r["bookmarked"] is True
    assert str(m.r2["id"]) in ids(m.b.api.bookmarks())
    assert m.b.api.status(m.r2["id"])["bookmarked"] is True
    assert m.c.api.status(m.r2["id"])["bookmarked"] is False  # per viewer
    r = m.b.api.status_unbookmark(m.r2["id"])
    assert r["bookmarked"] is False
    assert str(m.r2["id"]) not in ids(m.b.api.bookmarks())


def test_pin_unpin_and_pinned_filter(make_user):
    u = make_user("pinner")
    s1 = u.api.status_post("pin me")
    u.api.status_post("do not pin me")
    p = u.api.status_pin(s1["id"])
    assert p["pinned"] is True
    pinned = u.api.account_statuses(u.id, pinned=True)
    assert ids(pinned) == [str(s1["id"])]
    assert pinned[0]["pinned"] is True
    u.api.status_unpin(s1["id"])
    assert u.api.account_statuses(u.id, pinned=True) == []
    assert u.api.status(s1["id"])["pinned"] is False


def test_pin_someone_elses_status_is_422(make_user, http):
    a, b = make_user("pin_a"), make_user("pin_b")
    s = a.api.status_post("not yours")
    assert_error(http.post(f"/api/v1/statuses/{s['id']}/pin", token=b.token), 422)


# ---- idempotency ----------------------------------------------------------------------

def test_idempotency_key_returns_same_status(make_user):
    u = make_user("idem")
    key = uuid.uuid4().hex
    before = u.api.account_verify_credentials()["statuses_count"]
    s1 = u.api.status_post("posted once, sent twice", idempotency_key=key)
    s2 = u.api.status_post("posted once, sent twice", idempotency_key=key)
    assert s1["id"] == s2["id"]
    assert u.api.account_verify_credentials()["statuses_count"] == before + 1
    assert ids(u.api.account_statuses(u.id)).count(str(s1["id"])) == 1
    s3 = u.api.status_post("posted once, sent twice", idempotency_key=uuid.uuid4().hex)
    assert s3["id"] != s1["id"]


def test_idempotency_key_is_per_account(make_user):
    a, b = make_user("idem_a"), make_user("idem_b")
    key = uuid.uuid4().hex
    s1 = a.api.status_post("same key", idempotency_key=key)
    s2 = b.api.status_post("same key", idempotency_key=key)
    assert s1["id"] != s2["id"]
    assert s2["account"]["id"] == b.id


# ---- character counting -----------------------------------------------------------

def post_expect_422(api, text, **kw):
    with pytest.raises(MastodonAPIError) as ei:
        api.status_post(text, **kw)
    assert api_error_status(ei.value) == 422
    return api_error_message(ei.value)


def test_500_characters_ok_501_rejected(make_user):
    u = make_user("counter")
    s = u.api.status_post("a" * 500)
    assert html_text(s["content"]).strip() == "a" * 500
    msg = post_expect_422(u.api, "a" * 501)
    assert msg == "Validation failed: Text character limit of 500 exceeded"


def test_url_counts_as_23_characters(make_user):
    u = make_user("urlcount")
    url = "https://example.com/" + "a" * 180
    s = u.api.status_post("x" * 476 + " " + url)  # 476 + 1 + 23 = 500
    assert any(l["attrs"].get("href") == url for l in html_links(s["content"]))
    post_expect_422(u.api, "x" * 477 + " " + url)  # 501


def test_grapheme_clusters_count_once(make_user):
    u = make_user("graphemes")
    family = "\U0001F469\u200D\U0001F469\u200D\U0001F467"  # one grapheme, 5 code points
    u.api.status_post(family * 500)
    u.api.status_post("e\u0301" * 500)  # e + combining acute
    post_expect_422(u.api, family * 501)


def test_content_warning_counts_towards_limit(make_user):
    u = make_user("cwcount")
    u.api.status_post("b" * 400, spoiler_text="c" * 100)
    post_expect_422(u.api, "b" * 401, spoiler_text="c" * 100)


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_blank_status_rejected(make_user, http, text):
    u = make_user("blank")
    r = http.post("/api/v1/statuses", token=u.token, data={"status": text})
    assert_error(r, 422, "Validation failed: Text can't be blank")


def test_html_in_text_is_escaped(make_user):
    u = make_user("escaper")
    s = u.api.status_post('<script>alert("x")</script> <b>bold</b> & "quotes"')
    assert "<script" not in s["content"] and "<b>" not in s["content"]
    assert html_text(s["content"]).strip() == '<script>alert("x")</script> <b>bold</b> & "quotes"'


def test_status_fields_visibility_sensitive_language(make_user):
    u = make_user("fields")
    s = u.api.status_post("with a cw", spoiler_text="heavy topic", sensitive=True,
                          visibility="unlisted", language="de")
    assert s["spoiler_text"] == "heavy topic"
    assert s["sensitive"] is True
    assert s["visibility"] == "unlisted"
    assert s["language"] == "de"
    assert s["account"]["id"] == u.id
    assert s["url"].startswith("http") and s["uri"].startswith("http")
    assert s["media_attachments"] == [] and s["emojis"] == []
    assert s["reblog"] is None


# ---- huge threads: the descendants extension ------------------------------------

def build_thread(root_author, b, c, top=10):
    """root by root_author; `top` replies alternating b/c, each with a child
    by the other user and a grandchild by the first (3*top replies). Replies
    are created level by level so creation order != thread order. Returns
    (root, expected depth-first id list)."""
    root = root_author.api.status_post("Big thread: tell us #MeToo")
    tops, children, grand = [], [], []
    for i in range(top):
        who = b if i % 2 == 0 else c
        s = who.api.status_post(f"top {i}", in_reply_to_id=root["id"])
        tops.append((s, who))
    for i, (t, who) in enumerate(tops):
        other = c if who is b else b
        s = other.api.status_post(f"child {i}", in_reply_to_id=t["id"])
        children.append((s, other, who))
    for i, (ch, other, who) in enumerate(children):
        s = who.api.status_post(f"grandchild {i}", in_reply_to_id=ch["id"])
        grand.append(s)
    expected = []
    for i in range(top):
        expected += [str(tops[i][0]["id"]), str(children[i][0]["id"]), str(grand[i]["id"])]
    return root, expected


@pytest.fixture(scope="module")
def big_thread(make_user):
    a, b, c = make_user("big_a"), make_user("big_b"), make_user("big_c")
    root, expected = build_thread(a, b, c, top=10)
    return SimpleNamespace(a=a, root=root, expected=expected)


def test_context_of_30_reply_thread_is_depth_first(big_thread):
    ctx = big_thread.a.api.status_context(big_thread.root["id"])
    assert ids(ctx["descendants"]) == big_thread.expected


@pytest.mark.parametrize("authed", [True, False])
def test_descendants_extension_paginates_whole_thread(big_thread, http, authed):
    token = big_thread.a.token if authed else None
    url = f"/api/v1/statuses/{big_thread.root['id']}/context/descendants?limit=7"
    collected, pages = [], 0
    while url:
        r = http.get(url, token=token)
        page = assert_json(r)
        assert isinstance(page, list)
        assert 1 <= len(page) <= 7, f"page {pages} has {len(page)} items"
        collected += ids(page)
        pages += 1
        assert pages <= 10, "pagination does not terminate"
        link = r.headers.get("Link", "")
        nxt = r.links.get("next", {}).get("url")
        if nxt:
            assert link.lstrip().startswith("<") and 'rel="next"' in link.split(",")[0], link
            assert nxt.startswith("http"), f"Link must be absolute: {nxt}"
        url = nxt
    assert collected == big_thread.expected
    assert len(set(collected)) == len(collected) == 30
    assert pages == 5  # 7+7+7+7+2


def test_descendants_extension_after_cursor(big_thread, http):
    exp = big_thread.expected
    r = http.get(f"/api/v1/statuses/{big_thread.root['id']}/context/descendants",
                 params={"limit": 3, "after": exp[6]})
    assert ids(assert_json(r)) == exp[7:10]
    assert "next" in r.links
    r = http.get(f"/api/v1/statuses/{big_thread.root['id']}/context/descendants",
                 params={"limit": 40, "after": exp[26]})
    assert ids(assert_json(r)) == exp[27:]
    assert "next" not in r.links


def test_descendants_extension_of_subthread(big_thread, http):
    exp = big_thread.expected
    r = http.get(f"/api/v1/statuses/{exp[0]}/context/descendants", params={"limit": 10})
    assert ids(assert_json(r)) == exp[1:3]
    assert "next" not in r.links


def test_descendants_extension_unknown_status_404(http):
    assert_error(http.get("/api/v1/statuses/999999999999999/context/descendants"), 404)


def test_anonymous_context_caps_descendants_at_60(make_user, http):
    a, b, c = make_user("cap_a"), make_user("cap_b"), make_user("cap_c")
    root = a.api.status_post("many replies")
    replies = []
    for i in range(62):
        who = b if i % 2 == 0 else c
        r = http.post("/api/v1/statuses", token=who.token,
                      data={"status": f"reply {i}", "in_reply_to_id": str(root["id"])})
        replies.append(str(assert_json(r)["id"]))
    r = http.get(f"/api/v1/statuses/{root['id']}/context")
    anon_ctx = assert_json(r)
    assert ids(anon_ctx["descendants"]) == replies[:60]
    # chorus: a cut /context links to the descendants extension to continue
    nxt = r.links.get("next", {}).get("url")
    assert nxt and "/context/descendants" in nxt, r.headers.get("Link")
    rest, _, _ = walk_links(http, nxt)
    assert rest == replies[60:]
    r = http.get(f"/api/v1/statuses/{root['id']}/context", token=a.token)
    assert ids(assert_json(r)["descendants"]) == replies
    assert "next" not in r.links
    # the extension's default page is 40
    page = assert_json(http.get(f"/api/v1/statuses/{root['id']}/context/descendants"))
    assert ids(page) == replies[:40]


def walk_links(http, url, token=None):
    out, pages = [], 0
    while url and pages < 50:
        r = http.get(url, token=token)
        page = assert_json(r)
        if not page:
            break
        out += ids(page)
        pages += 1
        url = r.links.get("next", {}).get("url")
    return out, pages, None


def test_invalid_language_is_not_echoed(make_user, http):
    u = make_user("lang")
    r = http.post("/api/v1/statuses", token=u.token, data={"status": "hi", "language": "<script>"})
    if r.status_code == 200:
        lang = r.json()["language"]
        assert lang is None or (lang.isalpha() and 2 <= len(lang) <= 3), lang
    else:
        assert_error(r, 422)


# ---- text rendering -----------------------------------------------------------------

def test_paragraphs_and_line_breaks(make_user):
    u = make_user("lines")
    s = u.api.status_post("line one\nline two\n\nsecond paragraph")
    assert s["content"] == "<p>line one<br />line two</p><p>second paragraph</p>"


def test_hashtag_variants_share_one_tag(make_user, anon):
    u = make_user("variants")
    tag = "Chorus" + uuid.uuid4().hex[:6]
    s1 = u.api.status_post(f"#{tag} and again #{tag.upper()}")
    s2 = u.api.status_post(f"#{tag.lower()}")
    assert [t["name"] for t in s1["tags"]] == [tag.lower()]
    assert ids(anon.timeline_hashtag(tag.upper())) == ids([s2, s1])


def test_not_hashtags(make_user):
    u = make_user("nottags")
    s = u.api.status_post("see https://example.com/page#section and #123 and foo#bar")
    assert s["tags"] == []
    assert not [l for l in html_links(s["content"]) if "hashtag" in l["classes"]]


def test_unknown_mention_stays_plain_text(make_user):
    u = make_user("ghostmention")
    s = u.api.status_post("hello @nobody_here_" + uuid.uuid4().hex[:6])
    assert s["mentions"] == []
    assert not [l for l in html_links(s["content"]) if "mention" in l["classes"]]


# ---- deletes cascade -------------------------------------------------------------------

def test_deleting_a_post_removes_its_notifications(make_user):
    a, b = make_user("del_a"), make_user("del_b")
    s = b.api.status_post(f"@{a.name} regrettable mention")
    assert str(s["id"]) in {str(n["status"]["id"]) for n in a.api.notifications(types=["mention"])}
    b.api.status_delete(s["id"])
    notes = a.api.notifications()
    assert all(n.get("status") is not None for n in notes if n["type"] == "mention")
    assert str(s["id"]) not in {str(n["status"]["id"]) for n in notes if n.get("status")}


def test_deleting_a_post_removes_its_boosts(make_user, http):
    a, b, h = make_user("delrb_a"), make_user("delrb_b"), make_user("delrb_h")
    h.api.account_follow(b.id)
    s = a.api.status_post("boosted then deleted")
    w = b.api.status_reblog(s["id"])
    assert str(w["id"]) in ids(h.api.timeline_home())
    a.api.status_delete(s["id"])
    assert_error(http.get(f"/api/v1/statuses/{w['id']}"), 404)
    assert str(w["id"]) not in ids(h.api.timeline_home())
    assert str(w["id"]) not in ids(b.api.account_statuses(b.id))


def test_reblogging_a_reblog_boosts_the_original(make_user):
    a, b, c = make_user("rr_a"), make_user("rr_b"), make_user("rr_c")
    s = a.api.status_post("original")
    w = b.api.status_reblog(s["id"])
    w2 = c.api.status_reblog(w["id"])
    assert w2["reblog"]["id"] == s["id"]
    assert a.api.status(s["id"])["reblogs_count"] == 2


# ---- pins -------------------------------------------------------------------------------

def test_pin_limit_is_five(make_user, http):
    u = make_user("pinlimit")
    posts = [u.api.status_post(f"pin {i}") for i in range(6)]
    for p in posts[:5]:
        u.api.status_pin(p["id"])
    assert_error(http.post(f"/api/v1/statuses/{posts[5]['id']}/pin", token=u.token), 422)
    assert len(u.api.account_statuses(u.id, pinned=True)) == 5


def test_cannot_pin_direct_post(make_user, http):
    u, v = make_user("pindm"), make_user("pindm_v")
    dm = u.api.status_post(f"@{v.name} secret", visibility="direct")
    assert_error(http.post(f"/api/v1/statuses/{dm['id']}/pin", token=u.token), 422)


# ---- idempotency details and concurrency -----------------------------------------------

def test_idempotency_key_returns_first_status_even_if_body_differs(make_user, http):
    u = make_user("idemdiff")
    key = uuid.uuid4().hex
    r1 = http.post("/api/v1/statuses", token=u.token, data={"status": "first body"},
                   headers={"Idempotency-Key": key})
    r2 = http.post("/api/v1/statuses", token=u.token, data={"status": "second body"},
                   headers={"Idempotency-Key": key})
    s1, s2 = assert_json(r1), assert_json(r2)
    assert s1["id"] == s2["id"]
    assert "first body" in s2["content"]


def test_concurrent_requests_with_same_idempotency_key(make_user, http):
    """A client retrying on a timeout must never double-post: requests racing
    with one Idempotency-Key all get the one status. Several rounds of 8
    requests released together by a barrier."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    import requests
    u = make_user("idemrace")
    before = u.api.account_verify_credentials()["statuses_count"]
    rounds, width = 5, 8
    for rnd in range(rounds):
        key = uuid.uuid4().hex
        barrier = threading.Barrier(width)

        def post(_):
            sess = requests.Session()
            barrier.wait()
            r = sess.post(http.base + "/api/v1/statuses", data={"status": f"racing {rnd}"}, timeout=30,
                          headers={"Authorization": f"Bearer {u.token}", "Idempotency-Key": key})
            return r.status_code, r.json().get("id")

        with ThreadPoolExecutor(max_workers=width) as ex:
            results = list(ex.map(post, range(width)))
        assert {code for code, _ in results} == {200}, results
        assert len({i for _, i in results}) == 1, f"round {rnd}: {len({i for _, i in results})} statuses"
    assert u.api.account_verify_credentials()["statuses_count"] == before + rounds


def test_concurrent_favourites_are_all_counted(make_user, http):
    from concurrent.futures import ThreadPoolExecutor
    import requests
    author = make_user("viral")
    fans = [make_user("fan") for _ in range(12)]
    s = author.api.status_post("going viral #MeToo")

    def fav(u):
        r = requests.post(f"{http.base}/api/v1/statuses/{s['id']}/favourite", timeout=30,
                          headers={"Authorization": f"Bearer {u.token}"})
        return r.status_code

    with ThreadPoolExecutor(max_workers=12) as ex:
        codes = list(ex.map(fav, fans))
    assert codes == [200] * 12
    assert author.api.status(s["id"])["favourites_count"] == 12
    assert len(author.api.status_favourited_by(s["id"])) == 12
    assert len(author.api.notifications(types=["favourite"])) == 12


# ---- a new status's answer is rendered from what was written ----------------

@pytest.fixture(scope="module")
def uncached(tmp_path_factory):
    """A server with the render caches off: each GET renders from the
    database, so it is the reference a POST's answer is compared with
    (with the caches on, the GET would serve the POST's own rendering)."""
    from conftest import DEFAULT_SCOPES, ChorusServer, chorus_bin, logged_in_user
    from mastodon import Mastodon
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("uncached"),
                       config="[cache]\nstatuses = 0\naccounts = 0\npages = 0\n")
    users = {}
    for name in ("wa", "wb"):
        srv.create_user(name, f"{name}@example.com", f"{name}-secret-pw")
    srv.start()
    app = Mastodon.create_app("chorus-tests", scopes=DEFAULT_SCOPES, api_base_url=srv.url)
    for name in ("wa", "wb"):
        users[name] = logged_in_user(srv, name, f"{name}@example.com", f"{name}-secret-pw", app)
    yield SimpleNamespace(server=srv, a=users["wa"], b=users["wb"])
    assert srv.stop() == 0


def test_a_new_status_answers_what_reading_it_answers(uncached, tmp_path):
    """POST /api/v1/statuses renders the status it wrote without reading it
    back (policy, attachments and flags from the write): every kind of post
    must answer exactly what GET answers for it afterwards."""
    import requests
    from PIL import Image
    srv, a, b = uncached.server, uncached.a, uncached.b
    auth = {"Authorization": f"Bearer {a.token}"}

    def post(**fields):
        r = requests.post(srv.url + "/api/v1/statuses", json=fields, headers=auth, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    def same_as_read(made):
        r = requests.get(f"{srv.url}/api/v1/statuses/{made['id']}", headers=auth, timeout=30)
        assert r.status_code == 200, r.text
        assert made == r.json()
        return made

    b.api.account_follow(a.id)
    theirs = b.api.status_post(f"@{a.name} a thread of theirs #MeToo", visibility="public")
    muted = b.api.status_post("a thread that will be muted", visibility="public")
    requests.post(f"{srv.url}/api/v1/statuses/{muted['id']}/mute", headers=auth,
                  timeout=30).raise_for_status()
    requests.post(srv.url + "/api/v2/filters", headers=auth, timeout=30, json={
        "title": "folded", "context": ["home", "public", "thread"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "dandelion"}]}).raise_for_status()
    png = tmp_path / "card.png"
    Image.new("RGB", (40, 30), (200, 20, 20)).save(png)
    with open(png, "rb") as f:
        m = requests.post(srv.url + "/api/v1/media", headers=auth, timeout=60,
                          files={"file": ("card.png", f, "image/png")},
                          data={"description": "a red card"})
    assert m.status_code == 200, m.text

    root = same_as_read(post(status=f"You are not alone #MeToo @{b.name} https://example.org/x",
                             visibility="public", language="en"))
    assert root["favourited"] is False and root["muted"] is False and root["pinned"] is False
    same_as_read(post(status="behind a warning", spoiler_text="cw: assault",
                      visibility="unlisted", language="de"))
    same_as_read(post(status="sensitive, no warning", sensitive=True, visibility="private"))
    same_as_read(post(status=f"@{b.name} just between us", visibility="direct"))
    same_as_read(post(status="answering myself", in_reply_to_id=root["id"]))
    same_as_read(post(status="answering them #MeToo", in_reply_to_id=theirs["id"]))
    in_muted = same_as_read(post(status="into a muted thread", in_reply_to_id=muted["id"]))
    assert in_muted["muted"] is True
    same_as_read(post(status="only the mentioned may answer", reply_policy="mentioned"))
    same_as_read(post(status="a dandelion in the filter"))
    with_media = same_as_read(post(status="with a picture", media_ids=[m.json()["id"]]))
    assert [x["description"] for x in with_media["media_attachments"]] == ["a red card"]
    requests.patch(srv.url + "/api/v1/interaction_policies/defaults", headers=auth, timeout=30,
                   json={"public": {"can_reply": {"always": ["author", "mentioned"]}}}
                   ).raise_for_status()
    by_default = same_as_read(post(status="my default rule applies", visibility="public"))
    assert sorted(by_default["interaction_policy"]["can_reply"]["always"]) != ["author", "mentioned", "public"]
    # and the author's counters as they are after the post
    assert by_default["account"]["statuses_count"] == \
        a.api.account_verify_credentials()["statuses_count"]
