// The web tests' harness: a chorus server of one's own (fresh data
// directory, free port), the API calls that seed it (as a client would
// make them, with fetch), and Debian's chromium driven by playwright-core.
//
// One server and one browser per test file: node --test runs each file in
// its own process, so a file starts both in before() and stops them in
// after(); tests inside the file share them.
//
//   CHORUS_BIN   the server binary (default build/chorus)
//   CHROMIUM     the browser (default /usr/bin/chromium)
//   CHORUS_SANITIZED=1  an ASan/UBSan build: longer timeouts

import { spawn, execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, mkdirSync, openSync, readFileSync, rmSync, closeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deflateSync } from "node:zlib";

import { chromium } from "playwright-core";

const run = promisify(execFile);

export const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, "..", "..");
export const SANITIZED = !!process.env.CHORUS_SANITIZED;
export const SLOW = SANITIZED ? 3 : 1; // timeouts scale with the build
export const SCREENSHOTS = join(HERE, "screenshots");
export const WIDTHS = [390, 1280]; // a phone and a laptop

export function chorusBin() {
	return process.env.CHORUS_BIN || join(REPO, "build", "chorus");
}

async function freePort() {
	const srv = createServer();
	srv.listen(0, "127.0.0.1");
	await once(srv, "listening");
	const { port } = srv.address();
	srv.close();
	await once(srv, "close");
	return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server -------------------------------------------------------

export class Chorus {
	constructor() {
		this.bin = chorusBin();
		this.root = mkdtempSync(join(tmpdir(), "chorus-web-"));
		this.data = join(this.root, "data");
		mkdirSync(this.data);
		this.logPath = join(this.root, "server.log");
		this.proc = null;
		this.url = null;
		this.app = null; // {client_id, client_secret} for password logins
	}

	// chorus ARGS... --data DIR; rejects with its output when it fails.
	async cli(...args) {
		try {
			return await run(this.bin, [...args, "--data", this.data], {
				timeout: 60000 * SLOW,
			});
		} catch (e) {
			throw new Error(`chorus ${args.join(" ")} failed: ${e.stderr || e.message}`);
		}
	}

	// A user made through the CLI (works before and while serving).
	async createUser(name, { role } = {}) {
		const user = { name, email: `${name}@example.com`, password: `pw-${name}-secret` };
		await this.cli(
			"user", "create", name, "--email", user.email, "--password", user.password,
			...(role ? ["--role", role] : []),
		);
		return user;
	}

	async start() {
		this.port = await freePort();
		this.url = `http://127.0.0.1:${this.port}`;
		const log = openSync(this.logPath, "a");
		this.proc = spawn(this.bin, ["serve", "--port", String(this.port), "--data", this.data], {
			stdio: ["ignore", log, log],
		});
		closeSync(log);
		this.exited = once(this.proc, "exit");
		const deadline = Date.now() + 20000 * SLOW;
		let last = "";
		while (Date.now() < deadline) {
			if (this.proc.exitCode !== null)
				throw new Error(`chorus serve exited with ${this.proc.exitCode}\n${this.logTail()}`);
			try {
				const r = await fetch(this.url + "/api/v1/instance");
				if (r.ok) return this;
				last = `HTTP ${r.status}`;
			} catch (e) {
				last = e.message;
			}
			await sleep(100);
		}
		this.proc.kill("SIGKILL");
		throw new Error(`chorus serve did not answer within 20 s (${last})\n${this.logTail()}`);
	}

	// SIGTERM, and the exit code (0 is a graceful stop). The data
	// directory goes too unless CHORUS_KEEP is set.
	async stop() {
		if (!this.proc) return null;
		if (this.proc.exitCode === null) {
			this.proc.kill("SIGTERM");
			const timer = setTimeout(() => this.proc.kill("SIGKILL"), 20000 * SLOW);
			await this.exited;
			clearTimeout(timer);
		}
		const code = this.proc.exitCode;
		if (code !== 0) console.error(`chorus serve exited ${code}\n${this.logTail()}`);
		if (!process.env.CHORUS_KEEP) rmSync(this.root, { recursive: true, force: true });
		else console.error(`chorus data kept in ${this.root}`);
		return code;
	}

	logTail(limit = 6000) {
		try {
			const text = readFileSync(this.logPath, "utf8");
			return text.length > limit ? "…" + text.slice(-limit) : text;
		} catch {
			return "(no log)";
		}
	}

	// ---- API, as a client ----------------------------------------------

	// fetch path (relative to the server) with an optional token; JSON
	// bodies are sent as JSON, FormData as multipart. Answers the parsed
	// JSON and throws on a non-2xx status.
	async api(method, path, { token, body } = {}) {
		const headers = {};
		if (token) headers.Authorization = `Bearer ${token}`;
		let payload;
		if (body instanceof FormData) payload = body;
		else if (body !== undefined) {
			headers["Content-Type"] = "application/json";
			payload = JSON.stringify(body);
		}
		const r = await fetch(this.url + path, { method, headers, body: payload });
		const text = await r.text();
		if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status}: ${text.slice(0, 300)}`);
		return text ? JSON.parse(text) : null;
	}

	async appKeys() {
		if (!this.app)
			this.app = await this.api("POST", "/api/v1/apps", {
				body: {
					client_name: "chorus web tests",
					redirect_uris: "urn:ietf:wg:oauth:2.0:oob",
					scopes: "read write follow push",
					website: "https://example.org/chorus-web-tests",
				},
			});
		return this.app;
	}

	// A user token through the password grant, as tests/api does.
	async login(user) {
		const app = await this.appKeys();
		const t = await this.api("POST", "/oauth/token", {
			body: {
				grant_type: "password",
				client_id: app.client_id,
				client_secret: app.client_secret,
				username: user.email,
				password: user.password,
				scope: "read write follow push",
			},
		});
		user.token = t.access_token;
		const me = await this.api("GET", "/api/v1/accounts/verify_credentials", { token: user.token });
		user.id = me.id;
		return user;
	}

	// createUser + login.
	async user(name, opts) {
		return this.login(await this.createUser(name, opts));
	}

	// POST /api/v1/statuses: params as the API takes them (status,
	// in_reply_to_id, spoiler_text, sensitive, media_ids, visibility,
	// language). Answers the Status.
	post(user, params) {
		if (typeof params === "string") params = { status: params };
		return this.api("POST", "/api/v1/statuses", { token: user.token, body: params });
	}

	// Upload an image (PNG bytes) with its alt text; answers the Attachment.
	async upload(user, bytes, description) {
		const form = new FormData();
		form.append("file", new Blob([bytes], { type: "image/png" }), "image.png");
		if (description !== undefined) form.append("description", description);
		return this.api("POST", "/api/v2/media", { token: user.token, body: form });
	}

	// PATCH update_credentials (display_name, note, fields_attributes…).
	profile(user, fields) {
		return this.api("PATCH", "/api/v1/accounts/update_credentials", {
			token: user.token,
			body: fields,
		});
	}

	// GET path without following redirects: {status, type, text}.
	async get(path, headers = {}) {
		const r = await fetch(this.url + path, { headers, redirect: "manual" });
		return { status: r.status, type: r.headers.get("content-type") || "", headers: r.headers, text: await r.text() };
	}
}

// Start a server with the users named (each logged in, with .token and
// .id); the first is the owner. Answers {server, users: {name: user}}.
export async function startChorus(names = []) {
	const server = new Chorus();
	const users = {};
	// users made before serving: no server to race with, one CLI each
	for (const [i, name] of names.entries())
		users[name] = await server.createUser(name, i === 0 ? { role: "owner" } : {});
	await server.start();
	for (const name of names) await server.login(users[name]);
	return { server, users };
}

// ---- pages that have not landed yet -----------------------------------

// The pages other worktrees are still building, with who builds them.
// A test of a page listed here is skipped while the server answers the
// page with 404; once the page answers, it is tested for real even before
// this list is updated. A page not listed here must work. Empty this list
// as pages land.
export const PENDING = {};

// The feature (a key of PENDING) a same-origin path belongs to.
export function featureOf(path) {
	const p = new URL(path, "http://x").pathname;
	if (p === "/") return "home";
	if (p.startsWith("/auth/")) return "auth";
	if (p.startsWith("/tags/")) return "tag";
	if (/^\/@[^/]+\/\d+$/.test(p)) return "thread";
	if (/^\/@[^/]+$/.test(p)) return "profile";
	const first = p.split("/")[1];
	return ["about", "explore", "search"].includes(first) ? first : null;
}

// undefined when the page at path is there (test it), else a skip reason.
export async function pendingReason(server, feature, path) {
	if (!(feature in PENDING)) return undefined;
	const r = await server.get(path, { Accept: "text/html" });
	// an error page is there when it is HTML, whatever its status
	const missing = feature === "errors" ? !r.type.startsWith("text/html") : r.status === 404 || !r.type.startsWith("text/html");
	if (missing)
		return `${PENDING[feature]} (GET ${path}: ${r.status} ${r.type})`;
	return undefined;
}

// ---- the browser ------------------------------------------------------

export async function launchBrowser() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
		// containers often lack a user namespace for the sandbox
		args: ["--no-sandbox", "--disable-dev-shm-usage"],
	});
}

// A page that records what a hostile post would cause: dialogs (alert,
// confirm, prompt: dismissed, and recorded), uncaught exceptions, console
// errors, and requests that failed. page.problems lists them.
export async function watchedPage(context) {
	const page = await context.newPage();
	page.problems = [];
	page.dialogs = [];
	page.expectedFailures = new Set(); // URLs visit() was told fail
	page.on("dialog", async (d) => {
		page.dialogs.push(`${d.type()}: ${d.message()}`);
		page.problems.push(`dialog ${d.type()}(${JSON.stringify(d.message())}) on ${page.url()}`);
		await d.dismiss().catch(() => {});
	});
	page.on("pageerror", (e) => page.problems.push(`uncaught ${e.message} on ${page.url()}`));
	page.on("console", (m) => {
		if (m.type() !== "error") return;
		const at = m.location().url;
		if (/^Failed to load resource/.test(m.text())) {
			// the browser's own note on an error page we asked for
			if (page.expectedFailures.has(at)) return;
			// asked for by the browser, not by the page (reported apart)
			if (new URL(at || page.url()).pathname === "/favicon.ico") return;
		}
		page.problems.push(`console error: ${m.text()} (${at || "?"}) on ${page.url()}`);
	});
	return page;
}

// Go to path and answer the response; fails on a non-2xx.
export async function visit(page, base, path, { status = 200 } = {}) {
	if (status >= 400) page.expectedFailures?.add(new URL(path, base).href);
	const resp = await page.goto(base + path, { waitUntil: "load" });
	if (!resp) throw new Error(`no response for ${path}`);
	if (resp.status() !== status)
		throw new Error(`GET ${path}: HTTP ${resp.status()} (wanted ${status}): ${(await resp.text()).slice(0, 300)}`);
	return resp;
}

// Full-page screenshots at each width into tests/web/screenshots/NAME-W.png.
export async function screenshots(page, name) {
	mkdirSync(SCREENSHOTS, { recursive: true });
	const before = page.viewportSize();
	for (const width of WIDTHS) {
		await page.setViewportSize({ width, height: 900 });
		await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
	}
	if (before) await page.setViewportSize(before);
}

// ---- media ------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(buf) {
	let c = 0xffffffff;
	for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
	const out = Buffer.alloc(12 + data.length);
	out.writeUInt32BE(data.length, 0);
	out.write(type, 4, "ascii");
	data.copy(out, 8);
	out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
	return out;
}

// A w×h RGB PNG: a diagonal gradient in the given hue, so a blurhash has
// something to blur and a screenshot shows it.
export function png(w = 64, h = 48, [r0, g0, b0] = [200, 60, 40]) {
	const rows = [];
	for (let y = 0; y < h; y++) {
		const row = Buffer.alloc(1 + 3 * w); // filter byte 0: none
		for (let x = 0; x < w; x++) {
			const t = (x + y) / (w + h);
			row[1 + 3 * x] = Math.round(r0 * (1 - t) + 255 * t);
			row[2 + 3 * x] = Math.round(g0 * (1 - t) + 200 * t);
			row[3 + 3 * x] = Math.round(b0 * (1 - t) + 80 * t);
		}
		rows.push(row);
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(w, 0);
	ihdr.writeUInt32BE(h, 4);
	ihdr[8] = 8; // bit depth
	ihdr[9] = 2; // RGB
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk("IHDR", ihdr),
		chunk("IDAT", deflateSync(Buffer.concat(rows))),
		chunk("IEND", Buffer.alloc(0)),
	]);
}

export { sleep };
