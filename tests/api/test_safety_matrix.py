"""The authorization matrix for blocks and mutes (issue 12, "Safety").

For each visibility (public, unlisted, private, direct), each relation of
the reader R to the author A, and each way a post can reach R, the tables
below say exactly what R sees. The tables are the specification; the test
builds one small world on a server of its own, reads every cell, and
reports every cell that disagrees in one failure.

The world (built once for the module):

    A  the author. After the readers' streams are open, A posts
       X[v]  one post of each visibility v, mentioning M and C, tagged #T,
             carrying the search word W;
       D[v]  one reply of each visibility under Q (C's public post), so A
             appears as a descendant (D[direct] mentions M);
       N[v]  one post of each visibility mentioning every reader but A,
             for the mention notifications;
       and favourites, boosts and follows each reader (and one post of
       each reader), for the other notifications.
    C  a third party following A: wrote P (public; A favourited and
       boosted it before the streams opened) and Q (public, the thread
       root for the descendants and the thread stream); replies publicly
       Y[v] under each X[v], so A appears as an ancestor.
    5 fans follow A and favourite X[public], X[unlisted] and X[private],
       so the public one trends (and the others, engaged as much, do not).
    Every reader but A and anonymous follows #T: that puts A's public
    posts in the home of strangers too, so home means something for the
    rows that do not follow A.

Conversations are columns of SEES (conv, n_conv, s_direct, sn_direct):
only a direct post makes a conversation, for its author and for each
account it mentions whom the mention notification reaches (Mastodon adds
the recipient's conversation where NotifyService delivers the mention:
blocks, a mute of notifications and the notification policy keep it
out). tests/api/test_conversations.py pins the rest of their behaviour.

Run alone:
  CHORUS_BIN=/work/main/build/chorus /usr/bin/python3 -m pytest -q \
      -p no:cacheprovider tests/api/test_safety_matrix.py
"""

import json
import re
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import websocket
from bs4 import BeautifulSoup

from conftest import (SANITIZED, ChorusServer, Http, assert_error, assert_json, chorus_bin,
                      logged_in_user)
from mastodon import Mastodon

VIS = ("public", "unlisted", "private", "direct")
LETTER = dict(zip(VIS, "PUFD"))  # F: followers-only

# ---- the relations ---------------------------------------------------------
#
#   self       R is A
#   follower   R follows A
#   mentioned  R does not follow A; A mentions R in X[v] and D[v]
#   stranger   R does not follow A, is not mentioned there (but follows #T)
#   anon       no token, not signed in
#   blocked    A blocked R (each had followed the other: the block cut both)
#   blocking   R blocked A (each had followed the other: the block cut both)
#
# Every reader but A and anonymous is named in the mention posts N[v].
#   muted      A muted R; R follows A (a mute changes nothing for the muted)
#   muting     R follows A and muted A (notifications=true, the default)
#   mutenn     R follows A and muted A with notifications=false
#   expired    R follows A and muted A with duration=2 s, long over by the
#              time anything is posted or read: R sees as a follower
#
# domain-blocked: chorus has no remote accounts until federation (issue
# 14), so the API cannot make an author who lives on a domain a reader
# blocks, and the relation is no column here. Its rule is pinned one
# layer down instead, in tests/unit/test_safety.c
# (test_domain_blocked_author_*): a remote author's posts, boosts of them
# and notifications from them, for each read context, hidden from the
# reader who blocks the domain, seen by one who does not, back after the
# unblock. The relation joins this matrix as a row with federation;
# until then test_domain_blocks_* below pin the endpoints (and that
# relationship.domain_blocking is false for a local account).
RELATIONS = ("self", "follower", "mentioned", "stranger", "anon",
             "blocked", "blocking", "muted", "muting", "mutenn", "expired")

