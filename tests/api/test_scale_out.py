"""Two chorus processes serving one instance on one PostgreSQL database,
behind the shipped nginx site (Debian's nginx), as docs/scaling.md has it.

What one process writes, the other reads at once: posts, replies,
favourites, follows; a cached rendering the first invalidates is not
served stale by the second; a streaming client connected to the second
hears a post made through the first. Killing one process mid-load leaves
nginx serving through the other, and every write a client was told
succeeded is there afterwards.

Runs on the PostgreSQL run of the suite only (CHORUS_TEST_BACKEND).
"""

import json
import signal
import threading
import time

import pytest
import requests
import websocket

from conftest import BACKEND, ChorusServer, chorus_bin, login
from test_contrib_nginx import NGINX, OPENSSL, Proxied, substitute

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql", reason="several processes share a PostgreSQL database")

STREAM_DEADLINE = 1.0  # the bound for a post to reach another process's stream


class TwoProcesses(Proxied):
    """Proxied with a second chorus on the same database and data
    directory, both in nginx's upstream."""

    def __init__(self, root):
        super().__init__(root)
        self.second = ChorusServer(chorus_bin(), self.root / "chorus2",
                                   database_url=self.chorus.database_url)
        # one data directory for both: the media are shared
        self.second.data = self.chorus.data
        self.second.config = self.chorus.config

    def write_config(self):
        super().write_config()
        site_path = self.nginx_dir / "chorus.conf"
        site = site_path.read_text()
        site = substitute(site, f"server 127.0.0.1:{self.chorus.port};",
                          f"server 127.0.0.1:{self.chorus.port} max_fails=1 fail_timeout=30s;\n"
                          f"\tserver 127.0.0.1:{self.second.port} max_fails=1 fail_timeout=30s;", 1)
        site_path.write_text(site)

    def start(self):
        super().start()
        self.second.start()

    def stop(self):
        self.second.stop()
        return super().stop()


def direct(server, who):
    """A Mastodon.py client talking to one process, not through nginx."""
    return login(server, f"{who}@example.com", f"{who}-password-1",
                 scopes=["read", "write", "follow"])


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    if not NGINX or not OPENSSL:
        pytest.skip("nginx or openssl not installed (scripts/deps.sh test)")
    p = TwoProcesses(tmp_path_factory.mktemp("scale-out"))
    p.start()
    p.nia_a = direct(p.chorus, "nia")
    p.otto_b = direct(p.second, "otto")
    p.nia_b = direct(p.second, "nia")
    yield p
    p.stop()


def test_writes_through_one_are_read_through_the_other(pair):
    a, b = pair.nia_a, pair.otto_b
    otto = b.account_verify_credentials()
    nia = a.account_verify_credentials()
    # follow through the first: the second sees it, both ways
    a.account_follow(otto["id"])
    assert b.account_followers(otto["id"])[0]["id"] == nia["id"]
    assert b.account(nia["id"])["following_count"] == 1
    # a post through the second, a reply and a favourite through the first
    post = b.status_post("a story told on the second process #heard")
    reply = a.status_post("@otto heard you", in_reply_to_id=post["id"])
    a.status_favourite(post["id"])
    seen = b.status(post["id"])
    assert seen["favourites_count"] == 1
    assert seen["replies_count"] == 1
    assert [s["id"] for s in b.status_context(post["id"])["descendants"]] == [reply["id"]]
    # the follow put the second's post on the first's home feed
    assert post["id"] in [s["id"] for s in a.timeline_home()]
    # the hashtag page on either process
    assert [s["id"] for s in a.timeline_hashtag("heard")] == [post["id"]]
    # notifications written by the first, read by the second
    kinds = {n["type"] for n in b.notifications()}
    assert {"follow", "favourite", "mention"} <= kinds
    # search through the other process finds it (chorus's tokens on both)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = [s["id"] for s in a.search_v2("story", result_type="statuses")["statuses"]]
        if post["id"] in found:
            break
        time.sleep(0.2)
    assert post["id"] in found


def anonymous(server, path):
    r = requests.get(f"http://127.0.0.1:{server.port}{path}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_cached_rendering_changed_on_one_is_not_served_stale_by_the_other(pair):
    a, b = pair.nia_a, pair.nia_b
    post = a.status_post("first words")
    path = f"/api/v1/statuses/{post['id']}"
    # the second renders (and caches) it, and keeps its anonymous answer
    assert "first words" in b.status(post["id"])["content"]
    assert "first words" in b.status(post["id"])["content"]
    assert "first words" in anonymous(pair.second, path)["content"]
    assert "first words" in anonymous(pair.second, path)["content"]
    a.status_update(post["id"], "second words")
    # read at once through the other process: the edit, not its cache
    assert "second words" in b.status(post["id"])["content"]
    assert "second words" in anonymous(pair.second, path)["content"]
    # the account's cached rendering too
    a.account_update_credentials(display_name="Nia Renamed")
    assert b.status(post["id"])["account"]["display_name"] == "Nia Renamed"
    a.status_delete(post["id"])
    with pytest.raises(Exception):
        b.status(post["id"])


def test_a_stream_on_one_process_hears_a_post_made_through_the_other(pair):
    token = pair.otto_b.access_token
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{pair.second.port}/api/v1/streaming?stream=public&access_token={token}",
        timeout=5)
    try:
        time.sleep(0.3)  # subscribed before the post
        started = time.monotonic()
        post = pair.nia_a.status_post("heard across processes")
        while True:
            left = STREAM_DEADLINE - (time.monotonic() - started)
            assert left > 0, "the post did not reach the other process's stream in time"
            ws.settimeout(left)
            frame = json.loads(ws.recv())
            if frame.get("event") == "update" and json.loads(frame["payload"])["id"] == str(post["id"]):  # Mastodon.py hands ids back as ints
                break
    finally:
        ws.close()


def test_killing_one_process_mid_load_loses_no_acknowledged_write(pair):
    session = pair.session()
    token = pair.nia_a.access_token
    headers = {"Authorization": f"Bearer {token}"}
    acknowledged, lock = [], threading.Lock()
    stop = threading.Event()

    def poster(n):
        i = 0
        while not stop.is_set():
            try:
                r = session.post(f"{pair.url}/api/v1/statuses", headers=headers,
                                 data={"status": f"load {n}-{i}"}, timeout=10)
            except requests.RequestException:
                continue
            if r.status_code == 200:
                with lock:
                    acknowledged.append(r.json()["id"])
            i += 1

    threads = [threading.Thread(target=poster, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    pair.second.proc.send_signal(signal.SIGKILL)  # mid-load, no shutdown
    pair.second.proc.wait(timeout=10)
    killed_at = len(acknowledged)
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert killed_at > 0
    assert len(acknowledged) > killed_at, "nginx stopped serving when one process died"
    # every acknowledged post is there, read through the survivor
    for sid in acknowledged:
        r = requests.get(f"{pair.chorus.url}/api/v1/statuses/{sid}", headers=headers, timeout=10)
        assert r.status_code == 200, (sid, r.status_code)
    # and the survivor still answers through nginx
    assert session.get(f"{pair.url}/api/v1/instance", timeout=5).ok
