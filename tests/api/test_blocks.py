"""Blocks, mutes and domain blocks as endpoints: what each call changes
(relationships, follows, the lists with their Link paging), the limits of
a mute, and every bad input answered with a JSON error that changes
nothing. Who then sees what is the matrix in test_safety_matrix.py."""

import threading
import time

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from conftest import api_error_status, assert_error, assert_json


def rel(user, other):
    return user.api.account_relationships(other.id)[0]


def test_block_cuts_follows_both_ways_and_is_reported(make_user):
    me, them = make_user("blocker"), make_user("blockee")
    me.api.account_follow(them.id)
    them.api.account_follow(me.id)
    assert rel(me, them)["following"] and rel(me, them)["followed_by"]
    before = me.api.account(me.id)
    r = me.api.account_block(them.id)
    assert r["blocking"] is True and r["following"] is False
    assert r["followed_by"] is False
    assert rel(them, me)["blocked_by"] is True
    assert rel(them, me)["following"] is False
    after = me.api.account(me.id)
    assert after["followers_count"] == before["followers_count"] - 1
    assert after["following_count"] == before["following_count"] - 1
    # neither may follow the other while the block stands
    with pytest.raises(MastodonAPIError) as e:
        them.api.account_follow(me.id)
    assert api_error_status(e.value) == 403
    with pytest.raises(MastodonAPIError) as e:
        me.api.account_follow(them.id)
    assert api_error_status(e.value) == 403
    assert [a["id"] for a in me.api.blocks()] == [them.id]
    r = me.api.account_unblock(them.id)
    assert r["blocking"] is False
    assert me.api.blocks() == []
    them.api.account_follow(me.id)
    assert rel(them, me)["following"] is True


def test_block_drops_a_pending_follow_request(make_user, http):
    locked, asker = make_user("locked"), make_user("asker")
    locked.api.account_update_credentials(locked=True)
    asker.api.account_follow(locked.id)
    assert rel(asker, locked)["requested"] is True
    locked.api.account_block(asker.id)
    assert rel(asker, locked)["requested"] is False
    assert locked.api.follow_requests() == []


def test_block_and_mute_are_idempotent(make_user):
    me, them = make_user("twice"), make_user("target")
    me.api.account_block(them.id)
    me.api.account_block(them.id)
    me.api.account_mute(them.id)
    me.api.account_mute(them.id, notifications=False)
    assert len(me.api.blocks()) == 1
    mutes = me.api.mutes()
    assert len(mutes) == 1
    r = rel(me, them)
    assert r["muting"] is True and r["muting_notifications"] is False
    me.api.account_unmute(them.id)
    me.api.account_unmute(them.id)
    assert me.api.mutes() == []


def test_mute_terms_and_expiry(make_user):
    me, them = make_user("muter"), make_user("mutee")
    r = me.api.account_mute(them.id)
    assert r["muting"] is True and r["muting_notifications"] is True
    (entry,) = me.api.mutes()
    assert entry["id"] == them.id and entry["mute_expires_at"] is None
    r = me.api.account_mute(them.id, duration=2)
    (entry,) = me.api.mutes()
    assert entry["mute_expires_at"] is not None
    time.sleep(2.5)
    assert rel(me, them)["muting"] is False
    assert me.api.mutes() == []


def test_blocks_and_mutes_page_with_link(make_user, http):
    me = make_user("pager")
    others = [make_user("paged") for _ in range(5)]
    for o in others:
        me.api.account_block(o.id)
        me.api.account_mute(o.id)
    for path in ("/api/v1/blocks", "/api/v1/mutes"):
        seen, url = [], f"{path}?limit=2"
        while url:
            resp = http.get(url, token=me.token)
            page = assert_json(resp)
            assert len(page) <= 2
            seen += [a["id"] for a in page]
            nxt = resp.links.get("next", {}).get("url")
            url = nxt if page else None
        # newest first, each once
        assert seen == [o.sid for o in reversed(others)], path


def test_domain_blocks_round_trip(make_user, http, alice):
    me = make_user("domains")
    me.api.domain_block("Spam.Example")
    me.api.domain_block("spam.example")  # the same domain, once
    me.api.domain_block("other.example")
    assert me.api.domain_blocks() == ["other.example", "spam.example"]
    # local accounts are on no domain
    assert rel(me, alice)["domain_blocking"] is False
    me.api.domain_unblock("spam.example")
    assert me.api.domain_blocks() == ["other.example"]
    # paging by Link
    resp = http.get("/api/v1/domain_blocks?limit=1", token=me.token)
    assert assert_json(resp) == ["other.example"]


@pytest.mark.parametrize("domain", ["", "not a domain", "a..b", ".lead", "x/y", "é" * 3, "a" * 300])
def test_bad_domains_are_refused(make_user, http, domain):
    me = make_user("baddomain")
    resp = http.post("/api/v1/domain_blocks", token=me.token, data={"domain": domain})
    assert resp.status_code in (400, 422)
    assert "error" in assert_json(resp, resp.status_code)
    assert me.api.domain_blocks() == []


def test_own_domain_is_refused(make_user, http, server):
    me = make_user("owndomain")
    host = server.url.split("//", 1)[1]
    resp = http.post("/api/v1/domain_blocks", token=me.token, data={"domain": host})
    assert_error(resp, 422)


