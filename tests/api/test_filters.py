"""Keyword filters (issue 12, "Safety"): Filters v2 and v1 end to end.
Each action (warn: Status.filtered with the matches; hide: gone from the
list; blur), each context (home, public and tag, thread, account,
notifications), expiry, whole words, Unicode folding, filtered statuses,
and every bad input answered with a JSON error that changes nothing."""

import json
import threading
import time

from conftest import assert_error, assert_json, unique_name


def h(user):
    return {"token": user.token}


def make_filter(http, user, title, contexts, keywords=(), action="warn", **extra):
    data = {"title": title, "context[]": list(contexts), "filter_action": action}
    for i, kw in enumerate(keywords):
        if isinstance(kw, tuple):
            kw, whole = kw
        else:
            whole = True
        data[f"keywords_attributes[{i}][keyword]"] = kw
        data[f"keywords_attributes[{i}][whole_word]"] = "true" if whole else "false"
    data.update(extra)
    return assert_json(http.post("/api/v2/filters", data=data, **h(user)))


def post(user, text, **kw):
    return user.api.status_post(text, **kw)


def listed(items, sid):
    return [s for s in items if str(s["id"]) == str(sid)]


def home(http, user):
    return assert_json(http.get("/api/v1/timelines/home?limit=40", **h(user)))


def test_v2_crud_and_entity_shape(http, make_user):
    me = make_user("fcrud")
    f = make_filter(http, me, "Spoilers", ["home", "public"], ["dragon", ("ship", False)],
                    expires_in="3600")
    assert f["title"] == "Spoilers" and f["filter_action"] == "warn"
    assert sorted(f["context"]) == ["home", "public"]
    assert f["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in f["keywords"]] == [
        ("dragon", True), ("ship", False)]
    assert f["statuses"] == []
    assert [x["id"] for x in assert_json(http.get("/api/v2/filters", **h(me)))] == [f["id"]]
    got = assert_json(http.get(f"/api/v2/filters/{f['id']}", **h(me)))
    assert got == f
    # update: title, action, one keyword changed, one destroyed, one added
    kid0, kid1 = f["keywords"][0]["id"], f["keywords"][1]["id"]
    u = assert_json(http.put(f"/api/v2/filters/{f['id']}", data={
        "title": "Renamed", "filter_action": "hide", "expires_in": "",
        "keywords_attributes[][id]": [kid0, kid1],
    }, **h(me)))
    assert u["title"] == "Renamed" and u["filter_action"] == "hide"
    assert u["expires_at"] is None
    u = assert_json(http.put(f"/api/v2/filters/{f['id']}", json={
        "keywords_attributes": [
            {"id": kid0, "keyword": "wyvern", "whole_word": False},
            {"id": kid1, "_destroy": True},
            {"keyword": "kraken"},
        ]}, **h(me)))
    assert sorted((k["keyword"], k["whole_word"]) for k in u["keywords"]) == [
        ("kraken", True), ("wyvern", False)]
    # keywords endpoints
    ks = assert_json(http.get(f"/api/v2/filters/{f['id']}/keywords", **h(me)))
    assert len(ks) == 2
    k = assert_json(http.post(f"/api/v2/filters/{f['id']}/keywords",
                              data={"keyword": "hydra", "whole_word": "false"}, **h(me)))
    assert k["keyword"] == "hydra" and k["whole_word"] is False
    k2 = assert_json(http.put(f"/api/v2/filters/keywords/{k['id']}",
                              data={"keyword": "gorgon"}, **h(me)))
    assert k2["keyword"] == "gorgon" and k2["id"] == k["id"]
    assert assert_json(http.get(f"/api/v2/filters/keywords/{k['id']}", **h(me)))["keyword"] == "gorgon"
    assert_json(http.delete(f"/api/v2/filters/keywords/{k['id']}", **h(me)))
    assert_error(http.get(f"/api/v2/filters/keywords/{k['id']}", **h(me)), 404)
    assert_json(http.delete(f"/api/v2/filters/{f['id']}", **h(me)))
    assert_error(http.get(f"/api/v2/filters/{f['id']}", **h(me)), 404)
    assert assert_json(http.get("/api/v2/filters", **h(me))) == []


