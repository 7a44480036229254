"""chorus against Fedify: an independent ActivityPub implementation.

One chorus (`[federation] allow_private_addresses = true`, as in
test_federation.py) and one Fedify server (tests/fedify/peer.mjs, Node 22
from the pinned `node` package) on loopback. The peer's actors have keys
Fedify made, and everything they receive has passed Fedify's own checks
(signature, digest, key owner, JSON-LD). The tests drive the peer through
its control API and look at the result where a person would: chorus's side
through its Mastodon API (Mastodon.py), Fedify's side through what its
inboxes recorded, i.e. exactly what chorus sent.

scripts/test.sh installs the packages (`npm ci --prefix tests/fedify`).
"""

import json
import secrets
import subprocess
import threading
import time

import pytest
import requests

from conftest import (DEFAULT_SCOPES, REPO, SANITIZED, ChorusServer, chorus_bin, html_text,
                      logged_in_user, unique_name)

FED_CONFIG = "[federation]\nallow_private_addresses = true\n[jobs]\nworkers = 2\n"
WAIT = 30.0 if SANITIZED else 20.0  # seconds for a delivery (chorus sends from a job queue)
PEER_DIR = REPO / "tests" / "fedify"
NODE = PEER_DIR / "node_modules" / ".bin" / "node"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_FORMS = {AS_PUBLIC, "as:Public", "Public"}


# ---- the two servers --------------------------------------------------------

class Chorus:
    """The running chorus and a way to make logged-in users on it."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.domain = server.url.split("://", 1)[1]
        from mastodon import Mastodon
        self.app = Mastodon.create_app("fedify-tests", scopes=DEFAULT_SCOPES,
                                       api_base_url=server.url)

    def user(self, prefix="user"):
        name = unique_name(prefix)
        email = f"{name}@example.com"
        password = f"pw-{name}-secret"
        self.server.create_user(name, email, password)
        u = logged_in_user(self.server, name, email, password, self.app)
        u.uri = f"{self.url}/users/{name}"
        u.handle = f"{name}@{self.domain}"
        return u


class FedifyPeer:
    """tests/fedify/peer.mjs as a child process, and its control API."""

    def __init__(self, root):
        self.log_path = root / "fedify.log"
        self._log = open(self.log_path, "wb", buffering=0)  # its stderr too
        self._drainer = None
        self.proc = subprocess.Popen(
            [str(NODE), str(PEER_DIR / "peer.mjs"), "0"], cwd=PEER_DIR,
            stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL)
        line = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(60 if SANITIZED else 30)
        first = line[0].decode().strip() if line else ""
        if not first.startswith("READY "):
            self.stop()
            pytest.fail(f"the Fedify peer did not start (stdout: {first!r})\n"
                        f"--- its log ---\n{self.log_tail()}", pytrace=False)
        # anything more on its stdout goes to the log (a full pipe would
        # stop the peer)
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        self.port = int(first.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.domain = f"127.0.0.1:{self.port}"
        self.http = requests.Session()

    def _drain(self):
        for line in self.proc.stdout:
            self._log.write(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._drainer is not None:
            self._drainer.join(5)  # to the end of its stdout
        self.proc.stdout.close()
        self._log.close()

    def log_tail(self, limit=6000):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return text[-limit:]

    def call(self, method, op, **kw):
        r = self.http.request(method, f"{self.url}/control/{op}", timeout=60,
                              **({"json": kw} if method == "POST" else {"params": kw}))
        if r.status_code != 200:
            pytest.fail(f"Fedify peer {method} /control/{op} {kw!r}: HTTP {r.status_code}\n"
                        f"{r.text[:4000]}", pytrace=False)
        return r.json()

    def actor(self, prefix="fed", **kw):
        name = f"{prefix}_{secrets.token_hex(4)}"
        doc = self.call("POST", "actor", name=name, **kw)
        doc["name"] = name
        return doc

    def inbox(self, actor):
        return self.call("GET", "inbox", actor=actor["name"])

    def state(self, actor):
        return self.call("GET", "actor", name=actor["name"])

    def log(self):
        return self.call("GET", "log")


@pytest.fixture(scope="module")
def chorus(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("chorus_fedify"), config=FED_CONFIG)
    srv.start()
    yield Chorus(srv)
    # a clean exit: no leak (ASan), no crash on shutdown
    assert srv.stop() == 0, srv.log_tail()


@pytest.fixture(scope="module")
def fedify(tmp_path_factory):
    if not NODE.exists() or not (PEER_DIR / "node_modules" / "@fedify" / "fedify").is_dir():
        pytest.skip(f"{PEER_DIR / 'node_modules'} is missing: run `npm ci --prefix tests/fedify` "
                    "(scripts/test.sh does)")
    peer = FedifyPeer(tmp_path_factory.mktemp("fedify"))
    yield peer
    peer.stop()


@pytest.fixture(autouse=True)
def nothing_refused(chorus, fedify):
    """After each test: Fedify refused nothing chorus sent it (each refusal
    is a chorus bug: a bad signature, a document Fedify cannot read), and
    its own sends outside a control call (the Accepts) went through."""
    before = fedify.log()
    yield
    after = fedify.log()
    refused = after["refused"][len(before["refused"]):]
    errors = after["errors"][len(before["errors"]):]
    assert not refused, ("Fedify refused deliveries from chorus:\n"
                         + json.dumps(refused, indent=1)[:6000]
                         + f"\n--- Fedify log ---\n{fedify.log_tail()}")
    assert not errors, (f"Fedify could not deliver to chorus: {errors!r}\n"
                        f"--- chorus log ---\n{chorus.server.log_tail(limit=4000)}")


# ---- helpers ------------------------------------------------------------------

class Diag:
    """What to show when something did not happen: both servers' logs."""
    chorus = None
    fedify = None


