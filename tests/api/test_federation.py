"""Two chorus instances on loopback, federating (issue 14).

`north` and `south` each run with `[federation] allow_private_addresses =
true` (loopback is an internal address; production refuses it) and know
nothing of each other until a handle is looked up. Every assertion is made
through the Mastodon API of the side that should see the effect, as a user
of that server would see it.
"""

import contextlib
import time

import pytest
import requests
from mastodon import MastodonAPIError

from conftest import (DEFAULT_SCOPES, ChorusServer, chorus_bin, logged_in_user, login,
                      unique_name)

FED_CONFIG = "[federation]\nallow_private_addresses = true\n[jobs]\nworkers = 2\n"
WAIT = 20.0  # seconds for a delivery to arrive (both run on this machine)


class Instance:
    """A running chorus and a way to make logged-in users on it."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.domain = server.url.split("://", 1)[1]
        from mastodon import Mastodon
        self.app = Mastodon.create_app("fed-tests", scopes=DEFAULT_SCOPES,
                                       api_base_url=server.url)

    def user(self, prefix="user"):
        name = unique_name(prefix)
        email = f"{name}@example.com"
        password = f"pw-{name}-secret"
        self.server.create_user(name, email, password)
        return logged_in_user(self.server, name, email, password, self.app)


@pytest.fixture(scope="module")
def north(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("north"), config=FED_CONFIG)
    srv.start()
    yield Instance(srv)
    # a clean exit: no leak (ASan), no crash on shutdown
    assert srv.stop() == 0, srv.log_tail()


@pytest.fixture(scope="module")
def south(tmp_path_factory):
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("south"), config=FED_CONFIG)
    srv.start()
    yield Instance(srv)
    # a clean exit: no leak (ASan), no crash on shutdown
    assert srv.stop() == 0, srv.log_tail()


def eventually(check, what, timeout=WAIT):
    """Poll check() until it returns something true; fail naming what."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s (last: {last!r})")


def handle(user, inst):
    return f"{user.name}@{inst.domain}"


def remote(viewer, user, inst):
    """user of inst as viewer's server knows it (looked up by handle)."""
    return viewer.api.account_lookup(handle(user, inst))


def test_a_remote_account_is_found_by_its_handle(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    bob.api.account_update_credentials(display_name="Bob <b>South</b>",
                                       note="I post about #metoo")
    acc = remote(alice, bob, south)
    assert acc["acct"] == handle(bob, south)
    assert acc["username"] == bob.name
    assert acc["url"] == f"{south.url}/@{bob.name}"
    assert acc["uri"] == f"{south.url}/users/{bob.name}"
    assert acc["display_name"] == "Bob <b>South</b>"  # plain text, as typed
    assert "#metoo" in acc["note"] or "metoo" in acc["note"]
    # the same account on a second lookup, and by id
    assert remote(alice, bob, south)["id"] == acc["id"]
    assert alice.api.account(acc["id"])["acct"] == handle(bob, south)


def test_an_unknown_remote_handle_is_404(north, south):
    alice = north.user("alice")
    r = requests.get(f"{north.url}/api/v1/accounts/lookup",
                     params={"acct": f"nobody_here@{south.domain}"},
                     headers={"Authorization": f"Bearer {alice.token}"})
    assert r.status_code == 404, r.text
    assert "error" in r.json()


def test_only_a_signed_in_reader_makes_the_server_ask_another(north, south):
    alice, nia = north.user("alice"), south.user("nia")
    url = f"{north.url}/api/v1/accounts/lookup"
    r = requests.get(url, params={"acct": handle(nia, south)})
    assert r.status_code == 404, r.text  # anonymous: only what is known
    assert remote(alice, nia, south)["acct"] == handle(nia, south)
    r = requests.get(url, params={"acct": handle(nia, south)})
    assert r.status_code == 200 and r.json()["acct"] == handle(nia, south)


def test_following_a_remote_account_is_accepted_and_seen_on_both_sides(north, south):
    alice, dan = north.user("alice"), south.user("dan")
    target = remote(alice, dan, south)
    rel = alice.api.account_follow(target["id"])
    # asked at once; following once the Accept arrives
    assert rel["following"] or rel["requested"]
    eventually(lambda: alice.api.account_relationships(target["id"])[0]["following"],
               "north seeing the follow accepted")
    # south: dan has a follower from north, and was told
    followers = dan.api.account_followers(dan.id)
    assert [f["acct"] for f in followers] == [handle(alice, north)]
    notes = eventually(lambda: [n for n in dan.api.notifications()
                                if n["type"] == "follow"], "dan's follow notification")
    assert notes[0]["account"]["acct"] == handle(alice, north)
    assert dan.api.account(dan.id)["followers_count"] == 1
    assert alice.api.account(alice.id)["following_count"] == 1


def test_unfollowing_reaches_the_other_server(north, south):
    alice, erin = north.user("alice"), south.user("erin")
    target = remote(alice, erin, south)
    alice.api.account_follow(target["id"])
    eventually(lambda: erin.api.account_followers(erin.id), "the follow")
    alice.api.account_unfollow(target["id"])
    eventually(lambda: not erin.api.account_followers(erin.id), "the unfollow")
    assert erin.api.account(erin.id)["followers_count"] == 0


def test_a_locked_account_decides_on_a_remote_request(north, south):
    alice, fay = north.user("alice"), south.user("fay")
    fay.api.account_update_credentials(locked=True)
    target = remote(alice, fay, south)
    assert target["locked"] is True
    alice.api.account_follow(target["id"])
    requests_ = eventually(lambda: fay.api.follow_requests(), "fay's follow request")
    assert requests_[0]["acct"] == handle(alice, north)
    time.sleep(0.5)  # nothing is accepted before fay decides
    assert not alice.api.account_relationships(target["id"])[0]["following"]
    fay.api.follow_request_authorize(requests_[0]["id"])
    eventually(lambda: alice.api.account_relationships(target["id"])[0]["following"],
               "north seeing fay's Accept")
    assert [f["acct"] for f in fay.api.account_followers(fay.id)] == [handle(alice, north)]


def test_a_rejected_request_is_no_longer_pending(north, south):
    alice, gus = north.user("alice"), south.user("gus")
    gus.api.account_update_credentials(locked=True)
    target = remote(alice, gus, south)
    alice.api.account_follow(target["id"])
    req = eventually(lambda: gus.api.follow_requests(), "gus's follow request")
    assert alice.api.account_relationships(target["id"])[0]["requested"]
    gus.api.follow_request_reject(req[0]["id"])
    eventually(lambda: not alice.api.account_relationships(target["id"])[0]["requested"],
               "north seeing the Reject")
    assert not alice.api.account_relationships(target["id"])[0]["following"]
    assert gus.api.account_followers(gus.id) == []


def test_a_blocked_account_cannot_follow_across_servers(north, south):
    alice, hal = north.user("alice"), south.user("hal")
    target = remote(alice, hal, south)
    # hal blocks alice (as south knows her) before she asks; his Block
    # reaches north, which then refuses her follow itself
    hal.api.account_block(remote(hal, alice, north)["id"])
    eventually(lambda: alice.api.account_relationships(target["id"])[0]["blocked_by"],
               "north seeing hal's Block")
    with pytest.raises(MastodonAPIError) as e:
        alice.api.account_follow(target["id"])
    assert e.value.args[1] == 403
    rel = alice.api.account_relationships(target["id"])[0]
    assert not rel["following"] and not rel["requested"]
    assert hal.api.account_followers(hal.id) == []


@pytest.mark.parametrize("headers", [
    {},
    {"Signature": "garbage"},
    {"Signature": 'keyId="https://nowhere.invalid/actor#main-key",algorithm="rsa-sha256",'
                  'headers="(request-target) host date digest",signature="AAAA"'},
])
def test_unsigned_or_badly_signed_activities_are_refused(north, south, headers):
    ivy = south.user("ivy")
    body = ('{"@context":"https://www.w3.org/ns/activitystreams",'
            f'"id":"{north.url}/users/x#follows/1","type":"Follow",'
            f'"actor":"{north.url}/users/x","object":"{south.url}/users/{ivy.name}"}}')
    for path in ("/inbox", f"/users/{ivy.name}/inbox"):
        r = requests.post(south.url + path, data=body, headers={
            "Content-Type": "application/activity+json", **headers})
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert "error" in r.json()
    time.sleep(0.3)
    assert ivy.api.account_followers(ivy.id) == []
    assert ivy.api.follow_requests() == []


def test_an_inbox_of_no_one_is_404(south):
    r = requests.post(f"{south.url}/users/nobody_at_all/inbox", data="{}",
                      headers={"Content-Type": "application/activity+json"})
    assert r.status_code == 404


# ---- a peer written here: an actor with its own key ----------------------

import base64
import email.utils
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.exceptions import InvalidSignature


class Peer:
    """A minimal ActivityPub server: actors with keys made here, their
    documents served, whatever reaches their inboxes recorded."""

    def __init__(self):
        self.received = []  # (path, headers, body)
        self.fetched = []  # paths asked with GET
        self.actors = {}  # name -> (private key, document)
        self.delay = 0.0  # seconds each GET waits before its answer
        self.post_status = 202  # what each POST is answered
        self.post_delay = 0.0  # seconds each POST takes
        self.files = {}  # path -> (content type, bytes) served by GET
        self.in_flight = self.most_in_flight = 0  # POSTs being answered
        lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                peer.fetched.append(self.path)
                time.sleep(peer.delay)
                name = self.path.rsplit("/", 1)[-1].split("#")[0]
                body = None
                if self.path.startswith("/.well-known/webfinger?resource=acct%3A"):
                    name = self.path.split("%3A", 1)[1].split("%40", 1)[0]
                    if name in peer.actors:
                        body = json.dumps({"subject": f"acct:{name}@{peer.host}", "links": [
                            {"rel": "self", "type": "application/activity+json",
                             "href": peer.actors[name][1]["id"]}]}).encode()
                elif self.path.startswith("/users/") and name in peer.actors:
                    body = json.dumps(peer.actors[name][1]).encode()
                ctype = "application/activity+json"
                if self.path in peer.files:
                    ctype, body = peer.files[self.path]
                if body:
                    self.send_response(200)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with lock:
                    peer.in_flight += 1
                    peer.most_in_flight = max(peer.most_in_flight, peer.in_flight)
                time.sleep(peer.post_delay)
                with lock:
                    peer.in_flight -= 1
                peer.received.append((self.path, dict(self.headers), body))
                self.send_response(peer.post_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.host = self.url.split("://", 1)[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def actor(self, name, shared_inbox=False):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        uri = f"{self.url}/users/{name}"
        doc = {"@context": ["https://www.w3.org/ns/activitystreams",
                            "https://w3id.org/security/v1"],
               "id": uri, "type": "Person", "preferredUsername": name,
               "inbox": f"{uri}/inbox", "followers": f"{uri}/followers",
               "summary": "<p>hi<script>alert(1)</script></p>",
               "publicKey": {"id": f"{uri}#main-key", "owner": uri,
                             "publicKeyPem": pem}}
        if shared_inbox:
            doc["endpoints"] = {"sharedInbox": f"{self.url}/inbox"}
        self.actors[name] = (key, doc)
        return uri

    def post(self, name, url, activity, date=None, body=None, key_of=None,
             headers="(request-target) host date digest", digest=None, host=None):
        """POST activity to url signed by name's key (or key_of's, under
        name's key id). Returns the response."""
        key = self.actors[key_of or name][0]
        key_id = self.actors[name][1]["publicKey"]["id"]
        body = body if body is not None else json.dumps(activity).encode()
        u = urlparse(url)
        values = {
            "(request-target)": f"post {u.path}",
            "host": host or u.netloc,
            "date": date or email.utils.formatdate(usegmt=True),
            "digest": digest or "SHA-256=" + base64.b64encode(
                hashlib.sha256(body).digest()).decode(),
        }
        text = "\n".join(f"{h}: {values[h]}" for h in headers.split())
        sig = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(),
                                        hashes.SHA256())).decode()
        return requests.post(url, data=body, timeout=30, headers={
            "Host": values["host"],
            "Content-Type": "application/activity+json", "Date": values["date"],
            "Digest": values["digest"],
            "Signature": f'keyId="{key_id}",algorithm="rsa-sha256",'
                         f'headers="{headers}",signature="{sig}"'})

    def get(self, name, url):
        """GET url signed by name's key, as servers fetch a document."""
        key, doc = self.actors[name]
        u = urlparse(url)
        date = email.utils.formatdate(usegmt=True)
        text = f"(request-target): get {u.path}\nhost: {u.netloc}\ndate: {date}"
        sig = base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(),
                                        hashes.SHA256())).decode()
        return requests.get(url, timeout=30, headers={
            "Accept": "application/activity+json", "Date": date,
            "Signature": f'keyId="{doc["publicKey"]["id"]}",algorithm="rsa-sha256",'
                         f'headers="(request-target) host date",signature="{sig}"'})

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def peer():
    p = Peer()
    yield p
    p.close()