def test_warn_marks_the_status_with_its_matches(http, make_user):
    me, them = make_user("fwarn"), make_user("fwarnee")
    me.api.account_follow(them.id)
    f = make_filter(http, me, "Cats", ["home"], ["cat"])
    s = post(them, "my cat is asleep")
    other = post(them, "nothing to see")
    items = home(http, me)
    got = listed(items, s["id"])[0]
    assert len(got["filtered"]) == 1
    res = got["filtered"][0]
    assert res["filter"]["id"] == f["id"] and res["filter"]["filter_action"] == "warn"
    assert res["filter"]["context"] == ["home"]
    assert res["keyword_matches"] == ["cat"]
    assert res["status_matches"] is None
    assert listed(items, other["id"])[0]["filtered"] == []
    # the single status is read in the thread context, which the filter lacks
    one = assert_json(http.get(f"/api/v1/statuses/{s['id']}", **h(me)))
    assert one["filtered"] == []
    # the author sees their own post unfiltered, even with the same filter
    make_filter(http, them, "Cats", ["home"], ["cat"])
    assert listed(home(http, them), s["id"])[0]["filtered"] == []


def test_an_edit_is_matched_as_it_now_reads(http, make_user):
    """A status's folded text is kept between reads; an edit must drop it."""
    me, them = make_user("fedit"), make_user("feditee")
    me.api.account_follow(them.id)
    make_filter(http, me, "Storms", ["home"], ["tempête"])
    s = post(them, "calm weather today")
    assert listed(home(http, me), s["id"])[0]["filtered"] == []
    them.api.status_update(s["id"], "a TEMPETE is coming")
    got = listed(home(http, me), s["id"])[0]
    assert [r["keyword_matches"] for r in got["filtered"]] == [["tempête"]]
    them.api.status_update(s["id"], "calm again")
    assert listed(home(http, me), s["id"])[0]["filtered"] == []


def test_hide_removes_server_side_only_in_its_contexts(http, make_user):
    me, them = make_user("fhide"), make_user("fhidee")
    me.api.account_follow(them.id)
    s = post(them, "a post about politics today")
    assert listed(home(http, me), s["id"])
    f = make_filter(http, me, "No politics", ["home"], ["politics"], action="hide")
    assert not listed(home(http, me), s["id"])
    # public is not among its contexts: shown there, unmarked
    pub = assert_json(http.get("/api/v1/timelines/public?limit=40", **h(me)))
    assert listed(pub, s["id"])[0]["filtered"] == []
    # delete the filter: back at once (the reader's cache is dropped)
    assert_json(http.delete(f"/api/v2/filters/{f['id']}", **h(me)))
    assert listed(home(http, me), s["id"])


def test_blur_keeps_the_status_with_filtered(http, make_user):
    me, them = make_user("fblur"), make_user("fbluree")
    me.api.account_follow(them.id)
    make_filter(http, me, "Gore", ["home"], ["gore"], action="blur")
    s = post(them, "some gore here")
    got = listed(home(http, me), s["id"])[0]
    assert got["filtered"][0]["filter"]["filter_action"] == "blur"
    assert got["filtered"][0]["keyword_matches"] == ["gore"]


