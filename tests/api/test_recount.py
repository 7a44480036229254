"""A standing probe (issue 10): mixed concurrent writes — posts, replies,
boosts, favourites, bookmarks, follows, deletes and their undoing — from
more threads than the server has cores, cut short by `kill -9`. After the
restart every acknowledged post is there (or gone, if its delete was
acknowledged), and every counter equals a recount of the rows it counts:
statuses, followers and following of each account; favourites, boosts and
replies of each post."""

import random
import re
import signal
import threading
import time

import pytest
import requests
from mastodon import Mastodon

from conftest import DEFAULT_SCOPES, SANITIZED, ChorusServer, chorus_bin

WRITERS = 8  # accounts, each written by THREADS_PER_ACCOUNT threads at once
THREADS_PER_ACCOUNT = 2
HOT = 4  # how many of the newest posts draw most of the acts
LOAD_SECONDS = 6.0 if SANITIZED else 4.0
PASSWORD = "recount-password-1"


def all_pages(session, url, params=None):
    """Every item of a paginated list, following Link rel="next"."""
    items, params = [], dict(params or {}, limit=80)
    while url:
        r = session.get(url, params=params, timeout=30)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        items += r.json()
        m = re.search(r'<([^>]+)>;\s*rel="next"', r.headers.get("Link", ""))
        url, params = (m.group(1), None) if m and r.json() else (None, None)
    return items


class Writer(threading.Thread):
    """One account doing random acts on a shared pool of posts until stop."""

    def __init__(self, base, token, me, accounts, pool, lock, stop, rnd):
        super().__init__(daemon=True)
        self.base, self.me, self.accounts = base, me, accounts
        self.pool, self.lock, self.stop, self.rnd = pool, lock, stop, rnd
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"
        self.acked_posts, self.acked_deletes, self.unsure = set(), set(), set()
        self.errors = []

    def call(self, method, path, **kw):
        try:
            r = self.s.request(method, self.base + path, timeout=10, **kw)
        except requests.RequestException:
            return None  # the server was killed mid-request
        if r.status_code >= 500:
            self.errors.append((method, path, r.status_code, r.text[:200]))
        return r

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            with self.lock:  # mostly the newest posts: acts collide there
                hot = self.pool[-HOT:] if self.rnd.random() < 0.7 else self.pool
                target = self.rnd.choice(hot) if hot else None
            act = self.rnd.random()
            if target is None or act < 0.25:
                data = {"status": f"story {self.me}-{n} #recount"}
                if target and act < 0.1:
                    data["in_reply_to_id"] = target
                r = self.call("POST", "/api/v1/statuses", data=data)
                if r is not None and r.status_code == 200:
                    sid = r.json()["id"]
                    self.acked_posts.add(sid)
                    with self.lock:
                        self.pool.append(sid)
            elif act < 0.32:
                mine = sorted(self.acked_posts - self.acked_deletes - self.unsure)
                if mine:
                    sid = self.rnd.choice(mine)
                    self.unsure.add(sid)
                    r = self.call("DELETE", f"/api/v1/statuses/{sid}")
                    if r is not None and r.status_code == 200:
                        self.unsure.discard(sid)
                        self.acked_deletes.add(sid)
            elif act < 0.75:
                verb = self.rnd.choice(["favourite", "unfavourite", "reblog",
                                        "unreblog", "bookmark", "unbookmark"])
                self.call("POST", f"/api/v1/statuses/{target}/{verb}")
            else:
                other = self.rnd.choice(self.accounts)
                if other != self.me:
                    verb = self.rnd.choice(["follow", "unfollow"])
                    self.call("POST", f"/api/v1/accounts/{other}/{verb}")


@pytest.fixture
def crowded(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path, config="[server]\nthreads = 8\n")
    names = [f"voice{i}" for i in range(WRITERS)]
    for name in names:
        srv.create_user(name, f"{name}@example.com", PASSWORD)
    srv.start()
    cid, secret = Mastodon.create_app("recount", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    tokens, ids = [], []
    for name in names:
        m = Mastodon(client_id=cid, client_secret=secret, api_base_url=srv.url)
        tokens.append(m.log_in(f"{name}@example.com", PASSWORD, scopes=DEFAULT_SCOPES))
        ids.append(str(m.account_verify_credentials()["id"]))
    yield srv, tokens, ids
    if srv.proc and srv.proc.poll() is None:
        srv.stop()


def test_counters_match_their_rows_after_kill_9_under_mixed_load(crowded, tmp_path):
    srv, tokens, ids = crowded
    pool, lock, stop = [], threading.Lock(), threading.Event()
    writers = [Writer(srv.url, t, me, ids, pool, lock, stop, random.Random(k * WRITERS + i))
               for k in range(THREADS_PER_ACCOUNT)
               for i, (t, me) in enumerate(zip(tokens, ids))]
    for w in writers:
        w.start()
    time.sleep(LOAD_SECONDS)
    srv.proc.send_signal(signal.SIGKILL)  # mid-load: writers are in flight
    srv.proc.wait(timeout=10)
    stop.set()
    for w in writers:
        w.join(timeout=30)
    if srv._log:
        srv._log.close()
    errors = [e for w in writers for e in w.errors]
    assert not errors, f"server errors under load: {errors[:5]}"

    again = ChorusServer(chorus_bin(), tmp_path, config="[server]\nthreads = 8\n")
    again.start()
    try:
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {tokens[0]}"
        base = again.url + "/api/v1"
        acked = set().union(*(w.acked_posts for w in writers))
        deleted = set().union(*(w.acked_deletes for w in writers))
        unsure = set().union(*(w.unsure for w in writers))
        assert len(acked) > 20, "the load wrote too little to test anything"
        for sid in acked - unsure:
            code = s.get(f"{base}/statuses/{sid}", timeout=10).status_code
            assert code == (404 if sid in deleted else 200), (sid, code)

        problems = []
        for aid in ids:
            acc = s.get(f"{base}/accounts/{aid}", timeout=10).json()
            posts = all_pages(s, f"{base}/accounts/{aid}/statuses")
            followers = all_pages(s, f"{base}/accounts/{aid}/followers")
            following = all_pages(s, f"{base}/accounts/{aid}/following")
            for field, rows in (("statuses_count", posts), ("followers_count", followers),
                                ("following_count", following)):
                if acc[field] != len(rows):
                    problems.append(f"account {aid} {field} {acc[field]} != {len(rows)} rows")
            for st in posts:
                if st.get("reblog"):
                    continue
                sid = st["id"]
                favs = all_pages(s, f"{base}/statuses/{sid}/favourited_by")
                boosts = all_pages(s, f"{base}/statuses/{sid}/reblogged_by")
                if st["favourites_count"] != len(favs):
                    problems.append(f"status {sid} favourites_count {st['favourites_count']} != {len(favs)}")
                if st["reblogs_count"] != len(boosts):
                    problems.append(f"status {sid} reblogs_count {st['reblogs_count']} != {len(boosts)}")
                if len({a["id"] for a in boosts}) != len(boosts):
                    problems.append(f"status {sid} boosted twice by one account")
                if st["replies_count"]:
                    ctx = s.get(f"{base}/statuses/{sid}/context", timeout=10).json()
                    direct = [d for d in ctx["descendants"] if d["in_reply_to_id"] == sid]
                    if st["replies_count"] != len(direct):
                        problems.append(f"status {sid} replies_count {st['replies_count']} != {len(direct)}")
        assert not problems, "\n".join(problems[:20])
    finally:
        assert again.stop() == 0
