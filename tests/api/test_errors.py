"""Wire-level behaviour with raw requests: error statuses and bodies, auth
and scope failures, malformed bodies, CORS, trailing slashes, instance and
NodeInfo documents, id and datetime formats."""

import json
import re
import subprocess

import pytest
from mastodon import Mastodon

from conftest import (ChorusServer, assert_error, assert_json, chorus_bin, is_json,
                      make_client)

INVALID_TOKEN = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"


def statuses_count(http, user):
    return assert_json(http.get("/api/v1/accounts/verify_credentials", token=user.token))["statuses_count"]


@pytest.fixture
def poster(make_user):
    return make_user("errs")


# ---- malformed bodies ---------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b'{"status": "unterminated',
    b'{"status": "x",}',
    b"not json at all",
    b'{"status": "bad utf8 \xff\xfe"}',
])
def test_malformed_json_is_400_and_writes_nothing(http, poster, body):
    before = statuses_count(http, poster)
    r = http.post("/api/v1/statuses", token=poster.token, data=body,
                  headers={"Content-Type": "application/json"})
    assert_error(r, 400)
    assert statuses_count(http, poster) == before


@pytest.mark.parametrize("payload", [
    {"status": {"a": 1}},
    {"status": ["a", "b"]},
    {"status": None},
    {"status": "ok", "visibility": "everyone"},
])
def test_wrong_types_are_422_and_write_nothing(http, poster, payload):
    before = statuses_count(http, poster)
    r = http.post("/api/v1/statuses", token=poster.token, json=payload)
    assert_error(r, 422)
    assert statuses_count(http, poster) == before


@pytest.mark.parametrize("body", [b"status=%FF%FEhello", b"status=\xff\xfehello", b"status=ok&spoiler_text=%C3%28"])
def test_invalid_utf8_form_body_is_400(http, poster, body):
    before = statuses_count(http, poster)
    r = http.post("/api/v1/statuses", token=poster.token, data=body,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400)
    assert statuses_count(http, poster) == before


def test_invalid_utf8_query_is_400(http):
    r = http.get("/api/v1/accounts/lookup?acct=%FF%FE")
    assert_error(r, 400)


def test_body_over_limit_is_413_json(server, http, poster):
    """A body over server.max_body_bytes (1 MiB) is refused with a JSON 413.
    The server answers as soon as it sees Content-Length, so talk raw HTTP
    with Expect: 100-continue (as curl does for big uploads) and read the
    answer before sending the body."""
    import socket
    before = statuses_count(http, poster)
    n = 1024 * 1024 + 10
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall((f"POST /api/v1/statuses HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                      f"Authorization: Bearer {poster.token}\r\n"
                      f"Content-Type: application/x-www-form-urlencoded\r\n"
                      f"Content-Length: {n}\r\nExpect: 100-continue\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without a response: {data!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].split()[1] == "413", lines[0]
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
        assert headers.get("content-type", "").split(";")[0] == "application/json", headers
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        assert isinstance(json.loads(body.decode())["error"], str)
    assert statuses_count(http, poster) == before


def test_over_long_post_is_422(http, poster):
    before = statuses_count(http, poster)
    r = http.post("/api/v1/statuses", token=poster.token, json={"status": "z" * 501})
    assert_error(r, 422, "Validation failed: Text character limit of 500 exceeded")
    assert statuses_count(http, poster) == before


def test_blank_post_is_422(http, poster):
    r = http.post("/api/v1/statuses", token=poster.token, json={"status": ""})
    assert_error(r, 422, "Validation failed: Text can't be blank")
    r = http.post("/api/v1/statuses", token=poster.token, data={})
    assert_error(r, 422, "Validation failed: Text can't be blank")


def test_reply_to_unknown_status_is_404(http, poster):
    r = http.post("/api/v1/statuses", token=poster.token,
                  data={"status": "hello?", "in_reply_to_id": "999999999999999"})
    assert_error(r, 404)


def test_three_body_encodings_accepted(http, poster):
    r1 = http.post("/api/v1/statuses", token=poster.token, data={"status": "form body"})
    r2 = http.post("/api/v1/statuses", token=poster.token, json={"status": "json body"})
    r3 = http.post("/api/v1/statuses", token=poster.token, files={"status": (None, "multipart body")})
    for r, text in ((r1, "form body"), (r2, "json body"), (r3, "multipart body")):
        assert text in assert_json(r)["content"]


def test_json_with_charset_content_type(http, poster):
    r = http.post("/api/v1/statuses", token=poster.token, data='{"status": "charset ok ✓"}'.encode(),
                  headers={"Content-Type": "application/json; charset=utf-8"})
    assert "charset ok ✓" in assert_json(r)["content"]


# ---- unknown ids and routes ---------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/statuses/999999999999999",
    "/api/v1/statuses/not-a-number",
    "/api/v1/statuses/999999999999999/context",
    "/api/v1/statuses/999999999999999/favourited_by",
    "/api/v1/accounts/999999999999999",
    "/api/v1/accounts/999999999999999/statuses",
    "/api/v1/accounts/abc/followers",
])
def test_unknown_ids_are_404(http, path):
    assert_error(http.get(path), 404, "Record not found")