def eventually(check, what, timeout=WAIT):
    """Poll check() until it returns something true; fail naming what,
    with both servers' recent logs."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.15)
    extra = ""
    if Diag.fedify is not None:
        log = Diag.fedify.log()
        extra += (f"\n--- deliveries to Fedify (last) ---\n"
                  f"{json.dumps(log['delivered'][-8:], indent=1)}"
                  f"\n--- Fedify refused ---\n{json.dumps(log['refused'][-5:], indent=1)[:4000]}"
                  f"\n--- Fedify sent (last) ---\n{json.dumps(log['sent'][-8:], indent=1)}"
                  f"\n--- Fedify log ---\n{Diag.fedify.log_tail(4000)}")
    if Diag.chorus is not None:
        extra += f"\n--- chorus log ---\n{Diag.chorus.server.log_tail(limit=4000)}"
    pytest.fail(f"{what} did not happen within {timeout:.0f} s (last: {last!r}){extra}",
                pytrace=False)


@pytest.fixture(autouse=True)
def _diag(chorus, fedify):
    Diag.chorus, Diag.fedify = chorus, fedify
    yield
    Diag.chorus = Diag.fedify = None


def received(fedify, actor, type_, pred=lambda a: True):
    """Activities of type_ that reached actor's inbox (or the shared one)
    and satisfy pred (given the activity as chorus sent it)."""
    return [r["activity"] for r in fedify.inbox(actor)
            if r["type"] == type_ and pred(r["activity"])]


def wait_received(fedify, actor, type_, pred, what):
    return eventually(lambda: received(fedify, actor, type_, pred), what)[0]


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def ref(v):
    """The id of a reference: a string, or an embedded object's id."""
    return v.get("id") if isinstance(v, dict) else v


def is_public(addresses):
    return any(a in PUBLIC_FORMS for a in as_list(addresses))


def find(statuses, uri):
    return next((s for s in statuses if s["uri"] == uri), None)


def account_of(user, actor):
    """The Fedify actor as user's chorus shows it (looked up by handle:
    WebFinger at the peer, then its actor document)."""
    return user.api.account_lookup(actor["handle"])


def chorus_follows(fedify, user, actor):
    """user follows the Fedify actor, which accepts; the account."""
    acc = account_of(user, actor)
    user.api.account_follow(acc["id"])
    eventually(lambda: user.api.account_relationships(acc["id"])[0]["following"],
               f"{user.name} following {actor['handle']} (Fedify's Accept)")
    return acc


def fedify_follows(fedify, actor, user, accepted=True):
    """The Fedify actor follows user (found by handle); the Follow sent."""
    sent = fedify.call("POST", "follow", actor=actor["name"], target=user.handle)
    if accepted:
        eventually(lambda: any(f["target"] == user.uri and f["state"] == "accepted"
                               for f in fedify.state(actor)["follows"]),
                   f"{actor['name']}'s Follow of {user.name} accepted")
    return sent


def fedify_post(fedify, actor, content, **kw):
    return fedify.call("POST", "post", actor=actor["name"], content=content, **kw)


def seen_in_home(user, uri, what="the post in the home timeline"):
    return eventually(lambda: find(user.api.timeline_home(), uri), what)


