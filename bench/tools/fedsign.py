#!/usr/bin/env python3
"""fedsign.py — remote actors and signed deliveries for bench/fed_in.sh.

Three steps, each a subcommand:

  actors --out FILE --count N --hosts H1,H2,… [--jobs J]
      N remote actors spread over the hosts (host:port), each with an
      RSA-2048 key pair; written as JSON (private keys included: they are
      benchmark keys, made here, used nowhere else).

  seed --actors FILE --db CHORUS_DB --followers F
      put the actors into a stopped chorus's database, as chorus keeps an
      actor it has fetched (an account with a domain plus its row in
      actors, fetched_at now so the key is current), each followed by F
      local accounts: a Create(Note) from a followed author is stored.

  sign --actors FILE --out FILE --count N --host HOST:PORT [--path /inbox]
       [--tag TAG] [--jobs J]
      N POST requests of Create(Note), whole HTTP/1.1 requests ready to
      be written to a socket: draft-cavage signed over "(request-target)
      host date digest" with rsa-sha256, as Mastodon signs and as
      tests/api/test_federation.py's Peer does. Activity i is by actor
      i mod N_ACTORS, with ids …/users/NAME/statuses/ID/activity unique
      across the file. The file is a sequence of records "LENGTH\\n" then
      LENGTH bytes (bench/fed_in.lua reads it).

Signing is about a millisecond per request in one process, so it is
spread over J processes (default: the number of cores).
"""
import argparse
import base64
import email.utils
import hashlib
import json
import multiprocessing
import os
import sqlite3
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


# ---- actors -------------------------------------------------------------

def make_key(_):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def cmd_actors(args):
    hosts = [h for h in args.hosts.split(",") if h]
    with multiprocessing.Pool(args.jobs) as pool:
        keys = pool.map(make_key, range(args.count))
    actors = []
    for i, (private, public) in enumerate(keys):
        host = hosts[i % len(hosts)]
        name = f"far{i:05d}"
        uri = f"http://{host}/users/{name}"
        actors.append({
            "name": name, "host": host, "uri": uri,
            "url": f"http://{host}/@{name}",
            "inbox": f"{uri}/inbox", "shared_inbox": f"http://{host}/inbox",
            "followers": f"{uri}/followers", "key_id": f"{uri}#main-key",
            "public_pem": public, "private_pem": private})
    with open(args.out, "w") as f:
        json.dump(actors, f)


# ---- seed ---------------------------------------------------------------

def cmd_seed(args):
    with open(args.actors) as f:
        actors = json.load(f)
    db = sqlite3.connect(args.db)
    # the account search index's triggers need chorus's own tokenizer,
    # which this connection lacks (bench/fanout.sh does the same): the
    # copy's account search then misses these accounts, which no
    # measurement here reads
    for t in ("account_search_insert", "account_search_update",
              "account_search_delete"):
        db.execute(f"DROP TRIGGER IF EXISTS {t}")
    locals_ = [r[0] for r in db.execute(
        "SELECT id FROM accounts WHERE domain IS NULL ORDER BY id")]
    if len(locals_) < args.followers:
        sys.exit(f"fedsign: {len(locals_)} local accounts, "
                 f"{args.followers} followers wanted")
    now = int(time.time() * 1000)
    # ids as chorus mints them (milliseconds << 16 | sequence), above
    # every id there, so the server's generator never hands one out again
    base = max(now << 16,
               db.execute("SELECT max(id) FROM accounts").fetchone()[0] or 0,
               db.execute("SELECT max(id) FROM follows").fetchone()[0] or 0) + 1
    follows = []
    with db:
        for i, a in enumerate(actors):
            acc = base + i
            db.execute(
                "INSERT INTO accounts (id, username, username_key, domain,"
                " display_name, note_html, created_at, followers_count)"
                " VALUES (?, ?, lower(?), ?, ?, '<p>far away</p>', ?, ?)",
                (acc, a["name"], a["name"], a["host"], a["name"].title(),
                 now, args.followers))
            db.execute(
                "INSERT INTO actors (account_id, uri, url, inbox,"
                " shared_inbox, followers_uri, key_id, public_key_pem,"
                " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (acc, a["uri"], a["url"], a["inbox"], a["shared_inbox"],
                 a["followers"], a["key_id"], a["public_pem"], now))
            # spread the followers over the local accounts, F each
            for k in range(args.followers):
                local = locals_[(i * args.followers + k) % len(locals_)]
                follows.append((local, acc))
        fid = base + len(actors)
        # the followers are this server's: since migration 33 a follow
        # says so (local_follower), and only those get the post in home
        local_col = any(r[1] == "local_follower"
                        for r in db.execute("PRAGMA table_info(follows)"))
        db.executemany(
            "INSERT INTO follows (id, account_id, target_id"
            + (", local_follower) VALUES (?, ?, ?, 1)" if local_col
               else ") VALUES (?, ?, ?)"),
            ((fid + n, local, acc) for n, (local, acc) in enumerate(follows)))
        db.executemany(
            "UPDATE accounts SET following_count = following_count + 1"
            " WHERE id = ?", ((local,) for local, _ in follows))
    db.close()


