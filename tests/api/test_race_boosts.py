"""Issue 10, items 1 and 3: one boost per account and post, however many
requests race for it; one notification per act, gone when the act is
undone. Run against a server with more threads than cores, since two
worker threads hide most races."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from mastodon import Mastodon

from conftest import DEFAULT_SCOPES, SANITIZED, ChorusServer, chorus_bin

RACERS = 8
ROUNDS = 10 if SANITIZED else 30


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("boosts"),
                       config="[server]\nthreads = 8\n")
    names = ["author", "booster"] + [f"fan{i}" for i in range(RACERS)]
    for n in names:
        srv.create_user(n, f"{n}@example.com", "race-password-1")
    srv.start()
    app = Mastodon.create_app("race", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    srv.tokens = {}
    for n in names:
        m = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=srv.url)
        srv.tokens[n] = m.log_in(f"{n}@example.com", "race-password-1", scopes=DEFAULT_SCOPES)
    yield srv
    assert srv.stop() == 0


def session(srv, name):
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {srv.tokens[name]}"
    return s


def race(calls):
    """Run the calls at once (released together by a barrier); return
    their status codes."""
    barrier = threading.Barrier(len(calls))

    def go(call):
        barrier.wait()
        return call().status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


def notifications(srv, types):
    s = session(srv, "author")
    return s.get(f"{srv.url}/api/v1/notifications", timeout=10,
                 params={"types[]": types, "limit": 80}).json()


def test_racing_boosts_by_one_account_store_one(busy):
    author, booster = session(busy, "author"), session(busy, "booster")
    me = booster.get(f"{busy.url}/api/v1/accounts/verify_credentials", timeout=10).json()
    conns = [session(busy, "booster") for _ in range(RACERS)]
    for rnd in range(ROUNDS):
        st = author.post(f"{busy.url}/api/v1/statuses", data={"status": f"boost me {rnd}"},
                         timeout=10).json()
        url = f"{busy.url}/api/v1/statuses/{st['id']}/reblog"
        codes = race([lambda c=c: c.post(url, timeout=10) for c in conns])
        assert codes == [200] * RACERS, codes
        got = booster.get(f"{busy.url}/api/v1/statuses/{st['id']}", timeout=10).json()
        by = booster.get(f"{url.rsplit('/', 1)[0]}/reblogged_by", timeout=10).json()
        assert got["reblogs_count"] == 1 and got["reblogged"], (rnd, got["reblogs_count"])
        assert [a["id"] for a in by] == [me["id"]], (rnd, by)
        booster.post(f"{busy.url}/api/v1/statuses/{st['id']}/unreblog", timeout=10)
        got = booster.get(f"{busy.url}/api/v1/statuses/{st['id']}", timeout=10).json()
        assert got["reblogs_count"] == 0 and not got["reblogged"], (rnd, got)
    after = booster.get(f"{busy.url}/api/v1/accounts/verify_credentials", timeout=10).json()
    assert after["statuses_count"] == me["statuses_count"], "a boost counted twice"


def test_undoing_an_act_takes_its_notification_with_it(busy):
    author, fan = session(busy, "author"), session(busy, "fan0")
    st = author.post(f"{busy.url}/api/v1/statuses", data={"status": "cycle"}, timeout=10).json()
    base = f"{busy.url}/api/v1/statuses/{st['id']}"
    fan_id = fan.get(f"{busy.url}/api/v1/accounts/verify_credentials", timeout=10).json()["id"]
    me = author.get(f"{busy.url}/api/v1/accounts/verify_credentials", timeout=10).json()["id"]

    def about(kind):
        return [n for n in notifications(busy, [kind])
                if n["account"]["id"] == fan_id
                and (kind == "follow" or n["status"]["id"] == st["id"])]

    for verb, kind in (("favourite", "favourite"), ("reblog", "reblog")):
        for _ in range(5):
            fan.post(f"{base}/{verb}", timeout=10)
            fan.post(f"{base}/un{verb}", timeout=10)
        fan.post(f"{base}/{verb}", timeout=10)
        assert len(about(kind)) == 1, f"{kind}: {len(about(kind))} notifications for one act"
        fan.post(f"{base}/un{verb}", timeout=10)
        assert about(kind) == [], f"{kind}: the notification outlived its undoing"
    for _ in range(3):
        fan.post(f"{busy.url}/api/v1/accounts/{me}/follow", timeout=10)
        fan.post(f"{busy.url}/api/v1/accounts/{me}/unfollow", timeout=10)
    fan.post(f"{busy.url}/api/v1/accounts/{me}/follow", timeout=10)
    assert len(about("follow")) == 1
    fan.post(f"{busy.url}/api/v1/accounts/{me}/unfollow", timeout=10)
    assert about("follow") == []


def test_notifications_match_the_favourites_after_a_burst(busy):
    author = session(busy, "author")
    st = author.post(f"{busy.url}/api/v1/statuses", data={"status": "burst"}, timeout=10).json()
    base = f"{busy.url}/api/v1/statuses/{st['id']}"
    fans = [session(busy, f"fan{i}") for i in range(RACERS)]
    for rnd in range(6):
        verb = "favourite" if rnd % 2 == 0 else "unfavourite"
        # each fan sends the same act twice at once, all fans together
        codes = race([lambda f=f: f.post(f"{base}/{verb}", timeout=10)
                      for f in fans for _ in range(2)])
        assert set(codes) == {200}, codes
    for f in fans[: RACERS // 2]:
        f.post(f"{base}/favourite", timeout=10)
    got = author.get(base, timeout=10).json()
    favs = [n for n in notifications(busy, ["favourite"]) if n["status"]["id"] == st["id"]]
    senders = [n["account"]["id"] for n in favs]
    assert got["favourites_count"] == RACERS // 2
    assert len(senders) == len(set(senders)) == RACERS // 2, senders
