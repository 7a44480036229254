"""Probes an attacker would send, kept as a standing suite (issue 9): input
that used to be silently misread, request smuggling, forged log lines,
slow and greedy connections, security headers. Each test failed on the
code before the fix it pins. Streams and sessions, memory and sign-in
probes live beside this file in test_hostile_*.py."""

import datetime
import json
import re
import socket
import threading
import time

import pytest
import requests
import websocket
from mastodon import Mastodon, MastodonAPIError

from conftest import (DEFAULT_SCOPES, ChorusServer, api_error_status, assert_error,
                      assert_json, chorus_bin)


def raw_exchange(server, data, wait=3.0):
    """Send raw bytes on a fresh connection; return all the server sent
    until it closed or went quiet for `wait` seconds."""
    host, port = server.url.replace("http://", "").split(":")
    s = socket.create_connection((host, int(port)))
    out = b""
    try:
        s.sendall(data)
        s.settimeout(wait)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass  # a server hanging up on unread bytes resets the connection
    finally:
        s.close()
    return out


def status_line(resp):
    return resp.split(b"\r\n", 1)[0].decode("latin-1")


def json_body(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower(), head
    return json.loads(body)


def statuses_count(http, user):
    return assert_json(http.get("/api/v1/accounts/verify_credentials",
                                token=user.token))["statuses_count"]


# ---- 5. input that was silently misread ----------------------------------------

def test_a_nul_in_the_query_is_refused_not_cut(http, alice):
    # %00 used to cut the value: this found alice, and the token passed
    assert_error(http.get("/api/v1/accounts/lookup?acct=alice%00evil"), 400)
    assert_error(http.get(f"/api/v1/accounts/verify_credentials?access_token={alice.token}%00junk"), 400)
    assert_error(http.get("/api/v2/search?q=abc%00def"), 400)
    assert_error(http.get("/api/v1/timelines/public?local%00=true"), 400)


def test_a_nul_in_the_path_is_refused_not_cut(http):
    assert_error(http.get("/api/v1/instance%00.json"), 400)
    assert_error(http.get("/api/v1/accounts/1%00"), 400)
    # an encoded percent sign followed by zeros is not a NUL
    assert_json(http.get("/api/v1/instance?x=%2500"))


def test_scheduled_posts_are_refused_until_they_exist(http, alice):
    before = statuses_count(http, alice)
    future = (datetime.datetime.now(datetime.timezone.utc)
              + datetime.timedelta(hours=2))
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("later, please", scheduled_at=future)
    assert api_error_status(e.value) == 422
    assert "Scheduled" in str(e.value)
    r = http.post("/api/v1/statuses", token=alice.token,
                  json={"status": "x", "scheduled_at": "not a date"})
    assert_error(r, 422, contains="Scheduled at")
    assert statuses_count(http, alice) == before
    # a time already past is a post now (Mastodon's reading); null is unset
    past = assert_json(http.post("/api/v1/statuses", token=alice.token,
                                 json={"status": "now", "scheduled_at": "2020-01-01T00:00:00Z"}))
    assert past["content"]
    assert_json(http.post("/api/v1/statuses", token=alice.token,
                          json={"status": "now too", "scheduled_at": None}))
    assert statuses_count(http, alice) == before + 2


def test_polls_are_refused_until_they_exist(http, alice):
    before = statuses_count(http, alice)
    poll = alice.api.make_poll(["yes", "no"], expires_in=3600)
    with pytest.raises(MastodonAPIError) as e:
        alice.api.status_post("a question", poll=poll)
    assert api_error_status(e.value) == 422
    assert "Polls" in str(e.value)
    r = http.post("/api/v1/statuses", token=alice.token,
                  data={"status": "q", "poll[options][]": ["a", "b"], "poll[expires_in]": "300"})
    assert_error(r, 422, contains="Polls")
    assert statuses_count(http, alice) == before


@pytest.mark.parametrize("payload, field", [
    ({"status": 12345}, "Text"),
    ({"status": True}, "Text"),
    ({"status": "ok", "spoiler_text": 1.5}, "Spoiler text"),
    ({"status": "ok", "visibility": 1}, "Visibility"),
    ({"status": "ok", "language": 7}, "Language"),
])
def test_json_numbers_are_not_text(http, alice, payload, field):
    before = statuses_count(http, alice)
    r = http.post("/api/v1/statuses", token=alice.token, json=payload)
    assert_error(r, 422, message=f"Validation failed: {field} must be a string")
    assert statuses_count(http, alice) == before


@pytest.mark.parametrize("headers", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    b"Content-Length: 5\r\nContent-Length: 6\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
])
def test_ambiguous_body_framing_is_refused_and_the_connection_closed(server, alice, headers):
    """Smuggling: a proxy reading the length and chorus the chunks (or the
    reverse) would disagree on where the next request begins."""
    smuggled = b"GET /api/v1/instance HTTP/1.1\r\nHost: x\r\n\r\n"
    req = (b"POST /api/v1/statuses HTTP/1.1\r\nHost: x\r\n"
           b"Authorization: Bearer " + alice.token.encode() + b"\r\n"
           b"Content-Type: application/x-www-form-urlencoded\r\n" + headers +
           b"\r\n0\r\n\r\n" + smuggled)
    resp = raw_exchange(server, req)
    assert status_line(resp).startswith("HTTP/1.1 400"), resp[:200]
    assert "error" in json_body(resp)
    # one answer only: the bytes after the headers were not run as a request
    assert resp.count(b"HTTP/1.1 ") == 1, resp


