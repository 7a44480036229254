"""chorus through masto.js: the streaming API (WebSocket) as JS clients use it.

The checks themselves are in tests/js/stream.test.mjs (node:test); this runs
them against the suite's server with alice listening and bob posting.
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


def test_masto_streaming_hears_posts_on_hashtag_and_user_streams(server, alice, bob):
    node = _node_or_skip()
    env = dict(os.environ, CHORUS_URL=server.url, CHORUS_TOKEN=alice.token,
               CHORUS_TOKEN2=bob.token, NO_COLOR="1")
    res = subprocess.run([node, "--test", str(JS_DIR / "stream.test.mjs")],
                         cwd=JS_DIR, env=env, capture_output=True, text=True,
                         timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    out = res.stdout + res.stderr
    assert res.returncode == 0, f"node --test stream.test.mjs failed:\n{out[-12000:]}"
    assert "# fail 0" in out and "# skipped 0" in out, out[-4000:]
