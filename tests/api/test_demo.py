"""The demo instance the README's first command serves: what `chorus demo`
seeds must be there for a client and a browser to find — the opening post
and its thread, the tag trending, search and streaming working on it."""

import json
import time

import pytest
import requests
import websocket
from mastodon import Mastodon

from conftest import DEFAULT_SCOPES, ChorusServer, chorus_bin


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("demo"), command="demo")
    srv.start()
    yield srv
    assert srv.stop() == 0


def login(srv, who):
    cid, secret = Mastodon.create_app("demo-test", api_base_url=srv.url, scopes=DEFAULT_SCOPES)
    m = Mastodon(client_id=cid, client_secret=secret, api_base_url=srv.url)
    m.log_in(f"{who}@demo.invalid", "chorus-demo", scopes=DEFAULT_SCOPES)
    return m


def test_demo_has_the_movement_thread_trending(demo):
    ana = login(demo, "ana")
    tag = ana.timeline_hashtag("metoo")
    assert len(tag) == 6  # six people answered with the tag
    opening = [s for s in tag if s["in_reply_to_id"] is None]
    assert len(opening) == 1 and "You are not alone" in opening[0]["content"]
    context = ana.status_context(opening[0]["id"])
    assert len(context["descendants"]) >= 6
    trending = requests.get(f"{demo.url}/api/v1/trends/tags", timeout=5).json()
    assert trending and trending[0]["name"] == "MeToo"
    assert trending[0]["history"][0]["accounts"] == "6"
    found = ana.search_v2("eleven years", result_type="statuses")["statuses"]
    # ben's story and cleo's answer to it, newest first
    assert [s["account"]["username"] for s in found] == ["cleo", "ben"]


def test_demo_streams_a_new_answer(demo):
    fay = login(demo, "fay")
    ws = websocket.create_connection(
        demo.url.replace("http://", "ws://") + "/api/v1/streaming?stream=hashtag&tag=MeToo",
        timeout=5)
    try:
        time.sleep(0.1)
        st = fay.status_post("Still here, still speaking. #MeToo")
        ws.settimeout(2)
        ev = json.loads(ws.recv())
        assert ev["event"] == "update" and json.loads(ev["payload"])["id"] == str(st["id"])
    finally:
        ws.close()