def test_each_context(http, make_user):
    me, them = make_user("fctx"), make_user("fctxee")
    me.api.account_follow(them.id)
    tag = "ctx" + them.name[-6:]
    root = post(them, "thread root")
    s = post(them, f"zebra crossing #{tag} @{me.name}", in_reply_to_id=root["id"])
    # warn in public: public and tag timelines and search carry filtered
    make_filter(http, me, "Pub", ["public"], ["zebra"])
    pub = assert_json(http.get("/api/v1/timelines/public?limit=40", **h(me)))
    assert listed(pub, s["id"])[0]["filtered"][0]["keyword_matches"] == ["zebra"]
    tl = assert_json(http.get(f"/api/v1/timelines/tag/{tag}", **h(me)))
    assert listed(tl, s["id"])[0]["filtered"]
    assert listed(home(http, me), s["id"])[0]["filtered"] == []
    # hide in thread: the reply leaves the context
    ctx = assert_json(http.get(f"/api/v1/statuses/{root['id']}/context", **h(me)))
    assert listed(ctx["descendants"], s["id"])
    make_filter(http, me, "Thr", ["thread"], ["crossing"], action="hide")
    ctx = assert_json(http.get(f"/api/v1/statuses/{root['id']}/context", **h(me)))
    assert not listed(ctx["descendants"], s["id"])
    # account: the author's profile timeline
    acct = assert_json(http.get(f"/api/v1/accounts/{them.id}/statuses", **h(me)))
    assert listed(acct, s["id"])[0]["filtered"] == []
    make_filter(http, me, "Acct", ["account"], ["zebra"], action="hide")
    acct = assert_json(http.get(f"/api/v1/accounts/{them.id}/statuses", **h(me)))
    assert not listed(acct, s["id"])
    # notifications: the mention is there, then hidden
    notes = assert_json(http.get("/api/v1/notifications?types[]=mention", **h(me)))
    assert [n for n in notes if n.get("status") and n["status"]["id"] == str(s["id"])]
    make_filter(http, me, "Notes", ["notifications"], ["zebra"], action="hide")
    notes = assert_json(http.get("/api/v1/notifications?types[]=mention", **h(me)))
    assert not [n for n in notes if n.get("status") and n["status"]["id"] == str(s["id"])]
    grouped = assert_json(http.get("/api/v2/notifications", **h(me)))
    assert str(s["id"]) not in [x["id"] for x in grouped["statuses"]]


def test_notifications_warn_carries_filtered(http, make_user):
    me, them = make_user("fnwarn"), make_user("fnwarnee")
    make_filter(http, me, "N", ["notifications"], ["walrus"])
    s = post(them, f"@{me.name} a walrus")
    notes = assert_json(http.get("/api/v1/notifications?types[]=mention", **h(me)))
    n = [n for n in notes if n["status"]["id"] == str(s["id"])][0]
    assert n["status"]["filtered"][0]["keyword_matches"] == ["walrus"]


def test_expiry(http, make_user):
    me, them = make_user("fexp"), make_user("fexpee")
    me.api.account_follow(them.id)
    make_filter(http, me, "Brief", ["home"], ["ephemeral"], action="hide", expires_in="2")
    s = post(them, "an ephemeral thought")
    assert not listed(home(http, me), s["id"])
    time.sleep(2.5)
    got = listed(home(http, me), s["id"])
    assert got and got[0]["filtered"] == []


def test_whole_word_and_folding(http, make_user):
    me, them = make_user("fword"), make_user("fwordee")
    me.api.account_follow(them.id)
    make_filter(http, me, "Whole", ["home"], ["cat"])
    make_filter(http, me, "Part", ["home"], [("dog", False)])
    make_filter(http, me, "Fold", ["home"], ["Café"])
    make_filter(http, me, "Han", ["home"], ["東京"])
    cat = post(them, "a category of things")
    dog = post(them, "hotdogs for sale")
    cafe = post(them, "meet me at the CAFE")
    han = post(them, "我在東京")
    items = home(http, me)
    assert listed(items, cat["id"])[0]["filtered"] == []
    assert listed(items, dog["id"])[0]["filtered"][0]["keyword_matches"] == ["dog"]
    assert listed(items, cafe["id"])[0]["filtered"][0]["keyword_matches"] == ["Café"]
    assert listed(items, han["id"])[0]["filtered"][0]["keyword_matches"] == ["東京"]


def test_spoiler_and_boost_are_matched(http, make_user):
    me, them, booster = make_user("fcw"), make_user("fcwee"), make_user("fcwb")
    me.api.account_follow(booster.id)
    make_filter(http, me, "CW", ["home"], ["nausea"])
    s = post(them, "plain words", spoiler_text="nausea warning")
    b = booster.api.status_reblog(s["id"])
    got = listed(home(http, me), b["id"])[0]
    assert got["filtered"][0]["keyword_matches"] == ["nausea"]
    assert got["reblog"]["filtered"][0]["keyword_matches"] == ["nausea"]


