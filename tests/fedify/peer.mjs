// A Fedify peer for tests/api/test_federation_fedify.py: a second,
// independent ActivityPub implementation that chorus federates with.
//
//   node peer.mjs PORT        (or FEDIFY_PEER_PORT=PORT; 0 picks a free one)
//
// Serves on http://127.0.0.1:PORT, through Fedify: WebFinger, actor
// documents (RSA key for HTTP signatures, Ed25519 for proofs, both made at
// creation and kept in memory), Notes, followers, personal inboxes
// (/users/NAME/inbox) and a shared one (/inbox). Every activity Fedify
// accepted (its signature verified) is recorded as it arrived. Follows are
// accepted at once. Prints "READY <port>" on stdout once listening; logs go
// to stderr.
//
// The tests drive it through a JSON control API (not ActivityPub):
//
//   POST /control/actor    {name, displayName?, summary?}    -> {id, handle, inbox}
//   POST /control/follow   {actor, target}                   -> {id, activity}
//   POST /control/post     {actor, content, visibility?, mentions?, hashtags?,
//                           inReplyTo?, summary?, deliverTo?}
//                                            -> {id (the Note's), activityId, activity}
//   POST /control/like     {actor, object}                   -> {id, activity}
//   POST /control/announce {actor, object}                   -> {id, activity}
//   POST /control/update   {actor, object, content, summary?} -> {id, activity}
//   POST /control/delete   {actor, object}                   -> {id, activity}
//   POST /control/undo     {actor, activity}                 -> {id, activity}
//   POST /control/block    {actor, target}                   -> {id, activity}
//   GET  /control/inbox?actor=NAME  what reached NAME's inbox and the shared one
//   GET  /control/actor?name=NAME   followers, follows and their state
//   GET  /control/log?bodies=1      deliveries made to it (each, even one
//                                   Fedify dropped as a repeat: the
//                                   listener and so /control/inbox see an
//                                   activity id once), those Fedify refused,
//                                   deliveries it
//                                   sent (the signature used, the answer and,
//                                   with bodies=1, the body), errors
//
// A target is an actor id (http://127.0.0.1:P/users/x) or a handle
// (x@127.0.0.1:P, looked up by WebFinger over plain http, since Fedify's
// own lookup of a handle always asks https). Each send is made at once (no
// queue): the control call answers when the receiver has answered, and a
// refusal comes back as a 502 with Fedify's error.

import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import * as vocab from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getTextFormatter } from "@logtape/logtape";

const formatter = getTextFormatter();
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: (record) => process.stderr.write(formatter(record)) },
  loggers: [
    { category: "fedify", lowestLevel: "info", sinks: ["stderr"] },
    // debug: says when an activity is dropped as one already processed
    { category: ["fedify", "federation", "inbox"], lowestLevel: "debug", sinks: ["stderr"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

const PUBLIC = vocab.PUBLIC_COLLECTION;

// ---- what the peer knows ----------------------------------------------------

const actors = new Map(); // name -> {name, displayName, summary, keys, followers, follows}
const received = []; // every activity Fedify accepted, in order
const rawById = new Map(); // activity id -> {json, signature}: the body as it came
const delivered = []; // every POST to an inbox: {path, id, type, actor, status}
const refused = []; // POSTs Fedify answered >= 400
const sent = []; // POSTs Fedify made: {url, signature, status}
const errors = []; // failures outside a control call (auto-Accept)
const activities = new Map(); // id -> {actor, activity, recipients}: what we sent
const notes = new Map(); // note id -> {actor, note, recipients}

// Fetches Fedify makes: POSTs recorded with the signature scheme used
// (double-knocking shows as two entries) and the answer.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const req = input instanceof Request ? input : null;
  const method = (init?.method ?? req?.method ?? "GET").toUpperCase();
  const body = method === "POST"
    ? (req ? await req.clone().text() : typeof init?.body === "string" ? init.body : null)
    : null;
  const response = await realFetch(input, init);
  if (method === "POST") {
    const h = new Headers(init?.headers ?? req?.headers);
    sent.push({
      url: String(req ? req.url : input),
      signature: h.has("signature-input") ? "rfc9421" : h.has("signature") ? "draft-cavage" : "none",
      status: response.status,
      body: body?.slice(0, 8000) ?? null,
    });
  }
  return response;
};

// ---- the federation -----------------------------------------------------------

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    process.stderr.write(`peer: ${req.method} ${req.url}: ${e.stack ?? e}\n`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(e));
  });
});
const portArg = Number(process.argv[2] ?? process.env.FEDIFY_PEER_PORT ?? 0);
await new Promise((resolve) => server.listen(portArg, "127.0.0.1", resolve));
const port = server.address().port;
const origin = `http://127.0.0.1:${port}`;
const host = `127.0.0.1:${port}`;

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  // chorus runs on http://127.0.0.1: loopback, which the SSRF guard refuses
  allowPrivateAddress: true,
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    const a = actors.get(identifier);
    if (a == null) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new vocab.Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: a.displayName,
      summary: a.summary,
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new vocab.Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      manuallyApprovesFollowers: false,
      discoverable: true,
      published: a.published,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .mapHandle((_ctx, username) => (actors.has(username) ? username : null))
  .setKeyPairsDispatcher((_ctx, identifier) => actors.get(identifier)?.keys ?? []);

