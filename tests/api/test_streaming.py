"""Streaming: the WebSocket at /api/v1/streaming (websocket-client, as
browser apps and masto.js use it) and the server-sent-event paths
(Mastodon.py's stream_* calls). A new post must reach a live stream within
a second; what a timeline hides, a stream hides too; bad input gets a
clear error and leaves the server serving."""

import json
import socket
import threading
import time

import pytest
import requests
import websocket
from mastodon import Mastodon, StreamListener

from conftest import (DEFAULT_SCOPES, ChorusServer, Sql, assert_error, assert_json, chorus_bin,
                      unique_name)

DEADLINE = 1.0  # the bound: a new post reaches the stream within 1 s


def ws_url(server, query=""):
    return server.url.replace("http://", "ws://") + "/api/v1/streaming" + query


def ws_connect(server, query="", token=None, subprotocol=None):
    url = ws_url(server, query)
    if token:
        url += ("&" if "?" in url else "?") + "access_token=" + token
    kw = {"timeout": 5}
    if subprotocol:
        kw["subprotocols"] = [subprotocol]
    return websocket.create_connection(url, **kw)


def next_event(ws, want=None, timeout=DEADLINE):
    """The next event frame (decoded), skipping others until want matches;
    None when the time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ws.settimeout(max(0.01, end - time.monotonic()))
        try:
            msg = ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        if not msg:
            continue
        ev = json.loads(msg)
        if want is None or want(ev):
            return ev
    return None


def update_for(status_id):
    return lambda ev: ev.get("event") == "update" and json.loads(ev["payload"])["id"] == str(status_id)


def test_hashtag_stream_gets_a_new_post_within_a_second(server, make_user):
    tag = unique_name("Live")
    author = make_user("wsauthor")
    ws = ws_connect(server, f"?stream=hashtag&tag={tag}")  # anonymous: public streams
    try:
        time.sleep(0.1)
        t0 = time.monotonic()
        st = author.api.status_post(f"I am here #{tag}")
        ev = next_event(ws, update_for(st["id"]))
        assert ev is not None, "no update within a second"
        assert time.monotonic() - t0 < DEADLINE
        assert ev["stream"] == ["hashtag", tag]
        payload = json.loads(ev["payload"])
        assert payload["account"]["username"] == author.name
        assert payload["tags"][0]["name"] == tag.lower()
    finally:
        ws.close()


def test_subscribe_messages_multiplex_streams(server, make_user):
    reader, author = make_user("mux"), make_user("muxauthor")
    reader.api.account_follow(author.id)
    tag = unique_name("Mux")
    # the token as the subprotocol, as browsers must send it
    ws = ws_connect(server, subprotocol=reader.token)
    try:
        assert ws.getsubprotocol() == reader.token.lower()  # the client lower-cases it
        ws.send(json.dumps({"type": "subscribe", "stream": "user"}))
        ws.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": tag}))
        time.sleep(0.2)
        st = author.api.status_post(f"both #{tag}")
        got = set()
        for _ in range(2):
            ev = next_event(ws, update_for(st["id"]))
            assert ev is not None
            got.add(tuple(ev["stream"]))
        assert got == {("user",), ("hashtag", tag)}
        # unsubscribe from the tag: only the home copy comes
        ws.send(json.dumps({"type": "unsubscribe", "stream": "hashtag", "tag": tag}))
        time.sleep(0.2)
        st2 = author.api.status_post(f"again #{tag}")
        ev = next_event(ws, update_for(st2["id"]))
        assert ev["stream"] == ["user"]
        assert next_event(ws, update_for(st2["id"]), timeout=0.3) is None
    finally:
        ws.close()


def test_user_stream_gets_notifications_and_followed_tags(server, make_user):
    me, stranger = make_user("notified"), make_user("stranger")
    tag = unique_name("Followed")
    requests.post(f"{server.url}/api/v1/tags/{tag}/follow",
                  headers={"Authorization": f"Bearer {me.token}"}, timeout=5).raise_for_status()
    ws = ws_connect(server, "?stream=user", token=me.token)
    try:
        time.sleep(0.1)
        mention = stranger.api.status_post(f"@{me.name} hello")
        ev = next_event(ws, lambda e: e["event"] == "notification")
        assert ev is not None and ev["stream"] == ["user"]
        n = json.loads(ev["payload"])
        assert n["type"] == "mention" and n["status"]["id"] == str(mention["id"])
        # a stranger's public post with a tag I follow reaches my home stream
        st = stranger.api.status_post(f"for those who follow #{tag}")
        assert next_event(ws, update_for(st["id"])) is not None
        # ... but not the stranger's post without it
        other = stranger.api.status_post("nothing to see")
        assert next_event(ws, update_for(other["id"]), timeout=0.3) is None
    finally:
        ws.close()


def test_streams_hide_what_timelines_hide(server, make_user):
    author, follower, outsider = make_user("priv"), make_user("privfan"), make_user("privout")
    follower.api.account_follow(author.id)
    tag = unique_name("Hidden")
    fan = ws_connect(server, "?stream=user", token=follower.token)
    out = ws_connect(server, "?stream=user", token=outsider.token)
    public = ws_connect(server, f"?stream=hashtag&tag={tag}")
    local = ws_connect(server, "?stream=public:local")
    try:
        time.sleep(0.1)
        st = author.api.status_post(f"followers only #{tag}", visibility="private")
        assert next_event(fan, update_for(st["id"])) is not None
        for ws in (out, public, local):
            assert next_event(ws, update_for(st["id"]), timeout=0.3) is None
        # a direct message: a conversation for the mentioned, nothing
        # public (to one who follows the author: the notification policy
        # filters unsolicited ones, conversation and all)
        direct = ws_connect(server, "?stream=direct", token=follower.token)
        time.sleep(0.1)
        dm = author.api.status_post(f"@{follower.name} just you", visibility="direct")
        ev = next_event(direct, lambda e: e["event"] == "conversation")
        assert ev is not None
        conv = json.loads(ev["payload"])
        assert conv["last_status"]["id"] == str(dm["id"])
        assert [a["username"] for a in conv["accounts"]] == [author.name]
        assert next_event(local, update_for(dm["id"]), timeout=0.3) is None
        direct.close()
    finally:
        for ws in (fan, out, public, local):
            ws.close()


def test_edits_and_deletes_are_streamed(server, make_user):
    author = make_user("editor")
    tag = unique_name("Edit")
    ws = ws_connect(server, f"?stream=hashtag&tag={tag}")
    try:
        time.sleep(0.1)
        st = author.api.status_post(f"first #{tag}")
        assert next_event(ws, update_for(st["id"])) is not None
        author.api.status_update(st["id"], f"second #{tag}")
        ev = next_event(ws, lambda e: e["event"] == "status.update")
        assert ev is not None and "second" in json.loads(ev["payload"])["content"]
        author.api.status_delete(st["id"])
        ev = next_event(ws, lambda e: e["event"] == "delete")
        assert ev is not None and ev["payload"] == str(st["id"])
    finally:
        ws.close()


class Collector(StreamListener):
    def __init__(self):
        super().__init__()
        self.updates, self.notifications = [], []
        self.got = threading.Event()

    def on_update(self, status):
        self.updates.append(status)
        self.got.set()

    def on_notification(self, notification):
        self.notifications.append(notification)
        self.got.set()


def wait_for(pred, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def test_mastodon_py_stream_hashtag_and_user(server, make_user):
    me, author = make_user("mpy"), make_user("mpyauthor")
    me.api.account_follow(author.id)
    tag = unique_name("MpyTag")
    tags, home = Collector(), Collector()
    h1 = me.api.stream_hashtag(tag, tags, run_async=True, reconnect_async=False)
    h2 = me.api.stream_user(home, run_async=True, reconnect_async=False)
    try:
        assert wait_for(lambda: h1.is_receiving() and h2.is_receiving(), timeout=5)
        time.sleep(0.2)
        t0 = time.monotonic()
        st = author.api.status_post(f"over SSE #{tag}")
        assert wait_for(lambda: any(s["id"] == st["id"] for s in tags.updates))
        assert wait_for(lambda: any(s["id"] == st["id"] for s in home.updates))
        assert time.monotonic() - t0 < DEADLINE + 0.2
        author.api.status_post(f"@{me.name} ping")
        assert wait_for(lambda: any(n["type"] == "mention" for n in home.notifications))
    finally:
        # requests' close waits for the reader thread's next byte (the
        # next heartbeat): let it happen in the background
        for h in (h1, h2):
            threading.Thread(target=h.close, daemon=True).start()


def test_sse_paths_and_health(server, alice):
    r = requests.get(f"{server.url}/api/v1/streaming/health", timeout=5)
    assert r.status_code == 200 and r.text == "OK"
    with requests.get(f"{server.url}/api/v1/streaming/public/local", stream=True, timeout=5) as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert next(r.iter_content(chunk_size=None)).startswith(b":)")
    # the user stream needs a token
    assert_error(requests.get(f"{server.url}/api/v1/streaming/user", timeout=5), 401,
                 "Missing access token")
    assert_error(requests.get(f"{server.url}/api/v1/streaming/hashtag", timeout=5), 400,
                 "No tag for stream provided")
    assert_error(requests.get(f"{server.url}/api/v1/streaming/nonsense", timeout=5), 404)


def test_bad_input_gets_clear_errors(server, alice):
    # an unknown stream in the URL: refused before the upgrade
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        ws_connect(server, "?stream=nonsense")
    assert e.value.status_code == 400
    # a bad token: 401 before the upgrade
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        ws_connect(server, "?stream=public", token="not-a-token")
    assert e.value.status_code == 401
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        ws_connect(server, subprotocol="not-a-token")
    assert e.value.status_code == 401
    # private streams need a token
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        ws_connect(server, "?stream=user")
    assert e.value.status_code == 401
    ws = ws_connect(server, token=alice.token)
    try:
        for bad, message in [
            ("not json", "Malformed message"),
            ("[1,2]", "Malformed message"),
            (json.dumps({"type": "subscribe"}), "Malformed message"),
            (json.dumps({"type": "dance", "stream": "public"}), "Malformed message"),
            (json.dumps({"type": "subscribe", "stream": "nonsense"}), "Unknown stream type"),
            (json.dumps({"type": "subscribe", "stream": "hashtag"}), "No tag for stream provided"),
            (json.dumps({"type": "subscribe", "stream": "list", "list": "12"}),
             "Not authorized to stream this list"),
        ]:
            ws.send(bad)
            reply = json.loads(ws.recv())
            assert reply["error"] == message, bad
            assert reply["status"] in (400, 401)
        # still serving this client after all that
        ws.send(json.dumps({"type": "subscribe", "stream": "public"}))
        time.sleep(0.1)
        st = alice.api.status_post("still here")
        assert next_event(ws, update_for(st["id"])) is not None
    finally:
        ws.close()
    # a plain request to the socket path without Upgrade is SSE; a bad
    # WebSocket handshake is a 4xx, not a hang
    r = requests.get(ws_url(server).replace("ws://", "http://"), timeout=5,
                     headers={"Upgrade": "websocket", "Connection": "Upgrade",
                              "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "short"})
    assert_error(r, 400, "Invalid Sec-WebSocket-Key")
    assert requests.get(f"{server.url}/api/v1/instance", timeout=5).status_code == 200


def raw_ws(server, path, rcvbuf=None):
    """A hand-made WebSocket handshake on a plain socket, for clients that
    misbehave on purpose."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head  # RFC 6455's example
    return s


