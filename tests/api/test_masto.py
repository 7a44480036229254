"""chorus through masto.js: the streaming API (WebSocket) and the safety
features (block, mute, filters) as JS clients use them.

The checks themselves are in tests/js/stream.test.mjs and
tests/js/safety.test.mjs (node:test); this runs them against the suite's
server: alice listening and bob posting, and for safety two fresh
accounts, one blocking, muting and filtering the other.
scripts/test.sh installs the pinned packages (`npm ci --prefix tests/js`).
"""

import os
import shutil
import subprocess

import pytest
from conftest import REPO, SANITIZED

JS_DIR = REPO / "tests" / "js"
TIMEOUT = 240 if SANITIZED else 120


def _node_or_skip():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (scripts/deps.sh test installs nodejs and npm)")
    if not (JS_DIR / "node_modules" / "masto").is_dir():
        pytest.skip(f"{JS_DIR / 'node_modules'} is missing: run `npm ci --prefix tests/js` "
                    "(scripts/test.sh does)")
    return node


def run_node_test(script, url, token, token2):
    """Run tests/js/<script> with node --test against the server at url;
    every test must pass and none be skipped. Its output."""
    node = _node_or_skip()
    env = dict(os.environ, CHORUS_URL=url, CHORUS_TOKEN=token, CHORUS_TOKEN2=token2,
               NO_COLOR="1")
    res = subprocess.run([node, "--test", str(JS_DIR / script)],
                         cwd=JS_DIR, env=env, capture_output=True, text=True,
                         timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"node --test {script} failed:\n{out[-12000:]}"
    assert "# fail 0" in out and "# skipped 0" in out, out[-4000:]
    return out


def test_masto_streaming_hears_posts_on_hashtag_and_user_streams(server, alice, bob):
    run_node_test("stream.test.mjs", server.url, alice.token, bob.token)


def test_masto_blocks_mutes_and_filters(server, make_user):
    me, them = make_user("mastome"), make_user("mastothem")
    out = run_node_test("safety.test.mjs", server.url, me.token, them.token)
    assert "# pass 3" in out, out[-4000:]