# ---- 6. libmicrohttpd's own errors (docs/api.md says which stay HTML) ----------

def test_errors_libmicrohttpd_answers_itself_are_as_documented(server, http):
    """These never reach chorus's handlers; docs/api.md lists them. Their
    statuses are right and the server goes on serving."""
    cases = [
        (b"GET /api/v1/instance HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", "431"),
        (b"GET /api/v1/instance HTTP/2.0\r\nHost: x\r\n\r\n", "505"),
        # past the connection's buffer (20 KiB with the defaults); a URL
        # that fits it is chorus's JSON 414 (test_hardening.py)
        (b"GET /api/v1/" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
        (b"POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400"),
        (b"POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", "413"),
        (b"POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400"),
    ]
    for req, code in cases:
        start = server.log_size()
        resp = raw_exchange(server, req, wait=2)
        if resp:
            assert status_line(resp).split(" ")[1] == code, (req[:60], resp[:200])
        else:  # reset before the reply could be read: the log says what it was
            time.sleep(0.2)
            assert f"response code is {code}" in server.log_tail(start), req[:60]
    doc = (server_repo_docs() / "api.md").read_text()
    for code in ("431", "505", "414", "413"):
        assert code in doc.split("## Errors libmicrohttpd answers itself")[1].split("\n## ")[0]
    assert_json(http.get("/api/v1/instance"))


def server_repo_docs():
    from conftest import REPO
    return REPO / "docs"


# ---- 7. the access log cannot be forged -----------------------------------------

def test_control_characters_in_a_path_cannot_forge_a_log_line(server, http):
    forged = "2026-12-04T10:30:00.000Z info 127.0.0.1 POST /oauth/token 200 1.00ms"
    start = server.log_size()
    http.get("/api/v1/tags/x%0a" + forged.replace(" ", "%20") + "%0d%0a%1b[2J")
    time.sleep(0.2)
    log = server.log_tail(start)
    assert not any(line.startswith(forged) for line in log.splitlines()), log
    assert "\\x0a" + forged in log and "\\x1b" in log, log
    assert "\x1b" not in log


# ---- 8. slow and greedy connections ---------------------------------------------

@pytest.fixture
def strict_server(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path,
                       config="[server]\nheader_timeout_seconds = 2\n"
                              "max_connections_per_address = 8\n")
    srv.create_user("tess", "tess@example.com", "tess-password-1")
    srv.start()
    cid, secret = Mastodon.create_app("strict", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    srv.api = Mastodon(client_id=cid, client_secret=secret, api_base_url=srv.url)
    srv.api.log_in("tess@example.com", "tess-password-1", scopes=DEFAULT_SCOPES)
    yield srv
    assert srv.stop() == 0


def connect(server):
    host, port = server.url.replace("http://", "").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def closed_within(s, seconds, trickle=None):
    """Seconds until the peer closed s (sending `trickle` every 0.5 s
    meanwhile), or None if it stayed open for `seconds`."""
    t0 = time.monotonic()
    s.settimeout(0.5)
    while time.monotonic() - t0 < seconds:
        try:
            if trickle:
                s.sendall(trickle)
            if s.recv(4096) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def test_headers_trickled_byte_by_byte_hit_a_deadline(strict_server):
    s = connect(strict_server)
    s.sendall(b"GET /api/v1/instance HTTP/1.1\r\n")
    # a header byte every half second: never silent, never finished
    took = closed_within(s, 8, trickle=b"X")
    s.close()
    assert took is not None and took < 4.5, took


def test_the_deadline_spares_keepalive_requests_and_streams(strict_server):
    srv = strict_server
    # a quick client on a kept-alive connection is served twice
    with requests.Session() as sess:
        assert sess.get(srv.url + "/api/v1/instance").status_code == 200
        assert sess.get(srv.url + "/api/v1/instance").status_code == 200
    # a WebSocket and an SSE stream outlive the header deadline
    ws = websocket.create_connection(srv.url.replace("http://", "ws://") +
                                     "/api/v1/streaming?stream=public&access_token=" +
                                     srv.api.access_token, timeout=5)
    sse = requests.get(srv.url + "/api/v1/streaming/public", stream=True, timeout=10,
                       headers={"Authorization": "Bearer " + srv.api.access_token})
    assert sse.status_code == 200
    time.sleep(3.5)
    st = srv.api.status_post("still here")
    ws.settimeout(5)
    got = json.loads(ws.recv())
    assert got["event"] == "update" and json.loads(got["payload"])["id"] == str(st["id"])
    lines = sse.iter_lines()
    assert any(str(st["id"]) in (line.decode() if line else "") for line, _ in zip(lines, range(50)))
    ws.close()
    sse.close()


def test_connections_per_address_are_capped(strict_server):
    strict_server.api.session.close()  # its kept-alive connection counts too
    time.sleep(0.2)
    held = [connect(strict_server) for _ in range(8)]
    try:
        time.sleep(0.2)
        extra = connect(strict_server)
        extra.sendall(b"GET /api/v1/instance HTTP/1.1\r\nHost: x\r\n\r\n")
        assert closed_within(extra, 3) is not None
        extra.close()
        # the eight held are served
        for s in held:
            s.sendall(b"GET /api/v1/instance HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(12).startswith(b"HTTP/1.1 200")
    finally:
        for s in held:
            s.close()
    time.sleep(0.3)
    assert requests.get(strict_server.url + "/api/v1/instance", timeout=5).status_code == 200


# ---- 9. security headers ---------------------------------------------------------

def test_security_headers_on_every_response(server, http, alice):
    responses = [
        http.get("/api/v1/instance"),
        http.get("/api/v1/nothing-here"),
        http.get("/api/v1/accounts/verify_credentials"),
        http.post("/api/v1/statuses", token=alice.token, json={"status": 5}),
        http.options("/api/v1/timelines/public"),
        http.get("/.well-known/nodeinfo"),
    ]
    for r in responses:
        h = r.headers
        assert h.get("X-Content-Type-Options") == "nosniff", (r.url, h)
        assert h.get("Referrer-Policy") == "same-origin", (r.url, h)
        assert h.get("X-Frame-Options") == "DENY", (r.url, h)
        assert "default-src 'none'" in h.get("Content-Security-Policy", ""), (r.url, h)
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]


def test_the_sign_in_page_has_a_policy_of_its_own(server, http):
    cid, _ = Mastodon.create_app("csp", api_base_url=server.url, scopes=["read"],
                                 redirect_uris="urn:ietf:wg:oauth:2.0:oob")
    r = http.get("/oauth/authorize", params={
        "client_id": cid, "response_type": "code", "scope": "read",
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"})
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    csp = r.headers["Content-Security-Policy"]
    # a web page: only chorus's own script file runs, never inline code
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    # the answer to its form is a redirect to the app (any scheme), which
    # browsers check against form-action: the page has none
    assert "form-action" not in csp
    assert r.headers["X-Frame-Options"] == "DENY"  # once ("DENY, DENY" if twice)


def test_cors_exposes_only_headers_that_are_sent(http):
    r = http.get("/api/v1/timelines/public", headers={"Origin": "https://app.example"})
    exposed = [h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")]
    assert "Link" in exposed
    for h in exposed:
        if h.startswith("X-RateLimit"):
            assert h in r.headers, f"{h} is exposed but never sent"
