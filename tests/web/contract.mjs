// The markup contract the pages follow (issue 11), checked in the browser.
// Each check answers a list of problems (strings), empty when the page
// keeps the contract, so a failing test names every mismatch at once.

// The layout every page shares: header with navigation and search, the
// skip link, main#main, footer, and the script as a file.
export async function layoutProblems(page) {
	return page.evaluate(() => {
		const out = [];
		const need = {
			"header": "a <header>",
			'header a[href="/"]': "a link home in the header",
			'header a[href="/explore"]': "a link to /explore in the header",
			'header form[role="search"]': "a search form (role=search) in the header",
			'header form[role="search"] input[name="q"]': "the search field q",
			'header a[href="/auth/sign_in"]': "a sign-in link in the header",
			'header a[href="/auth/sign_up"]': "a sign-up link in the header",
			"main#main": "<main id=main>",
			"footer": "a <footer>",
			'a.skip-link[href="#main"]': 'the skip link a.skip-link[href="#main"]',
			'head script[src^="/assets/chorus."][src$=".js"][defer]': "<script src=/assets/chorus.HASH.js defer> in <head>",
		};
		for (const [sel, what] of Object.entries(need))
			if (!document.querySelector(sel)) out.push(`missing ${what} (${sel})`);
		const form = document.querySelector('form[role="search"]');
		if (form) {
			if ((form.getAttribute("method") || "get").toLowerCase() !== "get")
				out.push("the search form is not GET");
			if (new URL(form.action, location.href).pathname !== "/search")
				out.push(`the search form goes to ${form.action}, not /search`);
		}
		if (!document.documentElement.lang) out.push("<html> has no lang");
		if (!document.title.trim()) out.push("the page has no <title>");
		const skip = document.querySelector("a.skip-link");
		if (skip && document.body.firstElementChild !== skip && !skip.closest("body > :first-child"))
			out.push("the skip link is not the first thing in <body>");
		if (!document.querySelector("main h1"))
			out.push("no <h1> in main (every page is headed: screen readers jump by headings)");
		return out;
	});
}

// Every post on the page: article.status#s-ID[data-id=ID][lang], its
// author and permalink with the time, CW and sensitive-media wrappers.
export async function statusProblems(page) {
	return page.evaluate(() => {
		const out = [];
		for (const a of document.querySelectorAll("article.status")) {
			const id = a.getAttribute("data-id");
			const where = `article ${id || a.id || "(no id)"}`;
			if (!id || !/^\d+$/.test(id)) out.push(`${where}: no numeric data-id`);
			if (a.id !== `s-${id}`) out.push(`${where}: id is "${a.id}", not "s-${id}"`);
			const own = (sel) => [...a.querySelectorAll(sel)].filter((e) => e.closest("article.status") === a);
			const author = own("a.author")[0];
			if (!author || !/^\/@[A-Za-z0-9_]+$/.test(author.getAttribute("href") || ""))
				out.push(`${where}: no a.author[href="/@name"]`);
			// the post a thread page is about may show its time unlinked
			const focus = a.classList.contains("focus");
			const link = own(focus ? ".permalink" : "a.permalink")[0];
			if (!link) out.push(`${where}: no a.permalink`);
			else {
				const href = link.getAttribute("href") || "";
				const target = a.classList.contains("boost") ? /^\/@[A-Za-z0-9_]+\/\d+$/ : new RegExp(`^/@[A-Za-z0-9_]+/${id}$`);
				if ((href || !focus) && !target.test(href)) out.push(`${where}: a.permalink href "${href}" is not /@name/${id}`);
				const time = link.querySelector("time[datetime]");
				if (!time) out.push(`${where}: no time[datetime] in a.permalink`);
				else if (isNaN(Date.parse(time.getAttribute("datetime"))))
					out.push(`${where}: time datetime "${time.getAttribute("datetime")}" is not a date`);
			}
			if (!own("div.content").length && !own("div.media").length)
				out.push(`${where}: neither div.content nor div.media`);
			for (const img of a.querySelectorAll("div.media img"))
				if (!img.hasAttribute("alt")) out.push(`${where}: an image without alt`);
			for (const v of a.querySelectorAll("div.media video"))
				if (!v.hasAttribute("controls") || v.getAttribute("preload") !== "none" || !v.hasAttribute("poster"))
					out.push(`${where}: a video without controls, preload=none and a poster`);
			for (const d of a.querySelectorAll("details"))
				if (!d.querySelector(":scope > summary")) out.push(`${where}: a <details> without <summary>`);
			if (a.classList.contains("boost") && !a.querySelector("p.boosted-by"))
				out.push(`${where}: a boost without p.boosted-by`);
		}
		return out;
	});
}

// The headers every HTML response carries (issue 11, "Safe by construction").
export function headerProblems(headers) {
	const out = [];
	const csp = headers["content-security-policy"] || "";
	for (const d of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"])
		if (!csp.includes(d) && !(d.startsWith("default-src") && csp.includes("default-src 'none'")))
			out.push(`Content-Security-Policy lacks ${d} (${csp || "no header"})`);
	if (/unsafe-inline|unsafe-eval/.test(csp.match(/script-src[^;]*/)?.[0] || ""))
		out.push("script-src allows unsafe-inline or unsafe-eval");
	if (headers["x-content-type-options"] !== "nosniff") out.push("no X-Content-Type-Options: nosniff");
	if (headers["referrer-policy"] !== "same-origin") out.push(`Referrer-Policy is ${headers["referrer-policy"]}`);
	if (!/^text\/html/.test(headers["content-type"] || "")) out.push(`Content-Type is ${headers["content-type"]}`);
	return out;
}

// Same-origin links on the page (absolute URLs, fragments dropped).
export async function sameOriginLinks(page) {
	return page.evaluate(() => {
		const set = new Set();
		for (const a of document.querySelectorAll("a[href]")) {
			const u = new URL(a.getAttribute("href"), location.href);
			if (u.origin !== location.origin) continue;
			u.hash = "";
			set.add(u.href);
		}
		return [...set];
	});
}

// GET each URL through the context (cookies, no script), at most n at a
// time; answers the ones that failed as "URL: status".
export async function brokenLinks(context, urls, n = 4) {
	const bad = [];
	for (let i = 0; i < urls.length; i += n)
		await Promise.all(
			urls.slice(i, i + n).map(async (url) => {
				const r = await context.request.get(url, { maxRedirects: 5, failOnStatusCode: false });
				if (r.status() >= 400) bad.push(`${url}: ${r.status()}`);
				await r.dispose();
			}),
		);
	return bad;
}