# ---- SEES: which of A's posts R reaches, by visibility ----------------------
#
# Each cell spells the visibilities R sees, one slot each in the order
# P(ublic) U(nlisted) F(ollowers-only, "private") D(irect); "-" is a post R
# must not see; "n/a" a cell that does not exist (anonymous has no home).
#
#   status      GET /api/v1/statuses/X[v]: 200 (seen) or 404
#   n_status    GET /api/v1/statuses/N[v] (the posts that mention R)
#   ancestor    GET /api/v1/statuses/Y[v]/context: X[v] among the ancestors
#   descendant  GET /api/v1/statuses/Q/context: D[v] among the descendants
#   desc_ext    GET /api/v1/statuses/Q/context/descendants (chorus extension)
#   home        GET /api/v1/timelines/home
#   public      GET /api/v1/timelines/public
#   local       GET /api/v1/timelines/public?local=true
#   tag         GET /api/v1/timelines/tag/T
#   account     GET /api/v1/accounts/A/statuses (404 counts as nothing)
#   search      GET /api/v2/search?q=W&type=statuses (none for anonymous,
#               as Mastodon)
#   trends      GET /api/v1/trends/statuses (only public posts trend)
#   notif       GET /api/v1/notifications: a mention notification for N[v]
#   s_user      the user stream (R's home, live): an update for X[v]
#   s_notif     the user stream: a mention notification for N[v]
#   s_public    the public stream: X[v]
#   s_local     the public:local stream: X[v]
#   s_tag       the hashtag stream of T: X[v]
#   s_thread    the thread stream of Q: D[v] (it carries what an anonymous
#               reader may see: public and unlisted replies, docs/api.md)
#   conv        GET /api/v1/conversations: X[v] the last status of one of
#               R's conversations (X mentions M and C: only direct posts
#               make conversations, for the author and those mentioned)
#   n_conv      the same for N[v], which mentions every reader: where the
#               mention notification is delivered, the conversation is too
#   s_direct    the direct stream: a conversation event whose last status
#               is X[v]
#   sn_direct   the direct stream: the same for N[v]
#   w_thread    the web page of X[v] (/@A/ID, R signed in): 200 with the
#               post on it (seen) or 404
#   w_ancestor  the web page of Y[v]: X[v] shown above it
#   w_replies   the web page of Q: D[v] shown below it
#   w_tag       the web page /tags/T, its feed of posts: X[v] in it
#   w_busiest   the same page, its "busiest threads today": X[v] in it. Every
#               X[v] has C's public reply Y[v], X[public] a second one. The box
#               is a listing like the public timelines: public roots only,
#               whatever else the reader may open by id
#
# Blocked sees nothing anywhere. Blocking and muting keep only what is
# asked for by id (status, n_status, w_thread) — and muting also A's own
# profile (account): a mute hides A from every list but the one that is
# A's. A muted reader, and an expired mute, read as a follower.
SEES = """
path       self  follower mentioned stranger anon  blocked blocking muted muting mutenn expired
status     PUFD  PUF-     PUFD      PU--     PU--  ----    PU--     PUF-  PUF-   PUF-   PUF-
n_status   PUFD  PUFD     PUFD      PUFD     PU--  ----    PUFD     PUFD  PUFD   PUFD   PUFD
ancestor   PUFD  PUF-     PUFD      PU--     PU--  ----    ----     PUF-  ----   ----   PUF-
descendant PUFD  PUF-     PUFD      PU--     PU--  ----    ----     PUF-  ----   ----   PUF-
desc_ext   PUFD  PUF-     PUFD      PU--     PU--  ----    ----     PUF-  ----   ----   PUF-
home       PUFD  PUF-     P---      P---     n/a   ----    ----     PUF-  ----   ----   PUF-
public     P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
local      P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
tag        P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
account    PUFD  PUF-     PUFD      PU--     PU--  ----    ----     PUF-  PUF-   PUF-   PUF-
search     PUFD  PUF-     PUFD      PU--     ----  ----    ----     PUF-  ----   ----   PUF-
trends     P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
notif      n/a   PUFD     PUFD      PUFD     n/a   ----    ----     PUFD  ----   PUFD   PUFD
s_user     PUFD  PUF-     P---      P---     n/a   ----    ----     PUF-  ----   ----   PUF-
s_notif    n/a   PUFD     PUFD      PUFD     n/a   ----    ----     PUFD  ----   PUFD   PUFD
s_public   P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
s_local    P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
s_tag      P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
s_thread   PU--  PU--     PU--      PU--     PU--  ----    ----     PU--  ----   ----   PU--
conv       ---D  ----     ---D      ----     n/a   ----    ----     ----  ----   ----   ----
n_conv     ---D  ---D     ---D      ---D     n/a   ----    ----     ---D  ----   ---D   ---D
s_direct   ---D  ----     ---D      ----     n/a   ----    ----     ----  ----   ----   ----
sn_direct  ---D  ---D     ---D      ---D     n/a   ----    ----     ---D  ----   ---D   ---D
w_thread   PUFD  PUF-     PUFD      PU--     PU--  ----    PU--     PUF-  PUF-   PUF-   PUF-
w_ancestor PUFD  PUF-     PUFD      PU--     PU--  ----    ----     PUF-  ----   ----   PUF-
w_replies  PUFD  PUF-     PUFD      PU--     PU--  ----    ----     PUF-  ----   ----   PUF-
w_tag      P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
w_busiest  P---  P---     P---      P---     P---  ----    ----     P---  ----   ----   P---
"""

# ---- WHO: does R see A's part in what is not A's post? ----------------------
#
# "y" R sees it, "-" R must not, "n/a" the cell does not exist.
#
#   fav_by      A among GET /api/v1/statuses/P/favourited_by
#   boost_by    A among GET /api/v1/statuses/P/reblogged_by
#   home_boost  A's boost of P in R's home
#   n_fav       a favourite notification from A (A favourited R's post)
#   n_boost     a reblog notification from A (A boosted R's post)
#   n_follow    a follow notification from A: A followed blocked and
#               blocking before the blocks (the block takes that notification
#               away with the follow), every other reader while the streams
#               listen
#   sn_fav, sn_boost, sn_follow   the same, live on R's user stream
WHO = """
path       self  follower mentioned stranger anon  blocked blocking muted muting mutenn expired
fav_by     y     y        y         y        y     -       -        y     -      -      y
boost_by   y     y        y         y        y     -       -        y     -      -      y
home_boost y     y        -         -        n/a   -       -        y     -      -      y
n_fav      n/a   y        y         y        n/a   -       -        y     -      y      y
n_boost    n/a   y        y         y        n/a   -       -        y     -      y      y
n_follow   n/a   y        y         y        n/a   -       -        y     -      y      y
sn_fav     n/a   y        y         y        n/a   -       -        y     -      y      y
sn_boost   n/a   y        y         y        n/a   -       -        y     -      y      y
sn_follow  n/a   y        y         y        n/a   -       -        y     -      y      y
"""