def follow(peer, name, target_uri, n=1):
    uri = f"{peer.url}/users/{name}"
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{uri}#follows/{n}", "type": "Follow", "actor": uri,
            "object": target_uri}


def undo(activity, n=1):
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{activity['actor']}#undo/{n}", "type": "Undo",
            "actor": activity["actor"], "object": activity}


def followers(user):
    return [f["acct"] for f in user.api.account_followers(user.id)]


def verify_cavage(path, headers, body, public_pem):
    """Check a request chorus sent with its published key, as a receiver
    would: the signature over the listed headers, and the digest."""
    params = dict(part.split("=", 1) for part in headers["Signature"].split(","))
    params = {k: v.strip('"') for k, v in params.items()}
    lower = {k.lower(): v for k, v in headers.items()}
    lines = []
    for h in params["headers"].split():
        lines.append(f"(request-target): post {path}" if h == "(request-target)"
                     else f"{h}: {lower[h]}")
    key = serialization.load_pem_public_key(public_pem.encode())
    key.verify(base64.b64decode(params["signature"]), "\n".join(lines).encode(),
               padding.PKCS1v15(), hashes.SHA256())
    assert "digest" in params["headers"].split()
    assert lower["digest"] == "SHA-256=" + base64.b64encode(
        hashlib.sha256(body).digest()).decode()
    return params


def test_a_follow_from_another_implementation_is_accepted_with_a_valid_signature(south, peer):
    jo = south.user("jo")
    peer.actor("mallory")
    act = follow(peer, "mallory", f"{south.url}/users/{jo.name}")
    r = peer.post("mallory", f"{south.url}/users/{jo.name}/inbox", act)
    assert r.status_code == 202, r.text
    eventually(lambda: followers(jo), "the follow")
    assert followers(jo) == [f"mallory@{peer.url.split('://')[1]}"]
    # the Accept comes back, signed with jo's published key
    accepts = eventually(lambda: [x for x in peer.received
                                  if json.loads(x[2]).get("type") == "Accept"], "the Accept")
    path, headers, body = accepts[0]
    assert path == "/users/mallory/inbox"
    doc = json.loads(body)
    assert doc["actor"] == f"{south.url}/users/{jo.name}"
    assert doc["object"]["id"] == act["id"]
    jo_key = requests.get(f"{south.url}/users/{jo.name}",
                          headers={"Accept": "application/activity+json"}).json()["publicKey"]
    params = verify_cavage(path, headers, body, jo_key["publicKeyPem"])
    assert params["keyId"] == jo_key["id"]
    # the actor's bio was sanitised on the way in
    acc = jo.api.account_followers(jo.id)[0]
    assert "script" not in acc["note"] and "hi" in acc["note"]


def test_a_replayed_activity_is_processed_once(south, peer):
    kim = south.user("kim")
    peer.actor("replayer")
    inbox = f"{south.url}/inbox"
    act = follow(peer, "replayer", f"{south.url}/users/{kim.name}")
    assert peer.post("replayer", inbox, act).status_code == 202
    eventually(lambda: followers(kim), "the follow")
    assert peer.post("replayer", inbox, undo(act)).status_code == 202
    eventually(lambda: not followers(kim), "the undo")
    # the same Follow again (same id): taken, and not processed again
    assert peer.post("replayer", inbox, act).status_code == 202
    time.sleep(1.0)
    assert followers(kim) == []
    # a new Follow (new id) is processed
    assert peer.post("replayer", inbox, follow(peer, "replayer", act["object"], 2)).status_code == 202
    eventually(lambda: followers(kim), "the second follow")


@pytest.mark.parametrize("case", ["old_date", "future_date", "wrong_digest", "body_changed",
                                  "another_key", "digest_not_signed", "actor_is_not_signer",
                                  "signed_for_another_server"])