# ---- sign ---------------------------------------------------------------

def activity(actor, n, tag, published):
    """A Create(Note) as Mastodon 4 sends one (shape and size alike)."""
    uri, host = actor["uri"], actor["host"]
    note_id = f"{uri}/statuses/{n}"
    tag_href = f"http://{host}/tags/{tag}"
    content = (f"<p>far post {n} from {actor['name']}: the news travels "
               f"from one server to the next, and the next "
               f'<a href="{tag_href}" class="mention hashtag" rel="tag">'
               f"#<span>{tag}</span></a></p>")
    to, cc = [AS_PUBLIC], [actor["followers"]]
    note = {
        "id": note_id, "type": "Note", "summary": None, "inReplyTo": None,
        "published": published, "url": f"{actor['url']}/{n}",
        "attributedTo": uri, "to": to, "cc": cc, "sensitive": False,
        "atomUri": note_id, "inReplyToAtomUri": None,
        "conversation": f"tag:{host},{published[:4]}:objectId={n}:objectType=Conversation",
        "content": content, "contentMap": {"en": content},
        "attachment": [],
        "tag": [{"type": "Hashtag", "href": tag_href, "name": f"#{tag}"}],
        "replies": {"id": f"{note_id}/replies", "type": "Collection",
                    "first": {"type": "CollectionPage",
                              "next": f"{note_id}/replies?only_other_accounts=true&page=true",
                              "partOf": f"{note_id}/replies", "items": []}},
    }
    return {
        "@context": ["https://www.w3.org/ns/activitystreams",
                     {"ostatus": "http://ostatus.org#",
                      "atomUri": "ostatus:atomUri",
                      "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
                      "conversation": "ostatus:conversation",
                      "sensitive": "as:sensitive",
                      "Hashtag": "as:Hashtag"}],
        "id": f"{note_id}/activity", "type": "Create", "actor": uri,
        "published": published, "to": to, "cc": cc, "object": note}


_signing = {}  # per worker process: the actors and their loaded keys


def sign_init(actors_file, host, path, tag):
    with open(actors_file) as f:
        actors = json.load(f)
    _signing.update(
        actors=actors, host=host, path=path, tag=tag,
        keys=[serialization.load_pem_private_key(a["private_pem"].encode(), None)
              for a in actors])


def sign_range(bounds):
    """The requests first..last-1, as one bytes object of records."""
    first, last = bounds
    s = _signing
    out = []
    for i in range(first, last):
        k = i % len(s["actors"])
        actor = s["actors"][k]
        now = time.time()
        published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        # numbers well past any real status id, unique in the file
        body = json.dumps(activity(actor, 100000000 + i, s["tag"], published),
                          separators=(",", ":")).encode()
        date = email.utils.formatdate(now, usegmt=True)
        digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        text = (f"(request-target): post {s['path']}\nhost: {s['host']}\n"
                f"date: {date}\ndigest: {digest}")
        sig = base64.b64encode(s["keys"][k].sign(
            text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
        head = (f"POST {s['path']} HTTP/1.1\r\n"
                f"Host: {s['host']}\r\n"
                "Content-Type: application/activity+json\r\n"
                "User-Agent: fedsign (bench/fed_in.sh)\r\n"
                f"Date: {date}\r\n"
                f"Digest: {digest}\r\n"
                f'Signature: keyId="{actor["key_id"]}",algorithm="rsa-sha256",'
                f'headers="(request-target) host date digest",signature="{sig}"\r\n'
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        req = head + body
        out.append(b"%d\n" % len(req) + req)
    return b"".join(out)


def cmd_sign(args):
    chunk = 500
    ranges = [(i, min(i + chunk, args.count)) for i in range(0, args.count, chunk)]
    tmp = args.out + ".tmp"
    with multiprocessing.Pool(args.jobs, sign_init,
                              (args.actors, args.host, args.path, args.tag)) as pool, \
            open(tmp, "wb") as f:
        for part in pool.imap(sign_range, ranges):  # in order
            f.write(part)
    os.replace(tmp, args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("actors")
    a.add_argument("--out", required=True)
    a.add_argument("--count", type=int, required=True)
    a.add_argument("--hosts", required=True)
    a.add_argument("--jobs", type=int, default=os.cpu_count())
    s = sub.add_parser("seed")
    s.add_argument("--actors", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--followers", type=int, default=10)
    g = sub.add_parser("sign")
    g.add_argument("--actors", required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--count", type=int, required=True)
    g.add_argument("--host", required=True)
    g.add_argument("--path", default="/inbox")
    g.add_argument("--tag", default="movement")
    g.add_argument("--jobs", type=int, default=os.cpu_count())
    args = p.parse_args()
    {"actors": cmd_actors, "seed": cmd_seed, "sign": cmd_sign}[args.cmd](args)


if __name__ == "__main__":
    main()
