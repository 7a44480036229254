"""Who can see what. A private (followers-only) and a direct post by the
author must never reach an anonymous caller or a stranger through any read
path; a follower sees the private one, the mentioned user the direct one.
Unlisted posts stay out of public and hashtag timelines but open by id."""

import uuid
from types import SimpleNamespace

import pytest
import requests

from conftest import assert_error, assert_json, ids

HIDDEN = ["private", "direct", "private_reply", "direct_reply"]


@pytest.fixture(scope="module")
def vis(make_user):
    a = make_user("author")
    follower = make_user("follower")
    stranger = make_user("stranger")
    mentioned = make_user("mentioned")
    # unsolicited private mentions wait in a request by default
    # (test_notification_policy.py); here they are to be told
    requests.patch(mentioned.api.api_base_url + "/api/v2/notifications/policy",
                   headers={"Authorization": f"Bearer {mentioned.token}"},
                   data={"for_private_mentions": "accept"}, timeout=30).raise_for_status()
    follower.api.account_follow(a.id)
    assert follower.api.account_relationships(a.id)[0]["following"] is True
    tag = "vis" + uuid.uuid4().hex[:10]
    p = SimpleNamespace(tag=tag, a=a, follower=follower, stranger=stranger, mentioned=mentioned)
    p.public = a.api.status_post(f"Public thread #{tag}", visibility="public")
    p.unlisted = a.api.status_post(f"Unlisted note #{tag}", visibility="unlisted")
    p.private = a.api.status_post(f"Followers only: my story #{tag}", visibility="private")
    p.direct = a.api.status_post(f"@{mentioned.name} only for you #{tag}", visibility="direct")
    p.private_reply = a.api.status_post(f"Private reply #{tag}", in_reply_to_id=p.public["id"],
                                        visibility="private")
    p.direct_reply = a.api.status_post(f"@{mentioned.name} direct reply #{tag}",
                                       in_reply_to_id=p.public["id"], visibility="direct")
    follower.api.status_favourite(p.private["id"])
    mentioned.api.status_favourite(p.direct["id"])
    return p


def token_of(vis, viewer):
    return None if viewer == "anon" else getattr(vis, viewer).token


def sid(vis, name):
    return str(getattr(vis, name)["id"])


def test_visibility_field_values(vis):
    assert vis.public["visibility"] == "public"
    assert vis.unlisted["visibility"] == "unlisted"
    assert vis.private["visibility"] == "private"
    assert vis.direct["visibility"] == "direct"
    assert vis.private_reply["visibility"] == "private"
    assert [m["id"] for m in vis.direct["mentions"]] == [vis.mentioned.id]


# ---- GET /statuses/:id -------------------------------------------------------

@pytest.mark.parametrize("viewer", ["anon", "stranger"])
@pytest.mark.parametrize("post", HIDDEN)
def test_hidden_post_is_404_by_id(vis, http, viewer, post):
    r = http.get(f"/api/v1/statuses/{sid(vis, post)}", token=token_of(vis, viewer))
    assert_error(r, 404, "Record not found")


@pytest.mark.parametrize("post,visible", [("private", True), ("private_reply", True),
                                          ("direct", False), ("direct_reply", False)])
def test_follower_sees_private_not_direct(vis, http, post, visible):
    r = http.get(f"/api/v1/statuses/{sid(vis, post)}", token=vis.follower.token)
    if visible:
        assert assert_json(r)["id"] == sid(vis, post)
    else:
        assert_error(r, 404)


@pytest.mark.parametrize("post,visible", [("direct", True), ("direct_reply", True),
                                          ("private", False), ("private_reply", False)])
def test_mentioned_sees_direct_not_private(vis, http, post, visible):
    r = http.get(f"/api/v1/statuses/{sid(vis, post)}", token=vis.mentioned.token)
    if visible:
        assert assert_json(r)["id"] == sid(vis, post)
    else:
        assert_error(r, 404)


@pytest.mark.parametrize("post", ["public", "unlisted"] + HIDDEN)
def test_author_sees_everything(vis, http, post):
    r = http.get(f"/api/v1/statuses/{sid(vis, post)}", token=vis.a.token)
    assert assert_json(r)["id"] == sid(vis, post)


@pytest.mark.parametrize("post", ["public", "unlisted"])
def test_public_and_unlisted_open_by_id_anonymously(vis, http, post):
    assert assert_json(http.get(f"/api/v1/statuses/{sid(vis, post)}"))["id"] == sid(vis, post)


# ---- timelines ------------------------------------------------------------------

