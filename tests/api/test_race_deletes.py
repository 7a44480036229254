"""Issue #10, items 2 and 5: writes racing a delete, and limits raced past.

Each test fires requests from threads released together by a barrier at a
dedicated server with more worker threads than cores (two workers hide
some of these races). A check that ran before its write and outside its
transaction answered 500 (a foreign key failing at the write), let two
deletes both succeed, or let a limit be exceeded. After each burst the
counters are recounted from their rows, read straight from the database.
"""

import io
import threading

import pytest
import requests
from mastodon import Mastodon
from PIL import Image

from conftest import DEFAULT_SCOPES, ChorusServer, Sql, chorus_bin

USERS = ("alice", "bob", "carol")
ROUNDS = 12


@pytest.fixture(scope="module")
def racy(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("races"),
                       config="[server]\nthreads = 8\n")
    for name in USERS:
        srv.create_user(name, f"{name}@example.com", f"{name}-race-password")
    srv.start()
    cid, secret = Mastodon.create_app("races", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    srv.tokens = {}
    for name in USERS:
        m = Mastodon(client_id=cid, client_secret=secret, api_base_url=srv.url)
        srv.tokens[name] = m.log_in(f"{name}@example.com", f"{name}-race-password",
                                    scopes=DEFAULT_SCOPES)
    yield srv
    assert srv.stop() == 0


_local = threading.local()


def call(srv, user, method, path, **kw):
    http = getattr(_local, "session", None) or requests
    return http.request(method, srv.url + path, timeout=60,
                        headers={"Authorization": f"Bearer {srv.tokens[user]}"}, **kw)


def post(srv, user, text, **fields):
    r = call(srv, user, "POST", "/api/v1/statuses", data={"status": text, **fields})
    assert r.status_code == 200, r.text
    return r.json()["id"]


def burst(srv, actions):
    """Run the callables at once (released by one barrier, each on a
    connection opened beforehand, so they reach the server together);
    their results."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(i, act):
        with requests.Session() as _local.session:
            _local.session.get(srv.url + "/api/v1/instance", timeout=60)
            barrier.wait()
            results[i] = act()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def db(srv):
    return Sql(srv, readonly=True)


def assert_counters_match_rows(srv):
    """Every stored counter equals the count of the rows it counts."""
    with db(srv) as c:
        bad = c.execute(
            "SELECT id, favourites_count, reblogs_count FROM statuses s"
            " WHERE favourites_count !="
            "  (SELECT count(*) FROM favourites f WHERE f.status_id = s.id)"
            " OR reblogs_count !="
            "  (SELECT count(*) FROM statuses r WHERE r.reblog_of_id = s.id)").fetchall()
        assert bad == [], f"status counters differ from their rows: {bad}"
        bad = c.execute(
            "SELECT id, statuses_count FROM accounts a WHERE statuses_count !="
            " (SELECT count(*) FROM statuses s WHERE s.account_id = a.id"
            "  AND s.visibility != 3)").fetchall()
        assert bad == [], f"statuses_count differs from the rows: {bad}"
        orphans = c.execute(
            "SELECT count(*) FROM statuses WHERE in_reply_to_id IS NOT NULL"
            " AND thread_root_id = id").fetchone()[0]
        assert orphans == 0, "a reply was stored after its parent was deleted"


def test_acting_on_a_post_being_deleted_answers_404_never_500(racy):
    seen = []
    for i in range(ROUNDS):
        sid = post(racy, "alice", f"short-lived {i}")
        p = f"/api/v1/statuses/{sid}"
        actions = [
            lambda: call(racy, "bob", "POST", p + "/favourite"),
            lambda: call(racy, "bob", "POST", p + "/reblog"),
            lambda: call(racy, "bob", "POST", p + "/bookmark"),
            lambda: call(racy, "carol", "POST", p + "/favourite"),
            lambda: call(racy, "carol", "POST", p + "/reblog"),
            lambda: call(racy, "carol", "POST", p + "/bookmark"),
            lambda: call(racy, "alice", "POST", p + "/pin"),
            lambda: call(racy, "alice", "PUT", p, data={"status": f"edited {i}"}),
            lambda: call(racy, "alice", "DELETE", p),
        ]
        results = burst(racy, actions)
        assert results[-1].status_code == 200, results[-1].text
        for r in results[:-1]:
            assert r.status_code in (200, 404), (r.request.method, r.request.url,
                                                 r.status_code, r.text)
            if r.status_code == 404:
                assert r.json()["error"] == "Record not found"
        seen += [r.status_code for r in results]
        assert_counters_match_rows(racy)
    # and every trace of the deleted posts went with them
    with db(racy) as c:
        for table in ("favourites", "bookmarks", "pins"):
            left = c.execute(f"SELECT count(*) FROM {table} t WHERE NOT EXISTS"
                             " (SELECT 1 FROM statuses s WHERE s.id = t.status_id)"
                             ).fetchone()[0]
            assert left == 0, table


def test_two_deletes_of_one_post_answer_200_then_404(racy):
    for i in range(ROUNDS):
        sid = post(racy, "alice", f"deleted twice {i}")
        results = burst(racy, [lambda: call(racy, "alice", "DELETE", f"/api/v1/statuses/{sid}")] * 2)
        assert sorted(r.status_code for r in results) == [200, 404], \
            [(r.status_code, r.text) for r in results]
    assert_counters_match_rows(racy)


def test_a_reply_never_outlives_the_check_on_its_parent(racy):
    for i in range(ROUNDS * 4):
        sid = post(racy, "alice", f"parent {i}")
        results = burst(racy, [
            lambda: call(racy, "bob", "POST", "/api/v1/statuses",
                         data={"status": f"reply {i}", "in_reply_to_id": sid}),
            lambda: call(racy, "alice", "DELETE", f"/api/v1/statuses/{sid}"),
        ])
        reply, delete = results
        assert delete.status_code == 200, delete.text
        assert reply.status_code in (200, 404), (reply.status_code, reply.text)
        if reply.status_code == 404:
            assert reply.json()["error"] == "Record not found"
    # a reply that got in was stored while its parent still existed
    assert_counters_match_rows(racy)


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def test_one_attachment_raced_into_six_posts_goes_to_one(racy):
    data = png_bytes()
    for i in range(5):
        up = call(racy, "alice", "POST", "/api/v1/media",
                  files={"file": ("dot.png", data, "image/png")})
        assert up.status_code == 200, up.text
        mid = up.json()["id"]
        results = burst(racy, [lambda: call(racy, "alice", "POST", "/api/v1/statuses",
                                      data={"status": f"with media {i}",
                                            "media_ids[]": [mid]})] * 6)
        codes = sorted(r.status_code for r in results)
        assert codes == [200] + [422] * 5, [(r.status_code, r.text) for r in results]
    assert_counters_match_rows(racy)


def test_twelve_concurrent_pins_stop_at_the_limit(racy):
    me = call(racy, "carol", "GET", "/api/v1/accounts/verify_credentials").json()
    for round_ in range(ROUNDS // 2):
        ids = [post(racy, "carol", f"pin me {round_}.{i}") for i in range(12)]
        results = burst(racy, [lambda s=s: call(racy, "carol", "POST", f"/api/v1/statuses/{s}/pin")
                         for s in ids])
        codes = sorted(r.status_code for r in results)
        assert codes == [200] * 5 + [422] * 7, [(r.status_code, r.text) for r in results]
        for r in results:
            if r.status_code == 422:
                assert "maximum number of posts" in r.json()["error"]
        pinned = call(racy, "carol", "GET", f"/api/v1/accounts/{me['id']}/statuses",
                      params={"pinned": "true"}).json()
        assert len(pinned) == 5
        for s in pinned:
            assert call(racy, "carol", "POST", f"/api/v1/statuses/{s['id']}/unpin"
                        ).status_code == 200


def test_twenty_concurrent_featured_tags_stop_at_the_limit(racy):
    for round_ in range(ROUNDS // 2):
        results = burst(racy, [lambda i=i: call(racy, "bob", "POST", "/api/v1/featured_tags",
                                          data={"name": f"racetag{round_}x{i}"})
                         for i in range(20)])
        codes = sorted(r.status_code for r in results)
        assert codes == [200] * 10 + [422] * 10, [(r.status_code, r.text) for r in results]
        featured = call(racy, "bob", "GET", "/api/v1/featured_tags").json()
        assert len(featured) == 10
        for f in featured:
            assert call(racy, "bob", "DELETE", f"/api/v1/featured_tags/{f['id']}"
                        ).status_code == 200


def test_the_database_refuses_a_pin_over_the_limit(racy):
    """The backstop: an insert that skipped every check still cannot go
    over the limit the server wrote into the database."""
    me = int(call(racy, "alice", "GET", "/api/v1/accounts/verify_credentials").json()["id"])
    ids = [int(post(racy, "alice", f"pinned directly {k}")) for k in range(6)]
    c = Sql(racy)
    try:
        assert dict(c.execute("SELECT name, value FROM limits").fetchall()) == {
            "max_pinned": 5, "max_featured_tags": 10}
        c.execute("DELETE FROM pins WHERE account_id = ?", (me,))
        for k, sid in enumerate(ids[:5]):
            c.execute("INSERT INTO pins (id, account_id, status_id) VALUES (?, ?, ?)",
                      (9000000 + k, me, sid))
        with pytest.raises(c.refused, match="limit: max_pinned"):
            c.execute("INSERT INTO pins (id, account_id, status_id) VALUES (?, ?, ?)",
                      (9000010, me, ids[5]))
    finally:
        c.rollback()
        c.close()


def test_the_database_limit_follows_the_servers_config_not_the_clis(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path,
                       config="[server]\nthreads = 8\n[statuses]\nmax_pinned = 7\n")
    srv.create_user("pia", "pia@example.com", "pia-race-password")
    srv.start()
    try:
        # a CLI command beside the server runs with the default config
        srv.create_user("quinn", "quinn@example.com", "quinn-race-password")
        cid, secret = Mastodon.create_app("races", api_base_url=srv.url,
                                          scopes=DEFAULT_SCOPES)
        m = Mastodon(client_id=cid, client_secret=secret, api_base_url=srv.url)
        srv.tokens = {"pia": m.log_in("pia@example.com", "pia-race-password",
                                      scopes=DEFAULT_SCOPES)}
        ids = [post(srv, "pia", f"pin {i}") for i in range(8)]
        codes = [call(srv, "pia", "POST", f"/api/v1/statuses/{s}/pin").status_code
                 for s in ids]
        assert codes == [200] * 7 + [422], codes
    finally:
        assert srv.stop() == 0