def notifications(user, type_, status_uri=None):
    return [n for n in user.api.notifications()
            if n["type"] == type_
            and (status_uri is None or (n.get("status") or {}).get("uri") == status_uri)]


def status_gone(user, status_id):
    r = requests.get(f"{user.api.api_base_url}/api/v1/statuses/{status_id}",
                     headers={"Authorization": f"Bearer {user.token}"}, timeout=30)
    return r.status_code == 404


# ---- 1. follows --------------------------------------------------------------

def test_a_fedify_actor_is_found_by_its_handle(chorus, fedify):
    alice = chorus.user("alice")
    actor = fedify.actor("found", displayName="Fedify <b>Fan</b>",
                         summary="<p>I run on Fedify<script>alert(1)</script></p>")
    acc = account_of(alice, actor)
    assert acc["acct"] == actor["handle"]
    assert acc["username"] == actor["name"]
    assert acc["uri"] == actor["id"]
    assert acc["display_name"] == "Fedify <b>Fan</b>"  # plain text, as written
    assert "I run on Fedify" in acc["note"] and "script" not in acc["note"]
    assert acc["locked"] is False
    assert account_of(alice, actor)["id"] == acc["id"]


def test_a_chorus_user_follows_a_fedify_actor(chorus, fedify):
    alice = chorus.user("alice")
    actor = fedify.actor("followed")
    acc = account_of(alice, actor)
    rel = alice.api.account_follow(acc["id"])
    assert rel["following"] or rel["requested"]
    eventually(lambda: alice.api.account_relationships(acc["id"])[0]["following"],
               "chorus seeing Fedify's Accept")
    follow = wait_received(fedify, actor, "Follow", lambda a: a["actor"] == alice.uri,
                           "the Follow at Fedify")
    assert ref(follow["object"]) == actor["id"]
    assert follow["id"].startswith(alice.uri)
    # Fedify counts alice among the actor's followers
    assert fedify.state(actor)["followers"] == [alice.uri]
    assert [a["acct"] for a in alice.api.account_following(alice.id)] == [actor["handle"]]
    assert alice.api.account(alice.id)["following_count"] == 1
    # unfollowing reaches Fedify as an Undo of that Follow
    alice.api.account_unfollow(acc["id"])
    undo = wait_received(fedify, actor, "Undo", lambda a: a["actor"] == alice.uri,
                         "the Undo at Fedify")
    # the Follow undone, named by its id or embedded: what Fedify servers
    # match it by is its actor and object
    inner = undo["object"]
    if isinstance(inner, dict):
        assert inner["type"] == "Follow" and inner["actor"] == alice.uri
        assert ref(inner["object"]) == actor["id"]
        assert inner.get("id") in (None, follow["id"])
    else:
        assert inner == follow["id"]
    eventually(lambda: fedify.state(actor)["followers"] == [], "Fedify dropping the follower")
    assert not alice.api.account_relationships(acc["id"])[0]["following"]


def test_a_fedify_actor_follows_a_chorus_user(chorus, fedify):
    bob = chorus.user("bob")
    actor = fedify.actor("follower")
    sent = fedify_follows(fedify, actor, bob)
    accept = wait_received(fedify, actor, "Accept", lambda a: a["actor"] == bob.uri,
                           "chorus's Accept at Fedify")
    assert ref(accept["object"]) == sent["id"]
    assert [f["acct"] for f in bob.api.account_followers(bob.id)] == [actor["handle"]]
    assert bob.api.account(bob.id)["followers_count"] == 1
    note = eventually(lambda: notifications(bob, "follow"), "bob's follow notification")
    assert note[0]["account"]["acct"] == actor["handle"]
    acc = account_of(bob, actor)
    assert bob.api.account_relationships(acc["id"])[0]["followed_by"]
    # Fedify's Undo of the Follow ends it
    fedify.call("POST", "undo", actor=actor["name"], activity=sent["id"])
    eventually(lambda: bob.api.account_followers(bob.id) == [], "the unfollow on chorus")
    assert not bob.api.account_relationships(acc["id"])[0]["followed_by"]