def test_unmasked_and_oversized_frames_close_the_socket(server):
    s = raw_ws(server, "/api/v1/streaming")
    s.sendall(b"\x81\x05hello")  # unmasked: a protocol error
    data = s.recv(64)
    assert data[:2] == b"\x88\x02" and data[2:4] == (1002).to_bytes(2, "big")
    s.close()
    s = raw_ws(server, "/api/v1/streaming")
    s.sendall(b"\x81\xff" + (1 << 40).to_bytes(8, "big") + b"mask")  # a 1 TB frame
    data = s.recv(64)
    assert data[:2] == b"\x88\x02" and data[2:4] == (1009).to_bytes(2, "big")
    s.close()


def streaming_server(tmp_path, config):
    srv = ChorusServer(chorus_bin(), tmp_path, config="[streaming]\n" + config)
    srv.create_user("tess", "tess@example.com", "tess-password-1")
    srv.start()
    cid, secret = Mastodon.create_app("tight", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    api = Mastodon(client_id=cid, client_secret=secret, api_base_url=srv.url)
    api.log_in("tess@example.com", "tess-password-1", scopes=DEFAULT_SCOPES)
    srv.api = api
    return srv


@pytest.fixture
def beating_server(tmp_path):
    """A server with a 1 s heartbeat."""
    srv = streaming_server(tmp_path, "heartbeat_seconds = 1\n")
    yield srv
    assert srv.stop() == 0


@pytest.fixture
def tight_server(tmp_path):
    """A server with a 64 KiB queue per client, and heartbeats too rare
    to drop anyone during the test."""
    srv = streaming_server(tmp_path, "heartbeat_seconds = 600\nmax_queue_bytes = 65536\n")
    yield srv
    assert srv.stop() == 0


def test_heartbeats_keep_streams_alive(beating_server):
    tight_server = beating_server
    ws = ws_connect(tight_server, "?stream=public")
    try:
        ws.settimeout(3)
        op, _ = ws.recv_data(control_frame=True)
        assert op == websocket.ABNF.OPCODE_PING
    finally:
        ws.close()
    with requests.get(f"{tight_server.url}/api/v1/streaming/public", stream=True,
                      timeout=5) as r:
        seen = b""
        for chunk in r.iter_content(chunk_size=None):
            seen += chunk
            if b":thump" in seen:
                break
        assert b":thump" in seen


def test_a_client_that_stops_reading_is_dropped(tight_server):
    s = raw_ws(tight_server, "/api/v1/streaming?stream=public", rcvbuf=4096)
    long_text = "a slow reader must not make the server hoard memory " * 9
    # ~2.5 KB a frame: 400 of them overflow the 64 KiB queue and what the
    # kernel buffers between us
    for i in range(400):
        tight_server.api.status_post(f"{i} {long_text}")
    # drain what was sent before the drop: the end must come
    s.settimeout(10)
    total, dropped = 0, False
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                dropped = True
                break
            total += len(chunk)
    except socket.timeout:
        pass
    s.close()
    assert dropped, f"still connected after {total} bytes"
    assert total < 400 * 2500 * 0.9  # frames were dropped, not all sent
    # and the server still serves streams
    ws = ws_connect(tight_server, "?stream=public")
    try:
        time.sleep(0.1)
        st = tight_server.api.status_post("after the drop")
        assert next_event(ws, update_for(st["id"])) is not None
    finally:
        ws.close()


def test_clients_vanishing_mid_handshake_leave_nothing_behind(server, alice):
    """Upgrade requests whose clients reset the connection at once: some
    are gone before the 101 goes out, some just after. The server must
    neither leak them (LeakSanitizer checks at exit in the sanitized run)
    nor stop serving."""
    import struct
    request = (f"GET /api/v1/streaming?stream=public HTTP/1.1\r\nHost: x\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode()
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(request if i % 2 else request[:40])  # whole, or cut short
        s.close()  # RST
    ws = ws_connect(server, "?stream=public")
    try:
        time.sleep(0.2)
        st = alice.api.status_post("the server is still here")
        assert next_event(ws, update_for(st["id"])) is not None
    finally:
        ws.close()


def test_a_long_hashtag_in_another_script_streams(server, make_user):
    """A 100-character hashtag in Han characters folds to a 300-byte key:
    listeners must find it under the same key posts are delivered by."""
    tag = ("声" * 50 + "援" * 50)
    author = make_user("longtag")
    ws = ws_connect(server, "?stream=hashtag&tag=" + requests.utils.quote(tag))
    try:
        time.sleep(0.1)
        st = author.api.status_post(f"#{tag} we hear you")
        assert st["tags"] and st["tags"][0]["name"] == tag
        ev = next_event(ws, update_for(st["id"]))
        assert ev is not None and ev["stream"] == ["hashtag", tag]
    finally:
        ws.close()


def test_thread_stream_carries_every_visible_reply_of_the_thread(server, make_user, alice):
    """chorus's thread stream: what a thread's web page shows live."""
    author, other = make_user("thr"), make_user("throther")
    root = author.api.status_post("a thread to follow live")
    first = other.api.status_post("a reply", in_reply_to_id=root["id"])
    elsewhere = alice.api.status_post("another thread")
    # subscribed through a reply: the stream is the whole thread's
    ws = ws_connect(server, f"?stream=thread&id={first['id']}")
    sse = requests.get(f"{server.url}/api/v1/streaming/thread", params={"id": root["id"]},
                       stream=True, timeout=10)
    try:
        assert sse.status_code == 200
        time.sleep(0.1)
        deep = alice.api.status_post("a reply to the reply", in_reply_to_id=first["id"])
        ev = next_event(ws, update_for(deep["id"]))
        assert ev is not None and ev["stream"][0] == "thread"
        unlisted = other.api.status_post("quiet", in_reply_to_id=root["id"], visibility="unlisted")
        assert next_event(ws, update_for(unlisted["id"])) is not None
        hidden = other.api.status_post("followers only", in_reply_to_id=root["id"],
                                       visibility="private")
        other_thread = author.api.status_post("not this one", in_reply_to_id=elsewhere["id"])
        for s in (hidden, other_thread):
            assert next_event(ws, update_for(s["id"]), timeout=0.3) is None
        seen = ""
        for line in sse.iter_lines(decode_unicode=True):
            seen += (line or "") + "\n"
            if str(unlisted["id"]) in seen:
                break
        assert str(deep["id"]) in seen and str(hidden["id"]) not in seen
    finally:
        ws.close()
        sse.close()
    # bad input: clear errors
    assert_error(requests.get(f"{server.url}/api/v1/streaming/thread", timeout=10), 400,
                 "No post for stream provided")
    private = author.api.status_post("private root", visibility="private")
    assert_error(requests.get(f"{server.url}/api/v1/streaming/thread",
                              params={"id": private["id"]}, timeout=10), 404)


def test_a_post_to_more_followers_than_are_held_reaches_stream_and_home(server, make_user):
    """An author followed by more accounts than chorus keeps home feeds
    (2 048 by default) or streams for: the post is not fanned out by
    reading every follower, but the held feeds and the open user streams
    are asked about, so a follower listening and reading still gets it.
    The crowd's follows are written straight into the database (2 100
    sign-ups would take minutes)."""
    star, fan = make_user("crowded"), make_user("crowdfan")
    fan.api.account_follow(star.id)
    first = star.api.status_post("before the crowd")
    assert str(first["id"]) in [str(s["id"]) for s in fan.api.timeline_home()]  # feed held
    crowd = 2_100
    base = 9_000_000_000_000
    now = int(time.time() * 1000)
    with Sql(server) as db:
        if db.pg:  # PostgreSQL checks the follows' foreign keys
            db.executemany(
                "INSERT INTO accounts (id, username, username_key, created_at)"
                " VALUES (?, ?, ?, ?)",
                [(base + i, f"crowd{i}", f"crowd{i}", now) for i in range(crowd)])
        # local followers (local_follower: only they have a home here)
        db.executemany("INSERT INTO follows (id, account_id, target_id, local_follower)"
                       " VALUES (?, ?, ?, 1)",
                       [(base + crowd + i, base + i, star.id) for i in range(crowd)])
    ws = ws_connect(server, "?stream=user", token=fan.token)
    try:
        time.sleep(0.2)
        st = star.api.status_post("to everyone")
        assert next_event(ws, update_for(st["id"]), timeout=2) is not None
    finally:
        ws.close()
    assert [str(s["id"]) for s in fan.api.timeline_home(limit=2)] == [str(st["id"]), str(first["id"])]