@pytest.mark.parametrize("action", ["favourite", "reblog", "bookmark", "pin", "unfavourite"])
def test_actions_on_unknown_status_are_404(http, poster, action):
    assert_error(http.post(f"/api/v1/statuses/999999999999999/{action}", token=poster.token), 404)


def test_unknown_notification_is_404(http, poster):
    assert_error(http.get("/api/v1/notifications/999999999999999", token=poster.token), 404)


@pytest.mark.parametrize("path", ["/api/v1/does_not_exist", "/api/v9/instance", "/api/v1/statuses/1/2/3/4",
                                  "/api/v1/"])
def test_unknown_route_is_404_json(http, path):
    assert_error(http.get(path), 404)


def test_wrong_method_is_json_error(http):
    r = http.request("PATCH", "/api/v1/instance")
    assert r.status_code in (404, 405)
    assert is_json(r)


# ---- authentication and scopes -------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("POST", "/api/v1/statuses"),
    ("GET", "/api/v1/accounts/verify_credentials"),
    ("GET", "/api/v1/timelines/home"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/bookmarks"),
    ("GET", "/api/v1/favourites"),
    ("GET", "/api/v1/preferences"),
    ("GET", "/api/v1/follow_requests"),
    ("POST", "/api/v1/notifications/clear"),
    ("PATCH", "/api/v1/accounts/update_credentials"),
])
def test_missing_token_is_401(http, method, path):
    r = http.request(method, path, data={"status": "x"} if method == "POST" else None)
    assert_error(r, 401, INVALID_TOKEN)