# ---- FLAGS: R's relationship to A (GET /api/v1/accounts/relationships) -----
#
# Read with the matrix, after the timed mute ran out. A block cut the
# follows both ways (A followed blocked and blocking before the blocks; A
# follows every other reader while the streams listen); a mute kept them.
FLAGS = """
path                 self  follower mentioned stranger anon  blocked blocking muted muting mutenn expired
following            n/a   y        -         -        n/a   -       -        y     y      y      y
followed_by          n/a   y        y         y        n/a   -       -        y     y      y      y
blocking             n/a   -        -         -        n/a   -       y        -     -      -      -
blocked_by           n/a   -        -         -        n/a   y       -        -     -      -      -
muting               n/a   -        -         -        n/a   -       -        -     y      y      -
muting_notifications n/a   -        -         -        n/a   -       -        -     y      -      -
domain_blocking      n/a   -        -         -        n/a   -       -        -     -      -      -
"""

# ---- ACTIONS: what R may not do to A while a block stands --------------------
#
# Tried after the matrix is read (a wrongly accepted action must not
# change what the matrix saw). Each a JSON error with this status.
ACTIONS = {
    "blocked": {"follow": 403, "reply": 404, "favourite": 404, "reblog": 404},
    "blocking": {"follow": 403},
}

STREAM_WAIT = 4.0 if SANITIZED else 1.5  # seconds for the last post's events
MUTE_SECONDS = 2     # the expired row's mute, and the expiry test's


def parse_grid(text, kind):
    """{path: {relation: expected}} from a table above. kind "vis": the
    expected value is the set of visibilities seen; kind "yn": a bool.
    n/a cells are left out."""
    rows = [line.split() for line in text.strip().splitlines()]
    header, body = rows[0], rows[1:]
    assert tuple(header[1:]) == RELATIONS, f"table header {header[1:]} != {RELATIONS}"
    table = {}
    for row in body:
        assert len(row) == len(RELATIONS) + 1, f"row {row[0]!r} has {len(row) - 1} cells"
        cells = {}
        for relation, cell in zip(RELATIONS, row[1:]):
            if cell == "n/a":
                continue
            if kind == "vis":
                assert len(cell) == 4 and all(c in (LETTER[v], "-") for c, v in zip(cell, VIS)), \
                    f"bad cell {cell!r} in row {row[0]!r}"
                cells[relation] = {v for c, v in zip(cell, VIS) if c != "-"}
            else:
                assert cell in ("y", "-"), f"bad cell {cell!r} in row {row[0]!r}"
                cells[relation] = cell == "y"
        table[row[0]] = cells
    return table


EXPECT_SEES = parse_grid(SEES, "vis")
EXPECT_WHO = parse_grid(WHO, "yn")
EXPECT_FLAGS = parse_grid(FLAGS, "yn")


# ---- the server and its people ------------------------------------------------

PEOPLE = ["author", "third", "follower", "mentioned", "stranger", "blocked", "blocking",
          "muted", "muting", "mutenn", "expired"] + [f"fan{i}" for i in range(5)]
READER_OF = {"self": "author", "anon": None,
             **{r: r for r in RELATIONS if r not in ("self", "anon")}}


def password_of(name):
    return f"{name}-matrix-pw"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server for this module alone: trends and timelines hold nothing
    but the matrix's world."""
    s = ChorusServer(chorus_bin(), tmp_path_factory.mktemp("matrix"))
    for name in PEOPLE:
        s.create_user(name, f"{name}@example.com", password_of(name))
    s.start()
    yield s
    assert s.stop() == 0, f"the matrix server did not stop cleanly\n{s.log_tail(limit=3000)}"


class World(SimpleNamespace):
    """The people, the posts and what setting them up answered."""

    def call(self, method, path, who, expect=200, what=None, **kw):
        """A request as `who` (a User or None); an answer other than
        `expect` is a setup error, reported with the matrix."""
        r = self.http.request(method, path, token=who.token if who else None, **kw)
        if r.status_code != expect:
            self.setup_errors.append(f"{what or method + ' ' + path}: expected {expect}, "
                                     f"got {r.status_code} {r.text[:200]}")
        return r

    def post(self, who, text, visibility, **extra):
        r = self.call("POST", "/api/v1/statuses", who, data={"status": text,
                      "visibility": visibility, **extra}, what=f"{who.name} posts {text!r}")
        return r.json() if r.status_code == 200 else {"id": "0", "url": "/"}


