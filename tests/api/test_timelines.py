"""Timelines: home, public (+local/remote), hashtag with any[]/all[]/none[],
and pagination (limit, max_id, since_id, min_id, Link headers, Mastodon.py
fetch_next/fetch_previous) over 45 posts without duplicates or gaps."""

import re
import uuid
from types import SimpleNamespace

import pytest

from conftest import assert_error, assert_json, ids


def new_tag(prefix="tl"):
    return prefix + uuid.uuid4().hex[:10]


# ---- home -----------------------------------------------------------------------

def test_home_has_own_and_followed_posts_only(make_user):
    h, x, z = make_user("home_h"), make_user("home_x"), make_user("home_z")
    h.api.account_follow(x.id)
    own = h.api.status_post("my own post")
    fx = x.api.status_post("post by someone I follow")
    fz = z.api.status_post("post by someone I do not follow")
    home = h.api.timeline_home(limit=40)
    got = ids(home)
    assert str(own["id"]) in got and str(fx["id"]) in got
    assert str(fz["id"]) not in got
    assert got.index(str(fx["id"])) < got.index(str(own["id"])), "home must be newest first"
    hids = [s["id"] for s in home]
    assert hids == sorted(hids, reverse=True)


def test_home_shows_boosts_by_followed_accounts(make_user):
    h, x, z = make_user("boost_h"), make_user("boost_x"), make_user("boost_z")
    h.api.account_follow(x.id)
    original = z.api.status_post("worth boosting")
    wrapper = x.api.status_reblog(original["id"])
    home = h.api.timeline_home(limit=40)
    entries = [s for s in home if s["id"] == wrapper["id"]]
    assert len(entries) == 1
    assert entries[0]["reblog"]["id"] == original["id"]
    assert entries[0]["account"]["id"] == x.id


def test_home_shows_the_readers_own_flags_on_posts_and_boosted_ones(make_user):
    """Each entry's favourited/reblogged/bookmarked/muted/pinned is the
    reader's, on a boost's wrapper as on the boosted post, and only where
    the reader set it (on PostgreSQL the page's flags are read with its
    statuses in one round trip: this is what they must come to)."""
    h, x, z = make_user("flag_h"), make_user("flag_x"), make_user("flag_z")
    h.api.account_follow(x.id)
    plain = x.api.status_post("nothing done to this one")
    faved = x.api.status_post("favourited by the reader")
    marked = x.api.status_post("bookmarked by the reader")
    muted = x.api.status_post("a thread the reader muted")
    elsewhere = z.api.status_post("boosted by someone the reader follows")
    wrapper = x.api.status_reblog(elsewhere["id"])
    mine = h.api.status_post("the reader's own, pinned")
    h.api.status_favourite(faved["id"])
    h.api.status_bookmark(marked["id"])
    h.api.status_mute(muted["id"])
    h.api.status_favourite(elsewhere["id"])
    h.api.status_reblog(elsewhere["id"])
    h.api.status_pin(mine["id"])
    home = {s["id"]: s for s in h.api.timeline_home(limit=40)}

    def flags(s):
        return {k: bool(s.get(k)) for k in ("favourited", "reblogged", "bookmarked", "muted", "pinned")}

    none = dict(favourited=False, reblogged=False, bookmarked=False, muted=False, pinned=False)
    assert flags(home[plain["id"]]) == none
    assert flags(home[faved["id"]]) == {**none, "favourited": True}
    assert flags(home[marked["id"]]) == {**none, "bookmarked": True}
    assert flags(home[muted["id"]]) == {**none, "muted": True}
    assert flags(home[mine["id"]]) == {**none, "pinned": True}
    w = home[wrapper["id"]]
    assert w["reblog"]["id"] == elsewhere["id"]
    both = {**none, "favourited": True, "reblogged": True}
    assert flags(w["reblog"]) == both
    assert {k: w[k] for k in ("favourited", "reblogged")} == {"favourited": True, "reblogged": True}
    # another reader of the same posts has only their own: x boosted it
    x_home = {s["id"]: s for s in x.api.timeline_home(limit=40)}
    assert flags(x_home[faved["id"]]) == none
    assert flags(x_home[wrapper["id"]]["reblog"]) == {**none, "reblogged": True}