federation.setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
  const a = actors.get(identifier);
  if (a == null) return null;
  return { items: [...a.followers.values()].map((f) => f.recipient) };
});

federation.setObjectDispatcher(vocab.Note, "/users/{identifier}/notes/{id}", (ctx, values) => {
  const n = notes.get(ctx.getObjectUri(vocab.Note, values).href);
  return n?.note ?? null;
});

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(vocab.Activity, async (ctx, activity) => {
    const id = activity.id?.href ?? null;
    const raw = id ? rawById.get(id) : null;
    received.push({
      recipient: ctx.recipient, // null: the shared inbox
      type: raw?.json?.type ?? activity.constructor.name,
      id,
      actor: activity.actorId?.href ?? null,
      signature: raw?.signature ?? null,
      activity: raw?.json ?? (await activity.toJsonLd()),
      receivedAt: new Date().toISOString(),
    });
    await react(ctx, activity);
  });

// What a small server does with what it receives: accept follows, keep
// its followers and follows up to date.
async function react(ctx, activity) {
  if (activity instanceof vocab.Follow) {
    const target = activity.objectId && ctx.parseUri(activity.objectId);
    if (target?.type !== "actor") return;
    const a = actors.get(target.identifier);
    const follower = await activity.getActor();
    if (a == null || follower == null || follower.inboxId == null) return;
    a.followers.set(follower.id.href, { id: follower.id.href, recipient: follower });
    const accept = new vocab.Accept({
      id: new URL(`${ctx.getActorUri(a.name).href}#accepts/${randomUUID()}`),
      actor: ctx.getActorUri(a.name),
      object: activity,
      to: follower.id,
    });
    // sent after this delivery is answered, as a server with a queue would
    setImmediate(() =>
      ctx.sendActivity({ identifier: a.name }, follower, accept).catch((e) =>
        errors.push({ what: `Accept of ${activity.id?.href}`, error: String(e) })
      )
    );
  } else if (activity instanceof vocab.Accept || activity instanceof vocab.Reject) {
    const followId = activity.objectId?.href;
    for (const a of actors.values()) {
      const f = [...a.follows.values()].find((x) => x.followId === followId);
      if (f && f.target === activity.actorId?.href) {
        f.state = activity instanceof vocab.Accept ? "accepted" : "rejected";
      }
    }
  } else if (activity instanceof vocab.Undo) {
    const inner = await activity.getObject();
    if (inner instanceof vocab.Follow) {
      const target = inner.objectId && ctx.parseUri(inner.objectId);
      if (target?.type === "actor") actors.get(target.identifier)?.followers.delete(activity.actorId?.href);
    }
  } else if (activity instanceof vocab.Block) {
    const target = activity.objectId && ctx.parseUri(activity.objectId);
    if (target?.type === "actor") {
      const a = actors.get(target.identifier);
      a?.followers.delete(activity.actorId?.href);
      a?.follows.delete(activity.actorId?.href);
    }
  }
}

