// Issue 12 (Safety) in the browser, signed in, with script on and off:
// block someone from their profile and their posts leave the front page;
// make a warn filter on /filters and a matching post is folded; hide a
// reply from one's thread and it moves behind "Hidden replies". Controls
// are found by their role and accessible name, as a person finds them.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { launchBrowser, screenshots, startChorus, watchedPage } from "./harness.mjs";

let server, browser;

before(async () => {
	({ server } = await startChorus(["owner"]));
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

// A browser (script on or off) signed in as user, on the front page.
async function signedIn(user, javaScriptEnabled) {
	const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 900 } });
	const page = await watchedPage(context);
	await page.goto(server.url + "/auth/sign_in");
	await page.getByLabel(/e-mail address or username/i).fill(user.name);
	await page.getByLabel(/^password$/i).fill(user.password);
	await page.getByRole("button", { name: /^sign in$/i }).click();
	await page.waitForLoadState("load");
	assert.equal(await page.locator('form[action="/auth/sign_out"]').count(), 1, "not signed in");
	return { context, page };
}

// Press the button and wait for the page the form's 303 leads to.
async function press(page, button) {
	await Promise.all([page.waitForNavigation({ waitUntil: "load" }), button.click()]);
}

const article = (page, id) => page.locator(`article[data-id="${id}"]`);

for (const js of [true, false]) {
	const mode = js ? "js" : "nojs";

	describe(`safety from the pages, script ${js ? "on" : "off"}`, () => {
		test("block someone from their profile: their posts leave the front page", async () => {
			const me = await server.user(`blocker_${mode}`);
			const them = await server.user(`loud_${mode}`);
			const post = await server.post(them, `Read my manifesto (${mode})`);
			const { context, page } = await signedIn(me, js);
			assert.equal(await article(page, post.id).count(), 1, "the post is not on the front page to begin with");

			await page.goto(`${server.url}/@${them.name}`);
			await press(page, page.getByRole("button", { name: /^block$/i }));
			assert.equal(new URL(page.url()).pathname, `/@${them.name}`, "the form did not come back to the profile");
			assert.match(await page.locator("section.relation").textContent(), /Blocked/);
			assert.equal(await page.getByRole("button", { name: /^unblock$/i }).count(), 1, "no Unblock button");
			await screenshots(page, `safety-blocked-${mode}`);
			const rel = await server.api("GET", `/api/v1/accounts/relationships?id[]=${them.id}`, { token: me.token });
			assert.equal(rel[0].blocking, true, "the API does not see the block");

			await page.goto(server.url + "/");
			assert.equal(await article(page, post.id).count(), 0, "the blocked account's post is still on the front page");
			assert.deepEqual(page.problems, []);
			await context.close();
		});

		test("a warn filter made on /filters folds a matching post", async () => {
			const me = await server.user(`filterer_${mode}`);
			const them = await server.user(`spoiler_${mode}`);
			const { context, page } = await signedIn(me, js);
			await press(page, page.locator('header a[href="/filters"]'));
			assert.equal(new URL(page.url()).pathname, "/filters");
			await page.getByLabel(/^title$/i).fill("Season finale");
			await page.getByLabel(/^keywords$/i).fill("finale, dragon");
			await page.getByLabel(/^action$/i).selectOption("warn");
			await press(page, page.getByRole("button", { name: /^save filter$/i }));
			assert.equal(new URL(page.url()).pathname, "/filters");
			assert.match(await page.locator("ul.filters").textContent(), /Season finale/);
			await screenshots(page, `safety-filters-${mode}`);

			const post = await server.post(them, `The dragon in the finale! (${mode})`);
			const other = await server.post(them, `Nice weather today (${mode})`);
			await page.goto(server.url + "/");
			const box = page.locator("details.filtered", { has: article(page, post.id) });
			assert.equal(await box.count(), 1, "the matching post is not folded");
			assert.equal((await box.locator("summary").textContent()).trim(), "Filtered: Season finale");
			assert.equal(await article(page, post.id).isVisible(), false, "the folded post shows");
			assert.equal(await article(page, other.id).isVisible(), true, "a post the filter does not match is folded");
			await screenshots(page, `safety-folded-${mode}`);
			await box.locator("summary").click();
			assert.equal(await article(page, post.id).isVisible(), true, "the post does not open");
			assert.deepEqual(page.problems, []);
			await context.close();
		});

		test("the thread's author hides a reply: it moves behind 'Hidden replies'", async () => {
			const me = await server.user(`author_${mode}`);
			const them = await server.user(`troll_${mode}`);
			const root = await server.post(me, `What do you think? (${mode})`);
			const reply = await server.post(them, { status: `Something rude (${mode})`, in_reply_to_id: root.id });
			const kept = await server.post(them, { status: `Something kind (${mode})`, in_reply_to_id: root.id });
			const { context, page } = await signedIn(me, js);
			const thread = `/@${me.name}/${root.id}`;
			await page.goto(server.url + thread);
			await press(page, article(page, reply.id).getByRole("button", { name: /^hide reply$/i }));
			assert.equal(new URL(page.url()).pathname, thread, "the form did not come back to the thread");
			assert.equal(await article(page, reply.id).count(), 0, "the hidden reply is still in the thread");
			assert.equal(await article(page, kept.id).count(), 1, "the other reply went too");
			await screenshots(page, `safety-thread-${mode}`);

			await press(page, page.getByRole("link", { name: /hidden replies \(1\)/i }));
			assert.equal(new URL(page.url()).pathname, `${thread}/hidden`);
			assert.equal(await article(page, reply.id).count(), 1, "the reply is not on the hidden replies page");
			assert.equal(await article(page, reply.id).getByRole("button", { name: /^unhide$/i }).count(), 1, "no Unhide button");
			await screenshots(page, `safety-hidden-${mode}`);
			// the reader who is not the thread's author sees no button
			const other = await signedIn(them, js);
			await other.page.goto(server.url + thread);
			assert.equal(await other.page.getByRole("button", { name: /^hide reply$/i }).count(), 0);
			await other.context.close();
			assert.deepEqual(page.problems, []);
			await context.close();
		});
	});
}