def test_flags_hold_on_a_page_filled_over_several_batches(make_user, http):
    """A page whose first batch is mostly hidden (a hide filter) is filled
    from later batches: the flags of what those bring are the reader's
    too (on PostgreSQL they come with each batch's rows)."""
    h, x = make_user("batch_h"), make_user("batch_x")
    h.api.account_follow(x.id)
    faved = x.api.status_post("an older post the reader favourited")
    for i in range(6):
        x.api.status_post(f"hideme number {i}")
    marked = x.api.status_post("the newest, bookmarked")
    h.api.status_favourite(faved["id"])
    h.api.status_bookmark(marked["id"])
    assert_json(http.post("/api/v2/filters", token=h.token, json={
        "title": "hidden", "context": ["home"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "hideme"}]}))
    page = h.api.timeline_home(limit=2)
    assert [s["id"] for s in page] == [marked["id"], faved["id"]]
    assert (page[0]["bookmarked"], page[0]["favourited"]) == (True, False)
    assert (page[1]["bookmarked"], page[1]["favourited"]) == (False, True)


def test_home_drops_posts_after_unfollow(make_user):
    h, x = make_user("unf_h"), make_user("unf_x")
    h.api.account_follow(x.id)
    p = x.api.status_post("you will stop seeing this")
    assert str(p["id"]) in ids(h.api.timeline_home(limit=40))
    h.api.account_unfollow(x.id)
    assert str(p["id"]) not in ids(h.api.timeline_home(limit=40))


# ---- public -------------------------------------------------------------------------

def test_public_timeline_has_local_public_posts(make_user, anon):
    u = make_user("pub")
    s = u.api.status_post("hello public")
    assert str(s["id"]) in ids(anon.timeline_public(limit=40))
    assert str(s["id"]) in ids(anon.timeline_local(limit=40))
    assert str(s["id"]) in ids(u.api.timeline_public(limit=40))


def test_public_timeline_remote_only_excludes_local(make_user, http):
    u = make_user("pubremote")
    s = u.api.status_post("local post")
    got = ids(assert_json(http.get("/api/v1/timelines/public", params={"remote": "true", "limit": 40})))
    assert str(s["id"]) not in got


def test_public_timeline_skips_replies_to_others_keeps_self_threads(make_user, anon):
    """Mastodon's PublicFeed drops replies to other accounts (the
    without_replies scope) but keeps a thread's self-replies."""
    a, b = make_user("pr_a"), make_user("pr_b")
    root = a.api.status_post("root")
    reply = b.api.status_post("public reply", in_reply_to_id=root["id"])
    self_reply = a.api.status_post("continuing my thread", in_reply_to_id=root["id"])
    got = ids(anon.timeline_public(limit=40))
    assert str(root["id"]) in got
    assert str(self_reply["id"]) in got
    assert str(reply["id"]) not in got
    # the reply is still public: by id, in the thread, on the profile
    assert anon.status(reply["id"])["visibility"] == "public"
    assert str(reply["id"]) in ids(anon.status_context(root["id"])["descendants"])
    assert str(reply["id"]) in ids(anon.account_statuses(b.id))


# ---- hashtag timelines ------------------------------------------------------------------

@pytest.fixture(scope="module")
def tagged(make_user):
    u = make_user("tagger")
    a, b, c = new_tag("ta"), new_tag("tb"), new_tag("tc")
    t = SimpleNamespace(a=a, b=b, c=c)
    t.p1 = u.api.status_post(f"only #{a}")
    t.p2 = u.api.status_post(f"both #{a} and #{b}")
    t.p3 = u.api.status_post(f"only #{b}")
    t.p4 = u.api.status_post(f"#{a} with #{c}")
    t.p5 = u.api.status_post(f"only #{c}")
    return t


def tag_ids(http, tag, **params):
    r = http.get(f"/api/v1/timelines/tag/{tag}", params=params)
    return ids(assert_json(r))


def want(t, *names):
    """Expected ids, newest first."""
    return [str(getattr(t, n)["id"]) for n in sorted(names, key=lambda n: int(n[1:]), reverse=True)]


def test_tag_timeline_plain(tagged, http):
    assert tag_ids(http, tagged.a) == want(tagged, "p1", "p2", "p4")


def test_tag_timeline_case_insensitive(tagged, http):
    assert tag_ids(http, tagged.a.upper()) == want(tagged, "p1", "p2", "p4")


def test_tag_timeline_any(tagged, http):
    assert tag_ids(http, tagged.a, **{"any[]": tagged.b}) == want(tagged, "p1", "p2", "p3", "p4")


def test_tag_timeline_all(tagged, http):
    assert tag_ids(http, tagged.a, **{"all[]": tagged.b}) == want(tagged, "p2")


def test_tag_timeline_none(tagged, http):
    assert tag_ids(http, tagged.a, **{"none[]": tagged.c}) == want(tagged, "p1", "p2")