// ---- HTTP: node's request to a fetch Request and back -----------------------

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, `http://${req.headers.host ?? host}`);
  if (url.pathname.startsWith("/control/")) return control(req, res, url, body);

  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    for (const x of Array.isArray(v) ? v : [v]) if (x != null) headers.append(k, x);
  }
  const hasBody = !["GET", "HEAD"].includes(req.method);
  let json = null;
  if (req.method === "POST") {
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      json = null;
    }
    if (json && typeof json.id === "string") {
      rawById.set(json.id, {
        json,
        signature: headers.has("signature-input") ? "rfc9421" : headers.has("signature") ? "draft-cavage" : "none",
      });
    }
  }
  const response = await federation.fetch(
    new Request(url, { method: req.method, headers, body: hasBody ? body : undefined }),
    {
      contextData: undefined,
      onNotFound: () => new Response("Not Found", { status: 404 }),
      onNotAcceptable: () => new Response("Not Acceptable", { status: 406 }),
    },
  );
  const out = Buffer.from(await response.arrayBuffer());
  if (req.method === "POST") {
    delivered.push({
      path: url.pathname, id: json?.id ?? null, type: json?.type ?? null,
      actor: json?.actor ?? null, status: response.status,
    });
  }
  if (req.method === "POST" && response.status >= 400) {
    refused.push({
      path: url.pathname,
      status: response.status,
      answer: out.toString("utf8").slice(0, 2000),
      signatureHeaders: {
        signature: headers.get("signature"),
        "signature-input": headers.get("signature-input"),
        digest: headers.get("digest"),
        "content-digest": headers.get("content-digest"),
        date: headers.get("date"),
      },
      activity: json ?? body.toString("utf8").slice(0, 4000),
    });
  }
  const h = {};
  response.headers.forEach((v, k) => (h[k] = v));
  res.writeHead(response.status, h);
  res.end(out);
}

// ---- the control API -------------------------------------------------------

function reply(res, status, obj) {
  const b = JSON.stringify(obj, null, 1);
  res.writeHead(status, { "content-type": "application/json" });
  res.end(b);
}

class Failure extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function ctxNow() {
  return federation.createContext(new URL(origin), undefined);
}

function actorNamed(name) {
  const a = actors.get(name);
  if (a == null) throw new Failure(404, `no actor ${name}`);
  return a;
}

// An actor of another server, by id or handle, as Fedify reads it.
const resolved = new Map();
async function resolve(ctx, target) {
  if (resolved.has(target)) return resolved.get(target);
  let id = target;
  if (!/^https?:/.test(target)) {
    const handle = target.replace(/^@/, "").replace(/^acct:/, "");
    const at = handle.lastIndexOf("@");
    const r = await realFetch(
      `http://${handle.slice(at + 1)}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${handle}`)}`,
      { headers: { accept: "application/jrd+json" } },
    );
    if (!r.ok) throw new Failure(502, `WebFinger of ${handle}: HTTP ${r.status}`);
    const jrd = await r.json();
    const self = (jrd.links ?? []).find(
      (l) => l.rel === "self" && /activity\+json|ld\+json/.test(l.type ?? ""),
    );
    if (self == null) throw new Failure(502, `WebFinger of ${handle}: no self link`);
    id = self.href;
  }
  const obj = await ctx.lookupObject(id);
  if (obj == null || !vocab.isActor(obj) || obj.inboxId == null) {
    throw new Failure(502, `${target} is not an actor Fedify can read`);
  }
  resolved.set(target, obj);
  resolved.set(obj.id.href, obj);
  return obj;
}

// The author of a post of another server, as Fedify reads the post.
async function authorOf(ctx, objectUri) {
  const obj = await ctx.lookupObject(objectUri);
  if (obj == null || obj.attributionId == null) {
    throw new Failure(502, `${objectUri}: not an object with an author Fedify can read`);
  }
  return resolve(ctx, obj.attributionId.href);
}

function uniqueRecipients(list) {
  const seen = new Map();
  for (const r of list) if (r?.id && !seen.has(r.id.href)) seen.set(r.id.href, r);
  return [...seen.values()];
}

async function send(ctx, a, activity, recipients) {
  recipients = uniqueRecipients(recipients);
  activities.set(activity.id.href, { actor: a.name, activity, recipients });
  if (recipients.length > 0) {
    try {
      await ctx.sendActivity({ identifier: a.name }, recipients, activity, {
        preferSharedInbox: true,
        immediate: true,
      });
    } catch (e) {
      throw new Failure(502, `sending ${activity.id.href}: ${e.stack ?? e}`);
    }
  }
  return { id: activity.id.href, activity: await activity.toJsonLd(), recipients: recipients.map((r) => r.id.href) };
}

async function makeNote(ctx, a, { id, content, visibility, mentions, hashtags, inReplyTo, summary, published, updated }) {
  const me = ctx.getActorUri(a.name);
  const followers = ctx.getFollowersUri(a.name);
  const mentioned = mentions.map((m) => m.id);
  let to, cc;
  switch (visibility ?? "public") {
    case "public": to = [PUBLIC]; cc = [followers, ...mentioned]; break;
    case "unlisted": to = [followers]; cc = [PUBLIC, ...mentioned]; break;
    case "followers": to = [followers]; cc = [...mentioned]; break;
    case "direct": to = [...mentioned]; cc = []; break;
    default: throw new Failure(400, `visibility ${visibility}?`);
  }
  const tags = [
    ...mentions.map((m) => new vocab.Mention({
      href: m.id,
      name: `@${m.preferredUsername}@${m.id.host}`,
    })),
    ...hashtags.map((t) => new vocab.Hashtag({
      href: new URL(`${origin}/tags/${encodeURIComponent(t)}`),
      name: `#${t}`,
    })),
  ];
  return {
    note: new vocab.Note({
      id,
      attribution: me,
      content,
      summary: summary ?? null,
      sensitive: summary ? true : false,
      tos: to,
      ccs: cc,
      tags,
      replyTarget: inReplyTo ? new URL(inReplyTo) : null,
      url: id,
      published,
      updated: updated ?? null,
    }),
    to,
    cc,
  };
}

