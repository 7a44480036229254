// The same reads with JavaScript off: every page is complete HTML from the
// server (its content there, its links answering), a content warning and
// a sensitive image open with <details>, "more replies" and "Older posts"
// are links, search is a GET form.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { brokenLinks, layoutProblems, sameOriginLinks, statusProblems } from "./contract.mjs";
import { PENDING, featureOf, launchBrowser, pendingReason, screenshots, visit, watchedPage } from "./harness.mjs";
import { BIG_THREAD_REPLIES, seedWorld, worldPages } from "./world.mjs";

let world, server, browser, context, page;
const checkedLinks = new Set(); // each URL fetched once across pages

before(async () => {
	world = await seedWorld();
	server = world.server;
	browser = await launchBrowser();
	context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
	page = await watchedPage(context);
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

function noProblems(list, what) {
	assert.deepEqual(list, [], `${what}:\n  ${list.join("\n  ")}`);
}

// What each page must show without script, beyond the layout:
// [selector, what it is, text it holds (optional)].
function contentOf(name) {
	const { posts, tag } = world;
	return {
		home: [[`main a[href$="/tags/${tag}"]`, "a link to the trending tag"], ['a[href="/auth/sign_up"]', "a sign-up link"]],
		about: [["main", "the instance's description", "A place where one post can start a movement."]],
		profile: [
			[`article[data-id="${posts.root.id}"]`, "ana's pinned post"],
			["main", "the display name", "Ana Organiser"],
			["main", "a profile field", "Lisbon"],
		],
		thread: [
			[`article.status.focus[data-id="${posts.root.id}"]`, "the post"],
			[`article[data-id="${posts.cw.id}"] details.cw`, "the reply behind its warning"],
			[`article[data-id="${posts.nested.id}"]`, "the nested reply"],
		],
		reply: [
			[`section.ancestors article[data-id="${posts.root.id}"]`, "the ancestor above"],
			[`article.status.focus[data-id="${posts.cw.id}"]`, "the reply itself"],
		],
		tag: [
			["main svg", "the chart"],
			[`div.feed article[data-id="${posts.root.id}"]`, "the newest post under the tag"],
			["a[rel=next]", "a link to older posts"],
		],
		explore: [[`main a[href$="/tags/${tag}"]`, "the trending tag"]],
		search: [["main article.status", "a post matching 'strike'"]],
		"not-found": [["main h1", "a heading"]],
		"big-thread": [
			["a.more-replies", "a more-replies link"],
			["section.replies article.status", "the first replies"],
		],
	}[name] || [];
}

async function assertContent(name) {
	for (const [sel, what, text] of contentOf(name)) {
		const el = page.locator(sel).first();
		assert.equal(await el.count(), 1, `${page.url()}: no ${what} (${sel})`);
		if (text) assert.ok((await el.textContent()).includes(text), `${page.url()}: ${what} ("${text}") is not in ${sel}`);
	}
}

describe("a visitor, script off", () => {
	for (const [feature, name, path] of worldPagesLazy()) {
		test(`${name}: complete without script, every link answers`, async (t) => {
			const p = path();
			const why = await pendingReason(server, feature, p);
			if (why) return t.skip(why);
			const status = feature === "errors" ? 404 : 200;
			await visit(page, server.url, p, { status });
			await screenshots(page, `nojs-${name}`); // before the checks: to look at when they fail
			noProblems(await layoutProblems(page), `layout of ${p}`);
			noProblems(await statusProblems(page), `posts on ${p}`);
			await assertContent(name);
			checkedLinks.add(page.url()); // the page itself (an error page links to itself)
			const links = (await sameOriginLinks(page)).filter((u) => !checkedLinks.has(u));
			links.forEach((u) => checkedLinks.add(u));
			const broken = await brokenLinks(context, links);
			// a link to a page still being built is noted, not failed
			const pending = broken.filter((b) => featureOf(b.split(": ")[0]) in PENDING);
			if (pending.length) t.diagnostic(`links to pages not landed yet: ${pending.join(", ")}`);
			noProblems(broken.filter((b) => !pending.includes(b)), `links on ${p} that do not answer`);
			noProblems(page.problems, "the browser reported");
		});
	}

	test("a content warning and a sensitive image open without script", async (t) => {
		const { root, cw, sensitive } = world.posts;
		const path = `/@ana/${root.id}`;
		const why = await pendingReason(server, "thread", path);
		if (why) return t.skip(why);
		await visit(page, server.url, path);
		const text = page.locator(`article[data-id="${cw.id}"] div.content`);
		assert.equal(await text.isVisible(), false);
		await page.locator(`article[data-id="${cw.id}"] details.cw > summary`).click();
		assert.equal(await text.isVisible(), true);
		const img = page.locator(`article[data-id="${sensitive.id}"] details.sensitive img`).first();
		assert.equal(await img.isVisible(), false);
		await page.locator(`article[data-id="${sensitive.id}"] details.sensitive > summary`).click();
		assert.equal(await img.isVisible(), true);
	});

	test("'more replies' pages through all 300 replies without script", async (t) => {
		const path = `/@eli/${world.posts.big.id}`;
		const why = await pendingReason(server, "thread", path);
		if (why) return t.skip(why);
		await visit(page, server.url, path);
		const seen = new Set();
		for (let pages = 1; ; pages++) {
			for (const id of await page.locator("section.replies article[data-id]").evaluateAll((as) => as.map((a) => a.dataset.id)))
				seen.add(id);
			if (seen.size >= BIG_THREAD_REPLIES) break;
			const more = page.locator("a.more-replies").last();
			assert.equal(await more.count(), 1, `no a.more-replies after ${seen.size} replies`);
			await more.click();
			await page.waitForLoadState("load");
			assert.ok(pages < 50);
		}
	});

	test("'Older posts' on the tag page leads to older posts, none repeated", async (t) => {
		const path = `/tags/${world.tag}`;
		const why = await pendingReason(server, "tag", path);
		if (why) return t.skip(why);
		await visit(page, server.url, path);
		const ids = async () => page.locator("div.feed article[data-id]").evaluateAll((as) => as.map((a) => a.dataset.id));
		const first = await ids();
		await page.locator("a[rel=next]").first().click();
		await page.waitForLoadState("load");
		assert.match(page.url(), /max_id=/);
		const second = await ids();
		assert.ok(second.length > 0, "the older page is empty");
		assert.deepEqual(second.filter((id) => first.includes(id)), [], "posts repeated on the older page");
		assert.ok(BigInt(second[0]) < BigInt(first[first.length - 1]), "the older page is not older");
	});

	test("search is a form that works without script", async (t) => {
		const why = await pendingReason(server, "search", "/search?q=strike");
		if (why) return t.skip(why);
		await visit(page, server.url, "/");
		await page.locator('form[role="search"] input[name="q"]').fill("liberdade");
		await page.locator('form[role="search"] input[name="q"]').press("Enter");
		await page.waitForURL(/\/search\?q=liberdade/);
		assert.equal(await page.locator(`main article[data-id="${world.posts.cw.id}"]`).count(), 1, "search did not find the post");
	});
});

// worldPages needs the seeded world, which exists only once before() ran;
// tests are declared earlier, so their paths are computed when they run.
function worldPagesLazy() {
	const fake = { posts: new Proxy({}, { get: () => ({ id: "ID" }) }), tag: "TAG" };
	return worldPages(fake).map(([feature, name], i) => [feature, name, () => worldPages(world)[i][2]]);
}