def test_a_forged_or_stale_delivery_is_refused_and_changes_nothing(south, peer, case):
    lee = south.user("lee")
    peer.actor("forger")
    peer.actor("other")
    target = f"{south.url}/users/{lee.name}"
    act = follow(peer, "forger", target)
    inbox = f"{south.url}/users/{lee.name}/inbox"
    kw = {}
    if case == "old_date":
        kw["date"] = email.utils.formatdate(time.time() - 13 * 3600, usegmt=True)
    elif case == "future_date":
        kw["date"] = email.utils.formatdate(time.time() + 2 * 3600, usegmt=True)
    elif case == "wrong_digest":
        kw["digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    elif case == "body_changed":
        signed = json.dumps(act).encode()
        kw["digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(signed).digest()).decode()
        kw["body"] = signed.replace(b"Follow", b"Folloq")
    elif case == "another_key":
        kw["key_of"] = "other"  # forger's key id, other's key
    elif case == "digest_not_signed":
        kw["headers"] = "(request-target) host date"
    elif case == "actor_is_not_signer":
        act = follow(peer, "other", target)  # signed by forger, claims other
    elif case == "signed_for_another_server":
        kw["host"] = "elsewhere.example"  # a delivery to it, replayed here
    r = peer.post("forger", inbox, act, **kw)
    assert r.status_code == 401, (case, r.status_code, r.text)
    assert "error" in r.json()
    time.sleep(0.5)
    assert followers(lee) == []


def test_an_unreachable_key_is_refused(south, peer):
    mo = south.user("mo")
    peer.actor("ghost")
    act = follow(peer, "ghost", f"{south.url}/users/{mo.name}")
    act_doc = peer.actors.pop("ghost")  # its document is gone
    peer.actors["ghost_key_holder"] = act_doc
    r = peer.post("ghost_key_holder", f"{south.url}/inbox", act)
    assert r.status_code == 401, r.text
    assert followers(mo) == []


def test_a_key_slow_to_fetch_holds_up_no_other_request(tmp_path_factory, peer):
    """An unknown key is fetched on a fetch thread: with one I/O thread,
    the API answers while the key's server takes its time, and past the
    fetch queue a delivery is told to come back (429, Retry-After)."""
    config = ("[server]\nthreads = 1\n[federation]\nallow_private_addresses = true\n"
              "fetch_threads = 1\nfetch_queue = 1\n")
    srv = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("slowkey"), config=config)
    srv.start()
    try:
        answers = {}

        def deliver(name):
            peer.actor(name)
            act = follow(peer, name, f"{srv.url}/users/nobody")
            answers[name] = peer.post(name, f"{srv.url}/inbox", act)

        peer.delay = 2.0
        senders = []
        for name in ("slow_a", "slow_b", "slow_c"):
            t = threading.Thread(target=deliver, args=(name,))
            t.start()
            senders.append(t)
            time.sleep(0.4)  # in this order: fetching, waiting, refused
        started = time.monotonic()
        assert requests.get(f"{srv.url}/api/v1/instance", timeout=10).status_code == 200
        assert time.monotonic() - started < 1.0
        for t in senders:
            t.join()
        # the follow names no one here: each verified delivery is taken
        assert answers["slow_a"].status_code == 202, answers["slow_a"].text
        assert answers["slow_b"].status_code == 202, answers["slow_b"].text
        assert answers["slow_c"].status_code == 429, answers["slow_c"].text
        assert answers["slow_c"].headers.get("Retry-After")
    finally:
        peer.delay = 0.0
        assert srv.stop() == 0, srv.log_tail()


@pytest.mark.parametrize("body", [
    b"not json at all",
    b"[1, 2, 3]",
    b"{" * 5000 + b"}" * 5000,
    json.dumps({"type": "Follow"}).encode(),  # no id, no actor
    # a name twice at the top, spelt plainly or with an escape
    b'{"id": "http://x/1", "type": "Follow", "actor": "a", "actor": "b"}',
    b'{"id": "http://x/1", "\\u0069d": "http://y/2", "type": "Like", "actor": "a"}',
    b'{"id": "http://x/1", "type": "Like", "actor": "a", "object": "\xc0\xaf"}',
])
def test_malformed_activities_are_400_and_kept_nowhere(south, peer, body):
    peer.actor("sloppy")
    r = peer.post("sloppy", f"{south.url}/inbox", None, body=body)
    assert r.status_code == 400, (r.status_code, r.text)
    assert "error" in r.json()


def test_an_activity_spelt_with_escapes_is_taken_as_parsed(south, peer):
    """Some servers escape every slash ("https:\\/\\/…", PHP's way): the
    activity's id and actor are read as JSON means them, and its post
    is kept."""
    una = south.user("una")
    uri, _ = peer_followed_by(una, south, peer, "escaper")
    act = peer_note(uri, 1, "slashes escaped")
    body = json.dumps(act).replace("/", "\\/").encode()
    assert b"https:\\/\\/" in body
    assert peer.post("escaper", f"{south.url}/inbox", None, body=body).status_code == 202
    got = eventually(lambda: find(una.api.timeline_home(), act["object"]["id"]), "the post")
    assert "slashes escaped" in got["content"]


def test_an_oversized_delivery_is_refused(south):
    """5 MB is refused from its Content-Length, before a byte of it is
    read (raw HTTP with Expect: 100-continue, as curl sends big bodies)."""
    import socket
    port = int(south.domain.split(":")[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall((f"POST /inbox HTTP/1.1\r\nHost: {south.domain}\r\n"
                      "Content-Type: application/activity+json\r\n"
                      f"Content-Length: {5 * 1024 * 1024}\r\n"
                      "Expect: 100-continue\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"closed without an answer: {data!r}"
            data += chunk
    assert data.split(b"\r\n", 1)[0].split()[1] == b"413", data[:200]


def test_without_private_addresses_allowed_nothing_internal_is_fetched(base_url, alice, peer):
    """The suite's own server runs with the defaults: a handle on loopback
    is not found, and the peer there is never asked (the guard itself,
    refusing the address before connecting, is tests/unit/
    test_fed_client.c's)."""
    peer.actor("insider")
    before = len(peer.fetched)
    r = requests.get(f"{base_url}/api/v1/accounts/lookup",
                     params={"acct": f"insider@{peer.url.split('://')[1]}"},
                     headers={"Authorization": f"Bearer {alice.token}"})
    assert r.status_code == 404, r.text
    assert peer.fetched[before:] == []


def test_a_follow_from_an_account_blocked_here_is_rejected(south, peer):
    ida = south.user("ida")
    uri = peer.actor("blocked1")
    ida.api.account_block(ida.api.account_lookup(f"blocked1@{peer.host}")["id"])
    act = follow(peer, "blocked1", f"{south.url}/users/{ida.name}")
    assert peer.post("blocked1", f"{south.url}/inbox", act).status_code == 202
    got = eventually(lambda: [json.loads(x[2]) for x in peer.received
                              if json.loads(x[2]).get("type") == "Reject"
                              and json.loads(x[2])["object"].get("id") == act["id"]],
                     "the Reject at the peer")
    assert got[0]["actor"] == f"{south.url}/users/{ida.name}"
    assert ida.api.account_followers(ida.id) == []


def test_a_like_after_the_author_blocked_the_liker_changes_nothing(south, peer):
    """The inbox job decides with the visibility rule, as fresh as a
    request's: a block made since the liker's last activity counts."""
    kai = south.user("kai")
    uri = peer.actor("liker")
    first = kai.api.status_post("like this one")
    second = kai.api.status_post("and this one")

    def like(n, post):
        act = {"id": f"{uri}#likes/{n}", "type": "Like", "actor": uri,
               "object": f"{south.url}/users/{kai.name}/statuses/{post['id']}"}
        assert peer.post("liker", f"{south.url}/inbox", act).status_code == 202
    like(1, first)
    eventually(lambda: kai.api.status(first["id"])["favourites_count"] == 1, "the first like")
    kai.api.account_block(kai.api.account_lookup(f"liker@{peer.host}")["id"])
    for n in range(2, 6):  # on whichever job thread the first ran
        like(n, second)
    like(6, first)  # (a marker: processed after the others, in order)
    time.sleep(1.0)
    assert kai.api.status(second["id"])["favourites_count"] == 0
    r = requests.get(f"{south.url}/api/v1/notifications", params={"types[]": "favourite"},
                     headers={"Authorization": f"Bearer {kai.token}"}, timeout=10)
    # (a blocked account's notifications are hidden, the first one's too)
    assert [n for n in r.json() if n["status"]["id"] == second["id"]] == []


# ---- posts across servers -------------------------------------------------

def follows(viewer, user, inst):
    """viewer follows user of inst, once the Accept has arrived; user as
    viewer's server knows it."""
    target = remote(viewer, user, inst)
    viewer.api.account_follow(target["id"])
    eventually(lambda: viewer.api.account_relationships(target["id"])[0]["following"],
               "the follow accepted")
    return target


def find(statuses, uri):
    return next((s for s in statuses if s["uri"] == uri), None)


def test_an_image_post_reaches_another_chorus_and_is_served_there(north, south, tmp_path):
    from PIL import Image
    alice, bob = north.user("alice"), south.user("bob")
    follows(alice, bob, south)
    png = tmp_path / "sign.png"
    Image.new("RGB", (64, 48), (200, 40, 90)).save(png)
    m = bob.api.media_post(str(png), description="a placard", focus=(0.1, 0.2))
    post = bob.api.status_post("see the sign", media_ids=[m["id"]])
    got = eventually(lambda: find(alice.api.timeline_home(), post["uri"]), "the image post")
    [a] = got["media_attachments"]
    assert a["type"] == "image" and a["description"] == "a placard"
    assert a["url"].startswith(north.url) and a["meta"]["original"]["width"] == 64
    assert requests.get(a["url"], timeout=10).status_code == 200


def test_a_post_reaches_a_remote_followers_home_tags_and_notifications(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    follows(alice, bob, south)
    remote(bob, alice, north)  # bob's server knows alice: he can mention her
    post = bob.api.status_post(f"Hello north #fedtag{bob.name[-4:]} @{handle(alice, north)}")
    got = eventually(lambda: find(alice.api.timeline_home(), post["uri"]),
                     "bob's post in alice's home")
    assert got["account"]["acct"] == handle(bob, south)
    assert got["uri"] == f"{south.url}/users/{bob.name}/statuses/{post['id']}"
    assert got["url"] == f"{south.url}/@{bob.name}/{post['id']}"
    assert "Hello north" in got["content"]
    assert got["visibility"] == "public"
    tag = f"fedtag{bob.name[-4:]}"
    assert [t["name"] for t in got["tags"]] == [tag]
    assert find(alice.api.timeline_hashtag(tag), post["uri"])
    mention = eventually(lambda: [n for n in alice.api.notifications()
                                  if n["type"] == "mention"], "alice's mention")
    assert mention[0]["status"]["uri"] == post["uri"]
    assert mention[0]["account"]["acct"] == handle(bob, south)


def test_a_followers_only_post_is_shown_to_followers_only(north, south):
    alice, carl, dora = north.user("alice"), north.user("carl"), south.user("dora")
    follows(alice, dora, south)
    post = dora.api.status_post("for my followers", visibility="private")
    got = eventually(lambda: find(alice.api.timeline_home(), post["uri"]),
                     "the post in alice's home")
    assert got["visibility"] == "private"
    r = requests.get(f"{north.url}/api/v1/statuses/{got['id']}",
                     headers={"Authorization": f"Bearer {carl.token}"})
    assert r.status_code == 404
    assert find(carl.api.timeline_public(), post["uri"]) is None


def test_a_deleted_post_goes_from_the_other_server(north, south):
    alice, eve = north.user("alice"), south.user("eve")
    follows(alice, eve, south)
    post = eve.api.status_post("soon gone")
    got = eventually(lambda: find(alice.api.timeline_home(), post["uri"]), "the post")
    eve.api.status_delete(post["id"])
    eventually(lambda: find(alice.api.timeline_home(), post["uri"]) is None,
               "the delete")
    r = requests.get(f"{north.url}/api/v1/statuses/{got['id']}",
                     headers={"Authorization": f"Bearer {alice.token}"})
    assert r.status_code == 404


def test_a_reply_across_servers_joins_the_thread_on_both(north, south):
    alice, finn = north.user("alice"), south.user("finn")
    follows(alice, finn, south)
    post = finn.api.status_post("what do you think?")
    here = eventually(lambda: find(alice.api.timeline_home(), post["uri"]), "the post")
    reply = alice.api.status_post(f"@{handle(finn, south)} I agree", in_reply_to_id=here["id"])
    assert reply["in_reply_to_id"] == here["id"]
    # on south, the reply is under finn's post, and finn was told
    ctx = eventually(lambda: finn.api.status_context(post["id"])["descendants"],
                     "the reply in finn's thread")
    assert ctx[0]["uri"] == reply["uri"]
    assert ctx[0]["account"]["acct"] == handle(alice, north)
    assert ctx[0]["in_reply_to_id"] == post["id"]


def test_a_post_from_an_account_no_one_here_follows_is_not_kept(south, peer):
    gia = south.user("gia")
    uri = peer.actor("stranger")
    tag = f"unasked{gia.name[-5:]}"
    note = {"id": f"{uri}/notes/1", "type": "Note", "attributedTo": uri,
            "content": f"<p>buy now #{tag}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "tag": [{"type": "Hashtag", "name": f"#{tag}"}]}
    act = {"id": f"{uri}/notes/1/activity", "type": "Create", "actor": uri, "object": note}
    assert peer.post("stranger", f"{south.url}/inbox", act).status_code == 202
    time.sleep(1.0)
    assert gia.api.timeline_hashtag(tag) == []


def test_a_remote_post_is_sanitised_and_kept_once(south, peer):
    hana = south.user("hana")
    uri = peer.actor("poster")
    # hana follows the peer's actor (it accepts nothing, so mark it by hand:
    # the peer's Follow of hana is what makes hana... instead follow via API)
    acc = hana.api.account_lookup(f"poster@{peer.url.split('://')[1]}")
    hana.api.account_follow(acc["id"])
    follow_req = eventually(lambda: [x for x in peer.received
                                     if json.loads(x[2]).get("type") == "Follow"
                                     and json.loads(x[2])["actor"].endswith(hana.name)],
                            "hana's Follow at the peer")
    fol = json.loads(follow_req[0][2])
    accept = {"id": f"{uri}#accepts/1", "type": "Accept", "actor": uri, "object": fol}
    assert peer.post("poster", f"{south.url}/users/{hana.name}/inbox", accept).status_code == 202
    eventually(lambda: hana.api.account_relationships(acc["id"])[0]["following"], "the Accept")
    note = {"id": f"{uri}/notes/7", "type": "Note", "attributedTo": uri,
            "content": '<p onclick="x()">hi<script>alert(1)</script> <a href="javascript:y()">l</a></p>',
            "summary": "cw here", "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    for n in (1, 2):  # the same Note in two Creates (shared and personal inbox)
        act = {"id": f"{uri}/notes/7/activity/{n}", "type": "Create", "actor": uri, "object": note}
        inbox = f"{south.url}/inbox" if n == 1 else f"{south.url}/users/{hana.name}/inbox"
        assert peer.post("poster", inbox, act).status_code == 202
    got = eventually(lambda: [s for s in hana.api.timeline_home() if s["uri"] == note["id"]],
                     "the Note in hana's home")
    time.sleep(0.5)
    got = [s for s in hana.api.timeline_home() if s["uri"] == note["id"]]
    assert len(got) == 1
    s = got[0]
    assert "script" not in s["content"] and "onclick" not in s["content"]
    assert "javascript" not in s["content"] and "hi" in s["content"]
    assert s["spoiler_text"] == "cw here" and s["sensitive"] is True


# ---- interactions across servers ------------------------------------------

def remote_post(viewer, author, inst, text, **kw):
    """viewer follows author of inst, who posts text; returns (the post on
    author's server, the same post as viewer's server shows it)."""
    follows(viewer, author, inst)
    post = author.api.status_post(text, **kw)
    here = eventually(lambda: find(viewer.api.timeline_home(), post["uri"]),
                      "the post in the follower's home")
    return post, here


def test_a_favourite_and_its_undo_reach_the_author(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    post, here = remote_post(alice, bob, south, "like me")
    alice.api.status_favourite(here["id"])
    eventually(lambda: bob.api.status(post["id"])["favourites_count"] == 1,
               "the favourite counted on bob's server")
    fav = eventually(lambda: [n for n in bob.api.notifications()
                              if n["type"] == "favourite"], "bob's notification")
    assert fav[0]["account"]["acct"] == handle(alice, north)
    assert fav[0]["status"]["id"] == post["id"]
    assert [a["acct"] for a in bob.api.status_favourited_by(post["id"])] == [handle(alice, north)]
    alice.api.status_unfavourite(here["id"])
    eventually(lambda: bob.api.status(post["id"])["favourites_count"] == 0,
               "the favourite undone on bob's server")


def test_a_boost_across_servers_reaches_the_author_and_the_boosters_followers(north, south):
    alice, bob, carl = north.user("alice"), south.user("bob"), south.user("carl")
    post, here = remote_post(alice, bob, south, "boost me")
    follows(carl, alice, north)  # carl, on bob's server, follows alice
    alice.api.status_reblog(here["id"])
    eventually(lambda: bob.api.status(post["id"])["reblogs_count"] == 1,
               "the boost counted on bob's server")
    boost = eventually(lambda: [n for n in bob.api.notifications()
                                if n["type"] == "reblog"], "bob's notification")
    assert boost[0]["account"]["acct"] == handle(alice, north)
    # carl sees alice's boost of bob's post in his home, as one of his own
    # server's posts wrapped in a boost by a remote account
    got = eventually(lambda: [s for s in carl.api.timeline_home()
                              if s["reblog"] and s["reblog"]["id"] == post["id"]],
                     "the boost in carl's home")
    assert got[0]["account"]["acct"] == handle(alice, north)
    alice.api.status_unreblog(here["id"])
    eventually(lambda: bob.api.status(post["id"])["reblogs_count"] == 0,
               "the boost undone on bob's server")
    assert not [s for s in carl.api.timeline_home()
                if s["reblog"] and s["reblog"]["id"] == post["id"]]


def test_an_edit_reaches_the_other_server(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    post, here = remote_post(alice, bob, south, "frist post", spoiler_text="cw")
    bob.api.status_update(post["id"], "first post, spelt right", spoiler_text="new cw")
    got = eventually(lambda: (lambda s: s if "spelt right" in s["content"] else None)(
        alice.api.status(here["id"])), "the edit on alice's server")
    assert got["edited_at"] is not None
    assert got["spoiler_text"] == "new cw"
    assert got["id"] == here["id"] and got["uri"] == post["uri"]
    history = alice.api.status_history(here["id"])
    assert [("frist" in h["content"], "spelt" in h["content"]) for h in history] == \
        [(True, False), (False, True)]


def test_a_block_across_servers_ends_follows_and_is_lifted(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    bob_here = follows(alice, bob, south)
    alice_there = follows(bob, alice, north)
    bob.api.account_block(alice_there["id"])

    def rel():
        return alice.api.account_relationships(bob_here["id"])[0]
    eventually(lambda: rel()["blocked_by"], "the block on alice's server")
    r = rel()
    assert not r["following"] and not r["followed_by"]
    assert handle(bob, south) not in followers(alice)
    bob.api.account_unblock(alice_there["id"])
    eventually(lambda: not rel()["blocked_by"], "the unblock on alice's server")


def test_a_remote_profile_update_and_account_deletion_are_applied(south, peer):
    ivy = south.user("ivy")
    uri = peer.actor("changing")
    acct = f"changing@{peer.host}"
    assert ivy.api.account_lookup(acct)["display_name"] in ("", "changing")
    peer.actors["changing"][1]["name"] = "Changed Name"
    update = {"id": f"{uri}#updates/1", "type": "Update", "actor": uri,
              "object": peer.actors["changing"][1]}
    assert peer.post("changing", f"{south.url}/inbox", update).status_code == 202
    eventually(lambda: ivy.api.account_lookup(acct)["display_name"] == "Changed Name",
               "the new name on south")
    delete = {"id": f"{uri}#delete", "type": "Delete", "actor": uri, "object": uri,
              "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    assert peer.post("changing", f"{south.url}/inbox", delete).status_code == 202
    del peer.actors["changing"]  # its documents are gone: 404 from now on

    def gone():
        r = requests.get(f"{south.url}/api/v1/accounts/lookup", params={"acct": acct},
                         headers={"Authorization": f"Bearer {ivy.token}"})
        return r.status_code == 404
    eventually(gone, "the account gone from south")


def test_a_like_or_boost_by_someone_who_cannot_see_the_post_changes_nothing(south, peer):
    jo = south.user("jo")
    post = jo.api.status_post("only for my followers", visibility="private")
    local_uri = f"{south.url}/users/{jo.name}/statuses/{post['id']}"
    uri = peer.actor("outsider")
    like = {"id": f"{uri}#likes/1", "type": "Like", "actor": uri, "object": local_uri}
    boost = {"id": f"{uri}/boosts/1", "type": "Announce", "actor": uri, "object": local_uri,
             "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    for act in (like, boost):
        assert peer.post("outsider", f"{south.url}/inbox", act).status_code == 202
    time.sleep(1.0)
    s = jo.api.status(post["id"])
    assert s["favourites_count"] == 0 and s["reblogs_count"] == 0
    assert [n for n in jo.api.notifications() if n["type"] in ("favourite", "reblog")] == []


def test_a_profile_change_reaches_followers_on_other_servers(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    bob_here = follows(alice, bob, south)
    bob.api.account_update_credentials(display_name="Bob Renamed", note="new bio")
    got = eventually(lambda: (lambda a: a if a["display_name"] == "Bob Renamed" else None)(
        alice.api.account(bob_here["id"])), "the new profile on north")
    assert "new bio" in got["note"]


def test_public_and_tag_timelines_split_local_and_remote(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    tag = f"split{bob.name[-5:]}"
    follows(alice, bob, south)
    theirs = bob.api.status_post(f"from the south #{tag}")
    mine = alice.api.status_post(f"from the north #{tag}")
    eventually(lambda: find(alice.api.timeline_home(), theirs["uri"]), "bob's post")

    def uris(path, **params):
        r = requests.get(f"{north.url}{path}", params={"limit": 40, **params}, timeout=10)
        assert r.status_code == 200, r.text
        return {s["uri"] for s in r.json()}
    both = {theirs["uri"], mine["uri"]}
    for path in ("/api/v1/timelines/public", f"/api/v1/timelines/tag/{tag}"):
        assert both <= uris(path)
        assert mine["uri"] in uris(path, local="true")
        assert theirs["uri"] not in uris(path, local="true")
        assert theirs["uri"] in uris(path, remote="true")
        assert mine["uri"] not in uris(path, remote="true")
        # Mastodon: local wins when both are asked
        assert theirs["uri"] not in uris(path, local="true", remote="true")


def test_streams_tell_local_from_remote_posts(north, south):
    import websocket
    alice, bob = north.user("alice"), south.user("bob")
    tag = f"stream{bob.name[-5:]}"
    follows(alice, bob, south)
    url = north.url.replace("http://", "ws://") + f"/api/v1/streaming?access_token={alice.token}"
    ws = websocket.create_connection(url, timeout=5)
    try:
        for sub in ({"stream": "public:local"}, {"stream": "public:remote"},
                    {"stream": "hashtag", "tag": tag}, {"stream": "hashtag:local", "tag": tag}):
            ws.send(json.dumps({"type": "subscribe", **sub}))
        time.sleep(0.3)
        theirs = bob.api.status_post(f"streamed from the south #{tag}")
        mine = alice.api.status_post(f"streamed from the north #{tag}")
        seen = {}  # uri -> the streams it came on
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and sum(len(v) for v in seen.values()) < 5:
            ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                ev = json.loads(ws.recv() or "{}")
            except websocket.WebSocketTimeoutException:
                break
            if ev.get("event") == "update":
                uri = json.loads(ev["payload"])["uri"]
                seen.setdefault(uri, set()).add(tuple(ev["stream"]))
        time.sleep(0.3)  # anything that should not come has had its chance
        ws.settimeout(0.3)
        try:
            while True:
                ev = json.loads(ws.recv() or "{}")
                if ev.get("event") == "update":
                    uri = json.loads(ev["payload"])["uri"]
                    seen.setdefault(uri, set()).add(tuple(ev["stream"]))
        except websocket.WebSocketTimeoutException:
            pass
        assert seen.get(theirs["uri"]) == {("public:remote",), ("hashtag", tag)}
        assert seen.get(mine["uri"]) == {("public:local",), ("hashtag", tag),
                                         ("hashtag:local", tag)}
    finally:
        ws.close()


def test_web_pages_name_a_remote_author_by_the_full_handle(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    tag = f"web{bob.name[-5:]}"
    follows(alice, bob, south)
    post = bob.api.status_post(f"on a page of another server #{tag}")
    here = eventually(lambda: find(alice.api.timeline_home(), post["uri"]), "bob's post")
    acct = handle(bob, south)
    page = requests.get(f"{north.url}/tags/{tag}", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    # never "/@bob": that is a local account's address (or no one's)
    assert f'href="/@{acct}"' in page.text and f"@{acct}<" in page.text
    assert f'href="/@{bob.name}"' not in page.text
    assert f'href="/@{acct}/{here["id"]}"' in page.text
    profile = requests.get(f"{north.url}/@{acct}", headers={"Accept": "text/html"}, timeout=10)
    assert profile.status_code == 200 and "on a page of another server" in profile.text
    thread = requests.get(f"{north.url}/@{acct}/{here['id']}",
                          headers={"Accept": "text/html"}, timeout=10)
    assert thread.status_code == 200 and "on a page of another server" in thread.text
    assert requests.get(f"{north.url}/@{bob.name}", headers={"Accept": "text/html"},
                        timeout=10).status_code == 404


# ---- fetching what is not known here ------------------------------------------

def search(user, inst, q, resolve=True):
    r = requests.get(f"{inst.url}/api/v2/search", params={"q": q, "resolve": str(resolve).lower()},
                     headers={"Authorization": f"Bearer {user.token}"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_search_resolves_a_remote_handle_and_a_post_url(north, south):
    alice, bob = north.user("alice"), south.user("bob")
    assert search(alice, north, handle(bob, south), resolve=False)["accounts"] == []
    found = search(alice, north, handle(bob, south))["accounts"]
    assert [a["acct"] for a in found] == [handle(bob, south)]
    # known now: found without asking again
    assert [a["acct"] for a in search(alice, north, "@" + handle(bob, south),
                                      resolve=False)["accounts"]] == [handle(bob, south)]
    post = bob.api.status_post("find me by my address")
    got = search(alice, north, post["uri"])
    assert [s["uri"] for s in got["statuses"]] == [post["uri"]]
    assert "find me" in got["statuses"][0]["content"]
    assert got["statuses"][0]["account"]["acct"] == handle(bob, south)
    # the actor's own URL resolves to the account
    actor = search(alice, north, f"{south.url}/users/{bob.name}")["accounts"]
    assert [a["acct"] for a in actor] == [handle(bob, south)]
    # a followers-only post is not for anyone who asks
    hidden = bob.api.status_post("for followers", visibility="private")
    assert search(alice, north, hidden["uri"])["statuses"] == []
    # anonymous readers may not make the server ask another
    r = requests.get(f"{north.url}/api/v2/search", params={"q": post["uri"], "resolve": "true"})
    assert r.status_code == 401
    # once bob blocks alice (his Block reaches north), his posts are not
    # hers to find, fetched or kept
    later = bob.api.status_post("not for alice")
    bob.api.account_block(remote(bob, alice, north)["id"])
    bob_here = found[0]
    eventually(lambda: alice.api.account_relationships(bob_here["id"])[0]["blocked_by"],
               "bob's Block on north")
    assert search(alice, north, post["uri"])["statuses"] == []
    assert search(alice, north, later["uri"])["statuses"] == []


def test_a_boost_of_a_post_not_known_here_brings_the_post(north, south):
    alice, carl, dan = north.user("alice"), south.user("carl"), south.user("dan")
    follows(alice, carl, south)
    post = dan.api.status_post("no one on north follows me")
    carl.api.status_reblog(post["id"])
    got = eventually(lambda: [s for s in alice.api.timeline_home()
                              if s["reblog"] and s["reblog"]["uri"] == post["uri"]],
                     "carl's boost in alice's home")
    assert got[0]["account"]["acct"] == handle(carl, south)
    assert got[0]["reblog"]["account"]["acct"] == handle(dan, south)
    assert "no one on north" in got[0]["reblog"]["content"]


def test_a_reply_to_a_post_not_known_here_brings_its_thread(north, south):
    alice, carl, dan = north.user("alice"), south.user("carl"), south.user("dan")
    carl_here = follows(alice, carl, south)
    root = dan.api.status_post("the start of a thread")
    middle = dan.api.status_post("and more", in_reply_to_id=root["id"])
    reply = carl.api.status_post(f"@{dan.name} an answer", in_reply_to_id=middle["id"])
    # (a reply to someone alice does not follow is not in her home)
    got = eventually(lambda: find(alice.api.account_statuses(carl_here["id"]), reply["uri"]),
                     "carl's reply on north")
    assert got["in_reply_to_id"] is not None
    ancestors = alice.api.status_context(got["id"])["ancestors"]
    assert [s["uri"] for s in ancestors] == [root["uri"], middle["uri"]]


# ---- instance blocks (chorus domain block) ----------------------------------

def domain_cli(inst, *args, check=True):
    return inst.server.cli("domain", *args, *inst.server.backend_args(), check=check)


def peer_followed_by(user, inst, peer, name):
    """user of inst follows the peer's actor name (the peer accepts);
    returns (its uri, the account as inst shows it)."""
    uri = peer.actor(name)
    acc = user.api.account_lookup(f"{name}@{peer.host}")
    user.api.account_follow(acc["id"])
    sent = eventually(lambda: [json.loads(x[2]) for x in peer.received
                               if json.loads(x[2]).get("type") == "Follow"
                               and json.loads(x[2])["actor"].endswith("/" + user.name)
                               and json.loads(x[2])["object"] == uri],
                      "the Follow at the peer")
    accept = {"id": f"{uri}#accepts/{user.name}", "type": "Accept", "actor": uri,
              "object": sent[0]}
    assert peer.post(name, f"{inst.url}/users/{user.name}/inbox", accept).status_code == 202
    eventually(lambda: user.api.account_relationships(acc["id"])[0]["following"],
               "the Accept")
    return uri, acc


def peer_note(uri, n, text, mention=None):
    note = {"id": f"{uri}/notes/{n}", "type": "Note", "attributedTo": uri,
            "content": f"<p>{text}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    if mention:
        note["tag"] = [{"type": "Mention", "href": mention}]
    return {"id": f"{uri}/notes/{n}/activity", "type": "Create", "actor": uri,
            "object": note}


def test_activities_that_wait_together_are_processed_in_order(south, peer):
    """Activities waiting at once are processed as one batch, their posts
    written together: in the order they came, so a post deleted right
    after it arrived stays deleted, and a reply to a post of the same
    batch joins its thread."""
    ivy = south.user("ivy")
    uri, _ = peer_followed_by(ivy, south, peer, "burster")
    inbox = f"{south.url}/inbox"
    peer.delay = 1.5  # the first two's parents, fetched slowly, hold the workers
    try:
        for n in (0, 1):
            first = peer_note(uri, n, "first")
            first["object"]["inReplyTo"] = f"{uri}/notes/99{n}"
            assert peer.post("burster", inbox, first).status_code == 202
            eventually(lambda: f"/users/burster/notes/99{n}" in "".join(peer.fetched),
                       "the slow fetch of a first one's parent")
        for n in range(2, 12):
            assert peer.post("burster", inbox, peer_note(uri, n, f"burst {n}")).status_code == 202
            if n % 2 == 0:
                delete = {"id": f"{uri}/notes/{n}#delete", "type": "Delete",
                          "actor": uri, "object": f"{uri}/notes/{n}"}
                assert peer.post("burster", inbox, delete).status_code == 202
        for n, parent in ((20, 3), (30, None), (31, 30)):
            note = peer_note(uri, n, f"an answer to {parent}")
            if parent:
                note["object"]["inReplyTo"] = f"{uri}/notes/{parent}"
            assert peer.post("burster", inbox, note).status_code == 202
        last = peer_note(uri, 21, "the last")
        assert peer.post("burster", inbox, last).status_code == 202
    finally:
        peer.delay = 0.0

    def home():
        return {s["uri"]: s for s in ivy.api.timeline_home(limit=40)}
    eventually(lambda: all(f"{uri}/notes/{n}" in home() for n in (0, 1, 21)),
               "the burst in ivy's home")
    got = home()
    for n in range(0, 12):
        assert (f"{uri}/notes/{n}" in got) == (n % 2 == 1 or n == 0), n
    for n, parent in ((20, 3), (31, 30)):
        reply = got[f"{uri}/notes/{n}"]
        assert reply["in_reply_to_id"] == got[f"{uri}/notes/{parent}"]["id"]
        ancestors = ivy.api.status_context(reply["id"])["ancestors"]
        assert [a["uri"] for a in ancestors] == [f"{uri}/notes/{parent}"]


def peer_image(peer, name, exif=False):
    """A JPEG served by the peer at /media/name, as a Note's attachment;
    with exif, it carries a GPS position and a camera maker."""
    from PIL import Image
    import io
    img = Image.new("RGB", (90, 60), (10, 120, 200))
    out = io.BytesIO()
    if exif:
        e = Image.Exif()
        e[0x010F] = "SecretPhone"  # Make
        e[0x8825] = {1: "N", 2: (40.0, 41.0, 21.0)}  # GPS latitude
        img.save(out, "JPEG", exif=e)
    else:
        img.save(out, "JPEG")
    peer.files[f"/media/{name}"] = ("image/jpeg", out.getvalue())
    return {"type": "Document", "mediaType": "image/jpeg", "url": f"{peer.url}/media/{name}",
            "name": f"alt for {name}", "focalPoint": [0.5, -0.25]}


def test_a_remote_accounts_avatar_and_header_are_kept_here(south, peer):
    uri = peer.actor("portrait")
    doc = peer.actors["portrait"][1]
    doc["icon"] = {"type": "Image", "mediaType": "image/jpeg",
                   "url": peer_image(peer, "face.jpg", exif=True)["url"]}
    doc["image"] = {"type": "Image", "url": peer_image(peer, "banner.jpg")["url"]}
    viewer = south.user("viewer")
    acc = viewer.api.account_lookup(f"portrait@{peer.host}")
    for field in ("avatar", "header"):
        assert acc[field].startswith(south.url + "/media/"), acc[field]
        served = requests.get(acc[field], timeout=10)
        assert served.status_code == 200 and b"SecretPhone" not in served.content
    # the same image is not fetched again; a new one is, on an Update
    fetched = peer.fetched.count("/media/face.jpg")
    doc["icon"]["url"] = peer_image(peer, "face2.jpg")["url"]
    upd = {"id": f"{uri}#updates/1", "type": "Update", "actor": uri, "object": doc}
    assert peer.post("portrait", f"{south.url}/inbox", upd).status_code == 202
    eventually(lambda: viewer.api.account(acc["id"])["avatar"] != acc["avatar"], "the new avatar")
    assert peer.fetched.count("/media/face.jpg") == fetched
    assert requests.get(acc["avatar"], timeout=10).status_code == 404  # the old file went


def test_a_remote_posts_image_is_kept_here_stripped_and_served_from_here(south, peer):
    ria = south.user("ria")
    uri, _ = peer_followed_by(ria, south, peer, "photog")
    assert b"SecretPhone" in (lambda a: peer.files[a["url"][len(peer.url):]][1])(
        peer_image(peer, "march.jpg", exif=True))
    act = peer_note(uri, 1, "from the march")
    act["object"]["attachment"] = [peer_image(peer, "march.jpg", exif=True),
                                   {"type": "Document", "mediaType": "image/png",
                                    "url": f"{peer.url}/media/missing.png"}]
    assert peer.post("photog", f"{south.url}/inbox", act).status_code == 202
    got = eventually(lambda: find(ria.api.timeline_home(), act["object"]["id"]), "the post")
    # the one that could be fetched, from here; the missing one left out
    assert len(got["media_attachments"]) == 1, got["media_attachments"]
    m = got["media_attachments"][0]
    assert m["type"] == "image" and m["description"] == "alt for march.jpg"
    assert m["url"].startswith(south.url) and m["preview_url"].startswith(south.url)
    assert m["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert m["blurhash"]
    served = requests.get(m["url"], timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("image/")
    assert b"SecretPhone" not in served.content and b"GPS" not in served.content


def test_a_remote_edit_changes_the_posts_media_and_keeps_what_it_kept(south, peer):
    """An Update that lists attachments makes them the post's: one it
    had (same address) is kept, not fetched again, with its new
    description; a new one is fetched; one no longer listed goes. An
    Update without an attachment list keeps them; an empty list ends
    them. Another actor of the same server cannot touch them."""
    una = south.user("una")
    uri, _ = peer_followed_by(una, south, peer, "editor")
    act = peer_note(uri, 1, "two pictures")
    act["object"]["attachment"] = [peer_image(peer, "one.jpg"), peer_image(peer, "two.jpg")]
    assert peer.post("editor", f"{south.url}/inbox", act).status_code == 202
    got = eventually(lambda: find(una.api.timeline_home(), act["object"]["id"]), "the post")
    first = [m["id"] for m in got["media_attachments"]]
    assert len(first) == 2

    def edit(n, attachment=None, actor="editor", text="edited"):
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + n))
        note = dict(act["object"], content=f"<p>{text} {n}</p>", updated=later)
        if attachment is not None:
            note["attachment"] = attachment
        else:
            note.pop("attachment", None)
        by = f"{peer.url}/users/{actor}"
        update = {"id": f"{act['object']['id']}#updates/{n}", "type": "Update",
                  "actor": by, "object": dict(note, attributedTo=by)}
        assert peer.post(actor, f"{south.url}/inbox", update).status_code == 202
        return eventually(lambda: [s for s in [una.api.status(got["id"])]
                                   if f"{text} {n}" in s["content"]] if actor == "editor"
                          else True, "the edit")

    one = peer_image(peer, "one.jpg")
    one["name"] = "a new description"
    fetched_one = peer.fetched.count("/media/one.jpg")
    s = edit(2, [one, peer_image(peer, "three.jpg")])[0]
    media = s["media_attachments"]
    assert [m["id"] for m in media][0] == first[0]
    assert media[0]["description"] == "a new description"
    assert media[1]["id"] not in first and media[1]["url"].startswith(south.url)
    assert peer.fetched.count("/media/one.jpg") == fetched_one  # kept, not fetched again
    assert "/media/three.jpg" in peer.fetched

    s = edit(3)[0]  # no attachment list: kept
    assert [m["id"] for m in s["media_attachments"]] == [m["id"] for m in media]

    peer.actor("intruder")  # same server, another actor
    intrusion = dict(one, name="not theirs to change")
    edit(4, [intrusion], actor="intruder")
    time.sleep(1.0)
    s = una.api.status(got["id"])
    assert s["media_attachments"][0]["description"] == "a new description"

    s = edit(5, [])[0]  # an empty list: none left
    assert s["media_attachments"] == []


def test_remote_edits_are_dated_by_their_server_and_a_late_one_is_dropped(south, peer):
    """Edits a minute old, one second apart, are both applied: each is
    dated by the `updated` its server gave, not by when it arrived. An
    edit older than the one shown, arriving last, changes nothing."""
    una = south.user("una")
    uri, _ = peer_followed_by(una, south, peer, "reviser")
    act = peer_note(uri, 1, "first words")
    assert peer.post("reviser", f"{south.url}/inbox", act).status_code == 202
    got = eventually(lambda: find(una.api.timeline_home(), act["object"]["id"]), "the post")
    start = int(time.time()) - 60

    def edit(n, at):
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
        note = dict(act["object"], content=f"<p>words {n}</p>", updated=when)
        update = {"id": f"{act['object']['id']}#updates/{n}", "type": "Update",
                  "actor": uri, "object": note}
        assert peer.post("reviser", f"{south.url}/inbox", update).status_code == 202
        return when

    edit(1, start)
    eventually(lambda: "words 1" in una.api.status(got["id"])["content"], "the first edit")
    edit(2, start + 1)
    s = eventually(lambda: (lambda s: s if "words 2" in s["content"] else None)(
        una.api.status(got["id"])), "the second edit, a second later")
    assert s["edited_at"].timestamp() == start + 1, s["edited_at"]
    edit(3, start - 30)  # older than both, delivered last
    time.sleep(1.0)
    assert "words 2" in una.api.status(got["id"])["content"]
    history = requests.get(f"{south.url}/api/v1/statuses/{got['id']}/history",
                           headers={"Authorization": f"Bearer {una.token}"}).json()
    assert [h["content"] for h in history][1:] == ["<p>words 1</p>", "<p>words 2</p>"]


def moderator(inst):
    """A new moderator of inst, logged in with the admin scopes."""
    name = unique_name("mod")
    inst.server.create_user(name, f"{name}@example.com", f"pw-{name}", role="moderator")
    return login(inst.server, f"{name}@example.com", f"pw-{name}",
                 scopes=["read", "write", "admin:read", "admin:write"])


def test_a_forwarded_report_reaches_the_reported_accounts_server_unsigned_by_the_reporter(
        south, peer):
    """A report of an account elsewhere, forwarded: its server gets a Flag
    from the instance actor naming the account and the reported post,
    with the comment, and not the reporter."""
    una = south.user("una")
    uri, acc = peer_followed_by(una, south, peer, "troll")
    act = peer_note(uri, 1, "an insult")
    assert peer.post("troll", f"{south.url}/inbox", act).status_code == 202
    got = eventually(lambda: find(una.api.timeline_home(), act["object"]["id"]), "the post")
    report = una.api.report(acc["id"], status_ids=[got["id"]], comment="abuse", forward=True)
    assert report["forwarded"] is True

    def flags():
        return [(p, json.loads(b)) for p, _, b in peer.received
                if json.loads(b).get("type") == "Flag"]
    path, flag = eventually(flags, "the Flag at the troll's server")[0]
    assert path == "/users/troll/inbox"
    assert flag["actor"] == f"{south.url}/actor"
    assert set(flag["object"]) == {uri, act["object"]["id"]}
    assert flag["content"] == "abuse"
    assert una.name not in json.dumps(flag)
    # not forwarded: nothing sent
    una.api.report(acc["id"], comment="kept here")
    time.sleep(1.0)
    assert len(flags()) == 1


def test_a_flag_from_another_server_becomes_a_report_once(south, peer):
    vic = south.user("vic")
    post = vic.api.status_post("reported from afar")
    mod = moderator(south)
    uri = peer.actor("flagger")
    flag = {"id": f"{uri}#flags/1", "type": "Flag", "actor": uri,
            "content": "spam from your user",
            "object": [f"{south.url}/users/{vic.name}",
                       f"{south.url}/users/{vic.name}/statuses/{post['id']}",
                       f"{south.url}/users/{vic.name}/statuses/1"]}

    def reports():
        return [r for r in mod.admin_reports()
                if str(r["target_account"]["id"]) == str(vic.id)]
    for _ in range(2):  # delivered twice
        assert peer.post("flagger", f"{south.url}/inbox", flag).status_code == 202
    r = eventually(reports, "the report")[0]
    assert r["comment"] == "spam from your user"
    assert r["account"]["username"] == "flagger" and r["account"]["domain"] == peer.host
    assert [s["id"] for s in r["statuses"]] == [post["id"]]
    again = dict(flag, id=f"{uri}#flags/2")  # another Flag: another report
    assert peer.post("flagger", f"{south.url}/inbox", again).status_code == 202
    eventually(lambda: len(reports()) == 2, "the second report")
    time.sleep(0.5)
    assert len(reports()) == 2


def test_a_boost_reaches_a_server_of_followers_and_of_the_author_once(south, peer):
    cy = south.user("cy")
    author = peer.actor("boosted", shared_inbox=True)
    peer.actor("fan", shared_inbox=True)
    assert peer.post("fan", f"{south.url}/inbox",
                     follow(peer, "fan", f"{south.url}/users/{cy.name}")).status_code == 202
    eventually(lambda: followers(cy), "the follow")
    note = peer_note(author, 1, "boost me")
    peer.files["/users/boosted/notes/1"] = ("application/activity+json",
                                            json.dumps(note["object"]).encode())
    found = eventually(lambda: cy.api.search(note["object"]["id"], resolve=True)["statuses"],
                       "the post")
    cy.api.status_reblog(found[0]["id"])

    def announces():
        return [p for p, _, b in peer.received if json.loads(b).get("type") == "Announce"
                and json.loads(b)["actor"].endswith("/" + cy.name)]

    eventually(announces, "the Announce")
    time.sleep(1.0)  # a second one would come within this
    assert announces() == ["/inbox"]


def test_a_followers_only_post_is_served_to_a_followers_signed_fetch(south, peer):
    fo = south.user("fo")
    peer.actor("insider")
    peer.actor("outsider")
    assert peer.post("insider", f"{south.url}/inbox",
                     follow(peer, "insider", f"{south.url}/users/{fo.name}")).status_code == 202
    eventually(lambda: followers(fo), "the follow")
    post = fo.api.status_post("for my followers", visibility="private")
    url = post["uri"]
    assert requests.get(url, headers={"Accept": "application/activity+json"},
                        timeout=10).status_code == 404
    assert peer.get("outsider", url).status_code == 404
    r = peer.get("insider", url)
    assert r.status_code == 200, r.text
    assert r.json()["id"] == url and r.json()["content"].find("for my followers") >= 0
    assert "no-store" in r.headers.get("Cache-Control", "")


def test_a_signed_fetch_by_a_blocked_actor_gets_nothing(south, peer):
    bo = south.user("bo")
    peer.actor("shunned")
    acc = bo.api.account_lookup(f"shunned@{peer.host}")
    post = bo.api.status_post("public, but not for the shunned")
    assert peer.get("shunned", post["uri"]).status_code == 200
    bo.api.account_block(acc["id"])
    assert peer.get("shunned", post["uri"]).status_code == 404
    # anyone else still gets it
    assert requests.get(post["uri"], headers={"Accept": "application/activity+json"},
                        timeout=10).status_code == 200


def test_authorized_fetch_serves_documents_only_to_signed_gets(tmp_path, peer):
    config = FED_CONFIG + "[federation]\nauthorized_fetch = true\n"
    srv = ChorusServer(chorus_bin(), tmp_path / "secure", config=config)
    srv.start()
    try:
        user = Instance(srv).user("guarded")
        post = user.api.status_post("public, but only for servers that say who they are")
        peer.actor("asker")
        accept = {"Accept": "application/activity+json"}
        assert requests.get(post["uri"], headers=accept, timeout=10).status_code == 401
        r = peer.get("asker", post["uri"])
        assert r.status_code == 200, r.text
        outbox = f"{srv.url}/users/{user.name}/outbox"
        assert requests.get(outbox, headers=accept, timeout=10).status_code == 401
        assert peer.get("asker", outbox).status_code == 200
        # the actor (its key) is served to anyone: signatures need it
        assert requests.get(f"{srv.url}/users/{user.name}", headers=accept,
                            timeout=10).status_code == 200
        # and a browser still gets the page
        assert requests.get(post["url"], timeout=10).status_code == 200
    finally:
        assert srv.stop() == 0, srv.log_tail()


def test_a_fetched_posts_answers_are_fetched_too(south, peer):
    teller = peer.actor("teller")
    answerer = peer.actor("answerer")
    top = peer_note(teller, 1, "the story")["object"]
    answers = [peer_note(answerer, k, f"heard you, {k}")["object"] for k in (1, 2)]
    for a in answers:
        a["inReplyTo"] = top["id"]
    # the replies collection named by its address, its first page too
    top["replies"] = f"{teller}/notes/1/replies"
    collection = {"id": top["replies"], "type": "Collection", "first": f"{top['replies']}?page=1"}
    page = {"id": f"{top['replies']}?page=1", "type": "CollectionPage",
            "partOf": top["replies"], "items": [a["id"] for a in answers]}
    for doc in [top, collection, page] + answers:
        path = urlparse(doc["id"]).path + (("?" + urlparse(doc["id"]).query)
                                           if urlparse(doc["id"]).query else "")
        peer.files[path] = ("application/activity+json", json.dumps(doc).encode())
    reader = south.user("listener")
    [found] = reader.api.search(top["id"], resolve=True)["statuses"]
    thread = eventually(lambda: len(reader.api.status_context(found["id"])["descendants"]) == 2
                        and reader.api.status_context(found["id"]), "the answers in the thread")
    assert {d["uri"] for d in thread["descendants"]} == {a["id"] for a in answers}


def test_a_move_is_followed_only_when_the_new_account_names_the_old(south, peer):
    sam = south.user("sam")
    old_uri, old_acc = peer_followed_by(sam, south, peer, "oldhome")
    new_uri = peer.actor("newhome")
    liar_uri, _ = peer_followed_by(sam, south, peer, "liar")

    def follows_sent(target):
        return [json.loads(b) for _, _, b in peer.received
                if json.loads(b).get("type") == "Follow" and json.loads(b)["object"] == target
                and json.loads(b)["actor"].endswith("/" + sam.name)]

    # a Move to an account that does not name the mover is not believed
    lie = {"id": f"{liar_uri}#moves/1", "type": "Move", "actor": liar_uri,
           "object": liar_uri, "target": new_uri}
    assert peer.post("liar", f"{south.url}/inbox", lie).status_code == 202
    time.sleep(1.0)
    assert follows_sent(new_uri) == []
    # named as an alias, the move is followed: sam follows the new account
    peer.actors["newhome"][1]["alsoKnownAs"] = [old_uri]
    move = {"id": f"{old_uri}#moves/1", "type": "Move", "actor": old_uri,
            "object": old_uri, "target": new_uri}
    assert peer.post("oldhome", f"{south.url}/inbox", move).status_code == 202
    eventually(lambda: follows_sent(new_uri), "the Follow of the new account")
    undo = eventually(lambda: [json.loads(b) for _, _, b in peer.received
                               if json.loads(b).get("type") == "Undo"
                               and json.loads(b)["object"].get("object") == old_uri
                               and json.loads(b)["actor"].endswith("/" + sam.name)],
                      "the Undo of the old follow")
    # it names the Follow it ends by that Follow's id
    [followed] = follows_sent(old_uri)
    assert undo[0]["object"]["id"] == followed["id"], (undo, followed)
    moved = sam.api.account(old_acc["id"]).get("moved")
    assert moved and moved["acct"] == f"newhome@{peer.host}", moved
    assert not sam.api.account_relationships(old_acc["id"])[0]["following"]


def test_a_suspended_server_is_neither_heard_nor_asked_and_its_accounts_go(south, peer):
    kim = south.user("kim")
    uri, acc = peer_followed_by(kim, south, peer, "susp")
    act = peer_note(uri, 1, "before the block")
    assert peer.post("susp", f"{south.url}/inbox", act).status_code == 202
    eventually(lambda: find(kim.api.timeline_home(), act["object"]["id"]), "the post")
    out = domain_cli(south, "block", peer.host, "--severity", "suspend").stdout
    assert "suspended" in out
    try:
        assert f"{peer.host}\tsuspend\t-\t" in domain_cli(south, "list").stdout

        def gone():
            r = requests.get(f"{south.url}/api/v1/accounts/{acc['id']}",
                             headers={"Authorization": f"Bearer {kim.token}"})
            return r.status_code == 404
        eventually(gone, "the suspended server's account removed")
        assert find(kim.api.timeline_home(), act["object"]["id"]) is None
        # nothing more is taken from it, nor asked of it
        again = peer_note(uri, 2, "after the block")
        r = peer.post("susp", f"{south.url}/inbox", again)
        assert r.status_code == 403, r.text
        peer.actor("other")
        fetched = len(peer.fetched)
        r = requests.get(f"{south.url}/api/v1/accounts/lookup",
                         params={"acct": f"other@{peer.host}"},
                         headers={"Authorization": f"Bearer {kim.token}"})
        assert r.status_code == 404
        assert len(peer.fetched) == fetched
    finally:
        assert "unblocked" in domain_cli(south, "unblock", peer.host).stdout
    assert domain_cli(south, "list").stdout == ""
    assert peer.post("other", f"{south.url}/inbox", follow(peer, "other", f"{south.url}/users/{kim.name}")).status_code == 202


def test_a_silenced_server_reaches_only_those_who_follow_its_accounts(south, peer):
    lee, mo = south.user("lee"), south.user("mo")
    uri, _ = peer_followed_by(lee, south, peer, "loud1")
    stranger = peer.actor("loud2")
    mine = mo.api.status_post("mo's own post")
    mine_uri = f"{south.url}/users/{mo.name}/statuses/{mine['id']}"
    mo_uri = f"{south.url}/users/{mo.name}"
    domain_cli(south, "block", peer.host, "--severity", "silence", "--reject-media")
    try:
        assert f"{peer.host}\tsilence\treject-media\t" in domain_cli(south, "list").stdout
        followed = peer_note(uri, 1, "followed, mentioning mo", mention=mo_uri)
        followed["object"]["attachment"] = [peer_image(peer, "loud.png")]
        unfollowed = peer_note(stranger, 1, "hello mo", mention=mo_uri)
        like = {"id": f"{stranger}#likes/1", "type": "Like", "actor": stranger,
                "object": mine_uri}
        for name, act in (("loud1", followed), ("loud2", unfollowed), ("loud2", like)):
            assert peer.post(name, f"{south.url}/inbox", act).status_code == 202
        # lee follows loud1: its post reaches her; mo follows no one there
        got = eventually(lambda: find(lee.api.timeline_home(), followed["object"]["id"]),
                         "the followed account's post")
        assert got["media_attachments"] == []  # --reject-media
        assert "/loud.png" not in peer.fetched
        time.sleep(1.0)
        assert [n for n in mo.api.notifications() if n["type"] in ("mention", "favourite")] == []
        assert mo.api.status(mine["id"])["favourites_count"] == 0
    finally:
        domain_cli(south, "unblock", peer.host)
    # lifted, the same server is heard again
    like2 = {"id": f"{stranger}#likes/2", "type": "Like", "actor": stranger, "object": mine_uri}
    assert peer.post("loud2", f"{south.url}/inbox", like2).status_code == 202
    eventually(lambda: mo.api.status(mine["id"])["favourites_count"] == 1, "the like after the unblock")


def test_domain_block_refuses_bad_input(south):
    # the command reads the server's address as the server does (its port
    # here; its base_url in production's config file)
    own = ("block", south.domain, "--port", str(south.server.port))
    for args in (("block", "not a host"), ("block", "example.com", "--severity", "loud"),
                 own, ("unblock", "never-blocked.example")):
        r = domain_cli(south, *args, check=False)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "chorus: cannot" in r.stderr


# ---- deliveries outlive a server that is down, and a restart ----------------

RETRY_CONFIG = FED_CONFIG.replace("allow_private_addresses = true\n",
                                  "allow_private_addresses = true\nfirst_retry_seconds = 1\n")


def test_a_server_that_was_down_gets_its_deliveries_and_a_restart_loses_none(tmp_path):
    east = ChorusServer(chorus_bin(), tmp_path / "east", config=RETRY_CONFIG)
    west = ChorusServer(chorus_bin(), tmp_path / "west", config=RETRY_CONFIG)
    east.start()
    west.start()
    try:
        e, w = Instance(east), Instance(west)
        writer, reader = e.user("writer"), w.user("reader")
        follows(reader, writer, e)
        west.stop()  # the follower's server goes down...
        first = writer.api.status_post("while you were away")
        time.sleep(1.5)  # ...a first attempt (or two) fails...
        east.proc.kill()  # ...and the sender dies with the delivery owed
        east.proc.wait()
        east._log.close()
        east.start()
        west.start()
        second = writer.api.status_post("and after the restart")
        for post in (first, second):
            eventually(lambda: find(reader.api.timeline_home(), post["uri"]),
                       f"{post['content']!r} on the follower's server", timeout=45)
    finally:
        for srv in (east, west):
            assert srv.stop() in (0, None), srv.log_tail()


@contextlib.contextmanager
def sender_followed_by(tmp_path, config, peer, prefix, actor):
    """A chorus of its own (config), and a user of it whom the peer's
    actor follows; the peer's POST answers are restored after."""
    srv = ChorusServer(chorus_bin(), tmp_path / "sender", config=config)
    srv.start()
    try:
        writer = Instance(srv).user(prefix)
        peer.actor(actor)
        r = peer.post(actor, f"{srv.url}/inbox",
                      follow(peer, actor, f"{srv.url}/users/{writer.name}"))
        assert r.status_code == 202, r.text
        eventually(lambda: followers(writer), "the follow")
        yield writer
    finally:
        peer.post_status, peer.post_delay = 202, 0.0
        assert srv.stop() == 0, srv.log_tail()


def creates_at(peer, actor):
    """The Creates the peer's actor received in its own inbox."""
    return [json.loads(b) for p, _, b in peer.received
            if p == f"/users/{actor}/inbox" and json.loads(b).get("type") == "Create"]


def test_a_server_that_stays_down_is_tried_rarely_and_then_gets_everything(tmp_path, peer):
    """Past [federation] unreachable_after_seconds of failures, one
    delivery a while (a probe) tries the server; the others wait, and
    the probe that gets through sends them all."""
    config = ("[federation]\nallow_private_addresses = true\nfirst_retry_seconds = 1\n"
              "unreachable_after_seconds = 1\nunreachable_retry_seconds = 3\n")
    with sender_followed_by(tmp_path, config, peer, "writer", "patient") as writer:
        peer.post_status = 503
        posts = [writer.api.status_post(f"owed {i}") for i in range(6)]
        time.sleep(2.5)  # first tries fail, then the server is failing for over 1 s
        tried = len(creates_at(peer, "patient"))
        time.sleep(5)
        # one probe each 3 s; six deliveries retried on their own
        # schedule would all have tried again at about 5 s
        again = len(creates_at(peer, "patient")) - tried
        assert again <= 3, again
        peer.post_status = 202
        eventually(lambda: {p["uri"] for p in posts} <=
                   {a["object"]["id"] for a in creates_at(peer, "patient")},
                   "every owed post", timeout=20)


def test_one_server_gets_at_most_server_concurrency_deliveries_at_once(tmp_path, peer):
    """Four delivery workers, a server that answers slowly, and
    [federation] server_concurrency = 2: never more than two at once,
    and everything arrives."""
    config = ("[federation]\nallow_private_addresses = true\n"
              "delivery_workers = 4\nserver_concurrency = 2\n")
    with sender_followed_by(tmp_path, config, peer, "busy", "swamped") as writer:
        peer.post_delay, peer.most_in_flight = 0.3, 0
        posts = [writer.api.status_post(f"one of many {i}") for i in range(8)]
        eventually(lambda: {p["uri"] for p in posts} <=
                   {a["object"]["id"] for a in creates_at(peer, "swamped")}, "every post")
        assert peer.most_in_flight == 2, peer.most_in_flight