def test_tag_timeline_any_and_none(tagged, http):
    got = tag_ids(http, tagged.a, **{"any[]": [tagged.b, tagged.c], "none[]": tagged.b})
    assert got == want(tagged, "p1", "p4", "p5")


def test_tag_timeline_all_multiple(tagged, http):
    got = tag_ids(http, tagged.a, **{"all[]": [tagged.b, tagged.c]})
    assert got == []


def test_tag_timeline_via_mastodon_py(tagged, anon):
    assert ids(anon.timeline_hashtag(tagged.c)) == want(tagged, "p4", "p5")


def test_tag_timeline_unknown_tag_is_empty(http):
    assert tag_ids(http, new_tag("nope")) == []


# ---- pagination ------------------------------------------------------------------------

N_POSTS = 45


@pytest.fixture(scope="module")
def paged(make_user, http):
    poster, reader = make_user("pager"), make_user("reader")
    reader.api.account_follow(poster.id)
    tag = new_tag("pg")
    created = []
    for i in range(N_POSTS):
        r = http.post("/api/v1/statuses", token=poster.token, data={"status": f"post {i} #{tag}"})
        created.append(str(assert_json(r)["id"]))
    assert len(set(created)) == N_POSTS
    assert [int(x) for x in created] == sorted(int(x) for x in created), \
        "ids must increase with creation time"
    return SimpleNamespace(poster=poster, reader=reader, tag=tag, expected=created[::-1])


def walk_links(http, url, token=None, max_pages=20):
    """Follow Link rel=next from url; return (all ids, pages, raw responses)."""
    out, pages, resps = [], [], []
    while url and len(pages) < max_pages:
        r = http.get(url, token=token)
        page = assert_json(r)
        resps.append(r)
        if not page:
            break
        pages.append(ids(page))
        out += ids(page)
        url = r.links.get("next", {}).get("url")
    return out, pages, resps


def test_link_header_format(paged, http):
    r = http.get(f"/api/v1/timelines/tag/{paged.tag}", params={"limit": 10})
    page = assert_json(r)
    assert ids(page) == paged.expected[:10]
    link = r.headers.get("Link")
    assert link, "a full page must carry a Link header"
    first = link.split(",")[0]
    assert re.match(r'\s*<https?://[^>]+>;\s*rel="next"', first), f"next must come first: {link}"
    nxt, prev = r.links["next"]["url"], r.links["prev"]["url"]
    assert re.search(r"[?&]max_id=" + paged.expected[9] + r"(&|$)", nxt), nxt
    assert re.search(r"[?&]min_id=" + paged.expected[0] + r"(&|$)", prev), prev
    assert "limit=10" in nxt
    assert f"/api/v1/timelines/tag/{paged.tag}" in nxt


def test_link_walk_tag_timeline_no_gaps_no_duplicates(paged, http):
    got, pages, _ = walk_links(http, f"/api/v1/timelines/tag/{paged.tag}?limit=10")
    assert got == paged.expected
    assert [len(p) for p in pages] == [10, 10, 10, 10, 5]


def test_link_walk_account_statuses(paged, http):
    got, pages, _ = walk_links(http, f"/api/v1/accounts/{paged.poster.sid}/statuses?limit=7")
    assert got == paged.expected
    assert all(len(p) <= 7 for p in pages)


def test_link_walk_home(paged, http):
    got, _, _ = walk_links(http, "/api/v1/timelines/home?limit=8", token=paged.reader.token)
    assert got == paged.expected


def test_prev_link_leads_back(paged, http):
    r1 = http.get(f"/api/v1/timelines/tag/{paged.tag}", params={"limit": 10})
    r2 = http.get(r1.links["next"]["url"])
    assert ids(assert_json(r2)) == paged.expected[10:20]
    r_back = http.get(r2.links["prev"]["url"])
    assert ids(assert_json(r_back)) == paged.expected[:10]


def test_mastodon_py_fetch_next_and_previous(paged):
    api = paged.reader.api
    page = api.timeline_home(limit=10)
    pages = [page]
    while True:
        nxt = api.fetch_next(pages[-1])
        if not nxt:
            break
        pages.append(nxt)
        assert len(pages) <= 10
    got = [x for p in pages for x in ids(p)]
    assert got == paged.expected
    assert len(set(got)) == N_POSTS
    back = api.fetch_previous(pages[2])
    assert ids(back) == ids(pages[1])


def test_mastodon_py_account_statuses_paging(paged):
    api = paged.reader.api
    page = api.account_statuses(paged.poster.id, limit=20)
    got = ids(page)
    while True:
        page = api.fetch_next(page)
        if not page:
            break
        got += ids(page)
    assert got == paged.expected


