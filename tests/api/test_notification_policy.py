"""The notification policy (Mastodon 4.3): notifications from people one
does not follow, who do not follow one, new accounts, and unsolicited
private mentions are accepted, filtered into a per-sender request, or
dropped. A survivor decides whether strangers reach her at all."""

import time

import pytest

from conftest import assert_error, assert_json

DEFAULT = {"for_not_following": "accept", "for_not_followers": "accept",
           "for_new_accounts": "accept", "for_private_mentions": "filter",
           "for_limited_accounts": "filter"}


def policy(http, user):
    return assert_json(http.get("/api/v2/notifications/policy", token=user.token))


def set_policy(http, user, **kw):
    return assert_json(http.patch("/api/v2/notifications/policy", token=user.token, json=kw))


def requests_of(http, user):
    return assert_json(http.get("/api/v1/notifications/requests", token=user.token))


def told(user, type_=None):
    return [n for n in user.api.notifications() if type_ is None or n["type"] == type_]


def settle():
    time.sleep(0.1)


def test_default_policy_and_its_validation(make_user, http):
    me = make_user("policy")
    got = policy(http, me)
    assert {k: got[k] for k in DEFAULT} == DEFAULT
    assert got["summary"] == {"pending_requests_count": 0, "pending_notifications_count": 0}
    resp = http.patch("/api/v2/notifications/policy", token=me.token,
                      json={"for_not_following": "block", "for_new_accounts": "drop"})
    assert_error(resp, 422)
    assert {k: policy(http, me)[k] for k in DEFAULT} == DEFAULT  # nothing changed
    got = set_policy(http, me, for_new_accounts="drop")
    assert got["for_new_accounts"] == "drop" and got["for_not_following"] == "accept"
    # form encoding works too
    resp = http.patch("/api/v2/notifications/policy", token=me.token,
                      data={"for_not_followers": "filter"})
    assert assert_json(resp)["for_not_followers"] == "filter"
    assert_error(http.get("/api/v2/notifications/policy"), 401)


def test_unsolicited_private_mentions_wait_in_a_request(make_user, http):
    me, stranger, friend = make_user("survivor"), make_user("stranger"), make_user("friend")
    me.api.account_follow(friend.id)
    dm = stranger.api.status_post(f"@{me.name} hey, reply to me", visibility="direct")
    stranger.api.status_post(f"@{me.name} and another", visibility="direct")
    friend.api.status_post(f"@{me.name} from a friend", visibility="direct")
    public = stranger.api.status_post(f"@{me.name} in public")
    mine = me.api.status_post("my story")
    answer = stranger.api.status_post(f"@{me.name} answering you", visibility="direct",
                                      in_reply_to_id=mine["id"])
    settle()
    ids = {n["status"]["id"] for n in told(me, "mention")}
    # a friend's DM, a public mention and an answer to my post arrive;
    # the stranger's unsolicited DMs wait
    assert len(ids) == 3
    assert public["id"] in ids and answer["id"] in ids and dm["id"] not in ids
    (req,) = requests_of(http, me)
    assert req["account"]["id"] == stranger.sid
    assert req["notifications_count"] == "2"
    assert req["last_status"]["visibility"] == "direct"
    summary = policy(http, me)["summary"]
    assert summary == {"pending_requests_count": 1, "pending_notifications_count": 2}
    # the request's notifications, as clients read them
    held = assert_json(http.get(f"/api/v1/notifications?account_id={stranger.sid}"
                                "&include_filtered=true", token=me.token))
    assert [n["status"]["id"] for n in held][-1] == str(dm["id"])
    assert len(held) == 2
    one = assert_json(http.get(f"/api/v1/notifications/requests/{req['id']}", token=me.token))
    assert one["id"] == req["id"]
    # accepting lets them in, and the sender from now on
    assert_json(http.post(f"/api/v1/notifications/requests/{req['id']}/accept", token=me.token))
    ids = {n["status"]["id"] for n in told(me, "mention")}
    assert dm["id"] in ids
    assert requests_of(http, me) == []
    later = stranger.api.status_post(f"@{me.name} thank you", visibility="direct")
    settle()
    assert told(me, "mention")[0]["status"]["id"] == later["id"]
    assert assert_json(http.get("/api/v1/notifications/requests/merged",
                                token=me.token)) == {"merged": True}


def test_dismiss_drops_the_request_and_what_it_held(make_user, http):
    me, a, b = make_user("dismisser"), make_user("dma"), make_user("dmb")
    a.api.status_post(f"@{me.name} one", visibility="direct")
    b.api.status_post(f"@{me.name} two", visibility="direct")
    settle()
    reqs = requests_of(http, me)
    assert len(reqs) == 2 and reqs[0]["account"]["id"] == b.sid  # newest first
    assert_json(http.post(f"/api/v1/notifications/requests/{reqs[0]['id']}/dismiss",
                          token=me.token))
    assert [r["account"]["id"] for r in requests_of(http, me)] == [a.sid]
    assert told(me, "mention") == []
    # a malformed or empty bulk list changes nothing
    for bad in ({"id[]": [reqs[1]["id"], "nope"]}, {}):
        r = http.post("/api/v1/notifications/requests/dismiss", token=me.token, data=bad)
        assert r.status_code == 422 and "error" in r.json(), r.text
    assert [r["account"]["id"] for r in requests_of(http, me)] == [a.sid]
    # and again, bulk
    assert_json(http.post("/api/v1/notifications/requests/dismiss", token=me.token,
                          data={"id[]": [reqs[1]["id"]]}))
    assert requests_of(http, me) == []
    assert policy(http, me)["summary"]["pending_notifications_count"] == 0