def test_a_locked_chorus_account_decides_on_a_fedify_follow(chorus, fedify):
    carol = chorus.user("carol")
    carol.api.account_update_credentials(locked=True)
    actor, other = fedify.actor("asker"), fedify.actor("refused")
    sent = fedify_follows(fedify, actor, carol, accepted=False)
    reqs = eventually(lambda: carol.api.follow_requests(), "carol's follow request")
    assert [r["acct"] for r in reqs] == [actor["handle"]]
    time.sleep(1.0)  # nothing is accepted before carol decides
    assert received(fedify, actor, "Accept", lambda a: a["actor"] == carol.uri) == []
    assert carol.api.account_followers(carol.id) == []
    carol.api.follow_request_authorize(reqs[0]["id"])
    accept = wait_received(fedify, actor, "Accept", lambda a: a["actor"] == carol.uri,
                           "the Accept at Fedify once carol authorised")
    assert ref(accept["object"]) == sent["id"]
    eventually(lambda: any(f["state"] == "accepted" for f in fedify.state(actor)["follows"]),
               "Fedify taking the Accept")
    assert [f["acct"] for f in carol.api.account_followers(carol.id)] == [actor["handle"]]
    assert carol.api.follow_requests() == []
    # a request carol rejects comes back as a Reject
    sent2 = fedify_follows(fedify, other, carol, accepted=False)
    req = eventually(lambda: carol.api.follow_requests(), "the second request")
    carol.api.follow_request_reject(req[0]["id"])
    reject = wait_received(fedify, other, "Reject", lambda a: a["actor"] == carol.uri,
                           "the Reject at Fedify")
    assert ref(reject["object"]) == sent2["id"]
    assert [f["acct"] for f in carol.api.account_followers(carol.id)] == [actor["handle"]]


# ---- 2. a Fedify post on chorus ------------------------------------------------

def test_a_fedify_post_with_a_hashtag_and_a_mention_reaches_chorus(chorus, fedify):
    dana, eli = chorus.user("dana"), chorus.user("eli")
    actor = fedify.actor("poster")
    chorus_follows(fedify, dana, actor)
    tag = f"fedify{secrets.token_hex(3)}"
    content = (f'<p>Hello <span class="h-card"><a href="{eli.uri}" class="u-url mention">'
               f'@<span>{eli.name}</span></a></span> '
               f'<a href="{fedify.url}/tags/{tag}" class="mention hashtag" rel="tag">'
               f'#<span>{tag}</span></a> <b onclick="steal()">bold</b>'
               f'<script>alert(1)</script><img src=x onerror="y()"></p>')
    note = fedify_post(fedify, actor, content, mentions=[eli.handle], hashtags=[tag])
    got = seen_in_home(dana, note["id"], "the Fedify post in dana's home")
    assert got["account"]["acct"] == actor["handle"]
    assert got["visibility"] == "public"
    assert [t["name"] for t in got["tags"]] == [tag]
    assert [m["acct"] for m in got["mentions"]] == [eli.name]
    # sanitised: the text and links kept, scripts and handlers gone
    assert "Hello" in got["content"] and "bold" in got["content"]
    for bad in ("<script", "alert(1)", "onclick", "onerror", "<img"):
        assert bad not in got["content"], (bad, got["content"])
    assert f"#{tag}" in html_text(got["content"])
    # the tag timeline and the mentioned user's notifications have it
    assert find(dana.api.timeline_hashtag(tag), note["id"])
    mention = eventually(lambda: notifications(eli, "mention", note["id"]),
                         "eli's mention notification")
    assert mention[0]["account"]["acct"] == actor["handle"]
    # eli follows no one there: the mention alone brought it to eli
    assert eli.api.status(mention[0]["status"]["id"])["uri"] == note["id"]


def test_a_fedify_post_with_a_single_tag_keeps_it(chorus, fedify):
    """Fedify writes a property with one value as that value, not as a
    one-element array ("tag": {...}): JSON-LD compaction, which
    ActivityStreams allows for every property. One hashtag, or one mention
    (the usual reply), must count as much as two."""
    pia, quinn = chorus.user("pia"), chorus.user("quinn")
    actor = fedify.actor("single")
    chorus_follows(fedify, pia, actor)
    tag = f"single{secrets.token_hex(3)}"
    tagged = fedify_post(fedify, actor, f"<p>only a tag #{tag}</p>", hashtags=[tag])
    assert isinstance(tagged["activity"]["object"]["tag"], dict)  # as Fedify sent it
    got = seen_in_home(pia, tagged["id"], "the one-tag post in pia's home")
    assert [t["name"] for t in got["tags"]] == [tag]
    assert find(pia.api.timeline_hashtag(tag), tagged["id"])
    # quinn follows no one there: only the one Mention brings it to quinn
    mentioning = fedify_post(fedify, actor, f"<p>@{quinn.name} hello</p>",
                             mentions=[quinn.handle])
    assert isinstance(mentioning["activity"]["object"]["tag"], dict)
    got = seen_in_home(pia, mentioning["id"], "the one-mention post in pia's home")
    assert [m["acct"] for m in got["mentions"]] == [quinn.name]
    note = eventually(lambda: notifications(quinn, "mention", mentioning["id"]),
                      "quinn's mention notification")
    assert note[0]["account"]["acct"] == actor["handle"]