def sign_in(server, user):
    """A browser (an Http with its own cookie jar) signed in as `user`
    through the web form, or not signed in for None."""
    b = Http(server.url)
    if user is None:
        return b
    page = b.get("/auth/sign_in")
    m = re.search(r'name="csrf_token" value="([A-Za-z0-9_-]{43})"', page.text)
    assert m, f"no CSRF field on the sign-in page: {page.text[:300]}"
    r = b.post("/auth/sign_in", data={"csrf_token": m.group(1), "username": user.name,
                                      "password": user.password})
    assert r.status_code in (302, 303), f"web sign-in of {user.name}: {r.status_code}"
    return b


def open_stream(server, token, tag, thread_id):
    """One WebSocket carrying every stream the reader may hold: user and
    direct (with a token), public, public:local, the hashtag and the
    thread."""
    url = server.url.replace("http://", "ws://") + "/api/v1/streaming"
    if token:
        url += "?access_token=" + token
    ws = websocket.create_connection(url, timeout=5)
    subs = [{"stream": "public"}, {"stream": "public:local"},
            {"stream": "hashtag", "tag": tag}, {"stream": "thread", "id": thread_id}]
    if token:
        subs[:0] = [{"stream": "user"}, {"stream": "direct"}]
    for s in subs:
        ws.send(json.dumps({"type": "subscribe", **s}))
    return ws


def drain(ws, until):
    """Every frame the socket has until `until` (then until it is quiet)."""
    frames = []
    while True:
        ws.settimeout(max(0.1, until - time.monotonic()))
        try:
            msg = ws.recv()
        except websocket.WebSocketTimeoutException:
            return frames
        except websocket.WebSocketException as e:  # reported as an odd answer
            return frames + [{"error": f"the stream ended: {e!r}"}]
        if msg:
            frames.append(json.loads(msg))


@pytest.fixture(scope="module")
def world(srv):
    w = World(srv=srv, http=Http(srv.url), setup_errors=[])
    w.app = app = Mastodon.create_app("matrix", scopes=["read", "write", "follow", "push"],
                                      api_base_url=srv.url)
    with ThreadPoolExecutor(4) as pool:
        users = list(pool.map(lambda n: logged_in_user(srv, n, f"{n}@example.com",
                                                       password_of(n), app), PEOPLE))
    w.people = dict(zip(PEOPLE, users))
    w.a, w.c = w.people["author"], w.people["third"]
    w.readers = {rel: (w.people[name] if name else None) for rel, name in READER_OF.items()}
    w.fans = [w.people[f"fan{i}"] for i in range(5)]
    others = [u for rel, u in w.readers.items() if rel not in ("self", "anon")]
    w.tag = "matrix" + secrets.token_hex(4)
    w.word = "zq" + secrets.token_hex(5)
    a, aid = w.a, w.a.sid

    # ---- relations (before anything of A's is posted) ----
    for u in [w.c, *w.fans, *others]:
        if u.name not in ("mentioned", "stranger"):
            w.call("POST", f"/api/v1/accounts/{aid}/follow", u, what=f"{u.name} follows A")
    for u in others:
        w.call("POST", f"/api/v1/tags/{w.tag}/follow", u, what=f"{u.name} follows #T")
        # the matrix is about relations: A's direct mentions reach every
        # reader's notifications, not the requests the default policy
        # keeps unsolicited ones in (test_notification_policy.py)
        w.call("PATCH", "/api/v2/notifications/policy", u,
               data={"for_private_mentions": "accept"},
               what=f"{u.name} accepts private mentions")
    r = w.readers
    for rel in ("blocked", "blocking"):  # the block must cut this follow too
        w.call("POST", f"/api/v1/accounts/{r[rel].sid}/follow", a, what=f"A follows {rel}")
    w.call("POST", f"/api/v1/accounts/{r['blocked'].sid}/block", a, what="A blocks blocked")
    w.call("POST", f"/api/v1/accounts/{aid}/block", r["blocking"], what="blocking blocks A")
    w.call("POST", f"/api/v1/accounts/{r['muted'].sid}/mute", a, what="A mutes muted")
    w.call("POST", f"/api/v1/accounts/{aid}/mute", r["muting"], what="muting mutes A")
    w.call("POST", f"/api/v1/accounts/{aid}/mute", r["mutenn"], data={"notifications": "false"},
           what="mutenn mutes A, notifications=false")
    muted_at = time.monotonic()
    got = w.call("POST", f"/api/v1/accounts/{aid}/mute", r["expired"],
                 data={"duration": str(MUTE_SECONDS)}, what="expired mutes A for 2 s")
    if got.status_code == 200 and got.json().get("muting") is not True:
        w.setup_errors.append(f"the timed mute did not take: {got.text[:200]}")

    # ---- things that are not A's posts ----
    w.own = {u.name: w.post(u, f"a post of my own by {u.name}", "public") for u in others}
    w.p = w.post(w.c, "P: a post A will favourite and boost", "public")
    w.q = w.post(w.c, "Q: the root of a thread A replies in", "public")
    w.call("POST", f"/api/v1/statuses/{w.p['id']}/favourite", a, what="A favourites P")
    w.call("POST", f"/api/v1/statuses/{w.p['id']}/reblog", a, what="A boosts P")

    # ---- browsers, then streams, opened once the timed mute is over ----
    with ThreadPoolExecutor(4) as pool:
        w.browsers = dict(zip(RELATIONS, pool.map(lambda rel: sign_in(srv, r[rel]), RELATIONS)))
    time.sleep(max(0.0, muted_at + MUTE_SECONDS + 0.5 - time.monotonic()))
    w.sockets = {rel: open_stream(srv, u.token if u else None, w.tag, w.q["id"])
                 for rel, u in r.items()}
    time.sleep(0.3)  # the subscriptions register

    # ---- A posts, replies, mentions and acts ----
    mention_all = " ".join(f"@{u.name}" for u in others)
    w.x = {v: w.post(a, f"@mentioned @third {v} {w.word} #{w.tag}", v) for v in VIS}
    w.d = {v: w.post(a, f"@mentioned a {v} reply", v, in_reply_to_id=w.q["id"]) for v in VIS}
    w.n = {v: w.post(a, f"{mention_all} a {v} hello", v) for v in VIS}
    for u in others:
        # refused where a block stands (A follows blocked and blocking
        # already): no new notification
        own = w.own[u.name]["id"]
        for path in (f"/api/v1/statuses/{own}/favourite", f"/api/v1/statuses/{own}/reblog",
                     f"/api/v1/accounts/{u.sid}/follow"):
            w.http.post(path, token=a.token)
    last_post = time.monotonic()

    # ---- what others do with A's posts (read by the REST and web columns) ----
    w.y = {v: w.post(w.c, f"Y: C answers A's {v} post", "public", in_reply_to_id=w.x[v]["id"])
           for v in VIS}
    w.post(w.c, "Y2: the public thread leads the busiest box", "public",
           in_reply_to_id=w.x["public"]["id"])
    for fan in w.fans:
        for v in ("public", "unlisted", "private"):
            w.call("POST", f"/api/v1/statuses/{w.x[v]['id']}/favourite", fan,
                   what=f"{fan.name} favourites X[{v}]")

    # ---- the streams' frames ----
    until = max(last_post + STREAM_WAIT, time.monotonic())
    w.frames = {}
    for rel, ws in w.sockets.items():
        w.frames[rel] = drain(ws, until)
        ws.close()
    yield w


