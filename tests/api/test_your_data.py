"""Your data is yours (issue 15): the CSV files of what an account
follows, blocks, mutes, the domains it blocks and its bookmarks, exported
from one chorus and imported on another, which reproduces them; and an
account deleting itself, password confirming, which erases its posts and
media files and tells the servers of its followers.

Two instances on loopback, as tests/api/test_federation.py runs them."""

import io
import json
import tarfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from conftest import ChorusServer, Http, assert_error, assert_json, chorus_bin
from test_federation import FED_CONFIG, Instance, eventually, handle, remote


@pytest.fixture(scope="module")
def east(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("east"), config=FED_CONFIG)
    srv.start()
    yield Instance(srv)
    assert srv.stop() == 0, srv.log_tail()


@pytest.fixture(scope="module")
def west(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("west"), config=FED_CONFIG)
    srv.start()
    yield Instance(srv)
    assert srv.stop() == 0, srv.log_tail()


def export(inst, user, name):
    r = Http(inst.url).get(f"/api/v1/exports/{name}", token=user.token)
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"].startswith("text/csv")
    return r.text


def test_export_then_import_on_another_server_reproduces_them(east, west, tmp_path):
    ana, friend, troll, loud = (east.user(p) for p in ("ana", "friend", "troll", "loud"))
    ana.api.account_follow(friend.id)
    ana.api.account_block(troll.id)
    ana.api.account_mute(loud.id, notifications=True)
    ana.api.domain_block("spam.example")
    kept = friend.api.status_post("worth keeping")
    ana.api.status_bookmark(kept["id"])

    files = {n: export(east, ana, f"{n}.csv")
             for n in ("following", "blocks", "mutes", "domain_blocks", "bookmarks")}
    assert files["following"].splitlines() == [
        "Account address,Show boosts,Notify on new posts,Languages",
        f"{handle(friend, east)},true,false,"]
    assert files["blocks"].splitlines() == [handle(troll, east)]
    assert files["mutes"].splitlines() == ["Account address,Hide notifications",
                                           f"{handle(loud, east)},true"]
    assert files["domain_blocks"].splitlines() == ["spam.example"]
    assert files["bookmarks"].splitlines() == [kept["uri"]]
    assert_error(Http(east.url).get("/api/v1/exports/secrets.csv", token=ana.token), 404)
    # the shell writes the same files
    out = tmp_path / "export"
    out.mkdir()
    east.server.cli("user", "export", ana.name, str(out), "--base-url", east.url,
                    *east.server.backend_args())
    assert {f.stem: f.read_text() for f in out.glob("*.csv")} == files
    with tarfile.open(out / "archive.tar.gz") as tar:
        assert "following_accounts.csv" in tar.getnames()
    assert_error(Http(east.url).get("/api/v1/exports/following.csv"), 401)

    moved = west.user("ana")
    h = Http(west.url)
    for kind, name in (("following", "following"), ("blocks", "blocks"), ("mutes", "mutes"),
                       ("domain_blocks", "domain_blocks"), ("bookmarks", "bookmarks")):
        got = assert_json(h.post("/api/v1/import", token=moved.token,
                                 data={"type": kind, "mode": "merge"},
                                 files={"data": (f"{name}.csv", files[name], "text/csv")}))
        assert got["imported"] == got["rows"] == 1, (kind, got)
    there = {who: remote(moved, u, east) for who, u in
             (("friend", friend), ("troll", troll), ("loud", loud))}
    eventually(lambda: moved.api.account_relationships(there["friend"]["id"])[0]["following"],
               "the imported follow accepted")
    rel = {who: moved.api.account_relationships(acc["id"])[0] for who, acc in there.items()}
    assert rel["troll"]["blocking"] is True
    assert rel["loud"]["muting"] is True and rel["loud"]["muting_notifications"] is True
    assert moved.api.domain_blocks() == ["spam.example"]
    assert [s["uri"] for s in moved.api.bookmarks()] == [kept["uri"]]
    # the import of what is so already changes nothing, and says so
    again = assert_json(h.post("/api/v1/import", token=moved.token, data={"type": "blocks"},
                               files={"data": ("b.csv", files["blocks"], "text/csv")}))
    assert again == {"rows": 1, "imported": 1}
    for bad in ({"type": "friends"}, {"type": "blocks", "mode": "overwrite"}):
        assert_error(h.post("/api/v1/import", token=moved.token, data=bad,
                            files={"data": ("b.csv", files["blocks"], "text/csv")}), 422)
    assert_error(h.post("/api/v1/import", token=moved.token, data={"type": "blocks"}), 422)


