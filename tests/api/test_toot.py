"""Drive the real toot 0.34 CLI against chorus in a throwaway HOME:
login_cli (password grant by email, http via --disable-https), whoami,
post, timelines, reply + thread, favourite, delete, and block / mute
(with their undoing) checked by what the user then reads."""

import json
import os
import re
import shutil
import subprocess
import uuid
from types import SimpleNamespace

import pytest

from conftest import assert_error, assert_json, html_text

TOOT = shutil.which("toot", path="/usr/bin") or "/usr/bin/toot"


@pytest.fixture(scope="module")
def toot(tmp_path_factory, server, make_user):
    if not os.path.exists(TOOT):
        pytest.fail(f"toot CLI not found at {TOOT}", pytrace=False)
    home = tmp_path_factory.mktemp("toothome")
    env = {k: v for k, v in os.environ.items() if k not in ("APPDATA", "TOOT_POST_VISIBILITY")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), TERM="dumb", LANG="C.UTF-8")
    user = make_user("tooter")
    instance = f"127.0.0.1:{server.port}"

    def run(*args, stdin="", check=True):
        res = subprocess.run([TOOT, *args], env=env, input=stdin, capture_output=True,
                             text=True, timeout=90)
        if check:
            assert res.returncode == 0, (f"toot {' '.join(args)} exited {res.returncode}\n"
                                         f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}")
        return res

    login = run("login_cli", "--instance", instance, "--email", user.email, "--disable-https",
                stdin=user.password + "\n", check=False)
    return SimpleNamespace(run=run, user=user, home=home, instance=instance, login=login,
                           config=home / ".config" / "toot" / "config.json")


def posted_id(res):
    m = re.search(r"Toot posted: (\S+)", res.stdout)
    assert m, f"no 'Toot posted' line:\n{res.stdout}\n{res.stderr}"
    return m.group(1)


def latest_status(http, user):
    page = assert_json(http.get(f"/api/v1/accounts/{user.sid}/statuses", params={"limit": 1}))
    assert page, "account has no statuses"
    return page[0]


def test_login_cli_succeeds(toot):
    res = toot.login
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    assert "Successfully logged in" in res.stdout
    cfg = json.loads(toot.config.read_text())
    key = f"{toot.user.name}@{toot.instance}"
    assert cfg["active_user"] == key
    assert cfg["users"][key]["access_token"]
    app = cfg["apps"][toot.instance]
    assert app["base_url"] == f"http://{toot.instance}"
    assert app["client_id"] and app["client_secret"]


def test_login_cli_wrong_password_fails(toot, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "APPDATA"}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"))
    res = subprocess.run([TOOT, "login_cli", "--instance", toot.instance, "--email", toot.user.email,
                          "--disable-https"], env=env, input="wrong-password\n",
                         capture_output=True, text=True, timeout=90)
    assert res.returncode != 0
    assert "Login failed" in res.stdout + res.stderr


def test_whoami(toot):
    res = toot.run("whoami")
    assert f"@{toot.user.name}" in res.stdout


def test_post_and_verify_via_api(toot, http):
    marker = uuid.uuid4().hex[:12]
    res = toot.run("post", f"hello from toot #chorus {marker}")
    url = posted_id(res)
    st = latest_status(http, toot.user)
    assert marker in html_text(st["content"])
    assert st["url"] == url
    assert st["visibility"] == "public"
    assert [t["name"] for t in st["tags"]] == ["chorus"]
    # toot sends an Idempotency-Key; only one status was created
    page = assert_json(http.get(f"/api/v1/accounts/{toot.user.sid}/statuses", params={"limit": 40}))
    assert sum(marker in s["content"] for s in page) == 1


def test_timeline_home_shows_post(toot):
    marker = uuid.uuid4().hex[:12]
    toot.run("post", f"home timeline check #chorus {marker}")
    res = toot.run("timeline", "--once")
    assert marker in res.stdout
    assert f"@{toot.user.name}" in res.stdout


def test_timeline_public_and_tag_show_post(toot):
    marker = uuid.uuid4().hex[:12]
    toot.run("post", f"public timeline check #chorus {marker}")
    assert marker in toot.run("timeline", "--public", "--once").stdout
    assert marker in toot.run("timeline", "--public", "--local", "--once").stdout
    assert marker in toot.run("timeline", "--tag", "chorus", "--once").stdout


def test_reply_and_thread(toot, http):
    root_marker, reply_marker = uuid.uuid4().hex[:10], uuid.uuid4().hex[:10]
    toot.run("post", f"thread root {root_marker}")
    root = latest_status(http, toot.user)
    toot.run("post", "--reply-to", root["id"], f"thread reply {reply_marker}")
    reply = latest_status(http, toot.user)
    assert reply["in_reply_to_id"] == root["id"]
    res = toot.run("thread", root["id"])
    assert root_marker in res.stdout and reply_marker in res.stdout
    assert res.stdout.index(root_marker) < res.stdout.index(reply_marker)


def test_private_post_with_cw(toot, http):
    marker = uuid.uuid4().hex[:10]
    toot.run("post", "--visibility", "private", "--spoiler-text", "content warning",
             f"followers only {marker}")
    own = assert_json(http.get(f"/api/v1/accounts/{toot.user.sid}/statuses",
                               params={"limit": 1}, token=toot.user.token))[0]
    assert marker in own["content"]
    assert own["visibility"] == "private"
    assert own["spoiler_text"] == "content warning"
    assert_error(http.get(f"/api/v1/statuses/{own['id']}"), 404)


