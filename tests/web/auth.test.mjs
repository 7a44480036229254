// Sign-up and sign-in in the browser, then an app's /oauth/authorize
// through the browser, ending in a token that works — as Tusky, Ivory,
// Elk and Phanpy log in. Forms are found by their labels (so each control
// must have one), with script on, as a person would.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { launchBrowser, pendingReason, screenshots, startChorus, watchedPage } from "./harness.mjs";

let server, browser, skip;
const person = { name: "newcomer", email: "newcomer@example.org", password: "a long enough passphrase" };

before(async () => {
	({ server } = await startChorus(["ana"]));
	skip = await pendingReason(server, "auth", "/auth/sign_in");
	browser = await launchBrowser();
});

after(async () => {
	await browser?.close();
	assert.equal(await server?.stop(), 0, "chorus did not stop cleanly");
});

const signedIn = (page) => page.locator('form[action="/auth/sign_out"]').count().then((n) => n > 0);

async function signIn(page, login, password) {
	await page.getByLabel(/e-mail address or username/i).fill(login);
	await page.getByLabel(/^password$/i).fill(password);
	await page.getByRole("button", { name: /^sign in$/i }).click();
}

// An app registered for the code flow, and its PKCE pair.
async function codeFlowApp(name) {
	const redirect = `${server.url}/test-callback`;
	const app = await server.api("POST", "/api/v1/apps", {
		body: { client_name: name, redirect_uris: redirect, scopes: "read write", website: "https://example.org/app" },
	});
	const verifier = randomBytes(32).toString("base64url");
	const challenge = createHash("sha256").update(verifier).digest("base64url");
	const state = randomBytes(8).toString("hex");
	const q = new URLSearchParams({
		response_type: "code",
		client_id: app.client_id,
		redirect_uri: redirect,
		scope: "read write",
		code_challenge: challenge,
		code_challenge_method: "S256",
		state,
	});
	return { app, redirect, verifier, state, url: `${server.url}/oauth/authorize?${q}` };
}

// Click Authorize on the page, follow the redirect back to the app, and
// trade the code for a token; answers the token.
async function authorizeAndExchange(page, flow) {
	await page.getByRole("button", { name: /^authorize$/i }).click();
	await page.waitForURL((u) => u.href.startsWith(flow.redirect));
	const back = new URL(page.url());
	assert.equal(back.searchParams.get("state"), flow.state, "the state did not come back");
	const code = back.searchParams.get("code");
	assert.ok(code, `no code in ${page.url()}`);
	const token = await server.api("POST", "/oauth/token", {
		body: {
			grant_type: "authorization_code",
			code,
			client_id: flow.app.client_id,
			client_secret: flow.app.client_secret,
			redirect_uri: flow.redirect,
			code_verifier: flow.verifier,
		},
	});
	assert.match(token.scope, /read/);
	return token.access_token;
}

describe("sign-up, sign-in and authorizing an app in the browser", () => {
	test("sign up, sign out, sign in; then authorize an app and use its token", async (t) => {
		if (skip) return t.skip(skip);
		const context = await browser.newContext();
		const page = await watchedPage(context);

		// sign up from the link every page carries
		await page.goto(server.url + "/");
		await page.locator('header a[href="/auth/sign_up"]').click();
		await page.waitForURL("**/auth/sign_up");
		await screenshots(page, "sign-up");
		await page.getByLabel(/^username$/i).fill(person.name);
		await page.getByLabel(/^e-mail address$/i).fill(person.email);
		await page.getByLabel(/^password$/i).fill(person.password);
		await page.getByLabel(/agree/i).check();
		await page.getByRole("button", { name: /^sign up$/i }).click();
		await page.waitForLoadState("load");
		assert.ok(await signedIn(page), `not signed in after signing up (at ${page.url()})`);
		const cookies = await context.cookies();
		const session = cookies.find((c) => c.httpOnly);
		assert.ok(session, `no HttpOnly session cookie: ${JSON.stringify(cookies)}`);
		assert.equal(session.sameSite, "Lax");

		// sign out, then in again with the new account
		await page.locator('form[action="/auth/sign_out"] button').first().click();
		await page.waitForLoadState("load");
		assert.equal(await signedIn(page), false, "still signed in after signing out");
		await page.goto(server.url + "/auth/sign_in");
		await screenshots(page, "sign-in");
		await signIn(page, person.email, person.password);
		await page.waitForLoadState("load");
		assert.ok(await signedIn(page), `not signed in after signing in (at ${page.url()})`);

		// an app asks; the page names it and what it wants
		const flow = await codeFlowApp("Phanpy (test)");
		await page.goto(flow.url);
		assert.match(await page.locator("main").textContent(), /Phanpy \(test\)/, "the page does not name the app");
		assert.match(await page.locator("main").textContent(), /read/i, "the page does not say what the app asks for");
		await screenshots(page, "authorize");
		const token = await authorizeAndExchange(page, flow);
		const me = await server.api("GET", "/api/v1/accounts/verify_credentials", { token });
		assert.equal(me.username, person.name, "the token is not the signed-in account's");
		// and it can post
		await server.api("POST", "/api/v1/statuses", { token, body: { status: "Hello from a browser login" } });
		assert.deepEqual(page.problems.filter((p) => !p.includes("/test-callback")), []);
		await context.close();
	});

	test("authorize while signed out: sign in on the authorize page, then authorize", async (t) => {
		if (skip) return t.skip(skip);
		const context = await browser.newContext();
		const page = await watchedPage(context);
		const flow = await codeFlowApp("Ivory (test)");
		await page.goto(flow.url);
		assert.match(await page.locator("main").textContent(), /Ivory \(test\)/);
		await signIn(page, "ana", "pw-ana-secret");
		await page.waitForLoadState("load");
		const token = await authorizeAndExchange(page, flow);
		const me = await server.api("GET", "/api/v1/accounts/verify_credentials", { token });
		assert.equal(me.username, "ana");
		await context.close();
	});

	test("Deny sends the app back an access_denied error, and no code", async (t) => {
		if (skip) return t.skip(skip);
		const context = await browser.newContext();
		const page = await watchedPage(context);
		const flow = await codeFlowApp("Elk (test)");
		await page.goto(flow.url);
		await signIn(page, "ana", "pw-ana-secret");
		await page.waitForLoadState("load");
		await page.getByRole("button", { name: /^deny$/i }).click();
		await page.waitForURL((u) => u.href.startsWith(flow.redirect));
		const back = new URL(page.url());
		assert.equal(back.searchParams.get("error"), "access_denied");
		assert.equal(back.searchParams.get("code"), null);
		await context.close();
	});

	test("a wrong password is refused with a message, and no session", async (t) => {
		if (skip) return t.skip(skip);
		const context = await browser.newContext();
		const page = await watchedPage(context);
		await page.goto(server.url + "/auth/sign_in");
		await signIn(page, "ana", "not the password");
		await page.waitForLoadState("load");
		assert.equal(await signedIn(page), false);
		assert.ok(await page.locator('[role="alert"]').count(), "no error message announced (role=alert)");
		await context.close();
	});
});
