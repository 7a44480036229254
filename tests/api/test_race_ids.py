"""Issue 10, items 4, 6 and 7: ids are taken under the database's write
lock, so they follow commit order (a client paging with min_id/since_id
never has a post appear behind a page it was served) and are unique
across every process writing the database; an edit's time is taken
inside its write."""

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from mastodon import Mastodon

from conftest import DEFAULT_SCOPES, SANITIZED, ChorusServer, chorus_bin

POSTERS = 8
POSTS_EACH = 40 if SANITIZED else 120


@pytest.fixture
def busy(tmp_path):
    srv = ChorusServer(chorus_bin(), tmp_path, config="[server]\nthreads = 8\n")
    for i in range(POSTERS):
        srv.create_user(f"poster{i}", f"poster{i}@example.com", "ids-password-1")
    srv.start()
    app = Mastodon.create_app("ids", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    srv.tokens = []
    for i in range(POSTERS):
        m = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=srv.url)
        srv.tokens.append(m.log_in(f"poster{i}@example.com", "ids-password-1",
                                   scopes=DEFAULT_SCOPES))
    yield srv
    assert srv.stop() == 0


def test_a_min_id_poller_sees_every_post(busy):
    """Posters race; a reader polls the public timeline with min_id as a
    streaming-less app does. Every acknowledged post must show up: an id
    committing behind the poller's cursor would be lost for good."""
    posted, done = set(), threading.Event()
    lock = threading.Lock()

    def poster(token):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        for n in range(POSTS_EACH):
            r = s.post(f"{busy.url}/api/v1/statuses", timeout=30,
                       data={"status": f"ordered {n}"})
            assert r.status_code == 200, r.text
            with lock:
                posted.add(r.json()["id"])

    seen, cursor = set(), None
    s = requests.Session()

    def poll():
        nonlocal cursor
        params = {"limit": 40, "local": "true"}
        if cursor:
            params["min_id"] = cursor
        page = s.get(f"{busy.url}/api/v1/timelines/public", params=params, timeout=30).json()
        for st in page:
            seen.add(st["id"])
        if page:
            cursor = page[0]["id"]  # newest first: the top of the page
        return len(page)

    with ThreadPoolExecutor(POSTERS) as pool:
        futures = [pool.submit(poster, t) for t in busy.tokens]
        while not all(f.done() for f in futures):
            poll()
        for f in futures:
            f.result()
    while poll() == 40:  # drain what committed since
        pass
    missed = posted - seen
    assert not missed, f"{len(missed)} of {len(posted)} posts never reached the poller"


def test_edit_history_is_dated_in_commit_order(busy):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {busy.tokens[0]}"
    st = s.post(f"{busy.url}/api/v1/statuses", data={"status": "v0"}, timeout=30).json()
    barrier = threading.Barrier(8)

    def edit(n):
        barrier.wait()
        for k in range(5):
            r = s.put(f"{busy.url}/api/v1/statuses/{st['id']}", timeout=30,
                      data={"status": f"v{n}.{k}"})
            assert r.status_code == 200, r.text

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(edit, range(8)))
    history = s.get(f"{busy.url}/api/v1/statuses/{st['id']}/history", timeout=30).json()
    dates = [v["created_at"] for v in history]
    assert len(dates) == 41
    assert dates == sorted(dates), "an edit is dated before the one committed ahead of it"


def test_accounts_created_from_the_cli_beside_the_api_never_collide(busy):
    """`chorus user create` is another process writing the same database
    while the server registers accounts through the API."""
    app = requests.post(f"{busy.url}/api/v1/apps", timeout=30, data={
        "client_name": "signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        "scopes": "read write"}).json()
    token = requests.post(f"{busy.url}/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "read write"}).json()["access_token"]
    count = 12 if SANITIZED else 40
    failures = []

    def cli(n):
        res = subprocess.run([busy.binary, "user", "create", f"cli{n}", "--email",
                              f"cli{n}@example.com", "--password", "cli-password-1",
                              *busy.backend_args()],
                             capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            failures.append(("cli", n, res.stderr[-300:]))

    def api(n):
        r = requests.post(f"{busy.url}/api/v1/accounts", timeout=60,
                          headers={"Authorization": f"Bearer {token}"},
                          data={"username": f"api{n}", "email": f"api{n}@example.com",
                                "password": "api-password-1", "agreement": "true",
                                "locale": "en"})
        if r.status_code != 200:
            failures.append(("api", n, r.status_code, r.text[:300]))

    with ThreadPoolExecutor(8) as pool:
        jobs = [pool.submit(cli, n) for n in range(count)] + \
               [pool.submit(api, n) for n in range(count)]
        for j in jobs:
            j.result()
    assert not failures, failures[:5]
    for prefix in ("cli", "api"):
        for n in (0, count - 1):
            r = requests.get(f"{busy.url}/api/v1/accounts/lookup",
                             params={"acct": f"{prefix}{n}"}, timeout=30)
            assert r.status_code == 200, (prefix, n, r.text)
