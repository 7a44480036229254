"""Hardening everywhere (issue 15): the security headers on every kind of
response chorus sends (JSON, errors, pages, media files, streams,
ActivityPub), and the limits on what one request may send — the URL, the
number of parameters, the items of one list, a JSON body's nesting and
its size — each just under (served) and just over (refused with JSON)
on a server of its own with small limits, and the defaults on the
shared server."""

import json
import socket
import time

import pytest
import requests
from PIL import Image

from conftest import ChorusServer, assert_error, assert_json, chorus_bin, login

MAX_URL = 2048
MAX_PARAMS = 20
MAX_LIST = 5
MAX_DEPTH = 4
MAX_BODY = 65536

CONFIG = f"""[server]
max_url_bytes = {MAX_URL}
max_params = {MAX_PARAMS}
max_list_items = {MAX_LIST}
max_json_depth = {MAX_DEPTH}
max_body_bytes = {MAX_BODY}
[limits]
exempt = 127.0.0.0/8, ::1
"""

DEFAULT_MAX_URL = 8192  # [server] max_url_bytes


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("hardening"), config=CONFIG)
    s.create_user("hana", "hana@example.com", "hana-password")
    s.start()
    yield s
    assert s.stop() == 0, s.log_tail()


@pytest.fixture(scope="module")
def hana(srv):
    return login(srv, "hana@example.com", "hana-password")


def url(srv, path):
    return srv.url + path


def auth(user):
    return {"Authorization": f"Bearer {user.access_token}"}


def raw_exchange(server, data, wait=3.0):
    """Raw bytes on a fresh connection; all the server sent back."""
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
        pass
    finally:
        s.close()
    return out


def target_of_length(n, path="/api/v1/timelines/public"):
    """A request target of exactly n bytes: path, '?x=' and padding."""
    pad = n - len(path) - len("?x=")
    assert pad > 0
    return f"{path}?x={'a' * pad}"


# ---- security headers ---------------------------------------------------------

def assert_secured(r, own_csp=False):
    h = r.headers
    where = f"{r.request.method} {r.url[:80]} ({r.status_code})"
    assert h.get("X-Content-Type-Options") == "nosniff", where
    assert h.get("Referrer-Policy") == "same-origin", where
    assert h.get("X-Frame-Options") == "DENY", where
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, (where, csp)
    if not own_csp:
        assert "default-src 'none'" in csp, (where, csp)


def test_json_answers_and_json_errors_carry_the_security_headers(srv, hana):
    responses = [
        requests.get(url(srv, "/api/v1/instance")),
        requests.head(url(srv, "/api/v1/instance")),
        requests.get(url(srv, "/api/v1/timelines/home"), headers=auth(hana)),
        requests.get(url(srv, "/api/v1/timelines/home")),  # 401
        requests.get(url(srv, "/api/v1/statuses/1")),  # 404
        requests.post(url(srv, "/api/v1/statuses"), headers=auth(hana),
                      json={"status": 5}),  # 422
        requests.options(url(srv, "/api/v1/instance")),
        requests.get(url(srv, "/.well-known/webfinger"),
                     params={"resource": f"acct:hana@{srv.url.split('//')[1]}"}),
        requests.get(url(srv, "/nodeinfo/2.0")),
    ]
    for r in responses:
        assert r.status_code in (200, 401, 404, 422), (r.url, r.status_code, r.text[:200])
        assert_secured(r)


def test_the_servers_own_refusals_carry_them(srv, hana):
    responses = [
        requests.post(url(srv, "/api/v1/statuses"), headers=auth(hana),
                      data="x" * (MAX_BODY + 1)),  # 413
        requests.get(url(srv, target_of_length(MAX_URL + 1))),  # 414
        requests.get(url(srv, "/api/v1/timelines/public"),
                     params=[("p", "1")] * (MAX_PARAMS + 1)),  # 400
        requests.get(url(srv, "/api/v1/instance%00")),  # 400
    ]
    for r, status in zip(responses, (413, 414, 400, 400)):
        assert_error(r, status)
        assert_secured(r)


def test_pages_keep_their_policy_and_forbid_framing(srv):
    for path in ("/", "/about", "/no-such-page", "/@hana"):
        r = requests.get(url(srv, path))
        assert "text/html" in r.headers["Content-Type"], path
        assert_secured(r, own_csp=True)
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_activitypub_documents_carry_them(srv):
    r = requests.get(url(srv, "/users/hana"),
                     headers={"Accept": "application/activity+json"})
    assert r.status_code == 200 and "activity+json" in r.headers["Content-Type"]
    assert_secured(r)


