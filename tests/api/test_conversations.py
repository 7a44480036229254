"""Private conversations (/api/v1/conversations): direct posts are how
people reach out privately. Each participant has the thread's
conversation; the recipient's is unread until read; a new message moves
it to the top (and brings back one removed); blocks, mutes and the
notification policy keep unwanted senders out; the direct stream sends
the entity the list shows."""

import json
import time

import pytest

from conftest import assert_error, assert_json, unique_name
from test_streaming import next_event, ws_connect


def dm(sender, text, *to, reply_to=None):
    mentions = " ".join(f"@{u.name}" for u in to)
    return sender.api.status_post(f"{mentions} {text}", visibility="direct",
                                  in_reply_to_id=reply_to)


def convs(http, user, **params):
    return assert_json(http.get("/api/v1/conversations", token=user.token, params=params))


def conv_of(http, user, status_id):
    """The user's conversation whose last status is status_id, or None."""
    for c in convs(http, user, limit=40):
        if c["last_status"]["id"] == str(status_id):
            return c
    return None


@pytest.fixture
def pair(make_user):
    """Two people who follow each other: their messages are solicited."""
    a, b = make_user("conva"), make_user("convb")
    a.api.account_follow(b.id)
    b.api.account_follow(a.id)
    return a, b


def test_a_direct_message_is_a_conversation_for_both(http, pair):
    a, b = pair
    st = dm(a, "are you all right?", b)
    got = b.api.conversations()
    assert len(got) == 1
    assert got[0]["last_status"]["id"] == st["id"]
    assert got[0]["unread"] is True
    assert [x["username"] for x in got[0]["accounts"]] == [a.name]
    mine = a.api.conversations()
    assert mine[0]["unread"] is False
    assert [x["username"] for x in mine[0]["accounts"]] == [b.name]
    assert mine[0]["id"] != got[0]["id"]  # one per person


def test_public_and_private_posts_are_no_conversation(http, pair):
    a, b = pair
    a.api.status_post(f"@{b.name} hello", visibility="public")
    a.api.status_post(f"@{b.name} hello", visibility="private")
    assert convs(http, b) == []


def test_a_reply_moves_it_to_the_top_and_makes_it_unread(http, pair, make_user):
    a, b = pair
    c = make_user("convc")
    b.api.account_follow(c.id)
    first = dm(a, "first", b)
    dm(c, "other", b)
    b.api.conversations_read(b.api.conversations()[1]["id"])
    top = convs(http, b)
    assert top[0]["accounts"][0]["username"] == c.name
    reply = dm(a, "again", b, reply_to=first["id"])
    top = convs(http, b)
    assert len(top) == 2
    assert top[0]["last_status"]["id"] == str(reply["id"])
    assert top[0]["unread"] is True
    assert top[0]["last_status"]["in_reply_to_id"] == str(first["id"])
    # the same conversation, the same id
    assert top[0]["id"] == convs(http, b)[0]["id"]


def test_reading_marks_it_read_until_the_next_message(http, pair):
    a, b = pair
    st = dm(a, "read me", b)
    cid = convs(http, b)[0]["id"]
    got = assert_json(http.post(f"/api/v1/conversations/{cid}/read", token=b.token))
    assert got["id"] == cid and got["unread"] is False
    assert got["last_status"]["id"] == str(st["id"])
    assert convs(http, b)[0]["unread"] is False
    # one's own reply leaves it read; theirs makes it unread
    mine = dm(b, "thanks", a, reply_to=st["id"])
    assert convs(http, b)[0]["unread"] is False
    assert convs(http, a)[0]["unread"] is True
    dm(a, "welcome", b, reply_to=mine["id"])
    assert convs(http, b)[0]["unread"] is True


def test_delete_removes_it_until_a_new_message(http, pair):
    a, b = pair
    st = dm(a, "delete me", b)
    cid = convs(http, b)[0]["id"]
    assert assert_json(http.delete(f"/api/v1/conversations/{cid}", token=b.token)) == {}
    assert convs(http, b) == []
    assert len(convs(http, a)) == 1  # only b's went
    assert b.api.status(st["id"])["id"] == st["id"]  # the status stays
    assert_error(http.delete(f"/api/v1/conversations/{cid}", token=b.token), 404)
    again = dm(a, "still there?", b, reply_to=st["id"])
    back = convs(http, b)
    assert len(back) == 1
    assert back[0]["last_status"]["id"] == str(again["id"])
    assert back[0]["unread"] is True