def test_fedify_posts_keep_their_visibility_on_chorus(chorus, fedify):
    rae, sol, tom = chorus.user("rae"), chorus.user("sol"), chorus.user("tom")
    actor = fedify.actor("scoped")
    rae_acc = chorus_follows(fedify, rae, actor)
    # followers-only: "to" is the followers collection alone
    private = fedify_post(fedify, actor, "<p>for my followers</p>", visibility="followers")
    got = seen_in_home(rae, private["id"], "the followers-only post in rae's home")
    assert got["visibility"] == "private"
    r = requests.get(f"{chorus.url}/api/v1/statuses/{got['id']}",
                     headers={"Authorization": f"Bearer {sol.token}"}, timeout=30)
    assert r.status_code == 404  # sol does not follow the author
    unlisted = fedify_post(fedify, actor, "<p>quietly</p>", visibility="unlisted")
    assert seen_in_home(rae, unlisted["id"], "the unlisted post")["visibility"] == "unlisted"
    assert find(rae.api.timeline_public(), unlisted["id"]) is None
    # direct, to sol and tom: theirs alone, though rae follows the author
    chorus_follows(fedify, sol, actor)
    direct = fedify_post(fedify, actor, f"<p>@{sol.name} @{tom.name} psst</p>",
                         visibility="direct", mentions=[sol.handle, tom.handle])

    def conversation(user):
        return [c["last_status"] for c in user.api.conversations()
                if (c.get("last_status") or {}).get("uri") == direct["id"]]
    got = eventually(lambda: conversation(sol), "the direct post among sol's conversations")
    assert got[0]["visibility"] == "direct"
    assert sorted(m["acct"] for m in got[0]["mentions"]) == sorted([sol.name, tom.name])
    assert eventually(lambda: notifications(sol, "mention", direct["id"]), "sol's notification")
    # tom follows no one there: as Mastodon does, the private mention
    # waits as a notification request until tom accepts it
    tom_http = {"Authorization": f"Bearer {tom.token}"}

    def tom_requests():
        r = requests.get(f"{chorus.url}/api/v1/notifications/requests", headers=tom_http,
                         timeout=30)
        assert r.status_code == 200, r.text
        return [q for q in r.json() if q["account"]["acct"] == actor["handle"]]
    req = eventually(tom_requests, "tom's notification request")
    assert req[0]["last_status"]["uri"] == direct["id"]
    r = requests.post(f"{chorus.url}/api/v1/notifications/requests/{req[0]['id']}/accept",
                      headers=tom_http, timeout=30)
    assert r.status_code == 200, r.text
    assert eventually(lambda: conversation(tom), "the direct post among tom's conversations")
    r = requests.get(f"{chorus.url}/api/v1/statuses/{got[0]['id']}",
                     headers={"Authorization": f"Bearer {rae.token}"}, timeout=30)
    assert r.status_code == 404
    assert find(rae.api.timeline_home(), direct["id"]) is None
    assert rae.api.account_relationships(rae_acc["id"])[0]["following"]


# ---- 3. chorus posts at Fedify; replies both ways ------------------------------

def test_a_chorus_post_reaches_fedify_addressed_as_mastodon_does(chorus, fedify):
    fay = chorus.user("fay")
    actor = fedify.actor("reader")
    fedify_follows(fedify, actor, fay)
    account_of(fay, actor)  # known on chorus: fay can mention it
    tag = f"chorus{secrets.token_hex(3)}"
    followers = f"{fay.uri}/followers"
    post = fay.api.status_post(f"Hello Fedify #{tag} @{actor['handle']}")
    create = wait_received(fedify, actor, "Create",
                           lambda a: ref(a["object"]) == post["uri"], "the Create at Fedify")
    assert create["actor"] == fay.uri
    note = create["object"]
    assert isinstance(note, dict) and note["type"] == "Note"
    assert note["attributedTo"] == fay.uri
    assert "Hello Fedify" in note["content"]
    assert is_public(note["to"]) and not is_public(note.get("cc"))
    assert followers in as_list(note["cc"]) and actor["id"] in as_list(note["cc"])
    tags = as_list(note.get("tag"))
    assert {"type": "Hashtag", "name": f"#{tag}"}.items() <= next(
        t for t in tags if t["type"] == "Hashtag").items()
    assert [t["href"] for t in tags if t["type"] == "Mention"] == [actor["id"]]
    assert note.get("inReplyTo") is None

    # followers-only: to the followers (and the mentioned), never Public
    private = fay.api.status_post(f"just for followers @{actor['handle']}", visibility="private")
    c = wait_received(fedify, actor, "Create", lambda a: ref(a["object"]) == private["uri"],
                      "the followers-only Create")["object"]
    assert as_list(c["to"]) == [followers]
    assert not is_public(c["to"]) and not is_public(c.get("cc"))
    # direct: to the mentioned only
    direct = fay.api.status_post(f"@{actor['handle']} psst", visibility="direct")
    d = wait_received(fedify, actor, "Create", lambda a: ref(a["object"]) == direct["uri"],
                      "the direct Create")["object"]
    assert as_list(d["to"]) == [actor["id"]]
    assert followers not in as_list(d.get("cc")) and not is_public(d.get("cc"))
    # unlisted: followers in to, Public in cc
    unlisted = fay.api.status_post("quietly public", visibility="unlisted")
    u = wait_received(fedify, actor, "Create", lambda a: ref(a["object"]) == unlisted["uri"],
                      "the unlisted Create")["object"]
    assert as_list(u["to"]) == [followers] and is_public(u["cc"])


