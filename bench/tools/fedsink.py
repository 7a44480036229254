#!/usr/bin/env python3
"""fedsink.py — the far side of bench/fed_out.sh: many remote servers on
loopback that check what chorus delivers, and the clients that post and
time. Each step is a subcommand:

  seed --db CHORUS_DB --author NAME --servers N --per-server F --port P
      put N*F remote accounts into a stopped chorus's database, F on each
      of N servers 127.1.X.Y:P (host_of), all following the local account
      NAME, as chorus keeps actors it has fetched: an account with a
      domain, its row in actors (a per-user inbox, and the server's shared
      inbox, which stands for all F), a follow, the counters moved.

  serve --port P --servers N [--log FILE]
      one asyncio HTTP server on 0.0.0.0:P (every 127.x.y.z address
      reaches it; other peers are hung up on) that plays the N servers.
      POST /inbox and /users/NAME/inbox: the draft-cavage signature
      ((request-target) host date digest, rsa-sha256) is checked against
      the signer's key (fetched once from its keyId, cached), and the
      digest, the date (5 minutes either way) and that the signer is the
      activity's actor; 202 if all hold, else 401 (bad signature) or 400.
      A delivery counts for (Host, activity) once, and only when Host is
      the address the connection reached, so a server is a real
      destination. An activity is named by its object's id (a Create's
      object is the post: its uri) or else its own id. Control, on any
      address: GET /stats (totals), GET /wait?id=ID&timeout=S (that
      activity's hosts, first and last arrival, and "done": the time the
      N-th server had it, or null; answers as soon as done or at S).

  time --base URL --token T --sink URL --posts N [--timeout S]
      N posts, one at a time: POST /api/v1/statuses, then wait until every
      server has it. One "time: …" line a post: the POST's ms, and from
      its answer to the first server and to the last having it.

  pace --base URL --quiet-token T --loud-token T --rate R --seconds S
       --uris FILE
      POST /api/v1/statuses at R a second in all for S seconds, the two
      authors taking turns (each R/2 a second, half a period apart), each
      on its own keep-alive connection and thread, so a slow answer to one
      does not hold up the other. Prints "pace: WHO key=value…": n,
      errors, p50, p99, max (ms from sending to the answer) and p99_sched
      (from when it was due: counts the waiting a slow answer causes),
      for each author and for both together ("all"). The loud author's
      post uris go to FILE, one a line.

  drain --sink URL --uris FILE --servers N --timeout S
      wait (S seconds at most in all) until every post in FILE is at
      every server; "drain: …" says how many are, and when the last got
      there.

All times are wall clock (time.time()), so the sink's and the clients'
compare. The sink is one Python process: its CPU is what bench/fed_out.sh
reports beside chorus's, to show whether it kept up.
"""
import argparse
import asyncio
import base64
import email.utils
import hashlib
import http.client
import json
import re
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DATE_SKEW_S = 300
HEAD_MAX = 65536
BODY_MAX = 4 * 1048576


def host_of(i):
    """The address of remote server i: 127.1.X.Y, 250 a /24, never .0."""
    return f"127.1.{1 + i // 250}.{1 + i % 250}"


# ---- seed ---------------------------------------------------------------