def test_not_following_filters_and_not_followers_drops(make_user, http):
    me, followed, stranger, fan = (make_user("strict"), make_user("followed"),
                                   make_user("stranger2"), make_user("fan"))
    me.api.account_follow(followed.id)
    fan.api.account_follow(me.id)
    set_policy(http, me, for_not_following="filter")
    post = me.api.status_post("a post")
    followed.api.status_favourite(post["id"])
    stranger.api.status_favourite(post["id"])
    settle()
    assert [str(n["account"]["id"]) for n in told(me, "favourite")] == [followed.sid]
    assert [r["account"]["id"] for r in requests_of(http, me)] == [stranger.sid]
    # drop: people who do not follow me are not told at all; the fan is,
    # but the fan is someone I do not follow: filtered
    set_policy(http, me, for_not_following="filter", for_not_followers="drop")
    other = make_user("other")
    other.api.status_favourite(post["id"])
    fan.api.status_favourite(post["id"])
    settle()
    assert other.sid not in [r["account"]["id"] for r in requests_of(http, me)]
    assert other.sid not in [str(n["account"]["id"]) for n in told(me)]
    assert fan.sid in [r["account"]["id"] for r in requests_of(http, me)]
    # follows are notifications like others
    newcomer = make_user("newcomer")
    set_policy(http, me, for_not_followers="accept", for_new_accounts="filter",
               for_not_following="accept")
    newcomer.api.account_follow(me.id)
    settle()
    assert newcomer.sid not in [str(n["account"]["id"]) for n in told(me, "follow")]
    assert newcomer.sid in [r["account"]["id"] for r in requests_of(http, me)]


def test_a_blocked_senders_request_is_not_shown(make_user, http):
    me, troll = make_user("blockreq"), make_user("trollreq")
    troll.api.status_post(f"@{me.name} hello", visibility="direct")
    settle()
    assert len(requests_of(http, me)) == 1
    me.api.account_block(troll.id)
    assert requests_of(http, me) == []
    assert assert_json(http.get(f"/api/v1/notifications?account_id={troll.sid}"
                                "&include_filtered=true", token=me.token)) == []


def test_request_bad_input(make_user, http):
    me, other = make_user("reqbad"), make_user("reqother")
    sender = make_user("reqsender")
    sender.api.status_post(f"@{other.name} psst", visibility="direct")
    settle()
    (theirs,) = requests_of(http, other)
    # someone else's request is 404 for me, and stays
    for path in (f"/api/v1/notifications/requests/{theirs['id']}",):
        assert_error(http.get(path, token=me.token), 404)
    for action in ("accept", "dismiss"):
        assert_error(http.post(f"/api/v1/notifications/requests/{theirs['id']}/{action}",
                               token=me.token), 404)
        assert_error(http.post(f"/api/v1/notifications/requests/999999/{action}",
                               token=me.token), 404)
        assert_error(http.post(f"/api/v1/notifications/requests/{action}",
                               token=me.token, data={"id[]": ["x1"]}), 422)
        assert_error(http.post(f"/api/v1/notifications/requests/{action}",
                               token=me.token), 422)
    assert len(requests_of(http, other)) == 1
    assert_error(http.get("/api/v1/notifications?account_id=nope", token=me.token), 404)
    assert_error(http.get("/api/v1/notifications/requests"), 401)


def test_accepting_a_request_is_streamed_as_notifications_merged(make_user, http, server):
    """Mastodon tells the user streams when accepted notifications have
    joined the list, so clients reload them; a dismissal merges nothing."""
    import test_streaming as ws
    me, stranger = make_user("merger"), make_user("mergestranger")
    stranger.api.status_post(f"@{me.name} hello", visibility="direct")
    settle()
    (req,) = requests_of(http, me)
    user = ws.ws_connect(server, "?stream=user", token=me.token)
    notes = ws.ws_connect(server, "?stream=user:notification", token=me.token)
    merged = lambda e: e.get("event") == "notifications_merged"
    try:
        time.sleep(0.2)
        other = make_user("mergeother")
        other.api.status_post(f"@{me.name} hi too", visibility="direct")
        settle()
        (second,) = [r for r in requests_of(http, me) if r["id"] != req["id"]]
        assert_json(http.post(f"/api/v1/notifications/requests/{second['id']}/dismiss",
                              token=me.token))
        assert ws.next_event(user, merged, timeout=0.5) is None
        assert_json(http.post(f"/api/v1/notifications/requests/{req['id']}/accept",
                              token=me.token))
        for sock, name in ((user, "user"), (notes, "user:notification")):
            ev = ws.next_event(sock, merged)
            assert ev == {"stream": [name], "event": "notifications_merged", "payload": "1"}
    finally:
        user.close()
        notes.close()