def test_a_third_person_mentioned_joins(http, pair, make_user):
    a, b = pair
    c = make_user("convjoin")
    c.api.account_follow(b.id)
    st = dm(a, "just us", b)
    assert convs(http, c) == []
    reply = dm(b, "let's ask", a, c, reply_to=st["id"])
    theirs = convs(http, c)
    assert len(theirs) == 1
    assert theirs[0]["last_status"]["id"] == str(reply["id"])
    assert sorted(x["username"] for x in theirs[0]["accounts"]) == sorted([a.name, b.name])
    mine = convs(http, a)
    assert len(mine) == 1
    assert sorted(x["username"] for x in mine[0]["accounts"]) == sorted([b.name, c.name])


@pytest.mark.parametrize("act,undo", [("block", "unblock"), ("mute", "unmute")])
def test_a_blocked_or_muted_sender_is_not_listed(http, pair, act, undo):
    a, b = pair
    dm(a, "hi", b)
    assert len(convs(http, b)) == 1
    assert_json(http.post(f"/api/v1/accounts/{a.id}/{act}", token=b.token))
    assert convs(http, b) == []
    # the sender keeps it after a mute; a block hides each from the other
    assert len(convs(http, a)) == (0 if act == "block" else 1)
    late = dm(a, "are you there?", b)
    assert convs(http, b) == []
    assert_json(http.post(f"/api/v1/accounts/{a.id}/{undo}", token=b.token))
    back = convs(http, b)
    assert len(back) == 1
    # what came meanwhile never reached the list
    assert back[0]["last_status"]["id"] != str(late["id"])


def test_the_blocked_cannot_list_the_blocker(http, pair):
    a, b = pair
    dm(a, "hi", b)
    assert_json(http.post(f"/api/v1/accounts/{b.id}/block", token=a.token))
    assert convs(http, b) == []  # b may not see a's status any more
    assert convs(http, a) == []  # a hides the one it blocks


def test_an_unsolicited_message_waits_for_the_policy(http, make_user):
    stranger, me = make_user("convstr"), make_user("convme")
    dm(stranger, "hello stranger", me)
    assert convs(http, me) == []  # filtered by default, as Mastodon
    assert len(convs(http, stranger)) == 1
    assert_json(http.patch("/api/v2/notifications/policy", token=me.token,
                           json={"for_private_mentions": "accept"}))
    st = dm(stranger, "hello again", me)
    got = convs(http, me)
    assert [c["last_status"]["id"] for c in got] == [str(st["id"])]


def request_of(http, me, sender):
    reqs = assert_json(http.get("/api/v1/notifications/requests", token=me.token))
    return [r for r in reqs if r["account"]["id"] == str(sender.id)][0]


@pytest.mark.parametrize("bulk", [False, True])
def test_accepting_a_request_adds_its_held_messages(http, make_user, bulk):
    stranger, me, friend = make_user("convacs"), make_user("convacme"), make_user("convacfr")
    first = dm(stranger, "may I tell you something", me, friend)
    later = dm(stranger, "in another thread", me)
    again = dm(stranger, "still there?", me, friend, reply_to=first["id"])
    assert convs(http, me) == []  # held in the request
    req = request_of(http, me, stranger)
    if bulk:
        assert_json(http.post("/api/v1/notifications/requests/accept", token=me.token,
                              data={"id[]": [req["id"]]}))
    else:
        assert_json(http.post(f"/api/v1/notifications/requests/{req['id']}/accept",
                              token=me.token))
    got = convs(http, me)
    # one per thread, newest message first, unread, with who was in it
    assert [c["last_status"]["id"] for c in got] == [str(again["id"]), str(later["id"])]
    assert all(c["unread"] for c in got)
    assert sorted(a["username"] for a in got[0]["accounts"]) == sorted([stranger.name, friend.name])
    assert [a["username"] for a in got[1]["accounts"]] == [stranger.name]
    # the accepted sender's next message comes straight in
    st = dm(stranger, "thank you", me)
    assert convs(http, me)[0]["last_status"]["id"] == str(st["id"])


