// axe-core on every page, light and dark, phone and laptop widths: no
// violation of impact "serious" or "critical".
//
// The pages' CSP forbids inline script, so axe (injected by
// addScriptTag({content})) runs in a context with bypassCSP; only this
// test's context has it.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";

import { launchBrowser, pendingReason, visit } from "./harness.mjs";
import { seedWorld, worldPages } from "./world.mjs";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const BLOCKING = new Set(["serious", "critical"]);

let world, server, browser;

before(async () => {
	world = await seedWorld({ bigThread: false });
	server = world.server;
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

// axe's serious and critical violations on the page, as readable lines:
// the rule, its impact and help, and each offending node's selector and
// what axe says to fix.
async function axeViolations(page, rules) {
	await page.addScriptTag({ content: AXE });
	const options = { resultTypes: ["violations"] };
	if (rules) options.runOnly = { type: "rule", values: rules };
	// eslint-disable-next-line no-undef
	const results = await page.evaluate((o) => axe.run(document, o), options);
	const lines = [];
	for (const v of results.violations) {
		if (!BLOCKING.has(v.impact)) continue;
		lines.push(`[${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
		for (const n of v.nodes.slice(0, 8))
			lines.push(`    at ${n.target.join(" ")}: ${n.failureSummary.replace(/\s*\n\s*/g, "; ")}`);
		if (v.nodes.length > 8) lines.push(`    … and ${v.nodes.length - 8} more`);
	}
	return lines;
}

// Every page, plus the thread with its warning and sensitive media open
// (what a reader sees after the clicks is what must be readable).
function pages() {
	const list = worldPages(world).map(([feature, name, path]) => ({ feature, name, path }));
	list.push({
		feature: "thread",
		name: "thread-opened",
		path: `/@ana/${world.posts.root.id}`,
		open: true,
	});
	list.push({ feature: "auth", name: "sign-in", path: "/auth/sign_in" });
	list.push({ feature: "auth", name: "sign-up", path: "/auth/sign_up" });
	return list;
}

describe("accessibility (axe-core): no serious or critical violation", () => {
	// Every rule light at both widths (layout changes what overlaps and
	// what scrolls); dark changes colours only, so there the colour rules
	// (axe takes a second or two a page on a busy machine).
	const COLOUR_RULES = ["color-contrast", "link-in-text-block"];
	for (const [colorScheme, width, rules] of [["light", 1280], ["dark", 1280, COLOUR_RULES], ["light", 390]]) {
		{
			test(`every page, ${colorScheme}, ${width} px${rules ? " (colour rules)" : ""}`, async (t) => {
				const context = await browser.newContext({
					bypassCSP: true,
					colorScheme,
					viewport: { width, height: 900 },
				});
				const page = await context.newPage();
				const failures = [];
				let checked = 0;
				for (const p of pages()) {
					const why = await pendingReason(server, p.feature, p.path);
					if (why) {
						if (colorScheme === "light" && width === 1280) t.diagnostic(`skipped ${p.path}: ${why}`);
						continue;
					}
					await visit(page, server.url, p.path, { status: p.feature === "errors" ? 404 : 200 });
					if (p.open)
						for (const s of await page.locator("details.cw > summary, details.sensitive > summary").all())
							await s.click();
					const t0 = Date.now();
					const lines = await axeViolations(page, rules);
					if (process.env.A11Y_TIMES) t.diagnostic(`${p.path}: axe ${Date.now() - t0} ms`);
					checked++;
					if (lines.length) failures.push(`${p.path} (${p.name}):\n  ${lines.join("\n  ")}`);
				}
				await context.close();
				t.diagnostic(`${checked} pages checked`);
				assert.equal(failures.length, 0, `axe found serious or critical violations (${colorScheme}, ${width} px):\n${failures.join("\n")}`);
			});
		}
	}

	// What a signed-in reader has that a visitor has not (issue 12): the
	// block and mute buttons, Hide and Unhide on replies, a post folded by
	// a filter, /filters and its errors.
	for (const width of [1280, 390]) {
		test(`signed-in pages, light, ${width} px`, async () => {
			const { users, posts } = world;
			const ana = users.ana;
			if (width === 1280) {
				await server.api("POST", `/api/v1/statuses/${posts.sensitive.id}/hide`, { token: ana.token });
				await server.api("POST", "/api/v2/filters", {
					token: ana.token,
					body: { title: "Bikes", context: ["thread", "public"], filter_action: "warn", keywords_attributes: [{ keyword: "bike" }] },
				});
			}
			const context = await browser.newContext({ bypassCSP: true, viewport: { width, height: 900 } });
			const page = await context.newPage();
			await visit(page, server.url, "/auth/sign_in");
			await page.getByLabel(/e-mail address or username/i).fill(ana.name);
			await page.getByLabel(/^password$/i).fill(ana.password);
			await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: /^sign in$/i }).click()]);
			const failures = [];
			const check = async (what) => {
				const lines = await axeViolations(page);
				if (lines.length) failures.push(`${what}:\n  ${lines.join("\n  ")}`);
			};
			const thread = `/@ana/${posts.root.id}`;
			for (const path of ["/@ben", thread, `${thread}/hidden`, "/filters"]) {
				await visit(page, server.url, path);
				await check(path);
			}
			assert.ok(await page.locator("ul.filters li").count(), "the filter is not listed");
			// a title of spaces passes the browser's check, not the server's
			await page.getByLabel(/^title$/i).fill("   ");
			await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: /^save filter$/i }).click()]);
			assert.equal(await page.locator("#filter-error").count(), 1, "no error shown for a blank title");
			await check("/filters with an error");
			await visit(page, server.url, thread);
			assert.ok(await page.locator("details.filtered").count(), "no folded post on the thread");
			assert.ok(await page.getByRole("button", { name: /^hide reply$/i }).count(), "no Hide reply button");
			await context.close();
			assert.equal(failures.length, 0, `axe found serious or critical violations (signed in, ${width} px):\n${failures.join("\n")}`);
		});
	}
});
