"""A write the client was told succeeded survives the server being killed
(SIGKILL: no shutdown code runs), with the default durability setting."""

import signal

import requests
from mastodon import Mastodon

from conftest import ChorusServer, DEFAULT_SCOPES, chorus_bin


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
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(timeout=10)
    finally:
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
