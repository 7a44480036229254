"""A write the client was told succeeded survives the server being killed
(SIGKILL: no shutdown code runs), with the default durability setting."""

import signal
from concurrent.futures import ThreadPoolExecutor

import requests
from mastodon import Mastodon

from conftest import ChorusServer, DEFAULT_SCOPES, chorus_bin, sqlite_only


def test_posts_and_favourites_survive_sigkill(tmp_path):
    server = ChorusServer(chorus_bin(), tmp_path)
    server.create_user("kim", "kim@example.com", "kim-password-1")
    server.start()
    try:
        cid, secret = Mastodon.create_app("durability", api_base_url=server.url,
                                          scopes=DEFAULT_SCOPES)
        api = Mastodon(client_id=cid, client_secret=secret, api_base_url=server.url)
        api.log_in("kim@example.com", "kim-password-1", scopes=DEFAULT_SCOPES)
        ids = [api.status_post(f"story {i} #survives")["id"] for i in range(20)]
        api.status_favourite(ids[-1])
    finally:
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)
        if server._log:
            server._log.close()
    restarted = ChorusServer(chorus_bin(), tmp_path)
    restarted.start()
    try:
        for sid in ids:
            r = requests.get(f"{restarted.url}/api/v1/statuses/{sid}", timeout=5)
            assert r.status_code == 200, (sid, r.text)
        last = requests.get(f"{restarted.url}/api/v1/statuses/{ids[-1]}", timeout=5).json()
        assert last["favourites_count"] == 1
        assert last["content"] == '<p>story 19 <a href="%s/tags/survives" class="mention hashtag" rel="tag">#<span>survives</span></a></p>' % server.url
    finally:
        assert restarted.stop() == 0


@sqlite_only
def test_write_ahead_log_stays_bounded_under_steady_posting(tmp_path):
    """Checkpoints run on a thread of their own while serving; the WAL must
    still be copied back and restarted, not grow with every post (each
    post writes ~10 pages; 1 200 posts would leave a ~50 MB log)."""
    server = ChorusServer(chorus_bin(), tmp_path)
    server.create_user("wal", "wal@example.com", "wal-password-1")
    server.start()
    try:
        cid, secret = Mastodon.create_app("wal", api_base_url=server.url,
                                          scopes=DEFAULT_SCOPES)
        api = Mastodon(client_id=cid, client_secret=secret, api_base_url=server.url)
        token = api.log_in("wal@example.com", "wal-password-1", scopes=DEFAULT_SCOPES)
        wal = tmp_path / "data" / "chorus.db-wal"

        def poster(n):
            with requests.Session() as s:
                s.headers["Authorization"] = f"Bearer {token}"
                for i in range(300):
                    r = s.post(f"{server.url}/api/v1/statuses", timeout=10,
                               data={"status": f"steady post {n}-{i} #bounded"})
                    assert r.status_code == 200, r.text
                    # a reader between writes, as a timeline would be
                    s.get(f"{server.url}/api/v1/timelines/home", timeout=10)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(poster, range(4)))
        assert wal.exists()
        assert wal.stat().st_size < 16 * 1024 * 1024, wal.stat().st_size
        me = api.account_verify_credentials()
        assert me["statuses_count"] == 1200
    finally:
        assert server.stop() == 0


@sqlite_only
def test_a_long_reader_does_not_stall_writers_at_a_wal_restart(tmp_path):
    """The checkpointer restarts the WAL past a size by waiting for the
    readers on old frames while it holds the write lock. A reader that
    keeps an old snapshot (a backup, a long export) must not hold every
    writer off for the ten seconds writers wait: the restart waits briefly
    and tries again later."""
    import sqlite3
    import time
    server = ChorusServer(chorus_bin(), tmp_path)
    server.create_user("lr", "lr@example.com", "lr-password-1")
    server.start()
    reader = None
    try:
        cid, secret = Mastodon.create_app("lr", api_base_url=server.url,
                                          scopes=DEFAULT_SCOPES)
        api = Mastodon(client_id=cid, client_secret=secret, api_base_url=server.url)
        token = api.log_in("lr@example.com", "lr-password-1", scopes=DEFAULT_SCOPES)
        reader = sqlite3.connect(str(tmp_path / "data" / "chorus.db"), isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM statuses").fetchone()  # the snapshot
        slowest = 0.0
        with requests.Session() as s:
            s.headers["Authorization"] = f"Bearer {token}"
            # ~10 pages each: well past the 2 000-page restart threshold
            for i in range(400):
                start = time.monotonic()
                r = s.post(f"{server.url}/api/v1/statuses", timeout=30,
                           data={"status": f"while someone reads {i} " + "x" * 400})
                slowest = max(slowest, time.monotonic() - start)
                assert r.status_code == 200, r.text
        assert slowest < 2.0, f"a post waited {slowest:.1f} s behind the checkpoint"
    finally:
        if reader:
            reader.close()
        assert server.stop() == 0
