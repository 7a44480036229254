// Hostile content renders inert on every page. Display names, bios,
// profile fields, posts, content warnings, alt text, tag names, search
// queries and URLs carry <script>, event handlers, javascript: links and
// broken markup; every page that shows them is opened twice, once under
// the pages' own Content-Security-Policy and once with the CSP bypassed
// (the CSP is the second wall; the HTML writer's escaping is the first and
// must hold alone). The test fails on any dialog, any window.__pwned a
// payload sets, any console error (a blocked inline script or a broken
// injected image shows there), and any live markup a payload would have
// made: on* attributes, javascript: URLs, scripts other than chorus's own,
// frames, <base>, <meta http-equiv>, inline styles.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { PENDING, featureOf, launchBrowser, png, startChorus, watchedPage } from "./harness.mjs";

const TAG = "injected";
let server, users, browser;
const paths = []; // [path, expected status]

// A payload either calls alert (a dialog) or sets window.__pwned.
const P = {
	script: "<script>window.__pwned='script'</script>",
	img: "<img src=x onerror=\"window.__pwned='img'\">",
	svg: "<svg/onload=alert('svg')>",
	js: "javascript:alert('js')",
	jsLink: "<a href=\"javascript:alert('jslink')\">click me</a>",
	attr: "\"><img src=x onerror=alert('attr')>",
	sq: "'><img src=x onerror=alert('sq')>",
	broken: "</div></article></main></details><div onclick=alert('broken') <b><i>unclosed <!-- ]]> <textarea>",
	entity: "&lt;script&gt;alert('entity')&lt;/script&gt; &#x3C;img src=x onerror=alert('ent2')&#x3E;",
	base: "<base href=\"javascript:alert('base')//\"><meta http-equiv=refresh content=\"0;url=javascript:alert('meta')\">",
	frame: "<iframe srcdoc=\"<script>parent.alert('frame')</script>\"></iframe><object data=\"javascript:alert('obj')\"></object>",
	style: "<style>body{display:none}</style><p style=\"background:url(javascript:alert('style'))\">",
	url: "https://example.org/?q=\"><script>alert('url')</script>&x='onmouseover='alert(1)",
};