def test_filter_statuses(http, make_user):
    me, them = make_user("fst"), make_user("fstee")
    me.api.account_follow(them.id)
    f = make_filter(http, me, "These", ["home"])
    s = post(them, "this one exactly")
    fs = assert_json(http.post(f"/api/v2/filters/{f['id']}/statuses",
                               data={"status_id": s["id"]}, **h(me)))
    assert fs["status_id"] == str(s["id"])
    assert [x["id"] for x in assert_json(
        http.get(f"/api/v2/filters/{f['id']}/statuses", **h(me)))] == [fs["id"]]
    assert assert_json(http.get(f"/api/v2/filters/statuses/{fs['id']}", **h(me))) == fs
    got = listed(home(http, me), s["id"])[0]
    assert got["filtered"][0]["status_matches"] == [str(s["id"])]
    assert got["filtered"][0]["keyword_matches"] is None
    assert_error(http.post(f"/api/v2/filters/{f['id']}/statuses",
                           data={"status_id": s["id"]}, **h(me)), 422)
    assert_json(http.delete(f"/api/v2/filters/statuses/{fs['id']}", **h(me)))
    assert listed(home(http, me), s["id"])[0]["filtered"] == []
    assert_error(http.delete(f"/api/v2/filters/statuses/{fs['id']}", **h(me)), 404)


def test_v1_filters(http, make_user):
    me, them = make_user("fv1"), make_user("fv1ee")
    me.api.account_follow(them.id)
    f = me.api.filter_create("badger", ["home", "public"], irreversible=True, whole_word=False)
    assert f["phrase"] == "badger" and f["irreversible"] is True
    assert f["whole_word"] is False and sorted(f["context"]) == ["home", "public"]
    assert [x["id"] for x in me.api.filters()] == [f["id"]]
    s = post(them, "honeybadgers")
    assert not listed(home(http, me), s["id"])
    u = me.api.filter_update(f["id"], irreversible=False)
    assert u["irreversible"] is False and u["phrase"] == "badger"
    assert listed(home(http, me), s["id"])[0]["filtered"]
    # the v2 view of it
    v2 = assert_json(http.get("/api/v2/filters", **h(me)))
    assert v2[0]["keywords"][0]["keyword"] == "badger"
    me.api.filter_delete(f["id"])
    assert me.api.filters() == []
    assert assert_json(http.get("/api/v2/filters", **h(me))) == []
    assert_error(http.get(f"/api/v1/filters/{f['id']}", **h(me)), 404)


def test_bad_input_changes_nothing(http, make_user):
    me, other = make_user("fbad"), make_user("fbadother")
    f = make_filter(http, me, "Mine", ["home"], ["mine"])
    theirs = make_filter(http, other, "Theirs", ["home"], ["theirs"])
    tk = theirs["keywords"][0]["id"]
    # unknown ids and another's ids: 404
    for path in (f"/api/v2/filters/999999", f"/api/v2/filters/{theirs['id']}",
                 f"/api/v2/filters/keywords/{tk}", f"/api/v2/filters/{theirs['id']}/keywords",
                 f"/api/v2/filters/{theirs['id']}/statuses", f"/api/v1/filters/{tk}",
                 "/api/v2/filters/statuses/999999", "/api/v2/filters/abc"):
        assert_error(http.get(path, **h(me)), 404)
    assert_error(http.put(f"/api/v2/filters/{theirs['id']}", data={"title": "x"}, **h(me)), 404)
    assert_error(http.delete(f"/api/v2/filters/{theirs['id']}", **h(me)), 404)
    assert_error(http.delete(f"/api/v2/filters/keywords/{tk}", **h(me)), 404)
    assert_error(http.put(f"/api/v2/filters/keywords/{tk}", data={"keyword": "x"}, **h(me)), 404)
    assert_error(http.post(f"/api/v2/filters/{theirs['id']}/keywords",
                           data={"keyword": "x"}, **h(me)), 404)
    assert_error(http.delete(f"/api/v1/filters/{tk}", **h(me)), 404)
    # validation: 422
    bad = [
        {"title": "t", "context[]": ["home", "nowhere"]},
        {"title": "t", "context[]": []},
        {"title": "t"},
        {"title": "", "context[]": ["home"]},
        {"title": "t", "context[]": ["home"], "filter_action": "explode"},
        {"title": "t", "context[]": ["home"], "keywords_attributes[][keyword]": "  "},
        {"title": "t", "context[]": ["home"], "expires_in": "soon"},
    ]
    for data in bad:
        assert_error(http.post("/api/v2/filters", data=data, **h(me)), 422)
    assert_error(http.put(f"/api/v2/filters/{f['id']}", data={"context[]": ["bogus"]}, **h(me)), 422)
    assert_error(http.post(f"/api/v2/filters/{f['id']}/keywords", data={"keyword": ""}, **h(me)), 422)
    # nothing changed
    assert assert_json(http.get("/api/v2/filters", **h(me))) == [
        assert_json(http.get(f"/api/v2/filters/{f['id']}", **h(me)))]
    assert assert_json(http.get(f"/api/v2/filters/{f['id']}", **h(me)))["keywords"][0]["keyword"] == "mine"
    assert assert_json(http.get(f"/api/v2/filters/{theirs['id']}", **h(other)))["title"] == "Theirs"
    # scopes: a read-only token may not write
    assert_error(http.get("/api/v2/filters"), 401)