@pytest.mark.parametrize("viewer", ["anon", "stranger", "follower", "mentioned"])
@pytest.mark.parametrize("local", [False, True])
def test_public_timeline_has_only_public(vis, http, viewer, local):
    params = {"limit": 40}
    if local:
        params["local"] = "true"
    got = ids(assert_json(http.get("/api/v1/timelines/public", params=params,
                                   token=token_of(vis, viewer))))
    assert sid(vis, "public") in got
    for name in ["unlisted"] + HIDDEN:
        assert sid(vis, name) not in got, f"{name} post leaked into public timeline for {viewer}"


@pytest.mark.parametrize("viewer", ["anon", "stranger"])
def test_tag_timeline_has_only_public(vis, http, viewer):
    got = ids(assert_json(http.get(f"/api/v1/timelines/tag/{vis.tag}", token=token_of(vis, viewer))))
    assert got == [sid(vis, "public")]


def test_tag_timeline_never_shows_direct(vis, http):
    for viewer in ("follower", "mentioned"):
        got = ids(assert_json(http.get(f"/api/v1/timelines/tag/{vis.tag}", token=token_of(vis, viewer))))
        assert sid(vis, "direct") not in got and sid(vis, "direct_reply") not in got
        assert sid(vis, "unlisted") not in got


def test_stranger_home_has_nothing_from_author(vis, http):
    got = ids(assert_json(http.get("/api/v1/timelines/home", token=vis.stranger.token,
                                   params={"limit": 40})))
    for name in ["public", "unlisted"] + HIDDEN:
        assert sid(vis, name) not in got


def test_follower_home_has_private_but_not_direct(vis, http):
    got = ids(assert_json(http.get("/api/v1/timelines/home", token=vis.follower.token,
                                   params={"limit": 40})))
    for name in ("public", "unlisted", "private", "private_reply"):
        assert sid(vis, name) in got, f"{name} missing from the follower's home"
    for name in ("direct", "direct_reply"):
        assert sid(vis, name) not in got, f"{name} leaked into the follower's home"


def test_home_requires_a_user(http):
    assert_error(http.get("/api/v1/timelines/home"), 401)


# ---- account statuses -------------------------------------------------------------

@pytest.mark.parametrize("viewer,expected", [
    ("anon", {"public", "unlisted"}),
    ("stranger", {"public", "unlisted"}),
    ("follower", {"public", "unlisted", "private", "private_reply"}),
    ("mentioned", {"public", "unlisted", "direct", "direct_reply"}),
    ("a", {"public", "unlisted", "private", "direct", "private_reply", "direct_reply"}),
])
def test_account_statuses_respect_visibility(vis, http, viewer, expected):
    got = set(ids(assert_json(http.get(f"/api/v1/accounts/{vis.a.sid}/statuses",
                                       params={"limit": 40}, token=token_of(vis, viewer)))))
    assert got == {sid(vis, n) for n in expected}


# ---- thread context -------------------------------------------------------------

@pytest.mark.parametrize("viewer,expected", [
    ("anon", []),
    ("stranger", []),
    ("follower", ["private_reply"]),
    ("mentioned", ["direct_reply"]),
    ("a", ["private_reply", "direct_reply"]),
])
def test_context_of_public_thread_hides_replies(vis, http, viewer, expected):
    ctx = assert_json(http.get(f"/api/v1/statuses/{sid(vis, 'public')}/context",
                               token=token_of(vis, viewer)))
    assert ids(ctx["descendants"]) == [sid(vis, n) for n in expected]


@pytest.mark.parametrize("viewer", ["anon", "stranger"])
def test_descendants_extension_hides_replies(vis, http, viewer):
    r = http.get(f"/api/v1/statuses/{sid(vis, 'public')}/context/descendants",
                 token=token_of(vis, viewer))
    assert assert_json(r) == []


@pytest.mark.parametrize("viewer", ["anon", "stranger"])
@pytest.mark.parametrize("post", ["private", "direct"])
@pytest.mark.parametrize("sub", ["context", "favourited_by", "reblogged_by", "history",
                                 "context/descendants"])
def test_hidden_post_subresources_are_404(vis, http, viewer, post, sub):
    r = http.get(f"/api/v1/statuses/{sid(vis, post)}/{sub}", token=token_of(vis, viewer))
    assert_error(r, 404)


def test_source_is_only_for_the_author(vis, http):
    for viewer in ("anon", "stranger", "follower"):
        r = http.get(f"/api/v1/statuses/{sid(vis, 'private')}/source", token=token_of(vis, viewer))
        assert r.status_code in (401, 403, 404), (viewer, r.status_code)
        assert "Followers only" not in r.text


def test_favourited_by_visible_to_follower(vis, http):
    got = assert_json(http.get(f"/api/v1/statuses/{sid(vis, 'private')}/favourited_by",
                               token=vis.follower.token))
    assert [a["id"] for a in got] == [vis.follower.sid]