# ---- reading the world ----------------------------------------------------------

class Reading:
    """What one reader sees, path by path; odd answers become errors."""

    def __init__(self, world, relation):
        self.w = world
        self.relation = relation
        self.user = world.readers[relation]
        self.token = self.user.token if self.user else None
        self.errors = []

    def get(self, path, ok=(200,), **params):
        r = self.w.http.get(path, token=self.token, params=params or None)
        if r.status_code not in ok:
            self.errors.append(f"{self.relation}: GET {path} answered {r.status_code} "
                               f"{r.text[:200]}")
            return None
        return r

    def json(self, path, ok=(200,), **params):
        r = self.get(path, ok=ok, **params)
        return r.json() if r is not None and r.status_code == 200 else None

    def vis_of(self, posts, found_ids):
        """The visibilities whose post (of `posts`) is among found_ids."""
        return {v for v in VIS if str(posts[v]["id"]) in found_ids}

    def ids_of(self, statuses):
        return {str(s["id"]) for s in statuses or []}

    # -- the SEES columns --
    def by_id(self, posts):
        return {v for v in VIS
                if (r := self.get(f"/api/v1/statuses/{posts[v]['id']}", ok=(200, 404)))
                is not None and r.status_code == 200}

    def ancestors(self):
        seen = set()
        for v in VIS:
            ctx = self.json(f"/api/v1/statuses/{self.w.y[v]['id']}/context")
            if ctx and str(self.w.x[v]["id"]) in self.ids_of(ctx["ancestors"]):
                seen.add(v)
        return seen

    def descendants(self):
        ctx = self.json(f"/api/v1/statuses/{self.w.q['id']}/context")
        return self.vis_of(self.w.d, self.ids_of(ctx and ctx["descendants"]))

    def descendants_ext(self):
        got = self.json(f"/api/v1/statuses/{self.w.q['id']}/context/descendants", limit=40)
        return self.vis_of(self.w.d, self.ids_of(got))

    def timeline(self, path, ok=(200,), **params):
        return self.vis_of(self.w.x, self.ids_of(self.json(path, ok=ok, limit=40, **params)))

    def search(self):
        got = self.json("/api/v2/search", q=self.w.word, type="statuses")
        return self.vis_of(self.w.x, self.ids_of(got and got["statuses"]))

    def notifications(self):
        self.notes = self.json("/api/v1/notifications", limit=40) or []
        return self.vis_of(self.w.n, {str(n["status"]["id"]) for n in self.notes
                                      if n["type"] == "mention" and n.get("status")})

    def stream_updates(self, kind, posts):
        found = set()
        for ev in self.w.frames[self.relation]:
            if ev.get("event") == "update" and ev["stream"][0] == kind:
                found.add(str(json.loads(ev["payload"])["id"]))
        return self.vis_of(posts, found)

    def conversations(self, posts):
        """The visibilities of posts that are the last status of one of
        R's conversations; each of those must name A among its accounts
        (R's own are the others)."""
        got = self.json("/api/v1/conversations", limit=40) or []
        mine = [c for c in got if str(c["last_status"]["id"]) in
                {str(p["id"]) for p in posts.values()}]
        for c in mine:
            if self.relation != "self" and self.w.a.sid not in self.ids_of(c["accounts"]):
                self.errors.append(f"{self.relation}: conversation {c['id']} of "
                                   f"{c['last_status']['id']} without A among its accounts")
        return self.vis_of(posts, {str(c["last_status"]["id"]) for c in mine})

    def stream_conversations(self, posts):
        found = set()
        for ev in self.w.frames[self.relation]:
            if ev.get("event") == "conversation" and ev["stream"][0] == "direct":
                found.add(str(json.loads(ev["payload"])["last_status"]["id"]))
        return self.vis_of(posts, found)

    def stream_notes(self):
        return [json.loads(ev["payload"]) for ev in self.w.frames[self.relation]
                if ev.get("event") == "notification"]

    def page_ids(self, path, ok=(200,), part=None):
        """The status ids a web page shows, in its element matching the CSS
        selector `part` or anywhere (None when it answered 404)."""
        r = self.w.browsers[self.relation].get(urlparse(path).path)
        if r.status_code not in ok:
            self.errors.append(f"{self.relation}: web page {path} answered {r.status_code}")
            return set()
        if r.status_code != 200:
            return None
        if part is None:
            return set(re.findall(r'data-id="(\d+)"', r.text))
        box = BeautifulSoup(r.text, "html.parser").select_one(part)
        return {a["data-id"] for a in box.select("article.status")} if box else set()

    def web_threads(self):
        seen = set()
        for v in VIS:
            got = self.page_ids(self.w.x[v]["url"], ok=(200, 404))
            if got is not None and str(self.w.x[v]["id"]) in got:
                seen.add(v)
            elif got is not None:
                self.errors.append(f"{self.relation}: the page of X[{v}] answered 200 "
                                   f"without the post on it")
        return seen

    def web_ancestors(self):
        return {v for v in VIS
                if str(self.w.x[v]["id"]) in (self.page_ids(self.w.y[v]["url"]) or ())}

    def sees(self):
        w, aid, t = self.w, self.w.a.sid, self.w.tag
        out = {
            "status": self.by_id(w.x),
            "n_status": self.by_id(w.n),
            "ancestor": self.ancestors(),
            "descendant": self.descendants(),
            "desc_ext": self.descendants_ext(),
            "public": self.timeline("/api/v1/timelines/public"),
            "local": self.timeline("/api/v1/timelines/public", local="true"),
            "tag": self.timeline(f"/api/v1/timelines/tag/{t}"),
            "account": self.timeline(f"/api/v1/accounts/{aid}/statuses", ok=(200, 404)),
            "search": self.search(),
            "trends": self.timeline("/api/v1/trends/statuses"),
            "s_public": self.stream_updates("public", w.x),
            "s_local": self.stream_updates("public:local", w.x),
            "s_tag": self.stream_updates("hashtag", w.x),
            "s_thread": self.stream_updates("thread", w.d),
            "w_thread": self.web_threads(),
            "w_ancestor": self.web_ancestors(),
            "w_replies": self.vis_of(w.d, self.page_ids(w.q["url"]) or set()),
            "w_tag": self.vis_of(w.x, self.page_ids(
                f"/tags/{t}", part='div.feed[data-stream="hashtag"]') or set()),
            "w_busiest": self.vis_of(w.x, self.page_ids(f"/tags/{t}", part="div.feed.busiest")
                                     or set()),
        }
        if self.user:
            out["home"] = self.timeline("/api/v1/timelines/home")
            out["notif"] = self.notifications()
            out["s_user"] = self.stream_updates("user", w.x)
            out["s_notif"] = self.vis_of(w.n, {str(n["status"]["id"]) for n in self.stream_notes()
                                               if n["type"] == "mention" and n.get("status")})
            out["conv"] = self.conversations(w.x)
            out["n_conv"] = self.conversations(w.n)
            out["s_direct"] = self.stream_conversations(w.x)
            out["sn_direct"] = self.stream_conversations(w.n)
        return out

    # -- the WHO columns --
    def who(self):
        w, aid = self.w, self.w.a.sid
        fav = self.json(f"/api/v1/statuses/{w.p['id']}/favourited_by")
        boost = self.json(f"/api/v1/statuses/{w.p['id']}/reblogged_by")
        out = {"fav_by": aid in self.ids_of(fav), "boost_by": aid in self.ids_of(boost)}
        if not self.user:
            return out
        home = self.json("/api/v1/timelines/home", limit=40) or []
        out["home_boost"] = any(s["account"]["id"] == aid and s.get("reblog")
                                and s["reblog"]["id"] == str(w.p["id"]) for s in home)
        if self.relation == "self":
            return out
        if not hasattr(self, "notes"):
            self.notifications()
        for prefix, notes in (("n_", self.notes), ("sn_", self.stream_notes())):
            from_a = {n["type"] for n in notes if n["account"]["id"] == aid}
            for col, kind in (("fav", "favourite"), ("boost", "reblog"), ("follow", "follow")):
                out[prefix + col] = kind in from_a
        return out

    def flags(self):
        if not self.user:
            return {}
        rel = self.json("/api/v1/accounts/relationships", **{"id[]": self.w.a.sid})
        if not rel:
            return {}
        return {flag: rel[0].get(flag) is True for flag in EXPECT_FLAGS}