# ---- streams: the recipient's filters, as Mastodon's streaming server ----

def _ws():
    # the streaming tests' helpers (one WebSocket client for the suite)
    import test_streaming
    return test_streaming


def payloads(ws, status_id, timeout=1.0):
    """The decoded Status of the update for status_id, or None."""
    ev = _ws().next_event(ws, _ws().update_for(status_id), timeout=timeout)
    return json.loads(ev["payload"]) if ev else None


def test_streams_apply_the_recipients_filters(server, http, make_user):
    me, plain, author = make_user("fsme"), make_user("fsplain"), make_user("fsauthor")
    me.api.account_follow(author.id)
    tag = unique_name("FStream")
    make_filter(http, me, "HomeHide", ["home"], ["xylophone"], action="hide")
    warn = make_filter(http, me, "Warned", ["home"], ["walrus"])
    ws = _ws()
    home_ws = ws.ws_connect(server, "?stream=user", token=me.token)
    tag_ws = ws.ws_connect(server, f"?stream=hashtag&tag={tag}", token=me.token)
    plain_ws = ws.ws_connect(server, f"?stream=hashtag&tag={tag}", token=plain.token)
    try:
        time.sleep(0.2)
        # filters made or changed while the streams are open apply from
        # then on (none was in the public context when they opened)
        make_filter(http, me, "PublicHide", ["public"], ["kazoo"], action="hide")
        assert_json(http.put(f"/api/v2/filters/{warn['id']}",
                             data={"context[]": ["home", "public"]}, **h(me)))
        # hide in home: not on the user stream, still on the tag's
        s = post(author, f"a xylophone solo #{tag}")
        got = payloads(tag_ws, s["id"])
        assert got is not None and got["filtered"] == []
        assert payloads(home_ws, s["id"], timeout=0.3) is None
        # hide in public: the other way round
        s = post(author, f"a kazoo band #{tag}")
        got = payloads(home_ws, s["id"])
        assert got is not None and got["filtered"] == []
        assert payloads(tag_ws, s["id"], timeout=0.3) is None
        assert payloads(plain_ws, s["id"]) is not None  # not plain's filter
        # warn: sent to me with my FilterResult, in both contexts; the
        # others get the shared payload, and mine has its shape
        s = post(author, f"the walrus said #{tag}")
        for mine in (payloads(home_ws, s["id"]), payloads(tag_ws, s["id"])):
            assert mine is not None
            assert [f["filter"]["id"] for f in mine["filtered"]] == [warn["id"]]
            assert mine["filtered"][0]["keyword_matches"] == ["walrus"]
            assert mine["filtered"][0]["filter"]["title"] == "Warned"
            assert "favourited" not in mine  # the shared payload's fields
        shared = payloads(plain_ws, s["id"])
        assert shared is not None and shared["filtered"] == []
        assert set(shared) == set(mine)
    finally:
        for w in (home_ws, tag_ws, plain_ws):
            w.close()