@pytest.mark.parametrize("auth", ["Bearer not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "garbage"])
def test_invalid_token_is_401(http, auth):
    r = http.get("/api/v1/accounts/verify_credentials", headers={"Authorization": auth})
    assert_error(r, 401, INVALID_TOKEN)


def test_access_token_query_param_accepted(http, poster):
    r = http.get("/api/v1/accounts/verify_credentials", params={"access_token": poster.token})
    assert assert_json(r)["username"] == poster.name


def read_only_token(server, user):
    cid, secret = Mastodon.create_app("read-only", api_base_url=server.url, scopes=["read"])
    m = make_client(server.url, client_id=cid, client_secret=secret)
    m.log_in(username=user.email, password=user.password, scopes=["read"])
    return m.access_token


def test_read_only_token_cannot_post(server, http, poster):
    tok = read_only_token(server, poster)
    before = statuses_count(http, poster)
    r = http.post("/api/v1/statuses", token=tok, data={"status": "should not post"})
    assert_error(r, 403, OUT_OF_SCOPE)
    assert statuses_count(http, poster) == before
    # reading still works
    assert assert_json(http.get("/api/v1/timelines/home", token=tok)) is not None


@pytest.mark.parametrize("method,path", [
    ("POST", "/api/v1/statuses/{sid}/favourite"),
    ("POST", "/api/v1/statuses/{sid}/bookmark"),
    ("DELETE", "/api/v1/statuses/{sid}"),
    ("POST", "/api/v1/accounts/{aid}/follow"),
    ("POST", "/api/v1/notifications/clear"),
    ("PATCH", "/api/v1/accounts/update_credentials"),
])
def test_read_only_token_cannot_write(server, http, make_user, method, path):
    owner = make_user("ro_owner")
    s = owner.api.status_post("scope target")
    tok = read_only_token(server, owner)
    r = http.request(method, path.format(sid=s["id"], aid=owner.sid), token=tok)
    assert_error(r, 403, OUT_OF_SCOPE)
    assert owner.api.status(s["id"])["id"] == s["id"]


def test_granular_write_token_cannot_read_home(server, http, poster):
    cid, secret = Mastodon.create_app("write-only", api_base_url=server.url, scopes=["write:statuses"])
    m = make_client(server.url, client_id=cid, client_secret=secret)
    m.log_in(username=poster.email, password=poster.password, scopes=["write:statuses"])
    assert_error(http.get("/api/v1/timelines/home", token=m.access_token), 403, OUT_OF_SCOPE)
    assert_json(http.post("/api/v1/statuses", token=m.access_token, data={"status": "granular write"}))


# ---- content type on every response ----------------------------------------------------------

def test_success_responses_are_json(http, poster):
    s = assert_json(http.post("/api/v1/statuses", token=poster.token, data={"status": "ctype"}))
    checks = [
        http.get("/api/v1/instance"),
        http.get("/api/v2/instance"),
        http.get("/api/v1/timelines/public"),
        http.get(f"/api/v1/statuses/{s['id']}"),
        http.post(f"/api/v1/statuses/{s['id']}/favourite", token=poster.token),
        http.get("/api/v1/custom_emojis"),
        http.post("/api/v1/notifications/clear", token=poster.token),
        http.delete(f"/api/v1/statuses/{s['id']}", token=poster.token),
    ]
    for r in checks:
        assert_json(r)


def test_empty_responses_are_json_objects(http, poster):
    r = http.post("/api/v1/notifications/clear", token=poster.token)
    assert assert_json(r) == {}


# ---- CORS --------------------------------------------------------------------------------------

def test_cors_headers_on_api(http):
    r = http.get("/api/v1/timelines/public", headers={"Origin": "https://elk.zone"})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == "*"
    exposed = [h.strip().lower() for h in r.headers.get("Access-Control-Expose-Headers", "").split(",")]
    assert "link" in exposed


def test_cors_headers_on_api_errors(http):
    r = http.get("/api/v1/statuses/999999999999999", headers={"Origin": "https://elk.zone"})
    assert r.status_code == 404
    assert r.headers.get("Access-Control-Allow-Origin") == "*"


def test_cors_preflight(http):
    r = http.options("/api/v1/statuses", headers={
        "Origin": "https://elk.zone",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert r.status_code in (200, 204), r.status_code
    assert r.headers.get("Access-Control-Allow-Origin") == "*"
    methods = r.headers.get("Access-Control-Allow-Methods", "").upper()
    assert "POST" in methods and "DELETE" in methods and "PUT" in methods
    allowed = r.headers.get("Access-Control-Allow-Headers", "").lower()
    assert allowed.strip() == "*" or ("authorization" in allowed and "content-type" in allowed)


def test_cors_preflight_needs_no_token(http):
    r = http.options("/api/v1/accounts/verify_credentials", headers={
        "Origin": "https://phanpy.social", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert r.status_code in (200, 204)
    assert r.headers.get("Access-Control-Allow-Origin") == "*"


# ---- instance and nodeinfo ---------------------------------------------------------------------

VERSION_RE = re.compile(r"^4\.\d+\.\d+")


def test_instance_v1(http):
    inst = assert_json(http.get("/api/v1/instance"))
    assert VERSION_RE.match(inst["version"]), inst["version"]
    assert "chorus" in inst["version"].lower()
    assert isinstance(inst["uri"], str) and "://" not in inst["uri"]
    assert isinstance(inst["title"], str)
    assert inst["registrations"] is True
    assert inst["urls"]["streaming_api"].startswith(("ws://", "wss://"))
    assert isinstance(inst["stats"]["user_count"], int) and inst["stats"]["user_count"] >= 3
    assert isinstance(inst["stats"]["status_count"], int)
    assert inst["configuration"]["statuses"]["max_characters"] == 500


def test_instance_trailing_slash(http):
    a = assert_json(http.get("/api/v1/instance"))
    b = assert_json(http.get("/api/v1/instance/"))
    assert a["uri"] == b["uri"] and a["version"] == b["version"]


def test_instance_version_parses_in_mastodon_py(server):
    m = make_client(server.url)  # version_check_mode="created" fetches /api/v1/instance/
    m.retrieve_mastodon_version()
    assert m.version_check_worked is True
    assert m.mastodon_major == 4
    assert m.verify_minimum_version("4.0.0", cached=True)


def test_instance_v2(http):
    inst = assert_json(http.get("/api/v2/instance"))
    assert VERSION_RE.match(inst["version"])
    assert inst["configuration"]["statuses"]["max_characters"] == 500
    assert inst["configuration"]["statuses"]["characters_reserved_per_url"] == 23
    assert isinstance(inst["domain"], str) and inst["domain"]
    assert inst["registrations"]["enabled"] is True
    assert isinstance(inst["configuration"]["urls"]["streaming"], str)


def test_nodeinfo(http):
    wk = assert_json(http.get("/.well-known/nodeinfo"))
    links = [l for l in wk["links"] if l["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.0"]
    assert len(links) == 1
    href = links[0]["href"]
    assert href.startswith("http") and href.endswith("/nodeinfo/2.0")
    r = http.get(href)
    assert r.status_code == 200
    ni = r.json()
    assert ni["version"] == "2.0"
    assert ni["software"]["name"] == "chorus"
    assert re.match(r"^\d+\.\d+\.\d+", ni["software"]["version"]), ni["software"]["version"]
    assert isinstance(ni["usage"]["users"]["total"], int)
    assert isinstance(ni["openRegistrations"], bool)


# ---- ids and datetimes ------------------------------------------------------------------------

DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")


def test_ids_are_digit_strings_and_datetimes_rfc3339(http, make_user):
    a, b = make_user("wire_a"), make_user("wire_b")
    b.api.account_follow(a.id)
    s = assert_json(http.post("/api/v1/statuses", token=a.token, data={"status": "wire format"}))
    reply = assert_json(http.post("/api/v1/statuses", token=b.token,
                                  data={"status": f"@{a.name} hi", "in_reply_to_id": s["id"]}))
    boost = assert_json(http.post(f"/api/v1/statuses/{s['id']}/reblog", token=b.token))
    for obj in (s, reply, boost, boost["reblog"], s["account"]):
        assert isinstance(obj["id"], str) and obj["id"].isdigit(), obj["id"]
        assert DT_RE.match(obj["created_at"]), obj["created_at"]
    assert isinstance(reply["in_reply_to_id"], str) and reply["in_reply_to_id"] == s["id"]
    assert isinstance(reply["in_reply_to_account_id"], str) and reply["in_reply_to_account_id"] == a.sid
    notes = assert_json(http.get("/api/v1/notifications", token=a.token))
    assert notes and all(isinstance(n["id"], str) and n["id"].isdigit() for n in notes)
    assert all(DT_RE.match(n["created_at"]) for n in notes)
    acct = assert_json(http.get(f"/api/v1/accounts/{a.sid}"))
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", acct["last_status_at"]), acct["last_status_at"]


@pytest.mark.parametrize("path", ["/api/v1/timelines/tag/%FF%FE", "/api/v1/statuses/%C0%80"])
def test_invalid_utf8_in_path_is_400(http, path):
    r = http.get(path)
    assert_error(r, 400)


# ---- the command line ---------------------------------------------------------------

def test_an_unknown_command_says_so_and_creates_nothing(tmp_path):
    """A typo must not leave a fresh database in the directory it ran in."""
    res = subprocess.run([chorus_bin(), "frobnicate"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert res.returncode == 2
    assert "no command frobnicate" in res.stderr
    assert "usage: chorus" in res.stderr
    assert list(tmp_path.iterdir()) == []
    res = subprocess.run([chorus_bin(), "help"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert res.returncode == 0 and "usage: chorus" in res.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_second_server_on_a_taken_port_is_refused(tmp_path):
    """A stale or second server on the same port must not be handed half
    the connections (SO_REUSEPORT): it says so and exits."""
    first = ChorusServer(chorus_bin(), tmp_path / "first", database_url=False)
    first.start()
    other = tmp_path / "other"
    other.mkdir()
    res = subprocess.run([chorus_bin(), "serve", "--port", str(first.port),
                          "--data", str(other / "data")], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    assert res.returncode != 0
    assert f"cannot listen on 127.0.0.1:{first.port}" in res.stderr, res.stderr
    assert "Address already in use\n" in res.stderr, res.stderr  # one line, no stray newline
    first.stop()
    again = ChorusServer(chorus_bin(), tmp_path / "first", database_url=False)
    again.port, again.url = first.port, first.url  # a restart binds the port at once
    again.start()
    again.stop()