def compare(table, got, show):
    """Mismatch lines for every cell of `table` against `got`; the cell count."""
    wrong, cells = [], 0
    for path, row in table.items():
        for relation, expected in row.items():
            if relation not in got or path not in got[relation]:
                wrong.append(f"{path:10} {relation:9} not read")
                continue
            actual = got[relation][path]
            if isinstance(expected, set):
                for v in VIS:
                    cells += 1
                    if (v in expected) != (v in actual):
                        wrong.append(f"{path:10} {relation:9} {v:8}  expected "
                                     f"{show(v in expected)}, got {show(v in actual)}")
            else:
                cells += 1
                if expected != actual:
                    wrong.append(f"{path:10} {relation:9} {'':8}  expected "
                                 f"{show(expected)}, got {show(actual)}")
    return wrong, cells


def test_who_sees_what(world, capsys):
    readings = {rel: Reading(world, rel) for rel in RELATIONS}
    sees = {rel: rd.sees() for rel, rd in readings.items()}
    who = {rel: rd.who() for rel, rd in readings.items()}
    flags = {rel: rd.flags() for rel, rd in readings.items()}
    errors = list(world.setup_errors)
    for rel, rd in readings.items():
        errors += rd.errors
        errors += [f"{rel}: stream frame {ev}" for ev in world.frames[rel] if "event" not in ev]
    seen = lambda b: "seen" if b else "hidden"
    wrong, cells = compare(EXPECT_SEES, sees, seen)
    more, n = compare(EXPECT_WHO, who, seen)
    wrong, cells = wrong + more, cells + n
    more, n = compare(EXPECT_FLAGS, flags, lambda b: "true" if b else "false")
    wrong, cells = wrong + more, cells + n
    with capsys.disabled():  # the table's size, shown on every run
        print(f"\nmatrix: {cells} cells ({len(EXPECT_SEES)} paths x {len(RELATIONS)} relations"
              f" x {len(VIS)} visibilities, {len(EXPECT_WHO)} who-rows, "
              f"{len(EXPECT_FLAGS)} flags)")
    assert not errors and not wrong, (
        f"{len(wrong)} of {cells} cells wrong, {len(errors)} odd answers\n"
        + "\n".join(wrong) + ("\n--- odd answers ---\n" + "\n".join(errors) if errors else ""))