def test_favourite_and_delete(toot, http):
    marker = uuid.uuid4().hex[:10]
    toot.run("post", f"delete me {marker}")
    st = latest_status(http, toot.user)
    toot.run("favourite", st["id"])
    assert assert_json(http.get(f"/api/v1/statuses/{st['id']}"))["favourites_count"] == 1
    res = toot.run("delete", st["id"])
    assert "deleted" in res.stdout.lower()
    assert_error(http.get(f"/api/v1/statuses/{st['id']}"), 404)


def test_instance_command(toot):
    res = toot.run("instance", "--disable-https", toot.instance)
    assert re.search(r"running Mastodon 4\.\d+\.\d+", res.stdout), res.stdout


def test_post_with_image_and_alt_text(toot, http, tmp_path):
    """toot uploads through the v1 media endpoint (multipart) and posts."""
    from PIL import Image
    path = tmp_path / "card.png"
    Image.new("RGB", (64, 32), (200, 40, 90)).save(path)
    marker = uuid.uuid4().hex[:12]
    toot.run("post", "--media", str(path), "--description", "a pink card",
             "--sensitive", "--spoiler-text", "a hard story", f"with a picture {marker}")
    st = latest_status(http, toot.user)
    assert marker in html_text(st["content"])
    assert st["sensitive"] is True and st["spoiler_text"] == "a hard story"
    [m] = st["media_attachments"]
    assert m["type"] == "image" and m["description"] == "a pink card"
    assert m["meta"]["original"]["size"] == "64x32"
    assert http.session.get(m["url"], timeout=10).status_code == 200


# ---- safety: what a user does from toot about someone who harasses them ----

def relationship(http, me, other):
    return assert_json(http.get("/api/v1/accounts/relationships", token=me.token,
                                params={"id[]": other.sid}))[0]


def home_ids(http, user):
    return {s["id"] for s in assert_json(http.get("/api/v1/timelines/home", token=user.token,
                                                  params={"limit": 40}))}


def test_block_and_unblock(toot, http, make_user):
    """toot block: the follow is cut both ways, the blocked one's posts
    leave the blocker's home and tag timeline (toot's own reading too),
    their mentions notify nobody, and toot unblock brings the posts back."""
    me = toot.user
    other = make_user("tootblk")
    tag = "tootblk" + uuid.uuid4().hex[:8]
    toot.run("follow", other.name)
    other.api.account_follow(me.id)
    st = assert_json(http.post("/api/v1/statuses", token=other.token,
                               data={"status": f"something to block #{tag}"}))
    home = lambda: home_ids(http, me)  # noqa: E731
    tagged = lambda: toot.run("timeline", "--tag", tag, "--once").stdout  # noqa: E731
    assert st["id"] in home() and "something to block" in tagged()

    res = toot.run("block", other.name)
    assert f"You are now blocking {other.name}" in res.stdout
    rel = relationship(http, me, other)
    assert rel["blocking"] is True and rel["following"] is False and rel["followed_by"] is False
    assert [a["id"] for a in assert_json(http.get("/api/v1/blocks", token=me.token))] == [other.sid]
    assert st["id"] not in home()
    assert "something to block" not in tagged()
    mention = other.api.status_post(f"@{me.name} are you there?")
    notes = assert_json(http.get("/api/v1/notifications", token=me.token, params={"limit": 40}))
    assert str(mention["id"]) not in {n["status"]["id"] for n in notes if n.get("status")}

    res = toot.run("unblock", other.name)
    assert f"{other.name} is no longer blocked" in res.stdout
    assert relationship(http, me, other)["blocking"] is False
    assert assert_json(http.get("/api/v1/blocks", token=me.token)) == []
    assert "something to block" in tagged()


def test_mute_and_unmute(toot, http, make_user):
    """toot mute: the follow stays, the muted one's posts leave the home
    and tag timelines but open by id; toot unmute brings them back."""
    me = toot.user
    other = make_user("tootmute")
    tag = "tootmute" + uuid.uuid4().hex[:8]
    toot.run("follow", other.name)
    st = assert_json(http.post("/api/v1/statuses", token=other.token,
                               data={"status": f"something to mute #{tag}"}))
    home = lambda: home_ids(http, me)  # noqa: E731
    tagged = lambda: toot.run("timeline", "--tag", tag, "--once").stdout  # noqa: E731
    assert st["id"] in home() and "something to mute" in tagged()

    res = toot.run("mute", other.name)
    assert f"You have muted {other.name}" in res.stdout
    rel = relationship(http, me, other)
    assert rel["muting"] is True and rel["muting_notifications"] is True
    assert rel["following"] is True  # a mute keeps the follow
    assert [a["id"] for a in assert_json(http.get("/api/v1/mutes", token=me.token))] == [other.sid]
    assert st["id"] not in home()
    assert "something to mute" not in tagged()
    assert assert_json(http.get(f"/api/v1/statuses/{st['id']}", token=me.token))["id"] == st["id"]

    res = toot.run("unmute", other.name)
    assert f"{other.name} is no longer muted" in res.stdout
    assert relationship(http, me, other)["muting"] is False
    assert st["id"] in home() and "something to mute" in tagged()
