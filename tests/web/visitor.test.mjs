// A visitor with no account, script on: opens /, follows a trending tag
// to the tag page and sees its chart, opens a thread, expands a content
// warning and reveals a sensitive image, follows "more replies" through a
// thread of 300 replies; then someone else posts under the tag and the
// tag page offers "1 new post". Screenshots at 390 and 1280 px of every
// page go to tests/web/screenshots/.
//
// The steps run in order on one page, each starting where the previous
// one left off (or at its own URL when the previous page is not there).

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import { headerProblems, layoutProblems, statusProblems } from "./contract.mjs";
import { SLOW, launchBrowser, pendingReason, screenshots, visit, watchedPage } from "./harness.mjs";
import { BIG_THREAD_REPLIES, seedWorld, worldPages } from "./world.mjs";

const ARRIVAL_MS = 5000 * SLOW;

let world, server, browser, context, page;

before(async () => {
	world = await seedWorld();
	server = world.server;
	browser = await launchBrowser();
	context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
	page = await watchedPage(context);
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

const at = (path) => new URL(page.url()).pathname + new URL(page.url()).search === path;

// Go to path unless the previous step's click already did.
async function arrive(path) {
	if (at(path)) return;
	await visit(page, server.url, path);
}

function noProblems(list, what) {
	assert.deepEqual(list, [], `${what}:\n  ${list.join("\n  ")}`);
}

describe("a visitor, script on", () => {
	beforeEach(() => {
		page.problems.length = 0; // each step answers for its own pages
	});

	test("/ shows the instance, its trending tag and the way in", async (t) => {
		const why = await pendingReason(server, "home", "/");
		if (why) return t.skip(why);
		const resp = await visit(page, server.url, "/");
		noProblems(headerProblems(resp.headers()), "headers of /");
		noProblems(await layoutProblems(page), "layout of /");
		noProblems(await statusProblems(page), "posts on /");
		await screenshots(page, "home");
		const tagLink = page.locator(`main a[href$="/tags/${world.tag}"]`).first();
		assert.equal(await tagLink.count(), 1, `no link to the trending tag #${world.tag} on /`);
		if (await pendingReason(server, "tag", `/tags/${world.tag}`)) return;
		await tagLink.click();
		await page.waitForURL(`**/tags/${world.tag}`);
	});

	test("the tag page draws its chart and lists the posts under the tag", async (t) => {
		const path = `/tags/${world.tag}`;
		const why = await pendingReason(server, "tag", path);
		if (why) return t.skip(why);
		await arrive(path);
		await screenshots(page, "tag");
		noProblems(await layoutProblems(page), `layout of ${path}`);
		noProblems(await statusProblems(page), `posts on ${path}`);
		assert.match(await page.locator("h1").textContent(), new RegExp(world.tag, "i"));
		const chart = page.locator("main svg").first();
		assert.equal(await chart.count(), 1, "no <svg> chart on the tag page");
		assert.equal(await chart.isVisible(), true, "the chart is not visible");
		const feed = page.locator(`div.feed[data-stream="hashtag"][data-tag="${world.tag}"]`);
		assert.equal(await feed.count(), 1, "no div.feed[data-stream=hashtag][data-tag] on the tag page");
		assert.ok((await feed.locator("article.status").count()) >= 10, "the feed shows few posts");
		assert.equal(
			await feed.locator(`article[data-id="${world.posts.spanish.id}"]`).getAttribute("lang"),
			"es",
			"a post in Spanish does not say so (lang)",
		);
		assert.equal(await page.locator("a[rel=next]").count() >= 1, true, "no a[rel=next] to older posts");
		await feed.locator(`article[data-id="${world.posts.root.id}"] a.permalink`).first().click();
		await page.waitForURL(`**/@ana/${world.posts.root.id}`);
	});

	test("a thread: the post, its replies nested, a content warning and a sensitive image", async (t) => {
		const { root, cw, sensitive, nested } = world.posts;
		const path = `/@ana/${root.id}`;
		const why = await pendingReason(server, "thread", path);
		if (why) return t.skip(why);
		await arrive(path);
		await screenshots(page, "thread"); // before the checks: to look at when they fail
		noProblems(await layoutProblems(page), `layout of ${path}`);
		noProblems(await statusProblems(page), `posts on ${path}`);
		assert.equal(await page.locator(`div.thread[data-status-id="${root.id}"]`).count(), 1, "no div.thread[data-status-id]");
		assert.equal(await page.locator(`article.status.focus[data-id="${root.id}"]`).count(), 1, "the post is not article.status.focus");
		const replies = page.locator("section.replies");
		assert.equal(await replies.count(), 1, "no section.replies");
		for (const s of [cw, sensitive])
			assert.equal(await replies.locator(`ol.replies > li article[data-id="${s.id}"]`).count(), 1, `reply ${s.id} is not in ol.replies > li`);
		// dev answered ben: nested under ben's reply
		assert.equal(
			await replies.locator(`li:has(> article[data-id="${cw.id}"]) ol.replies > li article[data-id="${nested.id}"]`).count(),
			1,
			"a reply to a reply is not nested under it",
		);

		// content warning: the text hidden until the summary is clicked
		const cwPost = page.locator(`article[data-id="${cw.id}"]`);
		const details = cwPost.locator("details.cw");
		assert.equal(await details.count(), 1, "no details.cw");
		assert.match(await details.locator("summary").textContent(), /Route details/);
		const text = cwPost.locator("div.content");
		assert.equal(await text.isVisible(), false, "the text behind the warning shows before a click");
		await details.locator("summary").click();
		assert.equal(await text.isVisible(), true, "the text does not show after clicking the warning");
		assert.match(await text.textContent(), /Avenida da Liberdade/);

		// sensitive media: the image hidden until the summary is clicked
		const media = page.locator(`article[data-id="${sensitive.id}"] details.sensitive`);
		assert.equal(await media.count(), 1, "no details.sensitive");
		const img = media.locator("img[alt]").first();
		assert.equal(await img.isVisible(), false, "the sensitive image shows before a click");
		await media.locator("summary").click();
		assert.equal(await img.isVisible(), true, "the sensitive image does not show after a click");
		assert.equal(await img.getAttribute("alt"), "A crowd holding a green banner");
		assert.ok(await img.evaluate((i) => i.complete && i.naturalWidth > 0), "the image did not load");
		await screenshots(page, "thread-opened");
		noProblems(page.problems, "the browser reported");
	});

	test("chorus.js on the thread page: a share button on every post, the author's next reply announced", async (t) => {
		const { root } = world.posts;
		const path = `/@ana/${root.id}`;
		const why = await pendingReason(server, "thread", path);
		if (why) return t.skip(why);
		await visit(page, server.url, path);
		const posts = await page.locator("article.status").count();
		assert.equal(await page.locator("article.status button.share").count(), posts, "not one share button per post");
		await page.locator(`div.thread[data-live=open]`).waitFor({ state: "attached", timeout: ARRIVAL_MS });
		await new Promise((r) => setTimeout(r, 200 * SLOW));
		// the public stream carries replies to oneself (docs/api.md), so
		// the author continuing the thread is what an anonymous page hears
		const more = await server.post(world.users.ana, { status: "Update: we meet at 11:30 now.", in_reply_to_id: root.id });
		const button = page.locator("button.new-posts");
		await button.waitFor({ timeout: ARRIVAL_MS });
		assert.equal((await button.textContent()).trim(), "1 new post");
		await button.click();
		await page.locator(`section.replies article[data-id="${more.id}"]`).waitFor({ timeout: ARRIVAL_MS });
		assert.equal(await page.locator("article.status button.share").count(), posts + 1, "the new reply has no share button");
		noProblems(page.problems, "the browser reported");
	});

	test("a 300-reply thread opens with its first replies and 'more replies' reaches them all", async (t) => {
		const { big } = world.posts;
		const path = `/@eli/${big.id}`;
		const why = await pendingReason(server, "thread", path);
		if (why) return t.skip(why);
		const t0 = Date.now();
		await arrive(path);
		const firstLoad = Date.now() - t0;
		await screenshots(page, "big-thread");
		const seen = new Set();
		const collect = async () => {
			for (const id of await page.locator("section.replies article[data-id]").evaluateAll((as) => as.map((a) => a.dataset.id)))
				seen.add(id);
		};
		await collect();
		const first = seen.size;
		assert.ok(first > 0 && first < BIG_THREAD_REPLIES, `the first page shows ${first} of ${BIG_THREAD_REPLIES} replies`);
		let pages = 1;
		while (seen.size < BIG_THREAD_REPLIES) {
			const more = page.locator("a.more-replies").last();
			assert.equal(await more.count(), 1, `no a.more-replies after ${seen.size} replies on ${page.url()}`);
			const before = seen.size;
			await more.click();
			await page.waitForLoadState("load");
			await collect();
			assert.ok(seen.size > before, `"more replies" (${page.url()}) showed no new reply`);
			if (++pages === 2) await screenshots(page, "big-thread-more");
			assert.ok(pages <= 50, "more than 50 pages of replies");
		}
		t.diagnostic(`first page ${first} replies in ${firstLoad} ms; all ${seen.size} in ${pages} pages`);
		noProblems(page.problems, "the browser reported");
	});

	test("someone posts under the tag: the tag page offers '1 new post', and loads it on click", async (t) => {
		const path = `/tags/${world.tag}`;
		const why = await pendingReason(server, "tag", path);
		if (why) return t.skip(why);
		await visit(page, server.url, path);
		const feed = page.locator(`div.feed[data-stream="hashtag"][data-tag="${world.tag}"]`);
		await feed.and(page.locator("[data-live=open]")).waitFor({ state: "attached", timeout: ARRIVAL_MS });
		await new Promise((r) => setTimeout(r, 200 * SLOW)); // chorus files the subscription

		// a second browser (context) posts, through the API
		const other = await browser.newContext();
		const r = await other.request.post(`${server.url}/api/v1/statuses`, {
			headers: { Authorization: `Bearer ${world.users.ben.token}` },
			data: { status: `Just arrived at city hall #${world.tag}` },
		});
		assert.equal(r.status(), 200);
		const posted = await r.json();
		await other.close();

		const button = page.locator("button.new-posts");
		await button.waitFor({ timeout: ARRIVAL_MS });
		assert.equal((await button.textContent()).trim(), "1 new post");
		await screenshots(page, "tag-new-post");
		assert.equal(await feed.locator(`article[data-id="${posted.id}"]`).count(), 0, "the post is inserted before the click");
		await button.click();
		await feed.locator(`article[data-id="${posted.id}"]`).waitFor({ timeout: ARRIVAL_MS });
		noProblems(await statusProblems(page), "posts after loading the new one");
		noProblems(page.problems, "the browser reported");
	});

	test("every other page: layout, posts, headers, screenshots", async (t) => {
		const problems = [];
		for (const [feature, name, path] of worldPages(world)) {
			if (["home", "tag", "thread", "big-thread"].includes(name)) continue;
			const why = await pendingReason(server, feature, path);
			if (why) {
				t.diagnostic(`skipped ${path}: ${why}`);
				continue;
			}
			const status = feature === "errors" ? 404 : 200;
			const resp = await visit(page, server.url, path, { status });
			await screenshots(page, name);
			for (const p of [...headerProblems(resp.headers()), ...(await layoutProblems(page)), ...(await statusProblems(page))])
				problems.push(`${path}: ${p}`);
		}
		noProblems([...problems, ...page.problems], "problems on the pages");
	});
});