def test_a_block_refuses_what_it_should(world, capsys):
    """After the matrix: R may not follow, answer, favourite or boost
    across a block. Each refusal a JSON error."""
    x = world.x["public"]["id"]
    requests_of = {
        "follow": ("POST", f"/api/v1/accounts/{world.a.sid}/follow", {}),
        "reply": ("POST", "/api/v1/statuses", {"status": "answering", "in_reply_to_id": x}),
        "favourite": ("POST", f"/api/v1/statuses/{x}/favourite", {}),
        "reblog": ("POST", f"/api/v1/statuses/{x}/reblog", {}),
    }
    cells = 0
    for relation, actions in ACTIONS.items():
        user = world.readers[relation]
        for action, status in actions.items():
            method, path, data = requests_of[action]
            assert_error(world.http.request(method, path, token=user.token, data=data), status)
            cells += 1
    with capsys.disabled():
        print(f"\nactions: {cells} cells")
    # nothing of that went through
    assert world.a.api.account_relationships(world.readers["blocked"].id)[0]["followed_by"] is False
    a_view = assert_json(world.http.get(f"/api/v1/statuses/{x}", token=world.a.token))
    assert a_view["reblogs_count"] == 0 and a_view["replies_count"] == 2  # C's Y, Y2


def test_a_mute_with_a_duration_ends_by_itself(srv, world):
    """A mute for 2 s hides A's posts from R's home, then they are back,
    and the mute leaves the lists and the relationship."""
    name = "timed"
    srv.create_user(name, f"{name}@example.com", password_of(name))
    r = logged_in_user(srv, name, f"{name}@example.com", password_of(name), world.app)
    a = world.a
    r.api.account_follow(a.id)
    got = assert_json(world.http.post(f"/api/v1/accounts/{a.sid}/mute", token=r.token,
                                      data={"duration": str(MUTE_SECONDS)}))
    assert got["muting"] is True
    during = a.api.status_post("said during the mute")
    home = lambda: {str(s["id"]) for s in r.api.timeline_home(limit=40)}
    assert str(during["id"]) not in home()
    assert [m["id"] for m in r.api.mutes()] == [a.id]
    time.sleep(MUTE_SECONDS + 1)
    after = a.api.status_post("said after the mute")
    assert {str(during["id"]), str(after["id"])} <= home()
    assert r.api.account_relationships(a.id)[0]["muting"] is False
    assert r.api.mutes() == []


# ---- domain blocks -----------------------------------------------------------------

