"""Anonymous answers kept whole (core/replies.h): the public timeline, a
hashtag, a status, a profile's posts are served again without being read
again while nothing changed, and never once something did — a post, an
edit, a favourite, a pin, a deletion shows in the very next answer. A
signed-in reader is never served the anonymous answer."""

import uuid

import requests

from conftest import assert_json, ids
from test_metrics import parse_exposition


def kept_hits(base_url):
    text = requests.get(base_url + "/metrics", timeout=10).text
    for _, labels, value in parse_exposition(text)["chorus_cache_hits_total"]["samples"]:
        if labels == {"cache": "replies"}:
            return value
    raise AssertionError("no replies series in /metrics")


def anon_get(base_url, path):
    r = requests.get(base_url + path, timeout=30)
    assert_json(r)
    return r


def two_tagged_posts(make_user, prefix):
    """A fresh hashtag with two posts under it."""
    u = make_user(prefix)
    tag = "kept" + uuid.uuid4().hex[:10]
    u.api.status_post(f"one #{tag}")
    u.api.status_post(f"two #{tag}")
    return tag


def test_an_anonymous_answer_is_served_again_with_its_link(base_url, make_user):
    tag = two_tagged_posts(make_user, "kept")
    path = f"/api/v1/timelines/tag/{tag}?limit=1"
    first = anon_get(base_url, path)
    before = kept_hits(base_url)
    again = anon_get(base_url, path)
    assert kept_hits(base_url) == before + 1
    assert again.content == first.content
    assert again.headers["Link"] == first.headers["Link"]
    assert again.headers["Content-Type"] == first.headers["Content-Type"]


def test_every_change_shows_in_the_next_anonymous_answer(base_url, make_user):
    u, fan = make_user("kept_a"), make_user("kept_f")
    tag = "kept" + uuid.uuid4().hex[:10]
    s = u.api.status_post(f"first words #{tag}")
    timeline = f"/api/v1/timelines/tag/{tag}"
    status = f"/api/v1/statuses/{s['id']}"
    pinned = f"/api/v1/accounts/{u.id}/statuses?pinned=true"
    for path in (timeline, status, pinned):
        anon_get(base_url, path)
        anon_get(base_url, path)
    # a post
    s2 = u.api.status_post(f"second words #{tag}")
    assert ids(anon_get(base_url, timeline).json()) == [str(s2["id"]), str(s["id"])]
    # a favourite (counters are not in the cached rendering)
    fan.api.status_favourite(s["id"])
    assert anon_get(base_url, status).json()["favourites_count"] == 1
    # an edit
    u.api.status_update(s["id"], status=f"edited words #{tag}")
    assert "edited words" in anon_get(base_url, status).json()["content"]
    # a pin, and its removal
    assert anon_get(base_url, pinned).json() == []
    u.api.status_pin(s["id"])
    assert ids(anon_get(base_url, pinned).json()) == [str(s["id"])]
    u.api.status_unpin(s["id"])
    assert anon_get(base_url, pinned).json() == []
    # a deletion
    u.api.status_delete(s["id"])
    assert requests.get(base_url + status, timeout=30).status_code == 404
    assert ids(anon_get(base_url, timeline).json()) == [str(s2["id"])]


def test_a_signed_in_reader_never_gets_the_anonymous_answer(base_url, make_user):
    u, fan = make_user("kept_s"), make_user("kept_r")
    s = u.api.status_post("read by both")
    fan.api.status_favourite(s["id"])
    path = f"/api/v1/statuses/{s['id']}"
    assert "favourited" not in anon_get(base_url, path).json() or \
        not anon_get(base_url, path).json()["favourited"]
    mine = requests.get(base_url + path, timeout=30,
                        headers={"Authorization": f"Bearer {fan.api.access_token}"})
    assert assert_json(mine)["favourited"] is True
    # and the signed-in answer is not kept for the anonymous
    assert not anon_get(base_url, path).json().get("favourited")


def test_a_parameter_cannot_pass_for_two(base_url, make_user):
    tag = two_tagged_posts(make_user, "kept_p")
    # one unknown parameter whose value reads "1&limit=1", kept first …
    one = f"/api/v1/timelines/tag/{tag}?x=1%26limit%3D1"
    assert len(anon_get(base_url, one).json()) == 2
    assert len(anon_get(base_url, one).json()) == 2
    # … is not the answer to two parameters
    assert len(anon_get(base_url, f"/api/v1/timelines/tag/{tag}?x=1&limit=1").json()) == 1


def test_a_body_on_a_get_is_never_kept_for_the_url(base_url, make_user):
    tag = two_tagged_posts(make_user, "kept_b")
    path = f"/api/v1/timelines/tag/{tag}"
    # a GET whose form body asks for one status: its own answer …
    r = requests.get(base_url + path, data={"limit": "1"}, timeout=30)
    assert len(assert_json(r)) == 1
    # … never the URL's, for anyone after
    assert len(anon_get(base_url, path).json()) == 2
    assert len(anon_get(base_url, path).json()) == 2


def test_a_client_app_reading_anonymously_sees_each_new_post(anon, make_user):
    """Mastodon.py without a token, as an app shows a hashtag to a reader
    who has not signed in: the second read is the kept answer, and a post
    made after it is in the next."""
    u = make_user("kept_m")
    tag = "kept" + uuid.uuid4().hex[:10]
    first = u.api.status_post(f"one #{tag}")
    assert [s["id"] for s in anon.timeline_hashtag(tag)] == [first["id"]]
    assert [s["id"] for s in anon.timeline_hashtag(tag)] == [first["id"]]
    second = u.api.status_post(f"two #{tag}")
    assert [s["id"] for s in anon.timeline_hashtag(tag)] == [second["id"], first["id"]]


def test_a_blocked_reader_is_not_served_what_anonymous_readers_get(base_url, make_user):
    author, blocked = make_user("kept_o"), make_user("kept_x")
    s = author.api.status_post("public, but not for the blocked")
    author.api.account_block(blocked.id)
    path = f"/api/v1/statuses/{s['id']}"
    anon_get(base_url, path)
    anon_get(base_url, path)  # kept now
    r = requests.get(base_url + path, timeout=30,
                     headers={"Authorization": f"Bearer {blocked.api.access_token}"})
    assert r.status_code == 404