before(async () => {
	({ server, users } = await startChorus(["ana", "mallory", "trudy", "eve"]));
	const { mallory, trudy, eve } = users;
	await server.profile(mallory, {
		display_name: "<img src=x onerror=alert(1)>", // 28 of 30 characters
		note: [P.script, P.img, P.svg, P.js, P.jsLink, P.broken, `#${TAG}`].join(" "),
		fields_attributes: [
			{ name: P.script, value: P.js },
			{ name: P.attr, value: P.jsLink },
			{ name: "site", value: P.url },
			{ name: "<!--", value: P.style },
		],
	});
	await server.profile(trudy, { display_name: "\"><svg onload=alert(2)>", note: P.sq + P.entity });
	await server.profile(eve, { display_name: "</title><script>alert(3)</script>".slice(0, 30) });

	const posts = [];
	const post = async (user, params) => {
		const s = await server.post(user, params);
		posts.push([user, s]);
		return s;
	};
	const root = await post(mallory, `${P.script} ${P.img} #${TAG}`);
	await post(mallory, `${P.jsLink} ${P.js} ${P.url} #${TAG}`);
	await post(trudy, { status: `${P.broken} #${TAG}`, in_reply_to_id: root.id });
	await post(trudy, { status: `${P.svg} ${P.entity}`, spoiler_text: P.img, in_reply_to_id: root.id });
	await post(eve, { status: `${P.base} ${P.frame} #${TAG}`, spoiler_text: P.attr });
	await post(eve, `${P.style} @mallory @${"<script>"} #${TAG}`);
	const media = await server.upload(mallory, png(64, 48), P.attr + P.script);
	await post(mallory, { status: `${P.sq} #${TAG}`, media_ids: [media.id], sensitive: true });
	const media2 = await server.upload(trudy, png(48, 64, [40, 90, 200]), P.broken + P.img);
	await post(trudy, { status: P.entity, media_ids: [media2.id] });
	// a language that is not one: the API may refuse it; if it takes it,
	// it lands in lang="…"
	await post(eve, { status: `hostile language #${TAG}`, language: "\"><script>alert('lang')</script>" }).catch(() => {});
	await server.api("POST", `/api/v1/statuses/${root.id}/reblog`, { token: users.ana.token });

	paths.push(["/", 200], ["/about", 200], ["/explore", 200], [`/tags/${TAG}`, 200]);
	for (const name of ["mallory", "trudy", "eve", "ana"])
		paths.push([`/@${name}`, 200], [`/@${name}/with_replies`, 200], [`/@${name}/media`, 200]);
	for (const [user, s] of posts) {
		paths.push([`/@${user.name}/${s.id}`, 200]);
		paths.push([`/@${user.name}/${s.id}/embed`, 200]);
	}
	for (const q of [P.script, P.attr, P.sq, P.js, P.broken, "mallory", TAG, "onerror"])
		paths.push([`/search?q=${encodeURIComponent(q)}`, 200]);
	// hostile names in URLs: an error page that must not echo them raw
	for (const bad of [P.script, P.attr, "javascript:alert(1)"]) {
		paths.push([`/tags/${encodeURIComponent(bad)}`, null]);
		paths.push([`/@${encodeURIComponent(bad)}`, null]);
		paths.push([`/@mallory/${encodeURIComponent(bad)}`, null]);
		paths.push([`/@mallory?max_id=${encodeURIComponent(bad)}`, null]);
	}
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

// Live markup a payload would have made, found in the rendered DOM.
async function liveMarkup(page) {
	return page.evaluate(() => {
		const out = [];
		const jsUrl = (v) => /^\s*(javascript|vbscript|data):/i.test(v.replace(/[\u0000-\u001f]/g, ""));
		for (const el of document.querySelectorAll("*")) {
			const tag = el.tagName.toLowerCase();
			for (const a of el.attributes) {
				if (/^on/i.test(a.name)) out.push(`<${tag} ${a.name}="${a.value}">`);
				if (["href", "src", "action", "formaction", "xlink:href", "data", "poster"].includes(a.name.toLowerCase()) && jsUrl(a.value))
					out.push(`<${tag} ${a.name}="${a.value}">`);
				if (a.name === "style") out.push(`<${tag} style="${a.value}"> (inline style)`);
			}
			if (tag === "script" && !/^\/assets\/chorus\.[0-9a-f]+\.js$/.test(el.getAttribute("src") || ""))
				out.push(`a <script> that is not chorus's: ${el.outerHTML.slice(0, 120)}`);
			if (["iframe", "object", "embed", "frame", "base", "style"].includes(tag))
				out.push(`a <${tag}>: ${el.outerHTML.slice(0, 120)}`);
			if (tag === "meta" && el.hasAttribute("http-equiv")) out.push(`<meta http-equiv=${el.getAttribute("http-equiv")}>`);
		}
		if (window.__pwned) out.push(`window.__pwned = ${window.__pwned}`);
		return out;
	});
}

describe("hostile content renders inert", () => {
	for (const bypassCSP of [false, true]) {
		test(`on every page, ${bypassCSP ? "with the CSP bypassed" : "under the pages' CSP"}`, async (t) => {
			const context = await browser.newContext({ bypassCSP });
			const page = await watchedPage(context);
			const problems = [];
			let visited = 0;
			for (const [path, status] of paths) {
				page.problems.length = 0;
				const resp = await page.goto(server.url + path, { waitUntil: "load" });
				const got = resp.status();
				const type = resp.headers()["content-type"] || "";
				if (status === 200 && got === 404 && featureOf(path) in PENDING) {
					if (!bypassCSP) t.diagnostic(`skipped ${path}: ${PENDING[featureOf(path)]}`);
					continue;
				}
				if (status && got !== status) problems.push(`${path}: HTTP ${got}, wanted ${status}`);
				if (got >= 400) {
					// an error page: the browser's note on it is expected
					page.problems = page.problems.filter((p) => !/Failed to load resource/.test(p) || /\/favicon\.ico/.test(p));
					if (!type.startsWith("text/html")) problems.push(`${path}: an error as ${type}, not an HTML page`);
				}
				// give handlers a moment: onerror fires after the image fails
				await page.waitForTimeout(50);
				for (const p of [...page.problems, ...(await liveMarkup(page))]) problems.push(`${path}: ${p}`);
				visited++;
			}
			await context.close();
			t.diagnostic(`${visited} pages visited`);
			problems.sort();
			assert.ok(visited > 0, "no page visited");
			assert.deepEqual(problems, [], `hostile content came alive:\n  ${problems.join("\n  ")}`);
		});
	}

	test("the detector itself sees a payload that ran (control)", async () => {
		const context = await browser.newContext();
		const page = await watchedPage(context);
		await page.route(`${server.url}/__control`, (route) =>
			route.fulfill({ contentType: "text/html", body: `<!doctype html><p>${P.img}${P.jsLink}<script>alert('control')</script>` }),
		);
		await page.goto(`${server.url}/__control`);
		await page.waitForTimeout(50);
		const found = [...page.problems, ...(await liveMarkup(page))].join("\n");
		for (const sign of ["dialog alert", "onerror", "javascript:", "window.__pwned = img", "not chorus's"])
			assert.ok(found.includes(sign), `the detector missed ${sign}:\n${found}`);
		await context.close();
	});

	test("the hostile text is shown as text, not dropped", async (t) => {
		const path = "/@mallory";
		const resp = await server.get(path, { Accept: "text/html" });
		if (resp.status === 404 && !resp.type.startsWith("text/html")) return t.skip(PENDING.profile);
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(server.url + path);
		const text = await page.locator("main").textContent();
		for (const visible of ["<img src=x onerror=alert(1)>", "<script>window.__pwned='script'</script>", "javascript:alert('js')"])
			assert.ok(text.includes(visible), `"${visible}" is not shown as text on ${path}`);
		await context.close();
	});
});