def cmd_seed(args):
    db = sqlite3.connect(args.db)
    # The account search index's triggers call chorus's own tokenizer,
    # which this connection lacks: they are set aside while the rows go
    # in and put back as they were. The index then misses these accounts,
    # which nothing here searches for.
    triggers = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        " AND tbl_name = 'accounts'").fetchall()
    row = db.execute("SELECT id FROM accounts WHERE username = ? AND"
                     " domain IS NULL", (args.author,)).fetchone()
    if not row:
        sys.exit(f"fedsink: no local account {args.author}")
    author = row[0]
    n = args.servers * args.per_server
    # Followers never sign anything here, but actors.public_key_pem must
    # hold a key: one made now stands for all (an RSA key takes ~0.1 s).
    pem = rsa.generate_private_key(65537, 2048).public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    now = int(time.time() * 1000)
    # ids as chorus mints them (ms << 16 | sequence), above all there:
    # the server, started later, mints from a later millisecond
    base = max(now << 16,
               db.execute("SELECT max(id) FROM accounts").fetchone()[0] or 0,
               db.execute("SELECT max(id) FROM follows").fetchone()[0] or 0) + 1

    def accounts():
        for i in range(n):
            host = f"{host_of(i // args.per_server)}:{args.port}"
            name = f"far{i:05d}"
            uri = f"http://{host}/users/{name}"
            yield (base + i, name, host, uri, f"http://{host}/@{name}",
                   f"{uri}/inbox", f"http://{host}/inbox",
                   f"{uri}/followers", f"{uri}#main-key")

    rows = list(accounts())
    with db:
        for name, _ in triggers:
            db.execute(f'DROP TRIGGER "{name}"')
        db.executemany(
            "INSERT INTO accounts (id, username, username_key, domain,"
            " display_name, created_at, following_count)"
            " VALUES (?, ?, lower(?), ?, ?, ?, 1)",
            ((r[0], r[1], r[1], r[2], r[1].title(), now) for r in rows))
        db.executemany(
            "INSERT INTO actors (account_id, uri, url, inbox, shared_inbox,"
            " followers_uri, key_id, public_key_pem, fetched_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r[:1] + r[3:] + (pem, now) for r in rows))
        db.executemany(
            "INSERT INTO follows (id, account_id, target_id) VALUES (?, ?, ?)",
            ((base + n + i, r[0], author) for i, r in enumerate(rows)))
        db.execute("UPDATE accounts SET followers_count = followers_count + ?"
                   " WHERE id = ?", (n, author))
        for _, sql in triggers:
            db.execute(sql)
    db.close()
    print(f"fedsink: {n} followers of {args.author} on {args.servers} servers")


# ---- serve --------------------------------------------------------------

class Sink:
    """What the servers received, and the keys they checked it with."""

    def __init__(self, servers, log):
        self.servers = servers
        self.log = log
        self.keys = {}  # keyId -> future of (public key, owner's id)
        self.acts = {}  # activity name -> its record (see record())
        self.waiters = {}  # activity name -> futures waiting for done
        self.totals = dict(accepted=0, duplicate=0, bad_signature=0,
                           bad_request=0, wrong_host=0, user_inbox=0,
                           not_found=0)

    def note(self, text):
        if self.log:
            self.log.write(f"{time.time():.3f} {text}\n")
            self.log.flush()

    async def key(self, key_id):
        """The key keyId names and the actor that owns it; fetched once
        (as a receiver caches a sender's key), None if it cannot be."""
        fut = self.keys.get(key_id)
        if fut is None:
            fut = asyncio.get_running_loop().run_in_executor(
                None, fetch_key, key_id)
            self.keys[key_id] = fut
        try:
            return await fut
        except Exception as e:  # noqa: BLE001 (any failure: no key)
            self.note(f"key {key_id}: {e!r}")
            self.keys.pop(key_id, None)
            return None

    def cached_key(self, key_id):
        """key()'s answer if it is in, else None."""
        fut = self.keys.get(key_id)
        if fut is None or not fut.done() or fut.exception():
            return None
        return fut.result()

    def record(self, name, host):
        """(host, name) verified: True if new."""
        act = self.acts.get(name)
        now = time.time()
        if act is None:
            act = self.acts[name] = {"hosts": set(), "first": now,
                                     "last": now, "done": None}
        if host in act["hosts"]:
            return False
        act["hosts"].add(host)
        act["last"] = now
        if len(act["hosts"]) == self.servers:
            act["done"] = now
            self.note(f"done {name} first={act['first']:.3f}")
            for fut in self.waiters.pop(name, []):
                if not fut.done():
                    fut.set_result(None)
        return True

    def act_json(self, name):
        act = self.acts.get(name)
        if act is None:
            return {"id": name, "hosts": 0, "first": None, "last": None,
                    "done": None}
        return {"id": name, "hosts": len(act["hosts"]), "first": act["first"],
                "last": act["last"], "done": act["done"]}

    def stats(self):
        done = sum(1 for a in self.acts.values() if a["done"])
        return dict(self.totals, activities=len(self.acts), complete=done,
                    pairs=sum(len(a["hosts"]) for a in self.acts.values()))

    async def wait(self, name, timeout):
        act = self.acts.get(name)
        if not (act and act["done"]):
            fut = asyncio.get_running_loop().create_future()
            self.waiters.setdefault(name, []).append(fut)
            try:
                await asyncio.wait_for(fut, timeout)
            except asyncio.TimeoutError:
                pass
        return self.act_json(name)


def fetch_key(key_id):
    """keyId's public key and owner, from the actor document it is in."""
    req = urllib.request.Request(key_id.split("#")[0], headers={
        "Accept": "application/activity+json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        doc = json.load(r)
    pk = doc["publicKey"]
    if isinstance(pk, list):
        pk = next(k for k in pk if k.get("id") == key_id)
    if pk.get("id") != key_id:
        raise ValueError(f"the document's key is {pk.get('id')}")
    key = serialization.load_pem_public_key(pk["publicKeyPem"].encode())
    return key, pk.get("owner") or doc["id"]


SIG_PARAM = re.compile(r'(\w+)="([^"]*)"')
NEEDED = {"(request-target)", "host", "date", "digest"}


def signature_params(headers):
    """The Signature header's parameters, or None if it lacks some."""
    params = dict(SIG_PARAM.findall(headers.get("signature", "")))
    if not {"keyId", "headers", "signature"} <= params.keys():
        return None
    if params.get("algorithm", "rsa-sha256") not in ("rsa-sha256", "hs2019"):
        return None
    if not NEEDED <= set(params["headers"].split()):
        return None
    return params


def check_signature(method, target, headers, body, params, key):
    """Why the signed request is not good (a string), or None if it is."""
    lines = []
    for h in params["headers"].split():
        if h == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {target}")
        elif h in headers:
            lines.append(f"{h}: {headers[h]}")
        else:
            return f"signed header {h} missing"
    try:
        key.verify(base64.b64decode(params["signature"]),
                   "\n".join(lines).encode(), padding.PKCS1v15(),
                   hashes.SHA256())
    except (InvalidSignature, ValueError):
        return "signature does not verify"
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if headers.get("digest") != digest:
        return "digest does not match the body"
    try:
        sent = email.utils.parsedate_to_datetime(headers["date"]).timestamp()
    except (TypeError, ValueError):
        return "bad date"
    if abs(sent - time.time()) > DATE_SKEW_S:
        return f"date {headers['date']} too far from now"
    return None


def reply(status, body=b"", ctype="application/json"):
    reason = {200: "OK", 202: "Accepted", 400: "Bad Request",
              401: "Unauthorized", 404: "Not Found", 411: "Length Required",
              413: "Payload Too Large"}[status]
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


class Conn(asyncio.Protocol):
    """One connection: requests parsed off the bytes in order, each
    answered before the next is looked at. Most are answered at once;
    one that must wait (for a key not fetched yet, or GET /wait) pauses
    reading until its task has answered."""

    def __init__(self, sink):
        self.sink = sink
        self.buf = bytearray()
        self.busy = False
        self.tr = None
        self.local = None

    def connection_made(self, transport):
        self.tr = transport
        peer = transport.get_extra_info("peername")
        self.local = transport.get_extra_info("sockname")[0]
        # bound to every address: only loopback may talk to it
        if not peer or not str(peer[0]).startswith("127."):
            transport.abort()

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self.pump()

    def pump(self):
        while not self.tr.is_closing():
            req = self.take_request()
            if req is None:
                return
            if req == "bad":
                self.tr.write(reply(400))
                self.tr.close()
                return
            out = self.handle_now(*req[:4])
            if out is not None:
                self.answer(out, req[4])
                continue
            self.busy = True
            self.tr.pause_reading()
            asyncio.ensure_future(self.handle_later(req))
            return

    async def handle_later(self, req):
        method, target, headers, body, close = req
        try:
            if method == "GET":
                out = await self.control(target)
            else:
                # the key is fetched, then the request checked with it
                await self.sink.key(signature_params(headers)["keyId"])
                out = self.handle_now(method, target, headers, body)
                if out is None:  # the key could not be had
                    out = self.refuse("no key for " + headers["signature"])
        except Exception as e:  # noqa: BLE001 (a bug here must not kill the sink)
            self.sink.note(f"error {e!r}")
            out = reply(400)
        self.busy = False
        self.answer(out, close)
        if not self.tr.is_closing():
            self.tr.resume_reading()
            self.pump()

    def answer(self, out, close):
        self.tr.write(out)
        if close:
            self.tr.close()

    def take_request(self):
        """(method, target, headers, body, close) off the buffer, None
        until one is whole, "bad" if it cannot be one."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return "bad" if len(self.buf) > HEAD_MAX else None
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            return "bad"
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "chunked" in headers.get("transfer-encoding", ""):
            return "bad"  # curl sends a length for a body it has whole
        try:
            n = int(headers.get("content-length", "0"))
        except ValueError:
            return "bad"
        if n > BODY_MAX:
            return "bad"
        if len(self.buf) < end + 4 + n:
            return None
        body = bytes(self.buf[end + 4:end + 4 + n])
        del self.buf[:end + 4 + n]
        close = (headers.get("connection", "").lower() == "close" or
                 version == "HTTP/1.0")
        return method, target, headers, body, close

    def refuse(self, why):
        self.sink.totals["bad_signature"] += 1
        self.sink.note(f"401 {why}")
        return reply(401)

    def handle_now(self, method, target, headers, body):
        """The answer, or None when it must wait (handle_later)."""
        if method == "GET":
            return None
        totals = self.sink.totals
        path = urllib.parse.urlsplit(target).path
        if method != "POST" or (path != "/inbox" and
                                not re.fullmatch(r"/users/[^/]+/inbox", path)):
            totals["not_found"] += 1
            return reply(404)
        params = signature_params(headers)
        if params is None:
            return self.refuse(f"unsigned or badly signed POST {target}")
        key = self.sink.cached_key(params["keyId"])
        if key is None:
            return None
        why = check_signature("POST", target, headers, body, params, key[0])
        if why:
            return self.refuse(f"{headers.get('host')}{target}: {why}")
        try:
            act = json.loads(body)
            obj = act.get("object")
            name = (obj.get("id") if isinstance(obj, dict) else None) or act["id"]
            actor = act["actor"]
        except (ValueError, AttributeError, KeyError, TypeError):
            totals["bad_request"] += 1
            return reply(400)
        if actor != key[1]:
            return self.refuse(f"signer {key[1]} is not the actor {actor}")
        host = headers.get("host", "")
        # the server is the address connected to: the Host must name it
        if host.rsplit(":", 1)[0] != self.local:
            totals["wrong_host"] += 1
            self.sink.note(f"400 Host {host} on a connection to {self.local}")
            return reply(400)
        if path != "/inbox":
            totals["user_inbox"] += 1  # a shared inbox was there to use
        if self.sink.record(name, host):
            totals["accepted"] += 1
        else:
            totals["duplicate"] += 1
        return reply(202, b"", "text/plain")

    async def control(self, target):
        url = urllib.parse.urlsplit(target)
        q = urllib.parse.parse_qs(url.query)
        if url.path == "/stats":
            out = self.sink.stats()
        elif url.path == "/wait" and "id" in q:
            out = await self.sink.wait(q["id"][0],
                                       float(q.get("timeout", ["60"])[0]))
        else:
            return reply(404)
        return reply(200, json.dumps(out).encode())


async def serve(args):
    log = open(args.log, "a") if args.log else None
    sink = Sink(args.servers, log)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Conn(sink), "0.0.0.0",
                                      args.port, backlog=4096,
                                      reuse_address=True)
    print(f"fedsink: ready on port {args.port} for {args.servers} servers",
          flush=True)
    async with server:
        await server.serve_forever()


def cmd_serve(args):
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


# ---- time ---------------------------------------------------------------

def post(conn, token, text):
    """POST one public status on conn; (ms, status code, its uri)."""
    body = json.dumps({"status": text, "visibility": "public"})
    t0 = time.perf_counter()
    try:
        conn.request("POST", "/api/v1/statuses", body, {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        code = resp.status
    except (OSError, http.client.HTTPException):
        conn.close()
        return (time.perf_counter() - t0) * 1000, 0, None
    ms = (time.perf_counter() - t0) * 1000
    uri = json.loads(data).get("uri") if code == 200 else None
    return ms, code, uri


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def sink_wait(sink, uri, timeout):
    q = urllib.parse.urlencode({"id": uri, "timeout": timeout})
    with urllib.request.urlopen(f"{sink}/wait?{q}", timeout=timeout + 10) as r:
        return json.load(r)


def cmd_time(args):
    conn = connect(args.base)
    for i in range(args.posts):
        ms, code, uri = post(conn, args.token, f"timed post {i} {time.time()}")
        answered = time.time()
        if not uri:
            print(f"time: post={i} error={code}", flush=True)
            continue
        w = sink_wait(args.sink, uri, args.timeout)
        # the first server may have it before the answer is read: < 0
        first = f"{(w['first'] - answered) * 1000:.1f}" if w["first"] else "none"
        last = f"{(w['done'] - answered) * 1000:.0f}" if w["done"] else "none"
        print(f"time: post={i} post_ms={ms:.1f} first_ms={first}"
              f" all_ms={last} hosts={w['hosts']} uri={uri}", flush=True)


# ---- pace ---------------------------------------------------------------

def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def pace_one(base, token, start, period, seconds, who, out):
    """Posts due at start + k*period until start + seconds."""
    conn = connect(base)
    lat, sched, errors, uris = [], [], 0, []
    k = 0
    while True:
        due = start + k * period
        if due >= start + seconds:
            break
        k += 1
        wait = due - time.time()
        if wait > 0:
            time.sleep(wait)
        ms, code, uri = post(conn, token, f"{who} post {k} {due:.3f}")
        if code == 0:
            conn = connect(base)
        lat.append(ms)
        sched.append((time.time() - due) * 1000)
        errors += code != 200
        if uri:
            uris.append(uri)
    out[who] = (lat, sched, errors, uris)


def cmd_pace(args):
    period = 2.0 / args.rate
    start = time.time() + 0.5
    out = {}
    threads = [
        threading.Thread(target=pace_one, args=(
            args.base, args.quiet_token, start, period, args.seconds,
            "quiet", out)),
        threading.Thread(target=pace_one, args=(
            args.base, args.loud_token, start + period / 2, period,
            args.seconds, "loud", out))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"pace: ended={time.time():.3f}")
    out["all"] = tuple(out["quiet"][i] + out["loud"][i] for i in range(3)) + ([],)
    for who in ("quiet", "loud", "all"):
        lat, sched, errors, _ = out[who]
        lat, sched = sorted(lat), sorted(sched)
        print(f"pace: {who} n={len(lat)} errors={errors}"
              f" p50={statistics.median(lat):.2f} p99={pct(lat, 0.99):.2f}"
              f" max={lat[-1]:.2f} p99_sched={pct(sched, 0.99):.2f}")
    with open(args.uris, "w") as f:
        f.writelines(u + "\n" for u in out["loud"][3])


# ---- drain --------------------------------------------------------------

def cmd_drain(args):
    """Wait (until --timeout s from now at most) for every post in --uris
    to be at every server; print when the last got there."""
    deadline = time.time() + args.timeout
    with open(args.uris) as f:
        uris = [u.strip() for u in f if u.strip()]
    done, last, missing = 0, 0.0, 0
    for uri in uris:
        w = sink_wait(args.sink, uri, max(0.0, deadline - time.time()))
        if w["done"]:
            done += 1
            last = max(last, w["done"])
        else:
            missing += args.servers - w["hosts"]
    print(f"drain: posts={len(uris)} complete={done} last_done={last:.3f}"
          f" deliveries_missing={missing}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--db", required=True)
    s.add_argument("--author", required=True)
    s.add_argument("--servers", type=int, required=True)
    s.add_argument("--per-server", type=int, required=True)
    s.add_argument("--port", type=int, required=True)
    v = sub.add_parser("serve")
    v.add_argument("--port", type=int, required=True)
    v.add_argument("--servers", type=int, required=True)
    v.add_argument("--log")
    t = sub.add_parser("time")
    t.add_argument("--base", required=True)
    t.add_argument("--token", required=True)
    t.add_argument("--sink", required=True)
    t.add_argument("--posts", type=int, required=True)
    t.add_argument("--timeout", type=float, default=120)
    c = sub.add_parser("pace")
    c.add_argument("--base", required=True)
    c.add_argument("--quiet-token", required=True)
    c.add_argument("--loud-token", required=True)
    c.add_argument("--rate", type=float, required=True)
    c.add_argument("--seconds", type=float, required=True)
    c.add_argument("--uris", required=True)
    d = sub.add_parser("drain")
    d.add_argument("--sink", required=True)
    d.add_argument("--uris", required=True)
    d.add_argument("--servers", type=int, required=True)
    d.add_argument("--timeout", type=float, required=True)
    args = p.parse_args()
    {"seed": cmd_seed, "serve": cmd_serve, "time": cmd_time,
     "pace": cmd_pace, "drain": cmd_drain}[args.cmd](args)


if __name__ == "__main__":
    main()