@pytest.mark.parametrize("params,sl", [
    ({"max_id": 9, "limit": 5}, (10, 15)),
    ({"since_id": 30, "limit": 5}, (0, 5)),
    ({"min_id": 30, "limit": 5}, (25, 30)),
    ({"max_id": 10, "min_id": 20}, (11, 20)),
    ({"max_id": 10, "since_id": 20, "limit": 40}, (11, 20)),
    ({"min_id": 2}, (0, 2)),
    ({"max_id": 44}, (45, 45)),
])
def test_cursor_semantics(paged, http, params, sl):
    q = {k: (paged.expected[v] if k.endswith("_id") else v) for k, v in params.items()}
    for path, token in ((f"/api/v1/timelines/tag/{paged.tag}", None),
                        (f"/api/v1/accounts/{paged.poster.sid}/statuses", None),
                        ("/api/v1/timelines/home", paged.reader.token)):
        got = ids(assert_json(http.get(path, params=q, token=token)))
        assert got == paged.expected[sl[0]:sl[1]], f"{path} {params}"


def test_default_and_max_limit(paged, http):
    path = f"/api/v1/timelines/tag/{paged.tag}"
    assert ids(assert_json(http.get(path))) == paged.expected[:20]
    assert ids(assert_json(http.get(path, params={"limit": 100}))) == paged.expected[:40]
    assert ids(assert_json(http.get(path, params={"limit": 3}))) == paged.expected[:3]


def test_min_id_walk_forward(paged, http):
    """Forward paging from the oldest post with min_id returns every post once."""
    path = f"/api/v1/timelines/tag/{paged.tag}"
    oldest = paged.expected[-1]
    seen = [oldest]
    cursor = oldest
    for _ in range(20):
        page = ids(assert_json(http.get(path, params={"min_id": cursor, "limit": 10})))
        if not page:
            break
        seen = page + seen
        cursor = page[0]
    assert seen == paged.expected


def test_timeline_requires_valid_token_when_given(http):
    assert_error(http.get("/api/v1/timelines/public", token="bogus-token-value"), 401)


# ---- Link pagination of lists ordered by a hidden key -------------------------------

@pytest.fixture(scope="module")
def reactions(make_user):
    """fan favourites and bookmarks 23 posts by star (oldest first), and 12
    accounts follow star."""
    star, fan = make_user("star"), make_user("fan")
    posts = [star.api.status_post(f"post {i}") for i in range(23)]
    for p in posts:
        fan.api.status_favourite(p["id"])
        fan.api.status_bookmark(p["id"])
    followers = [make_user("flw") for _ in range(12)]
    for f in followers:
        f.api.account_follow(star.id)
    return SimpleNamespace(star=star, fan=fan, posts=[str(p["id"]) for p in posts],
                           followers=[f.sid for f in followers])


@pytest.mark.parametrize("path", ["/api/v1/favourites", "/api/v1/bookmarks"])
def test_link_walk_favourites_and_bookmarks(reactions, http, path):
    got, pages, _ = walk_links(http, f"{path}?limit=10", token=reactions.fan.token)
    assert got == reactions.posts[::-1], "most recently favourited/bookmarked first, each once"
    assert [len(p) for p in pages] == [10, 10, 3]


def test_link_walk_notifications(reactions, http):
    got, pages, resps = walk_links(http, "/api/v1/notifications?limit=10", token=reactions.star.token)
    assert len(got) == len(set(got)) == 23 + 12  # 23 favourites + 12 follows
    notes = [n for r in resps for n in r.json()]
    assert sorted(n["type"] for n in notes).count("favourite") == 23
    assert sorted(n["type"] for n in notes).count("follow") == 12
    assert [int(x) for x in got] == sorted((int(x) for x in got), reverse=True)


def test_link_walk_followers(reactions, http):
    got, pages, _ = walk_links(http, f"/api/v1/accounts/{reactions.star.sid}/followers?limit=5")
    assert got == reactions.followers[::-1], "newest follower first, each once"
    assert [len(p) for p in pages] == [5, 5, 2]
    got, _, _ = walk_links(http, f"/api/v1/accounts/{reactions.followers[0]}/following?limit=5")
    assert got == [reactions.star.sid]


def test_link_walk_favourited_by(reactions, http, make_user):
    likers = [make_user("liker") for _ in range(7)]
    target = reactions.posts[0]
    for u in likers:
        u.api.status_favourite(target)
    got, pages, _ = walk_links(http, f"/api/v1/statuses/{target}/favourited_by?limit=3")
    assert set(got) == {u.sid for u in likers} | {reactions.fan.sid}
    assert len(got) == 8 and all(len(p) <= 3 for p in pages)