def test_a_chorus_reply_to_a_fedify_post_reaches_fedify(chorus, fedify):
    gus = chorus.user("gus")
    actor = fedify.actor("asking")
    chorus_follows(fedify, gus, actor)
    note = fedify_post(fedify, actor, "<p>what do you think?</p>")
    here = seen_in_home(gus, note["id"])
    reply = gus.api.status_post(f"@{actor['handle']} I agree", in_reply_to_id=here["id"])
    assert reply["in_reply_to_id"] == here["id"]
    create = wait_received(fedify, actor, "Create", lambda a: ref(a["object"]) == reply["uri"],
                           "the reply at Fedify")
    assert create["object"]["inReplyTo"] == note["id"]
    assert actor["id"] in as_list(create["object"]["to"]) + as_list(create["object"]["cc"])
    ctx = gus.api.status_context(here["id"])
    assert [s["uri"] for s in ctx["descendants"]] == [reply["uri"]]


def test_a_fedify_reply_joins_the_chorus_thread(chorus, fedify):
    hana = chorus.user("hana")
    actor = fedify.actor("replier")
    post = hana.api.status_post("a question for the fediverse")
    # Fedify reads hana's post (to find whom to send the reply) and answers
    reply = fedify_post(fedify, actor, f"<p>@{hana.name} an answer</p>",
                        inReplyTo=post["uri"], mentions=[hana.handle])
    ctx = eventually(lambda: hana.api.status_context(post["id"])["descendants"],
                     "the Fedify reply in hana's thread")
    assert [s["uri"] for s in ctx] == [reply["id"]]
    assert ctx[0]["in_reply_to_id"] == post["id"]
    assert ctx[0]["account"]["acct"] == actor["handle"]
    assert "an answer" in ctx[0]["content"]
    assert hana.api.status(post["id"])["replies_count"] == 1
    mention = eventually(lambda: notifications(hana, "mention", reply["id"]),
                         "hana's notification of the reply")
    assert mention[0]["account"]["acct"] == actor["handle"]


# ---- 4. favourites and boosts -------------------------------------------------

def test_fedify_likes_and_boosts_a_chorus_post_and_undoes_both(chorus, fedify):
    ivy = chorus.user("ivy")
    actor = fedify.actor("fan")
    post = ivy.api.status_post("like and boost me")
    like = fedify.call("POST", "like", actor=actor["name"], object=post["uri"])
    announce = fedify.call("POST", "announce", actor=actor["name"], object=post["uri"])
    eventually(lambda: ivy.api.status(post["id"])["favourites_count"] == 1, "the Like counted")
    eventually(lambda: ivy.api.status(post["id"])["reblogs_count"] == 1, "the Announce counted")
    fav = eventually(lambda: notifications(ivy, "favourite", post["uri"]),
                     "ivy's favourite notification")
    assert fav[0]["account"]["acct"] == actor["handle"]
    boost = eventually(lambda: notifications(ivy, "reblog", post["uri"]),
                       "ivy's reblog notification")
    assert boost[0]["account"]["acct"] == actor["handle"]
    assert [a["acct"] for a in ivy.api.status_favourited_by(post["id"])] == [actor["handle"]]
    assert [a["acct"] for a in ivy.api.status_reblogged_by(post["id"])] == [actor["handle"]]
    fedify.call("POST", "undo", actor=actor["name"], activity=like["id"])
    fedify.call("POST", "undo", actor=actor["name"], activity=announce["id"])
    eventually(lambda: ivy.api.status(post["id"])["favourites_count"] == 0, "the Like undone")
    eventually(lambda: ivy.api.status(post["id"])["reblogs_count"] == 0, "the Announce undone")
    assert ivy.api.status_favourited_by(post["id"]) == []
    assert ivy.api.status_reblogged_by(post["id"]) == []


