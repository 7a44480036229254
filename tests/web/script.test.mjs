// src/web/assets/chorus.js on its own: live arrival (tag feed, thread),
// relative times, share/copy link, reduced motion, reconnection.
//
// The pages here are fixtures served on the chorus server's origin by
// Playwright's request routing, under the same Content-Security-Policy as
// the real pages, and the script talks to the real server's streaming API.
// So the script is tested whatever state the real pages are in; visitor
// .test.mjs checks it again on them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { REPO, SLOW, launchBrowser, startChorus, watchedPage } from "./harness.mjs";

const SCRIPT = readFileSync(join(REPO, "src/web/assets/chorus.js"), "utf8");
const CSP =
	"default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
const ARRIVAL_MS = 5000 * SLOW;

const esc = (s) =>
	String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function layout(body, { lang = "en", head = "" } = {}) {
	return `<!doctype html><html lang="${esc(lang)}"><head><meta charset="utf-8">
<title>fixture</title>${head}<script src="/__t/chorus.js" defer></script></head>
<body><main id="main">${body}</main></body></html>`;
}

// A post as the contract has it (content is the server's HTML, raw).
function article(s, { focus = false } = {}) {
	return `<article class="status${focus ? " focus" : ""}" id="s-${esc(s.id)}" data-id="${esc(s.id)}" lang="${esc(s.language || "en")}">
<a class="author" href="/@${esc(s.account.username)}">${esc(s.account.display_name || s.account.username)}</a>
<a class="permalink" href="/@${esc(s.account.username)}/${esc(s.id)}"><time datetime="${esc(s.created_at)}">now</time></a>
<div class="content">${s.content}</div></article>`;
}

let server, users, browser;