def test_favourited_by_of_direct_visible_to_mentioned(vis, http):
    got = assert_json(http.get(f"/api/v1/statuses/{sid(vis, 'direct')}/favourited_by",
                               token=vis.mentioned.token))
    assert [a["id"] for a in got] == [vis.mentioned.sid]


# ---- interactions with hidden posts -----------------------------------------------

@pytest.mark.parametrize("action", ["favourite", "reblog", "bookmark"])
@pytest.mark.parametrize("post", ["private", "direct"])
def test_stranger_cannot_interact_with_hidden_post(vis, http, action, post):
    r = http.post(f"/api/v1/statuses/{sid(vis, post)}/{action}", token=vis.stranger.token)
    assert_error(r, 404)


def test_interactions_by_stranger_left_no_trace(vis, http):
    # depends on nothing: counts as the author sees them
    priv = assert_json(http.get(f"/api/v1/statuses/{sid(vis, 'private')}", token=vis.a.token))
    assert priv["favourites_count"] == 1  # only the follower
    assert priv["reblogs_count"] == 0


@pytest.mark.parametrize("post", ["private", "direct"])
def test_stranger_cannot_reply_to_hidden_post(vis, http, post):
    before = assert_json(http.get("/api/v1/accounts/verify_credentials",
                                  token=vis.stranger.token))["statuses_count"]
    r = http.post("/api/v1/statuses", token=vis.stranger.token,
                  data={"status": "trying to reply", "in_reply_to_id": sid(vis, post)})
    assert_error(r, 404)
    after = assert_json(http.get("/api/v1/accounts/verify_credentials",
                                 token=vis.stranger.token))["statuses_count"]
    assert after == before


def test_follower_cannot_boost_private_post(vis, http):
    r = http.post(f"/api/v1/statuses/{sid(vis, 'private')}/reblog", token=vis.follower.token)
    assert_error(r, 403)


def test_mentioned_cannot_boost_direct_post(vis, http):
    r = http.post(f"/api/v1/statuses/{sid(vis, 'direct')}/reblog", token=vis.mentioned.token)
    assert_error(r, 403)


# ---- notifications ------------------------------------------------------------------

def test_direct_mention_notifies_only_the_mentioned(vis, http):
    notes = assert_json(http.get("/api/v1/notifications", token=vis.mentioned.token,
                                 params={"types[]": "mention"}))
    assert set(sid(vis, n) for n in ("direct", "direct_reply")) <= {n["status"]["id"] for n in notes}
    for viewer in ("stranger", "follower"):
        notes = assert_json(http.get("/api/v1/notifications", token=token_of(vis, viewer)))
        leaked = {n["status"]["id"] for n in notes if n.get("status")}
        assert not leaked & {sid(vis, n) for n in HIDDEN}


# ---- unlisted -------------------------------------------------------------------------

def test_unlisted_on_profile_but_not_public_timelines(vis, anon):
    uid = str(vis.unlisted["id"])
    assert uid not in ids(anon.timeline_public(limit=40))
    assert uid not in ids(anon.timeline_local(limit=40))
    assert uid not in ids(anon.timeline_hashtag(vis.tag))
    assert uid in ids(anon.account_statuses(vis.a.id, limit=40))
    assert str(anon.status(vis.unlisted["id"])["id"]) == uid


# ---- counters must not reveal hidden posts ----------------------------------------------

def test_replies_count_ignores_private_and_direct_replies(vis, http):
    """Mastodon counts only public/unlisted replies in replies_count, so the
    number shown to everyone does not reveal hidden replies."""
    body = assert_json(http.get(f"/api/v1/statuses/{sid(vis, 'public')}"))
    assert body["replies_count"] == 0


def test_statuses_count_ignores_direct_posts(vis, http):
    """Mastodon does not count direct messages in statuses_count."""
    acct = assert_json(http.get(f"/api/v1/accounts/{vis.a.sid}"))
    assert acct["statuses_count"] == 4  # public, unlisted, private, private reply


# ---- mentioned users can read private posts that mention them ------------------------------

def test_private_post_visible_to_mentioned_non_follower(make_user, http):
    a, m, s = make_user("pm_author"), make_user("pm_mentioned"), make_user("pm_stranger")
    post = a.api.status_post(f"@{m.name} followers-only but you are named", visibility="private")
    assert assert_json(http.get(f"/api/v1/statuses/{post['id']}", token=m.token))["id"] == str(post["id"])
    assert_error(http.get(f"/api/v1/statuses/{post['id']}", token=s.token), 404)
    notes = assert_json(http.get("/api/v1/notifications", token=m.token, params={"types[]": "mention"}))
    assert str(post["id"]) in {n["status"]["id"] for n in notes}