def test_a_chorus_user_likes_and_boosts_a_fedify_post_and_undoes_both(chorus, fedify):
    jo = chorus.user("jo")
    actor = fedify.actor("liked")
    chorus_follows(fedify, jo, actor)
    note = fedify_post(fedify, actor, "<p>please like this</p>")
    here = seen_in_home(jo, note["id"])
    jo.api.status_favourite(here["id"])
    like = wait_received(fedify, actor, "Like",
                         lambda a: a["actor"] == jo.uri and ref(a["object"]) == note["id"],
                         "the Like at Fedify")
    jo.api.status_reblog(here["id"])
    announce = wait_received(fedify, actor, "Announce",
                             lambda a: a["actor"] == jo.uri and ref(a["object"]) == note["id"],
                             "the Announce at Fedify")
    assert is_public(announce.get("to")) or is_public(announce.get("cc"))
    assert jo.api.status(here["id"])["favourites_count"] == 1
    assert jo.api.status(here["id"])["reblogs_count"] == 1
    jo.api.status_unfavourite(here["id"])
    undo_like = wait_received(fedify, actor, "Undo",
                              lambda a: a["actor"] == jo.uri and ref(a["object"]) == like["id"],
                              "the Undo of the Like at Fedify")
    assert ref(undo_like["object"]) == like["id"]
    jo.api.status_unreblog(here["id"])
    wait_received(fedify, actor, "Undo",
                  lambda a: a["actor"] == jo.uri and ref(a["object"]) == announce["id"],
                  "the Undo of the Announce at Fedify")


def test_a_favourite_and_a_block_made_again_after_their_undo_reach_fedify(chorus, fedify):
    """Like, Undo, Like again (and the same with a Block): each act is an
    activity of its own. Fedify takes an activity id once (its inbox
    idempotence, a day), as Mastodon's and the ActivityPub spec's unique
    ids allow: an id made again for the second Like would be taken as
    the first, delivered again, and dropped."""
    uma = chorus.user("uma")
    actor = fedify.actor("again")
    acc = chorus_follows(fedify, uma, actor)
    note = fedify_post(fedify, actor, "<p>like me twice</p>")
    here = seen_in_home(uma, note["id"])

    def likes():
        return received(fedify, actor, "Like",
                        lambda a: a["actor"] == uma.uri and ref(a["object"]) == note["id"])
    uma.api.status_favourite(here["id"])
    first = eventually(likes, "the first Like at Fedify")[0]
    uma.api.status_unfavourite(here["id"])
    wait_received(fedify, actor, "Undo",
                  lambda a: a["actor"] == uma.uri and ref(a["object"]) == first["id"],
                  "the Undo of the first Like")
    uma.api.status_favourite(here["id"])
    second = eventually(lambda: likes()[1:], "the second Like taken by Fedify")[0]
    assert second["id"] != first["id"]
    assert uma.api.status(here["id"])["favourited"] is True

    def blocks():
        return received(fedify, actor, "Block", lambda a: a["actor"] == uma.uri)
    uma.api.account_block(acc["id"])
    block = eventually(blocks, "the first Block at Fedify")[0]
    uma.api.account_unblock(acc["id"])
    wait_received(fedify, actor, "Undo",
                  lambda a: a["actor"] == uma.uri and ref(a["object"]) == block["id"],
                  "the Undo of the first Block")
    uma.api.account_block(acc["id"])
    again = eventually(lambda: blocks()[1:], "the second Block taken by Fedify")[0]
    assert again["id"] != block["id"]


# ---- 5. edits and deletions ------------------------------------------------------