def test_domain_blocks_round_trip(world):
    """Add, list, (no effect on a local account's relationship), remove."""
    me = world.readers["stranger"]
    h = world.http
    assert assert_json(h.get("/api/v1/domain_blocks", token=me.token)) == []
    assert_json(h.post("/api/v1/domain_blocks", token=me.token, data={"domain": "example.net"}))
    assert assert_json(h.get("/api/v1/domain_blocks", token=me.token)) == ["example.net"]
    assert me.api.domain_blocks() == ["example.net"]  # Mastodon.py's reading
    rel = me.api.account_relationships(world.a.id)[0]
    assert rel["domain_blocking"] is False
    assert_json(h.delete("/api/v1/domain_blocks", token=me.token, data={"domain": "example.net"}))
    assert assert_json(h.get("/api/v1/domain_blocks", token=me.token)) == []
    # the lists are per user and need one
    assert_error(h.get("/api/v1/domain_blocks"), 401)


@pytest.mark.parametrize("data", [{}, {"domain": ""}, {"domain": "not a domain"},
                                  {"domain": "exa$mple.net"}, {"domain": "." * 3}])
def test_domain_block_bad_input_is_a_json_error(world, data):
    me = world.readers["follower"]
    r = world.http.post("/api/v1/domain_blocks", token=me.token, data=data)
    assert r.status_code in (400, 422), (data, r.status_code, r.text[:200])
    assert_error(r, r.status_code)
    assert assert_json(world.http.get("/api/v1/domain_blocks", token=me.token)) == []


# ---- a moderator's suspension (issue 15) ------------------------------------------

# What a stream delivered when A posted is not read again: the readings
# below are of everything else in the matrix, SEES and WHO alike.
LIVE = {"s_user", "s_notif", "s_public", "s_local", "s_tag", "s_thread", "s_direct",
        "sn_direct", "sn_fav", "sn_boost", "sn_follow"}


def read_paths(world):
    """{relation: {path: what R finds of A there}} for every reader but A
    (whose sessions a suspension ends), and the odd answers."""
    got, errors = {}, []
    for rel in RELATIONS:
        if rel == "self":
            continue
        rd = Reading(world, rel)
        seen = {**rd.sees(), **rd.who()}
        got[rel] = {path: v for path, v in seen.items() if path not in LIVE}
        errors += rd.errors
    return got, errors


def test_a_suspension_empties_every_path_and_its_undo_restores_them(srv, world, capsys):
    """A moderator suspends A: on every path of the matrix, for every
    reader, nothing of A's is left (its posts, its favourite and boost of
    P, its notifications, its web pages); A's sessions end and it may not
    sign in. The undo gives every reader back exactly what it read before."""
    name = "matrixmod"
    srv.create_user(name, f"{name}@example.com", password_of(name), role="moderator")
    mod = Mastodon.create_app("matrix-mod", scopes=["read", "admin:write"],
                              api_base_url=srv.url)
    staff = Mastodon(client_id=mod[0], client_secret=mod[1], api_base_url=srv.url)
    staff.log_in(username=f"{name}@example.com", password=password_of(name),
                 scopes=["read", "admin:write"])
    h, aid = world.http, world.a.sid

    before, errors = read_paths(world)
    assert not errors, errors
    assert before["follower"]["status"] == {"public", "unlisted", "private"}  # not a blank page

    assert_json(h.post(f"/api/v1/admin/accounts/{aid}/action", token=staff.access_token,
                       data={"type": "suspend"}))
    during, errors = read_paths(world)
    left = [f"{path:10} {rel:9} still shows {sorted(v) if isinstance(v, set) else v}"
            for rel, row in during.items() for path, v in row.items() if v]
    cells = sum(len(row) for row in during.values())
    with capsys.disabled():
        print(f"\nsuspension: {cells} paths x readers read empty, then restored")
    assert not left and not errors, "\n".join(left + errors)
    assert_error(h.get("/api/v1/accounts/verify_credentials", token=world.a.token), 401)
    r = h.post("/oauth/token", data={
        "grant_type": "password", "username": "author@example.com",
        "password": password_of("author"), "client_id": world.app[0],
        "client_secret": world.app[1], "scope": "read"})
    assert_error(r, 403, "Your login is currently disabled")
    shown = assert_json(h.get(f"/api/v1/accounts/{aid}"))
    assert shown["suspended"] is True and shown["statuses_count"] == 0
    assert h.get("/users/author", headers={"Accept": "application/activity+json"}) \
        .json().get("suspended") is True
    assert h.get("/@author").status_code == 404

    assert_json(h.post(f"/api/v1/admin/accounts/{aid}/unsuspend", token=staff.access_token))
    after, errors = read_paths(world)
    assert not errors, errors
    changed = [f"{path:10} {rel:9} {before[rel][path]} -> {after[rel][path]}"
               for rel in before for path in before[rel] if before[rel][path] != after[rel][path]]
    assert not changed, "\n".join(changed)
    again = logged_in_user(srv, "author", "author@example.com", password_of("author"),
                           world.app)
    assert {str(s["id"]) for s in again.api.account_statuses(again.id, limit=40)} >= \
        {str(p["id"]) for p in world.x.values()}