def test_media_files_carry_them(srv, hana, tmp_path):
    png = tmp_path / "dot.png"
    Image.new("RGB", (8, 8), (200, 10, 10)).save(png)
    m = hana.media_post(str(png))
    for _ in range(100):
        if m.get("url"):
            break
        time.sleep(0.1)
        m = hana.media(m["id"])
    for u in (m["url"], m["preview_url"]):
        r = requests.get(u)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("image/")
        assert_secured(r)
    ranged = requests.get(m["url"], headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206
    assert_secured(ranged)


def test_server_sent_event_streams_carry_them(srv, hana):
    with requests.get(url(srv, "/api/v1/streaming/public"), headers=auth(hana),
                      stream=True, timeout=5) as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/event-stream")
        assert_secured(r)


# ---- the URL --------------------------------------------------------------------

def test_a_url_of_max_url_bytes_is_served(srv, hana):
    hana.status_post("something to page through")
    target = target_of_length(MAX_URL)
    assert len(target) == MAX_URL
    r = requests.get(url(srv, target))
    assert assert_json(r) and r.headers["Link"].count("?x=aaaa") == 2


def test_a_url_one_byte_longer_is_414_in_json(srv):
    r = requests.get(url(srv, target_of_length(MAX_URL + 1)))
    assert assert_error(r, 414) == {"error": "URL too long"}
    assert r.headers.get("Connection") == "close"
    # on a page's path too: the refusal comes before any route
    r = requests.get(url(srv, target_of_length(MAX_URL + 1, "/about")))
    assert_error(r, 414)


def test_a_long_path_counts_as_much_as_a_long_query(srv):
    r = requests.get(url(srv, "/api/v1/accounts/" + "1" * MAX_URL))
    assert_error(r, 414)


def test_a_url_filling_the_connection_buffer_is_still_json(srv):
    """The buffer holds three times max_url_bytes and 8 KiB, at least
    16 KiB: far past the limit chorus still sees the URL and answers."""
    resp = raw_exchange(srv, b"GET " + target_of_length(12_000).encode() +
                        b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = resp.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414"), resp[:200]
    assert b"application/json" in head
    assert json.loads(body) == {"error": "URL too long"}


def test_the_default_limit_answers_json_too(server, alice):
    """The shared server runs on the defaults. A URL at the limit is
    answered in full, its query twice in the Link header as well: the
    connection's buffer holds them all."""
    alice.api.status_post("a post for a page with a Link header")
    ok = requests.get(server.url + target_of_length(DEFAULT_MAX_URL))
    assert_json(ok)
    assert 'rel="next"' in ok.headers.get("Link", ""), "no posts to page through?"
    over = requests.get(server.url + target_of_length(DEFAULT_MAX_URL + 1))
    assert_error(over, 414)


# ---- the number of parameters -----------------------------------------------------

def test_query_parameters_up_to_the_limit_are_served(srv):
    r = requests.get(url(srv, "/api/v1/timelines/public"),
                     params=[(f"k{i}", "1") for i in range(MAX_PARAMS)])
    assert_json(r)


def test_one_query_parameter_more_is_400(srv):
    r = requests.get(url(srv, "/api/v1/timelines/public"),
                     params=[(f"k{i}", "1") for i in range(MAX_PARAMS + 1)])
    body = assert_error(r, 400)
    assert "Too many parameters" in body["error"]


def test_a_flood_of_empty_pairs_is_chorus_s_400_not_libmicrohttpd_s_431(server):
    """libmicrohttpd would keep 64 bytes per pair in a 16 KiB pool and
    answer its own HTML 431; chorus parses the query itself."""
    target = "/api/v1/timelines/public?" + "&".join(["a"] * 2000)
    assert len(target) <= DEFAULT_MAX_URL
    resp = raw_exchange(server, b"GET " + target.encode() +
                        b" HTTP/1.1\r\nHost: x\r\n\r\n")
    head, _, body = resp.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), resp[:200]
    assert "Too many parameters" in json.loads(body)["error"]
    # and the pairs within the limit still reach chorus, decoded
    r = requests.get(server.url + "/api/v1/accounts/lookup?acct=no+one%21&x")
    assert_error(r, 404)


def test_form_json_and_multipart_bodies_count_their_parameters(srv, hana):
    path = url(srv, "/api/v1/accounts/update_credentials")
    under = {f"k{i}": "1" for i in range(MAX_PARAMS - 1)} | {"note": "hi"}
    over = under | {"one_more": "1"}
    assert_json(requests.patch(path, headers=auth(hana), data=under))
    assert_error(requests.patch(path, headers=auth(hana), data=over), 400)
    assert_json(requests.patch(path, headers=auth(hana), json=under))
    assert_error(requests.patch(path, headers=auth(hana), json=over), 400)
    # a JSON null adds no parameter but is a member all the same
    nulls = {f"k{i}": None for i in range(MAX_PARAMS + 1)}
    assert_error(requests.patch(path, headers=auth(hana), json=nulls), 400)
    parts = {k: (None, v) for k, v in under.items()}
    assert_json(requests.patch(path, headers=auth(hana), files=parts))
    parts["one_more"] = (None, "1")
    assert_error(requests.patch(path, headers=auth(hana), files=parts), 400)


def test_query_and_body_parameters_count_together(srv, hana):
    path = url(srv, "/api/v1/accounts/update_credentials")
    half = MAX_PARAMS // 2
    query = [(f"q{i}", "1") for i in range(half)]
    body = {f"b{i}": "1" for i in range(MAX_PARAMS - half)}
    assert_json(requests.patch(path, headers=auth(hana), params=query, data=body))
    body["one_more"] = "1"
    assert_error(requests.patch(path, headers=auth(hana), params=query, data=body), 400)


# ---- the items of one list ------------------------------------------------------------

def test_list_items_up_to_the_limit_are_served(srv, hana):
    ids = [str(i) for i in range(1, MAX_LIST + 1)]
    path = url(srv, "/api/v1/accounts/relationships")
    assert_json(requests.get(path, headers=auth(hana), params={"id[]": ids}))
    # several lists each within the limit, interleaved: all served
    pairs = [p for i in ids for p in (("id[]", i), ("other[]", i))]
    assert_json(requests.get(path, headers=auth(hana), params=pairs))


def test_one_list_item_more_is_400(srv, hana):
    ids = [str(i) for i in range(1, MAX_LIST + 2)]
    path = url(srv, "/api/v1/accounts/relationships")
    r = requests.get(path, headers=auth(hana), params={"id[]": ids})
    assert assert_error(r, 400)["error"] == f"Too many items in id[] (more than {MAX_LIST})"
    numbered = [(f"id[{n}]", i) for n, i in enumerate(ids)]
    assert_error(requests.get(path, headers=auth(hana), params=numbered), 400)
    r = requests.post(url(srv, "/api/v1/reports"), headers=auth(hana),
                      json={"account_id": "1", "status_ids": ids})
    assert "status_ids[]" in assert_error(r, 400)["error"]


# ---- JSON nesting ---------------------------------------------------------------------

def nested(depth):
    """A body nesting objects and arrays `depth` deep (the body itself is 1)."""
    inner = "x"
    for i in range(depth - 1):
        inner = [inner] if i % 2 else {"k": inner}
    return {"note": "nested", "extra": inner}


def test_json_nested_to_the_limit_is_served(srv, hana):
    path = url(srv, "/api/v1/accounts/update_credentials")
    assert_json(requests.patch(path, headers=auth(hana), json=nested(MAX_DEPTH)))
    # brackets inside strings are text, not nesting
    assert_json(requests.patch(path, headers=auth(hana),
                               json={"note": "[[[[{{{{\\\"[[[["}))


def test_json_nested_one_deeper_is_400(srv, hana):
    path = url(srv, "/api/v1/accounts/update_credentials")
    r = requests.patch(path, headers=auth(hana), json=nested(MAX_DEPTH + 1))
    assert assert_error(r, 400)["error"] == f"Invalid JSON: nested more than {MAX_DEPTH} deep"
    # a hostile depth is refused as fast, before any parser recursion
    deep = '{"a":' + "[" * 100_000 + "]" * 100_000 + "}"
    r = requests.patch(path, headers={**auth(hana), "Content-Type": "application/json"},
                       data=deep[:MAX_BODY])
    assert_error(r, 400)


# ---- the body -------------------------------------------------------------------------

def test_a_body_of_max_body_bytes_is_read_and_one_byte_more_is_413(srv, hana):
    path = url(srv, "/api/v1/accounts/update_credentials")
    filler = "note=ok&pad="
    body = filler + "a" * (MAX_BODY - len(filler))
    assert len(body) == MAX_BODY
    headers = {**auth(hana), "Content-Type": "application/x-www-form-urlencoded"}
    assert_json(requests.patch(path, headers=headers, data=body))
    assert_error(requests.patch(path, headers=headers, data=body + "a"), 413)