def test_a_fedify_edit_and_delete_reach_chorus(chorus, fedify):
    kim = chorus.user("kim")
    actor = fedify.actor("editor")
    chorus_follows(fedify, kim, actor)
    note = fedify_post(fedify, actor, "<p>frist post</p>", summary="cw")
    here = seen_in_home(kim, note["id"])
    assert here["edited_at"] is None and here["spoiler_text"] == "cw"
    time.sleep(1.1)  # a later `updated`, to the second
    fedify.call("POST", "update", actor=actor["name"], object=note["id"],
                content="<p>first post, spelt right</p>", summary="new cw")
    got = eventually(lambda: (lambda s: s if "spelt right" in s["content"] else None)(
        kim.api.status(here["id"])), "the edit on chorus")
    assert got["edited_at"] is not None
    assert got["spoiler_text"] == "new cw"
    assert got["id"] == here["id"] and got["uri"] == note["id"]
    history = kim.api.status_history(here["id"])
    assert [("frist" in h["content"], "spelt" in h["content"]) for h in history] == \
        [(True, False), (False, True)]
    fedify.call("POST", "delete", actor=actor["name"], object=note["id"])
    eventually(lambda: status_gone(kim, here["id"]), "the delete on chorus")
    assert find(kim.api.timeline_home(), note["id"]) is None


def test_a_chorus_edit_and_delete_reach_fedify(chorus, fedify):
    lee = chorus.user("lee")
    actor = fedify.actor("watcher")
    fedify_follows(fedify, actor, lee)
    post = lee.api.status_post("frist")
    wait_received(fedify, actor, "Create", lambda a: ref(a["object"]) == post["uri"],
                  "the Create at Fedify")
    lee.api.status_update(post["id"], "first, spelt right")
    update = wait_received(fedify, actor, "Update",
                           lambda a: ref(a["object"]) == post["uri"], "the Update at Fedify")
    assert update["actor"] == lee.uri
    assert "spelt right" in update["object"]["content"]
    assert update["object"]["type"] == "Note" and update["object"].get("updated")
    lee.api.status_delete(post["id"])
    delete = wait_received(fedify, actor, "Delete",
                           lambda a: ref(a["object"]) == post["uri"], "the Delete at Fedify")
    assert delete["actor"] == lee.uri


# ---- 6. blocks --------------------------------------------------------------------

def test_a_chorus_block_reaches_fedify_and_ends_the_follows(chorus, fedify):
    mo = chorus.user("mo")
    actor = fedify.actor("blocked")
    acc = chorus_follows(fedify, mo, actor)
    fedify_follows(fedify, actor, mo)
    assert [f["acct"] for f in mo.api.account_followers(mo.id)] == [actor["handle"]]
    mo.api.account_block(acc["id"])
    block = wait_received(fedify, actor, "Block", lambda a: a["actor"] == mo.uri,
                          "the Block at Fedify")
    assert ref(block["object"]) == actor["id"]
    rel = mo.api.account_relationships(acc["id"])[0]
    assert rel["blocking"] and not rel["following"] and not rel["followed_by"]
    assert mo.api.account_followers(mo.id) == []
    mo.api.account_unblock(acc["id"])
    undo = wait_received(fedify, actor, "Undo",
                         lambda a: a["actor"] == mo.uri and ref(a["object"]) == block["id"],
                         "the Undo of the Block at Fedify")
    assert undo["actor"] == mo.uri


def test_a_fedify_block_is_applied_on_chorus(chorus, fedify):
    nia = chorus.user("nia")
    actor = fedify.actor("blocker")
    acc = chorus_follows(fedify, nia, actor)
    fedify_follows(fedify, actor, nia)

    def rel():
        return nia.api.account_relationships(acc["id"])[0]
    assert rel()["following"] and rel()["followed_by"]
    block = fedify.call("POST", "block", actor=actor["name"], target=nia.handle)
    eventually(lambda: rel()["blocked_by"], "the block on chorus")
    r = rel()
    assert not r["following"] and not r["followed_by"] and not r["requested"]
    assert nia.api.account_followers(nia.id) == []
    assert nia.api.account_following(nia.id) == []
    fedify.call("POST", "undo", actor=actor["name"], activity=block["id"])
    eventually(lambda: not rel()["blocked_by"], "the unblock on chorus")


# ---- how Fedify signed what it sent -------------------------------------------------

def test_chorus_took_fedifys_deliveries_at_the_first_knock(chorus, fedify):
    """Fedify signs a first delivery to a server with RFC 9421 and, if that
    is refused (400/401), knocks again with draft-cavage. chorus says it
    takes both, so no delivery from this module's tests to it may have
    been refused once."""
    oli = chorus.user("oli")
    fedify_follows(fedify, fedify.actor("knock"), oli)
    sent = [s for s in fedify.log()["sent"] if s["url"].startswith(chorus.url)]
    assert sent, "no delivery from Fedify to chorus was made"
    refused = [s for s in sent if s["status"] >= 300]
    assert refused == [], refused
    assert {s["signature"] for s in sent} == {"rfc9421"}, sent
