"""Rate limits and the sign-in lockout, on a server of their own whose
limits are small and that believes X-Forwarded-For from loopback, so each
test speaks from addresses of its own: Mastodon's X-RateLimit headers on
API responses, 429 with Retry-After past a limit, a posting burst cut
per account, and 100 wrong passwords locking one login out from one
address only while another client's reads keep their speed."""

import statistics
import time
from datetime import datetime, timezone

import pytest
import requests
from mastodon.errors import MastodonRatelimitError

from conftest import ChorusServer, chorus_bin, login

CONFIG = """[server]
trusted_proxies = 127.0.0.1, ::1
[limits]
exempt =
api = 1000/5m
api_anonymous = 20/1m
sign_in = 1000/5m
statuses = 5/1h
sign_in_failures = 3
sign_in_lock_max_seconds = 4
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("limits"), config=CONFIG)
    s.create_user("poster", "poster@example.com", "poster-password")
    s.create_user("other", "other@example.com", "other-password")
    s.create_user("target", "target@example.com", "target-password")
    s.start()
    yield s
    assert s.stop() == 0, s.log_tail()


def get(srv, path, address, token=None):
    headers = {"X-Forwarded-For": address}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(srv.url + path, headers=headers, timeout=10)


def reset_of(r):
    return datetime.fromisoformat(r.headers["X-RateLimit-Reset"].replace("Z", "+00:00"))


def test_anonymous_requests_are_counted_per_address(srv):
    first = get(srv, "/api/v1/timelines/public", "10.0.1.1")
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "20"
    assert first.headers["X-RateLimit-Remaining"] == "19"
    assert reset_of(first) > datetime.now(timezone.utc)
    for n in range(18, -1, -1):  # kept answers count too
        r = get(srv, "/api/v1/timelines/public", "10.0.1.1")
        assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == str(n)
    over = get(srv, "/api/v1/instance", "10.0.1.1")
    assert over.status_code == 429, over.text
    assert over.json() == {"error": "Too many requests"}
    assert 0 < int(over.headers["Retry-After"]) <= 60
    assert over.headers["X-RateLimit-Remaining"] == "0"
    # a wrong token counts as none; another address has its own count
    assert get(srv, "/api/v1/timelines/home", "10.0.1.1", token="nope").status_code == 429
    assert get(srv, "/api/v1/timelines/public", "10.0.1.2").status_code == 200


def test_a_posting_burst_is_cut_per_account_with_the_headers(srv):
    poster = login(srv, "poster@example.com", "poster-password")
    other = login(srv, "other@example.com", "other-password")
    for i in range(5):
        poster.status_post(f"burst {i}")
    assert poster.ratelimit_limit == 1000  # Mastodon.py read the headers
    assert 0 < poster.ratelimit_remaining < 1000
    r = requests.post(srv.url + "/api/v1/statuses", data={"status": "one too many"},
                      headers={"Authorization": f"Bearer {poster.access_token}"}, timeout=10)
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) > 3000  # the hour's window
    assert r.headers["X-RateLimit-Limit"] == "5" and r.headers["X-RateLimit-Remaining"] == "0"
    assert other.status_post("another account posts")["content"]
    assert poster.timeline_home()  # reads are not posts


def test_the_limit_is_read_by_mastodon_py(srv):
    cfg = CONFIG.replace("api = 1000/5m", "api = 8/1m")
    s = ChorusServer(chorus_bin(), srv.root / "py", config=cfg)
    s.create_user("reader", "reader@example.com", "reader-password")
    s.start()
    try:
        m = login(s, "reader@example.com", "reader-password")
        with pytest.raises(MastodonRatelimitError):
            for _ in range(20):
                m.timeline_public()
        assert m.ratelimit_remaining == 0
    finally:
        assert s.stop() == 0


def sign_in(srv, address, password):
    return requests.post(srv.url + "/oauth/token", timeout=30,
                         headers={"X-Forwarded-For": address},
                         data={"grant_type": "password", "username": "target@example.com",
                               "password": password, "client_id": srv.app[0],
                               "client_secret": srv.app[1], "scope": "read"})


def test_wrong_passwords_lock_one_login_out_from_one_address_only(srv):
    from mastodon import Mastodon
    srv.app = Mastodon.create_app("limits", scopes=["read"], api_base_url=srv.url)
    reader = login(srv, "other@example.com", "other-password")

    def read_ms(n=20):
        times = []
        for _ in range(n):
            t = time.monotonic()
            reader.timeline_home()
            times.append((time.monotonic() - t) * 1000)
        return statistics.median(times)

    before = read_ms()
    answers = []
    started = time.monotonic()
    during = []
    for i in range(100):
        r = sign_in(srv, "10.0.2.1", f"wrong-{i}")
        answers.append(r.status_code)
        if r.status_code == 429:
            assert r.json()["error"] == "Too many failed sign-in attempts", r.text
        if i % 10 == 0:
            during.append(read_ms(3))
    flood_s = time.monotonic() - started
    assert answers[:3] == [400, 400, 400]  # three free failures
    assert answers.count(429) >= 90, answers
    # locked attempts check no password: 100 Argon2id checks would take seconds
    assert flood_s < 5 + 100 * 0.005, flood_s
    assert statistics.median(during) < before * 5 + 50, (before, during)
    # the owner, from elsewhere, signs in at once
    assert sign_in(srv, "10.0.2.2", "target-password").status_code == 200
    # from the flooding address: refused while locked, even rightly
    locked = sign_in(srv, "10.0.2.1", "target-password")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    time.sleep(int(locked.headers["Retry-After"]) + 0.2)  # the most: 4 s
    assert sign_in(srv, "10.0.2.1", "target-password").status_code == 200


def test_the_web_form_is_locked_out_the_same_way(srv):
    from conftest import Http
    import re
    b = Http(srv.url)
    xff = {"X-Forwarded-For": "10.0.3.1"}

    def attempt(password):
        page = b.get("/auth/sign_in", headers=xff)
        token = re.search(r'name="csrf_token" value="([A-Za-z0-9_-]{43})"', page.text)
        return b.post("/auth/sign_in", headers=xff,
                      data={"csrf_token": token.group(1), "username": "poster",
                            "password": password})
    pages = [attempt(f"wrong-{i}") for i in range(6)]
    assert [p.status_code for p in pages] == [401] * 6
    assert "Wrong e-mail address" in pages[0].text
    assert "Too many failed attempts" in pages[-1].text
    # the right password is refused too while the lock holds
    assert "Too many failed attempts" in attempt("poster-password").text