// RSA keys (Fedify's default, 4096 bits) take up to a second each to
// make: a few are made ahead, in the background, while the tests wait on
// other things.
const rsaPool = [];
function refillRsaPool() {
  while (rsaPool.length < 3) rsaPool.push(generateCryptoKeyPair("RSASSA-PKCS1-v1_5"));
}
function rsaKeyPair() {
  refillRsaPool();
  const next = rsaPool.shift();
  refillRsaPool();
  return next;
}
refillRsaPool();

const controls = {
  async "POST actor"(ctx, q) {
    const name = String(q.name ?? "");
    if (!/^[A-Za-z0-9_]{1,30}$/.test(name)) throw new Failure(400, "name: [A-Za-z0-9_]{1,30}");
    if (!actors.has(name)) {
      actors.set(name, {
        name,
        displayName: q.displayName ?? name,
        summary: q.summary ?? null,
        published: Temporal.Now.instant(),
        keys: [await rsaKeyPair(), await generateCryptoKeyPair("Ed25519")],
        followers: new Map(), // actor id -> {id, recipient}
        follows: new Map(), // target id -> {followId, target, state}
      });
    }
    return { id: ctx.getActorUri(name).href, handle: `${name}@${host}`, inbox: ctx.getInboxUri(name).href };
  },

  async "GET actor"(ctx, q) {
    const a = actorNamed(q.name);
    return {
      id: ctx.getActorUri(a.name).href,
      followers: [...a.followers.keys()],
      follows: [...a.follows.values()],
    };
  },

  async "POST follow"(ctx, q) {
    const a = actorNamed(q.actor);
    const target = await resolve(ctx, q.target);
    const me = ctx.getActorUri(a.name);
    const follow = new vocab.Follow({
      id: new URL(`${me.href}#follows/${randomUUID()}`),
      actor: me,
      object: target.id,
      to: target.id,
    });
    a.follows.set(target.id.href, { followId: follow.id.href, target: target.id.href, state: "requested" });
    return send(ctx, a, follow, [target]);
  },

  async "POST post"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const mentions = await Promise.all((q.mentions ?? []).map((m) => resolve(ctx, m)));
    const extra = await Promise.all((q.deliverTo ?? []).map((m) => resolve(ctx, m)));
    if (q.inReplyTo) extra.push(await authorOf(ctx, q.inReplyTo));
    const n = randomUUID();
    const id = ctx.getObjectUri(vocab.Note, { identifier: a.name, id: n });
    const published = Temporal.Now.instant();
    const spec = {
      id, content: String(q.content ?? ""), visibility: q.visibility, mentions,
      hashtags: q.hashtags ?? [], inReplyTo: q.inReplyTo, summary: q.summary, published,
    };
    const { note, to, cc } = await makeNote(ctx, a, spec);
    const recipients = [
      ...(spec.visibility === "direct" ? [] : [...a.followers.values()].map((f) => f.recipient)),
      ...mentions, ...extra,
    ];
    notes.set(id.href, { actor: a.name, note, spec, recipients });
    const create = new vocab.Create({
      id: new URL(`${id.href}/activity`),
      actor: me,
      object: note,
      tos: to,
      ccs: cc,
      published,
    });
    return { ...(await send(ctx, a, create, recipients)), id: id.href, activityId: create.id.href };
  },

  async "POST like"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const author = await authorOf(ctx, q.object);
    const like = new vocab.Like({
      id: new URL(`${me.href}#likes/${randomUUID()}`),
      actor: me,
      object: new URL(q.object),
      to: author.id,
    });
    return send(ctx, a, like, [author]);
  },

  async "POST announce"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const author = await authorOf(ctx, q.object);
    const announce = new vocab.Announce({
      id: new URL(`${me.href}/announces/${randomUUID()}`),
      actor: me,
      object: new URL(q.object),
      to: PUBLIC,
      ccs: [author.id, ctx.getFollowersUri(a.name)],
      published: Temporal.Now.instant(),
    });
    return send(ctx, a, announce, [author, ...[...a.followers.values()].map((f) => f.recipient)]);
  },

  async "POST undo"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const original = activities.get(q.activity);
    if (original == null || original.actor !== a.name) throw new Failure(404, `${a.name} sent no ${q.activity}`);
    const undo = new vocab.Undo({
      id: new URL(`${me.href}#undo/${randomUUID()}`),
      actor: me,
      object: original.activity,
      tos: original.activity.toIds,
      ccs: original.activity.ccIds,
    });
    if (original.activity instanceof vocab.Follow) a.follows.delete(original.activity.objectId?.href);
    return send(ctx, a, undo, original.recipients);
  },

  async "POST update"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const n = notes.get(q.object);
    if (n == null || n.actor !== a.name) throw new Failure(404, `${a.name} wrote no ${q.object}`);
    const updated = Temporal.Now.instant();
    n.spec = { ...n.spec, content: String(q.content ?? ""), summary: q.summary ?? n.spec.summary, updated };
    const { note, to, cc } = await makeNote(ctx, a, n.spec);
    n.note = note;
    const update = new vocab.Update({
      id: new URL(`${q.object}#updates/${updated.epochMilliseconds}`),
      actor: me,
      object: note,
      tos: to,
      ccs: cc,
      published: updated,
    });
    return send(ctx, a, update, n.recipients);
  },

  async "POST delete"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const n = notes.get(q.object);
    if (n == null || n.actor !== a.name) throw new Failure(404, `${a.name} wrote no ${q.object}`);
    notes.delete(q.object);
    const del = new vocab.Delete({
      id: new URL(`${q.object}#delete`),
      actor: me,
      object: new vocab.Tombstone({ id: new URL(q.object) }),
      to: PUBLIC,
    });
    return send(ctx, a, del, n.recipients);
  },

  async "POST block"(ctx, q) {
    const a = actorNamed(q.actor);
    const me = ctx.getActorUri(a.name);
    const target = await resolve(ctx, q.target);
    a.followers.delete(target.id.href);
    a.follows.delete(target.id.href);
    const block = new vocab.Block({
      id: new URL(`${me.href}#blocks/${randomUUID()}`),
      actor: me,
      object: target.id,
      to: target.id,
    });
    return send(ctx, a, block, [target]);
  },

  async "GET inbox"(_ctx, q) {
    if (q.actor == null) return received;
    actorNamed(q.actor);
    return received.filter((r) => r.recipient === q.actor || r.recipient == null);
  },

  async "GET log"(_ctx, q) {
    return {
      delivered,
      refused,
      sent: q.bodies === "1" ? sent : sent.map(({ body: _, ...rest }) => rest),
      errors,
    };
  },
};

async function control(req, res, url, body) {
  const op = controls[`${req.method} ${url.pathname.slice("/control/".length)}`];
  if (op == null) return reply(res, 404, { error: `no control ${req.method} ${url.pathname}` });
  let q = Object.fromEntries(url.searchParams);
  if (req.method === "POST") {
    try {
      q = JSON.parse(body.toString("utf8") || "{}");
    } catch (e) {
      return reply(res, 400, { error: `not JSON: ${e}` });
    }
  }
  try {
    reply(res, 200, await op(ctxNow(), q));
  } catch (e) {
    reply(res, e instanceof Failure ? e.status : 500, { error: e instanceof Failure ? e.message : String(e.stack ?? e) });
  }
}

process.on("SIGTERM", () => process.exit(0));
process.stdout.write(`READY ${port}\n`);
