// chorus's streaming API through masto.js, the client library Elk, Phanpy
// and many bots use: REST to post, WebSocket (/api/v1/streaming) to hear it.
//
//   CHORUS_URL=http://127.0.0.1:3000 CHORUS_TOKEN=... [CHORUS_TOKEN2=...] \
//       node --test tests/js/stream.test.mjs
//
// CHORUS_TOKEN (read write) listens and posts; CHORUS_TOKEN2, another
// account's token, posts what the first one hears on hashtag streams.
// tests/api/test_masto.py runs this against the suite's server.
//
// masto sends the token as the WebSocket subprotocol (Sec-WebSocket-Protocol)
// and the ws library refuses a 101 that does not echo it, so every test
// here also checks that. masto subscribes with {"type":"subscribe",...}
// messages and routes an event to a subscription only if its "stream" array
// holds the stream name and every parameter (the tag).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, describe, test } from "node:test";

import { createRestAPIClient, createStreamingAPIClient } from "masto";
import WebSocket from "ws";

const BASE = process.env.CHORUS_URL;
const TOKEN = process.env.CHORUS_TOKEN;
const TOKEN2 = process.env.CHORUS_TOKEN2 || TOKEN;
const SKIP = !BASE || !TOKEN ? "CHORUS_URL and CHORUS_TOKEN are not set" : false;
const STREAMING_URL = BASE ? BASE.replace(/^http/, "ws") : "";
const STREAMING_PATH = "/api/v1/streaming";

const DELIVERY_MS = 1000; // from the POST's start to the event, at most
const SETUP_MS = 8000; // to connect and see a warm-up post arrive
const TEST_TIMEOUT = 30000;

const rest = (token) =>
	createRestAPIClient({ url: BASE, accessToken: token, timeout: 10000 });

// A streaming client that gives up instead of reconnecting forever, so a
// refused connection fails the test rather than hanging it. `implementation`
// is masto's documented hook for the WebSocket class: ws, pinned in
// package-lock.json, works on every Node version (global WebSocket only
// arrived in Node 22).
const streaming = (token) =>
	createStreamingAPIClient({
		streamingApiUrl: STREAMING_URL,
		accessToken: token,
		implementation: WebSocket,
		retry: false,
	});

const freshTag = () => "chorusjs" + randomBytes(4).toString("hex");

// Consume a masto subscription in the background, keeping every event, so
// an event that arrives before the POST's answer is not missed.
function watch(subscription) {
	const w = { events: [], failure: null, ended: false, wake: new Set() };
	(async () => {
		try {
			for await (const event of subscription) {
				w.events.push(event);
				for (const f of w.wake) f();
			}
		} catch (err) {
			w.failure = err;
		} finally {
			w.ended = true;
			for (const f of w.wake) f();
		}
	})();
	// The first event matching pred within ms; rejects on timeout, on a
	// stream error and when the stream ends.
	w.waitFor = (pred, ms, what) =>
		new Promise((resolve, reject) => {
			let timer;
			const check = () => {
				const hit = w.events.find(pred);
				let err = null;
				if (!hit && w.failure)
					err = new Error(`stream failed while waiting for ${what}: ${w.failure.message}`);
				else if (!hit && w.ended)
					err = new Error(`stream ended while waiting for ${what}`);
				if (!hit && !err) return;
				clearTimeout(timer);
				w.wake.delete(check);
				if (err) reject(err);
				else resolve(hit);
			};
			timer = setTimeout(() => {
				w.wake.delete(check);
				const seen = w.events.map((e) => `${e.event} ${JSON.stringify(e.stream)}`);
				reject(new Error(`no ${what} within ${ms} ms; events seen: ${JSON.stringify(seen)}`));
			}, ms);
			w.wake.add(check);
			check();
		});
	return w;
}

const isUpdate = (id) => (e) => e.event === "update" && e.payload?.id === id;

// Post until one of the posts reaches the watcher: the subscribe message and
// the POST travel on different connections, so the first posts may be
// processed before the server has registered the subscription.
async function warmUp(w, poster, text) {
	const deadline = Date.now() + SETUP_MS;
	for (let i = 1; ; i++) {
		const s = await poster.v1.statuses.create({ status: `${text} (warm-up ${i})`, visibility: "public" });
		try {
			await w.waitFor(isUpdate(s.id), 1000, `warm-up update ${s.id}`);
			return;
		} catch (err) {
			if (w.failure || w.ended || Date.now() > deadline) throw err;
		}
	}
}

// POST a status and wait for its update; the clock starts before the POST.
async function postAndHear(w, poster, text) {
	const t0 = performance.now();
	const status = await poster.v1.statuses.create({ status: text, visibility: "public" });
	assert.ok(status.id, "POST /api/v1/statuses returned no id");
	const event = await w.waitFor(isUpdate(status.id), DELIVERY_MS - (performance.now() - t0),
		`update for status ${status.id}`);
	return { status, event, ms: performance.now() - t0 };
}

const clients = [];
const open = (token) => {
	const c = streaming(token);
	clients.push(c);
	return c;
};
after(() => {
	for (const c of clients) c.close();
});

// A fresh tag's hashtag stream, listened to with TOKEN and warmed up by
// posts from TOKEN2: { tag, w, poster }.
async function hashtagListener() {
	const tag = freshTag();
	const listener = open(TOKEN);
	await listener.prepare();
	const w = watch(listener.hashtag.subscribe({ tag }));
	const poster = rest(TOKEN2);
	await warmUp(w, poster, `#${tag}`);
	return { tag, w, poster };
}