before(async () => {
	({ server, users } = await startChorus(["ana", "ben"]));
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

// A browser context whose requests to /__t/ are answered by the fixtures;
// anything else goes to the server.
// Chromium counts a routed page's address as unknown, so its socket to
// 127.0.0.1 needs the local-network permission a served page would not.
async function fixtureContext(options = {}) {
	const permissions = [...(options.permissions || []), "local-network-access"];
	const context = await browser.newContext({ ...options, permissions });
	await context.route(`${server.url}/__t/**`, async (route) => {
		const url = new URL(route.request().url());
		const headers = { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP };
		if (url.pathname === "/__t/chorus.js")
			return route.fulfill({ body: SCRIPT, headers: { "Content-Type": "text/javascript" } });
		const m = url.pathname.match(/^\/__t\/(tag|thread|page)\/(.*)$/);
		if (!m) return route.fulfill({ status: 404, body: "no fixture" });
		let body;
		if (m[1] === "tag") {
			const tag = decodeURIComponent(m[2]);
			const items = await server.api("GET", `/api/v1/timelines/tag/${encodeURIComponent(tag)}`);
			body = `<h1>#${esc(tag)}</h1><div class="feed" data-stream="hashtag" data-tag="${esc(tag)}">${items.map((s) => article(s)).join("")}</div>`;
		} else if (m[1] === "thread") {
			const id = m[2];
			const s = await server.api("GET", `/api/v1/statuses/${id}`);
			const ctx = await server.api("GET", `/api/v1/statuses/${id}/context`);
			body = `<div class="thread" data-status-id="${esc(id)}">${article(s, { focus: true })}
<section class="replies"><ol class="replies">${ctx.descendants.map((d) => `<li>${article(d)}</li>`).join("")}</ol></section></div>`;
		} else {
			body = fixtures[m[2]];
			if (body === undefined) return route.fulfill({ status: 404, body: "no fixture" });
		}
		return route.fulfill({ body: layout(body.body ?? body, body.opts), headers });
	});
	return context;
}

const fixtures = {};

// Open path and wait until the script's stream is open (data-live on its
// feed or thread), plus a moment for chorus to file the subscription.
async function openLive(page, path) {
	await page.goto(server.url + path);
	try {
		await page.waitForSelector("[data-live=open]", { state: "attached", timeout: ARRIVAL_MS });
	} catch (e) {
		const live = await page.evaluate(() =>
			[...document.querySelectorAll("[data-live]")].map((e) => e.getAttribute("data-live")),
		);
		throw new Error(`the stream did not open on ${path} (data-live: ${live}); ${page.problems.join("; ")}`);
	}
	await new Promise((r) => setTimeout(r, 200 * SLOW));
}

describe("live arrival on a tag feed", () => {
	test("new posts under the tag show as one button that counts them, and load on click", async () => {
		const tag = "livetag" + Date.now().toString(36);
		await server.post(users.ana, `first under #${tag}`);
		const context = await fixtureContext();
		const page = await watchedPage(context);
		await openLive(page, `/__t/tag/${tag}`);
		assert.equal(await page.locator("article.status").count(), 1);
		assert.equal(await page.locator("button.new-posts").count(), 0, "no button before anything arrives");

		const one = await server.post(users.ben, `second under #${tag}`);
		const button = page.locator("button.new-posts");
		await button.waitFor({ timeout: ARRIVAL_MS });
		assert.equal((await button.textContent()).trim(), "1 new post");
		assert.equal(
			await button.evaluate((b) => b.closest("[aria-live]")?.getAttribute("aria-live")),
			"polite",
			"the button is in a polite live region",
		);
		// another tag's post is not counted
		await server.post(users.ben, `elsewhere #other${tag}`);
		await server.post(users.ana, `third under #${tag}`);
		await page.waitForFunction(
			() => document.querySelector("button.new-posts")?.textContent.trim() === "2 new posts",
			null,
			{ timeout: ARRIVAL_MS },
		);
		assert.equal(await page.locator("article.status").count(), 1, "nothing is inserted before the click");

		await button.click();
		await page.locator("button.new-posts").waitFor({ state: "detached", timeout: ARRIVAL_MS });
		assert.equal(await page.locator(".feed article.status").count(), 3);
		assert.equal(await page.locator(`.feed article[data-id="${one.id}"]`).count(), 1);
		assert.equal(
			await page.locator(".feed article.status button.share").count(),
			3,
			"loaded posts get their share buttons",
		);
		assert.equal(
			await page.evaluate(() => document.activeElement?.classList.contains("feed")),
			true,
			"focus moves to the reloaded feed, not to <body>",
		);
		// the count starts over
		await server.post(users.ben, `fourth under #${tag}`);
		await page.waitForFunction(
			() => document.querySelector("button.new-posts")?.textContent.trim() === "1 new post",
			null,
			{ timeout: ARRIVAL_MS },
		);
		assert.deepEqual(page.problems, []);
		await context.close();
	});

	test("a dropped stream is opened again", async () => {
		const tag = "retry" + Date.now().toString(36);
		await server.post(users.ana, `first #${tag}`);
		const context = await fixtureContext();
		let attempts = 0;
		await context.routeWebSocket(/\/api\/v1\/streaming/, (ws) => {
			attempts++;
			if (attempts === 1) return ws.close({ code: 1011, reason: "test drops it" });
			ws.connectToServer();
		});
		const page = await watchedPage(context);
		await page.goto(`${server.url}/__t/tag/${tag}`);
		await page.waitForFunction(() => true);
		const deadline = Date.now() + 5000 * SLOW;
		while (attempts < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
		assert.equal(attempts, 2, "the script reconnects within the first backoff (about 1 s)");
		await new Promise((r) => setTimeout(r, 300 * SLOW));
		await server.post(users.ben, `after the drop #${tag}`);
		await page.locator("button.new-posts").waitFor({ timeout: ARRIVAL_MS });
		await context.close();
	});

	test("an older page (?max_id=) does not listen", async () => {
		const tag = "older" + Date.now().toString(36);
		await server.post(users.ana, `first #${tag}`);
		const context = await fixtureContext();
		const page = await watchedPage(context);
		let sockets = 0;
		page.on("websocket", () => sockets++);
		await page.goto(`${server.url}/__t/tag/${tag}?max_id=1`);
		await new Promise((r) => setTimeout(r, 500));
		assert.equal(sockets, 0);
		await context.close();
	});
});

describe("live arrival on a thread", () => {
	test("any public reply in the thread counts, by anyone; unrelated and private posts do not", async () => {
		const root = await server.post(users.ana, "A thread to watch");
		const context = await fixtureContext();
		const page = await watchedPage(context);
		await openLive(page, `/__t/thread/${root.id}`);
		await server.post(users.ben, "not in the thread");
		// the thread stream (a chorus extension) carries every reply an
		// anonymous reader may see, whoever wrote it and at any depth
		const reply = await server.post(users.ben, { status: "me too", in_reply_to_id: root.id });
		const button = page.locator("button.new-posts");
		await button.waitFor({ timeout: ARRIVAL_MS });
		assert.equal((await button.textContent()).trim(), "1 new post");
		await server.post(users.ana, { status: "thank you", in_reply_to_id: reply.id });
		await page.waitForFunction(
			() => document.querySelector("button.new-posts")?.textContent.trim() === "2 new posts",
			null,
			{ timeout: ARRIVAL_MS },
		);
		// followers-only: not for this page's readers
		await server.post(users.ben, { status: "just for my followers", in_reply_to_id: root.id, visibility: "private" });
		await new Promise((r) => setTimeout(r, 500));
		assert.equal((await button.textContent()).trim(), "2 new posts");
		await button.click();
		await page.locator(`article[data-id="${reply.id}"]`).waitFor({ timeout: ARRIVAL_MS });
		assert.equal(await page.locator(".thread article.status").count(), 3);
		assert.deepEqual(page.problems, []);
		await context.close();
	});
});

describe("relative times", () => {
	test("relative times are rewritten each minute in the page's language; absolute ones are left", async () => {
		const now = Date.parse("2030-05-06T12:00:00Z");
		const five = new Date(now - 5 * 60000).toISOString();
		const old = "2029-03-12T10:00:00.000Z";
		fixtures.times_en = {
			body: `<p><time id="rel" datetime="${five}">5 minutes ago</time>
<time id="abs" datetime="${old}">12 Mar 2029</time>
<time id="short" datetime="${five}">5m</time>
<time id="clock" datetime="${five}">11:55</time>
<time id="week" datetime="${new Date(now - 6 * 86400000 - 23 * 3600000 - 59 * 60000).toISOString()}">6 days ago</time></p>`,
		};
		fixtures.times_es = { body: `<p><time id="rel" datetime="${five}">hace 5 minutos</time></p>`, opts: { lang: "es" } };
		const context = await fixtureContext();
		const page = await watchedPage(context);
		await page.clock.install({ time: now });
		await page.goto(`${server.url}/__t/page/times_en`);
		assert.equal(await page.textContent("#rel"), "5 minutes ago");
		await page.clock.runFor(2 * 60000);
		assert.equal(await page.textContent("#rel"), "7 minutes ago");
		assert.equal(await page.textContent("#short"), "7 minutes ago");
		assert.equal(await page.textContent("#abs"), "12 Mar 2029", "an absolute date stays");
		assert.equal(await page.textContent("#clock"), "11:55", "a clock time stays");
		// past a week, the date, as the server writes it
		assert.equal(await page.textContent("#week"), "2030-04-29");
		await page.clock.runFor(60 * 60000);
		assert.equal(await page.textContent("#rel"), "1 hour ago");

		await page.goto(`${server.url}/__t/page/times_es`);
		await page.clock.runFor(2 * 60000);
		// the clock ran on: 5 + 2 + 60 + 2 minutes
		assert.equal(await page.textContent("#rel"), "hace 1 hora");
		assert.deepEqual(page.problems, []);
		await context.close();
	});
});

describe("share / copy link", () => {
	test("without navigator.share the button copies the post's URL and says so", async () => {
		const s = await server.post(users.ana, "share me");
		fixtures.share = { body: `<div class="feed">${article(s)}</div>` };
		const context = await fixtureContext({ permissions: ["clipboard-read", "clipboard-write"] });
		await context.addInitScript(() => {
			delete Navigator.prototype.share;
		});
		const page = await watchedPage(context);
		await page.goto(`${server.url}/__t/page/share`);
		const button = page.locator("article.status button.share");
		assert.equal(await button.count(), 1);
		assert.equal(
			await button.evaluate((b) => b.closest(".share-wrap").previousElementSibling.matches("a.permalink")),
			true,
			"the button sits next to the permalink",
		);
		assert.equal((await button.textContent()).trim(), "Copy link");
		await button.click();
		const status = page.locator("article.status .share-status[role=status]");
		await page.waitForFunction(() => document.querySelector(".share-status").textContent === "Copied");
		assert.equal(await status.isVisible(), true);
		assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${server.url}/@ana/${s.id}`);
		assert.deepEqual(page.problems, []);
		await context.close();
	});

	test("with navigator.share the button opens the share sheet with the post's URL", async () => {
		const s = await server.post(users.ana, "share me natively");
		fixtures.share2 = { body: `<div class="feed">${article(s)}</div>` };
		const context = await fixtureContext();
		await context.addInitScript(() => {
			window.__shared = [];
			Navigator.prototype.share = function (data) {
				window.__shared.push(data);
				return Promise.resolve();
			};
		});
		const page = await watchedPage(context);
		await page.goto(`${server.url}/__t/page/share2`);
		const button = page.locator("article.status button.share");
		assert.equal((await button.textContent()).trim(), "Share");
		await button.click();
		const shared = await page.evaluate(() => window.__shared);
		assert.equal(shared.length, 1);
		assert.equal(shared[0].url, `${server.url}/@ana/${s.id}`);
		await context.close();
	});

	test("translations from <meta name=chorus-strings> are used", async () => {
		const s = await server.post(users.ana, "copiez-moi");
		fixtures.strings = {
			body: `<div class="feed">${article(s)}</div>`,
			opts: {
				lang: "fr",
				head: `<meta name="chorus-strings" content="${esc(JSON.stringify({ copy_link: "Copier le lien" }))}">`,
			},
		};
		const context = await fixtureContext();
		await context.addInitScript(() => {
			delete Navigator.prototype.share;
		});
		const page = await watchedPage(context);
		await page.goto(`${server.url}/__t/page/strings`);
		assert.equal((await page.locator("button.share").textContent()).trim(), "Copier le lien");
		await context.close();
	});
});

describe("reduced motion", () => {
	for (const reducedMotion of ["reduce", "no-preference"]) {
		test(`loading new posts scrolls ${reducedMotion === "reduce" ? "without" : "with"} animation (prefers-reduced-motion: ${reducedMotion})`, async () => {
			const tag = "motion" + reducedMotion.replace("-", "") + Date.now().toString(36);
			await server.post(users.ana, `first #${tag}`);
			const context = await fixtureContext({ reducedMotion });
			await context.addInitScript(() => {
				window.__scrolls = [];
				const orig = Element.prototype.scrollIntoView;
				Element.prototype.scrollIntoView = function (opts) {
					window.__scrolls.push(opts && opts.behavior);
					return orig.call(this, opts);
				};
			});
			const page = await watchedPage(context);
			await openLive(page, `/__t/tag/${tag}`);
			await server.post(users.ben, `second #${tag}`);
			await page.locator("button.new-posts").click({ timeout: ARRIVAL_MS });
			await page.locator("button.new-posts").waitFor({ state: "detached" });
			assert.deepEqual(await page.evaluate(() => window.__scrolls), [
				reducedMotion === "reduce" ? "auto" : "smooth",
			]);
			await context.close();
		});
	}
});