def test_yourself_and_unknown_accounts(make_user, http):
    me = make_user("self")
    for action in ("block", "mute"):
        resp = http.post(f"/api/v1/accounts/{me.sid}/{action}", token=me.token)
        assert_error(resp, 422)
        resp = http.post(f"/api/v1/accounts/999999999/{action}", token=me.token)
        assert_error(resp, 404)
        resp = http.post(f"/api/v1/accounts/notanid/{action}", token=me.token)
        assert resp.status_code in (400, 404) and "error" in resp.json()
    assert me.api.blocks() == [] and me.api.mutes() == []


@pytest.mark.parametrize("duration", ["soon", "-5", "1e9", "99999999999"])
def test_bad_mute_durations(make_user, http, duration):
    me, them = make_user("dur"), make_user("durt")
    resp = http.post(f"/api/v1/accounts/{them.sid}/mute", token=me.token,
                     data={"duration": duration})
    assert_error(resp, 422)
    assert me.api.mutes() == []


def test_endpoints_need_a_user_and_the_scope(make_user, http, server):
    me, them = make_user("scoped"), make_user("scopet")
    for path in ("/api/v1/blocks", "/api/v1/mutes", "/api/v1/domain_blocks"):
        assert_error(http.get(path), 401)
    assert_error(http.post(f"/api/v1/accounts/{them.sid}/block"), 401)
    # a read-only token may list but not block
    from conftest import login
    ro = login(server, me.email, me.password, scopes=["read"])
    resp = http.post(f"/api/v1/accounts/{them.sid}/block", token=ro.access_token)
    assert_error(resp, 403)
    assert rel(me, them)["blocking"] is False
    assert assert_json(http.get("/api/v1/blocks", token=ro.access_token)) == []


def test_block_race_with_follow_never_leaves_a_follow(make_user):
    """A follow and a block racing from many threads: whatever the order,
    no follow survives between the two (the check and the write share a
    transaction, and the database refuses a follow across a block)."""
    for _ in range(3):
        a, b = make_user("racer"), make_user("racee")
        barrier = threading.Barrier(6)

        def follow():
            barrier.wait()
            try:
                b.api.account_follow(a.id)
            except MastodonAPIError:
                pass

        def block():
            barrier.wait()
            a.api.account_block(b.id)

        threads = [threading.Thread(target=follow) for _ in range(5)]
        threads.append(threading.Thread(target=block))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        r = rel(b, a)
        assert r["following"] is False and r["blocked_by"] is True
        assert a.api.account(a.id)["followers_count"] == 0


def test_blocked_cannot_act_on_the_blockers_posts(make_user):
    me, them = make_user("guarded"), make_user("harasser")
    post = me.api.status_post("a hard story", visibility="public")
    me.api.account_block(them.id)
    for act in (lambda: them.api.status_favourite(post["id"]),
                lambda: them.api.status_reblog(post["id"]),
                lambda: them.api.status_post("@x reply", in_reply_to_id=post["id"]),
                lambda: them.api.status(post["id"])):
        with pytest.raises(MastodonNotFoundError):
            act()
    assert me.api.status(post["id"])["favourites_count"] == 0
    assert me.api.status(post["id"])["reblogs_count"] == 0
    # a mention from them notifies no one
    them.api.status_post(f"@{me.name} hello again")
    time.sleep(0.2)
    assert [n for n in me.api.notifications() if n["account"]["id"] == them.id] == []


def test_thread_mute_silences_a_thread(make_user, http):
    me, b, c = make_user("storyteller"), make_user("replier"), make_user("pile")
    root = me.api.status_post("my story")
    first = b.api.status_post(f"@{me.name} I believe you", in_reply_to_id=root["id"])
    assert me.api.status(root["id"])["muted"] is False
    # muting through a reply mutes the whole thread, root first
    r = me.api.status_mute(first["id"])
    assert r["muted"] is True
    assert me.api.status(root["id"])["muted"] is True
    before = {n["id"] for n in me.api.notifications()}
    c.api.status_post(f"@{me.name} pile-on", in_reply_to_id=first["id"])
    c.api.status_favourite(root["id"])
    elsewhere = c.api.status_post(f"@{me.name} another thread")
    time.sleep(0.2)
    new = [n for n in me.api.notifications() if n["id"] not in before]
    assert [n["status"]["id"] for n in new] == [elsewhere["id"]]
    # others are not muted by my mute
    assert b.api.status(root["id"])["muted"] is False
    assert me.api.status_unmute(root["id"])["muted"] is False
    c.api.status_post(f"@{me.name} again", in_reply_to_id=root["id"])
    time.sleep(0.2)
    assert me.api.notifications()[0]["type"] == "mention"
    assert me.api.notifications()[0]["status"]["in_reply_to_id"] == root["id"]
    # unknown, hidden and malformed ids
    assert_error(http.post("/api/v1/statuses/999999999/mute", token=me.token), 404)
    secret = b.api.status_post("followers only", visibility="private")
    assert_error(http.post(f"/api/v1/statuses/{secret['id']}/mute", token=c.token), 404)
    assert_error(http.post(f"/api/v1/statuses/{root['id']}/mute"), 401)