describe("masto.js streaming", { skip: SKIP }, () => {
	test("an update reaches a hashtag stream within 1 s with the posted status", { timeout: TEST_TIMEOUT }, async () => {
		const { tag, w, poster } = await hashtagListener();

		const { status, event } = await postAndHear(w, poster, `Fan-out check #${tag}`);
		assert.deepEqual(event.stream, ["hashtag", tag]);
		assert.equal(event.payload.id, status.id);
		assert.equal(event.payload.account.id, status.account.id);
		assert.ok(event.payload.tags.some((t) => t.name.toLowerCase() === tag),
			`payload tags ${JSON.stringify(event.payload.tags)} lack ${tag}`);
		assert.equal(event.payload.content, status.content);
	});

	test("a status without the tag is not sent to the hashtag stream", { timeout: TEST_TIMEOUT }, async () => {
		const { tag, w, poster } = await hashtagListener();

		const other = await poster.v1.statuses.create({ status: `#${freshTag()} only`, visibility: "public" });
		await postAndHear(w, poster, `after the other one #${tag}`);
		assert.ok(!w.events.some(isUpdate(other.id)), "a post without the tag reached the hashtag stream");
	});

	test("an own post reaches the user stream within 1 s", { timeout: TEST_TIMEOUT }, async () => {
		const listener = open(TOKEN);
		await listener.prepare();
		const w = watch(listener.user.subscribe());
		const me = rest(TOKEN);
		await warmUp(w, me, "user stream");

		const { status, event } = await postAndHear(w, me, `home check ${freshTag()}`);
		assert.deepEqual(event.stream, ["user"]);
		assert.equal(event.payload.id, status.id);
	});

	test("one connection carries several subscriptions", { timeout: TEST_TIMEOUT }, async () => {
		const tag = freshTag();
		const listener = open(TOKEN);
		await listener.prepare();
		const byTag = watch(listener.hashtag.subscribe({ tag }));
		const home = watch(listener.user.subscribe());
		const me = rest(TOKEN);
		await warmUp(byTag, me, `#${tag}`);
		await warmUp(home, me, `#${tag}`);

		const { status } = await postAndHear(byTag, me, `both streams #${tag}`);
		const event = await home.waitFor(isUpdate(status.id), DELIVERY_MS, `user update ${status.id}`);
		assert.deepEqual(event.stream, ["user"]);
	});

	test("deleting a status sends delete with its id to the hashtag stream", { timeout: TEST_TIMEOUT }, async () => {
		const { tag, w, poster } = await hashtagListener();

		const { status } = await postAndHear(w, poster, `to be deleted #${tag}`);
		await poster.v1.statuses.$select(status.id).remove();
		const event = await w.waitFor((e) => e.event === "delete" && e.payload === status.id,
			DELIVERY_MS, `delete for ${status.id}`);
		assert.deepEqual(event.stream, ["hashtag", tag]);
	});

	test("an unknown stream gets an error, not silence", { timeout: TEST_TIMEOUT }, async () => {
		const listener = open(TOKEN);
		await listener.prepare();
		const w = watch(listener.nosuchstream.subscribe());
		// masto turns {"error": ...} into a thrown error, which ends the
		// subscription: Mastodon answers {"error":"Unknown stream type","status":400}
		await assert.rejects(w.waitFor(() => false, 3000, "an error"), /stream (failed|ended)/);
	});

	test("an unknown stream in the query string is refused, not left silent", { timeout: TEST_TIMEOUT }, async () => {
		const url = `${STREAMING_URL}${STREAMING_PATH}?stream=nosuchstream`;
		const outcome = await new Promise((resolve) => {
			const ws = new WebSocket(url, [TOKEN]);
			const timer = setTimeout(() => {
				ws.terminate();
				resolve("nothing within 3 s");
			}, 3000);
			const done = (what) => {
				clearTimeout(timer);
				ws.terminate();
				resolve(what);
			};
			ws.on("message", (data) => {
				const m = JSON.parse(String(data));
				done(m.error ? "error" : `message ${String(data).slice(0, 200)}`);
			});
			ws.on("close", () => done("close"));
			ws.on("error", (err) => done(`error: ${err.message}`));
		});
		// chorus refuses it at the handshake with a 400; an error frame or a
		// close would be clear too
		assert.ok(outcome === "error" || outcome === "close" || outcome === "error: Unexpected server response: 400",
			`unknown stream: ${outcome}`);
	});

	test("a bad token is refused at the handshake", { timeout: TEST_TIMEOUT }, async () => {
		const url = `${STREAMING_URL}${STREAMING_PATH}?stream=public`;
		const outcome = await new Promise((resolve) => {
			const ws = new WebSocket(url, ["not-a-valid-token"]);
			const timer = setTimeout(() => {
				ws.terminate();
				resolve("still open after 3 s");
			}, 3000);
			const done = (what) => {
				clearTimeout(timer);
				ws.terminate();
				resolve(what);
			};
			ws.on("unexpected-response", (_req, res) => done(`HTTP ${res.statusCode}`));
			ws.on("open", () => ws.once("close", () => done("closed after open")));
			ws.on("error", (err) => done(`error: ${err.message}`));
		});
		// Mastodon answers 401; any refusal of the upgrade will do
		assert.match(outcome, /^HTTP 4\d\d$/, `bad token: ${outcome}`);
	});
});