def test_user_stream_notifications_read_the_notifications_filters(server, http, make_user):
    me, them = make_user("fsnote"), make_user("fsnotee")
    me.api.account_follow(them.id)
    make_filter(http, me, "Notes", ["notifications"], ["penguin"])
    make_filter(http, me, "NotesHide", ["notifications"], ["gorilla"], action="hide")
    make_filter(http, me, "ThreadOnly", ["thread"], ["penguin"])
    ws = _ws()
    home_ws = ws.ws_connect(server, "?stream=user", token=me.token)
    try:
        time.sleep(0.2)
        note = lambda sid: lambda e: (e["event"] == "notification" and
                                      json.loads(e["payload"])["status"]["id"] == str(sid))
        s = post(them, f"@{me.name} a gorilla")
        assert ws.next_event(home_ws, note(s["id"]), timeout=0.3) is None
        s = post(them, f"@{me.name} a penguin")
        ev = ws.next_event(home_ws, note(s["id"]))
        assert ev is not None
        filtered = json.loads(ev["payload"])["status"]["filtered"]
        assert [f["filter"]["title"] for f in filtered] == ["Notes"]
    finally:
        home_ws.close()


def test_filter_changes_are_streamed_as_filters_changed(server, http, make_user):
    me, other = make_user("fschg"), make_user("fschgother")
    st = post(other, "a post to filter")
    ws = _ws()
    mine = ws.ws_connect(server, "?stream=user", token=me.token)
    theirs = ws.ws_connect(server, "?stream=user", token=other.token)
    changed = lambda e: e.get("event") == "filters_changed"
    try:
        time.sleep(0.2)

        def told(what):
            ev = ws.next_event(mine, changed)
            assert ev is not None, f"no filters_changed after {what}"
            # as Mastodon: the event alone, no payload
            assert ev == {"stream": ["user"], "event": "filters_changed"}

        f = make_filter(http, me, "Chg", ["home"], ["one"])
        told("create")
        assert_json(http.put(f"/api/v2/filters/{f['id']}", data={"title": "Chg2"}, **h(me)))
        told("update")
        kw = assert_json(http.post(f"/api/v2/filters/{f['id']}/keywords",
                                   data={"keyword": "two"}, **h(me)))
        told("keyword create")
        assert_json(http.put(f"/api/v2/filters/keywords/{kw['id']}",
                             data={"keyword": "three"}, **h(me)))
        told("keyword update")
        assert_json(http.delete(f"/api/v2/filters/keywords/{kw['id']}", **h(me)))
        told("keyword delete")
        fs = assert_json(http.post(f"/api/v2/filters/{f['id']}/statuses",
                                   data={"status_id": st["id"]}, **h(me)))
        told("status add")
        assert_json(http.delete(f"/api/v2/filters/statuses/{fs['id']}", **h(me)))
        told("status delete")
        assert_json(http.delete(f"/api/v2/filters/{f['id']}", **h(me)))
        told("delete")
        v1 = me.api.filter_create("badger", ["home"])
        told("v1 create")
        me.api.filter_update(v1["id"], phrase="honey badger")
        told("v1 update")
        me.api.filter_delete(v1["id"])
        told("v1 delete")
        # a refused change tells no one; nor another account's streams
        assert_error(http.delete(f"/api/v2/filters/{f['id']}", **h(me)), 404)
        assert ws.next_event(mine, changed, timeout=0.3) is None
        assert ws.next_event(theirs, changed, timeout=0.1) is None
    finally:
        mine.close()
        theirs.close()


def test_filters_changed_over_sse_reaches_mastodon_py(server, http, make_user):
    from mastodon import CallbackStreamListener
    me = make_user("fssse")
    seen = []
    listener = CallbackStreamListener(filters_changed_handler=lambda: seen.append(1))
    handle = me.api.stream_user(listener, run_async=True, reconnect_async=False)
    try:
        assert _ws().wait_for(handle.is_receiving, timeout=5)
        time.sleep(0.2)
        make_filter(http, me, "Sse", ["home"], ["sse"])
        # Mastodon.py parses every data line as JSON: it must not abort
        assert _ws().wait_for(lambda: seen, timeout=2)
        assert handle.is_alive()
    finally:
        threading.Thread(target=handle.close, daemon=True).start()