def test_a_dismissed_requests_messages_stay_out(http, make_user):
    stranger, me = make_user("convdis"), make_user("convdisme")
    dm(stranger, "listen to me", me)
    req = request_of(http, me, stranger)
    assert_json(http.post(f"/api/v1/notifications/requests/{req['id']}/dismiss",
                          token=me.token))
    assert convs(http, me) == []
    # and a later one waits in a new request, again outside the list
    dm(stranger, "listen!", me)
    assert convs(http, me) == []
    assert len(convs(http, stranger)) == 2  # the sender's own, per thread
    assert request_of(http, me, stranger)["notifications_count"] == "1"


def test_deleting_the_last_status_moves_the_conversation_back(http, pair):
    a, b = pair
    first = dm(a, "one", b)
    second = dm(b, "two", a, reply_to=first["id"])
    assert convs(http, a)[0]["last_status"]["id"] == str(second["id"])
    b.api.status_delete(second["id"])
    for u in (a, b):
        assert convs(http, u)[0]["last_status"]["id"] == str(first["id"])
    a.api.status_delete(first["id"])
    assert convs(http, a) == [] and convs(http, b) == []


def test_pages_follow_the_link_header(http, make_user):
    me = make_user("convpage")
    others = [make_user("convp") for _ in range(3)]
    sent = []
    for o in others:
        me.api.account_follow(o.id)
        sent.append(dm(o, "page", me))
    resp = http.get("/api/v1/conversations", token=me.token, params={"limit": 2})
    page1 = assert_json(resp)
    assert [c["last_status"]["id"] for c in page1] == [str(sent[2]["id"]), str(sent[1]["id"])]
    assert resp.links["next"]["url"].endswith(f"max_id={sent[1]['id']}")
    page2 = assert_json(http.get(resp.links["next"]["url"], token=me.token))
    assert [c["last_status"]["id"] for c in page2] == [str(sent[0]["id"])]
    prev = assert_json(http.get("/api/v1/conversations", token=me.token,
                                params={"min_id": sent[0]["id"], "limit": 1}))
    assert [c["last_status"]["id"] for c in prev] == [str(sent[1]["id"])]
    assert len(me.api.conversations(limit=2)) == 2  # Mastodon.py reads it too


def test_bad_input_is_answered(http, pair, make_user):
    a, b = pair
    dm(a, "private", b)
    cid = convs(http, b)[0]["id"]
    other = make_user("convother")
    for path in (f"/api/v1/conversations/{cid}/read",):
        assert_error(http.post(path, token=other.token), 404)
        assert_error(http.post(path), 401)
    assert_error(http.delete(f"/api/v1/conversations/{cid}", token=other.token), 404)
    assert_error(http.post("/api/v1/conversations/12345/read", token=b.token), 404)
    assert_error(http.post("/api/v1/conversations/nope/read", token=b.token), 404)
    assert_error(http.get("/api/v1/conversations"), 401)
    assert_error(http.delete(f"/api/v1/conversations/{cid}"), 401)
    assert len(convs(http, b)) == 1  # nothing happened to it


def test_the_direct_stream_sends_the_listed_entity(server, http, pair):
    a, b = pair
    theirs = ws_connect(server, "?stream=direct", token=b.token)
    mine = ws_connect(server, "?stream=direct", token=a.token)
    try:
        time.sleep(0.1)
        st = dm(a, "streamed", b)
        is_conv = lambda e: e["event"] == "conversation"  # noqa: E731
        ev = next_event(theirs, is_conv)
        assert ev is not None and ev["stream"] == ["direct"]
        assert json.loads(ev["payload"]) == convs(http, b)[0]
        own = next_event(mine, is_conv)
        assert own is not None
        got = json.loads(own["payload"])
        assert got == convs(http, a)[0]
        assert got["unread"] is False and got["last_status"]["id"] == str(st["id"])
    finally:
        theirs.close()
        mine.close()


def test_a_muted_sender_reaches_no_direct_stream(server, http, pair):
    a, b = pair
    assert_json(http.post(f"/api/v1/accounts/{a.id}/mute", token=b.token))
    theirs = ws_connect(server, "?stream=direct", token=b.token)
    try:
        time.sleep(0.1)
        dm(a, "muted", b)
        assert next_event(theirs, lambda e: e["event"] == "conversation", timeout=0.4) is None
    finally:
        theirs.close()