def test_the_archive_holds_the_posts_media_and_files(east, tmp_path):
    ana, friend = east.user("archived"), east.user("friend")
    ana.api.account_follow(friend.id)
    img = tmp_path / "a.png"
    Image.new("RGB", (40, 30), (20, 90, 200)).save(img)
    media = ana.api.media_post(str(img))
    shown = ana.api.status_post("with a picture", media_ids=[media["id"]])
    quiet = ana.api.status_post("for my followers", visibility="private")
    r = Http(east.url).get("/api/v1/exports/archive.tar.gz", token=ana.token)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/gzip"
    with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
        names = tar.getnames()
        read = lambda n: tar.extractfile(n).read()
        actor = json.loads(read("actor.json"))
        outbox = json.loads(read("outbox.json"))
        stored = media_path(east, media["url"])
        assert read(f"media_attachments/{stored.name}") == stored.read_bytes()
        following = read("following_accounts.csv").decode()
    assert {"following_accounts.csv", "blocked_accounts.csv", "muted_accounts.csv",
            "blocked_domains.csv", "bookmarks.csv"} <= set(names)
    assert handle(friend, east) in following
    assert actor["preferredUsername"] == ana.name and actor["type"] == "Person"
    assert outbox["type"] == "OrderedCollection"
    notes = [item["object"]["id"] for item in outbox["orderedItems"]]
    assert notes == [quiet["uri"], shown["uri"]]  # every post, newest first
    # another's token is another's archive, and none is nobody's
    assert_error(Http(east.url).get("/api/v1/exports/archive.tar.gz"), 401)


def test_an_import_reaches_nothing_the_visibility_rule_hides(east):
    """A bookmark row names a post whose author blocks the importer, and
    a private post the importer may not see: neither is bookmarked, and
    nothing of them is said."""
    author, blocked = east.user("author"), east.user("blocked")
    seen = author.api.status_post("public, but not for the blocked one")
    hidden = author.api.status_post("followers only", visibility="private")
    other = east.user("other")
    author.api.account_block(blocked.id)
    rows = f"{seen['uri']}\n{hidden['uri']}\n"
    h = Http(east.url)
    for who, kept in ((blocked, []), (other, [seen["uri"]])):
        got = assert_json(h.post("/api/v1/import", token=who.token, data={"type": "bookmarks"},
                                 files={"data": ("b.csv", rows, "text/csv")}))
        assert got == {"rows": 2, "imported": len(kept)}, got
        assert [s["uri"] for s in who.api.bookmarks()] == kept


def media_path(inst, url):
    return Path(inst.server.data) / "media" / urlparse(url).path.split("/media/", 1)[1]


def test_deleting_ones_own_account_erases_it_and_tells_its_followers(east, west, tmp_path):
    leaver, reader = east.user("leaver"), west.user("reader")
    img = tmp_path / "p.png"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(img)
    media = leaver.api.media_post(str(img))
    post = leaver.api.status_post("my last words here", media_ids=[media["id"]])
    files = [media_path(east, media["url"]), media_path(east, media["preview_url"])]
    assert all(f.exists() for f in files), files
    # a follower elsewhere, who has the post
    there = remote(reader, leaver, east)
    reader.api.account_follow(there["id"])
    eventually(lambda: reader.api.account_relationships(there["id"])[0]["following"],
               "the follow accepted")

    h = Http(east.url)
    assert_error(h.post("/api/v1/accounts/delete", token=leaver.token,
                        data={"password": "not it"}), 403)
    assert_error(h.post("/api/v1/accounts/delete", token=leaver.token), 403)
    assert_json(h.get(f"/api/v1/statuses/{post['id']}"))  # nothing happened
    r = h.post("/api/v1/accounts/delete", token=leaver.token,
               data={"password": leaver.password})
    assert r.status_code == 202, r.text
    # gone at once, and its sessions with it
    assert_error(h.get(f"/api/v1/statuses/{post['id']}"), 404)
    assert_error(h.get("/api/v1/accounts/verify_credentials", token=leaver.token), 401)
    # erased once its Delete is out: the account, then every file
    eventually(lambda: h.get(f"/api/v1/accounts/{leaver.sid}").status_code == 404,
               "the account erased")
    assert not any(f.exists() for f in files), files
    # the follower's server was told: the account is gone there too
    eventually(lambda: Http(west.url).get(f"/api/v1/accounts/{there['id']}")
               .status_code == 404, "the other server forgot the account")
