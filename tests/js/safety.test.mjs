// chorus's safety features through masto.js, as an app built on it (Elk,
// Phanpy) calls them: block, mute and filters, each checked by what the
// user then reads.
//
//   CHORUS_URL=http://127.0.0.1:3000 CHORUS_TOKEN=... CHORUS_TOKEN2=... \
//       node --test tests/js/safety.test.mjs
//
// CHORUS_TOKEN is the user who blocks, mutes and filters; CHORUS_TOKEN2
// another account, the one blocked, muted and filtered. Both fresh: the
// tests follow, block and mute between them. tests/api/test_masto.py runs
// this against the suite's server.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, beforeEach, describe, test } from "node:test";

import { createRestAPIClient } from "masto";

const BASE = process.env.CHORUS_URL;
const TOKEN = process.env.CHORUS_TOKEN;
const TOKEN2 = process.env.CHORUS_TOKEN2;
const SKIP = !BASE || !TOKEN || !TOKEN2 ? "CHORUS_URL, CHORUS_TOKEN and CHORUS_TOKEN2 are not set" : false;

const rest = (token) => createRestAPIClient({ url: BASE, accessToken: token, timeout: 10000 });
const fresh = (prefix) => prefix + randomBytes(4).toString("hex");
const ids = (statuses) => statuses.map((s) => s.id);

describe("safety through masto.js", { skip: SKIP }, () => {
	let me, them, themId;
	const home = async () => ids(await me.v1.timelines.home.list({ limit: 40 }));
	const tagged = async (tag) => ids(await me.v1.timelines.tag.$select(tag).list({ limit: 40 }));
	const relationship = async () => (await me.v1.accounts.relationships.fetch({ id: [themId] }))[0];

	before(async () => {
		me = rest(TOKEN);
		them = rest(TOKEN2);
		themId = (await them.v1.accounts.verifyCredentials()).id;
	});
	// each test starts from a follow and nothing else, whatever the one
	// before it left (a failed test may leave its block standing)
	beforeEach(async () => {
		const they = me.v1.accounts.$select(themId);
		await they.unblock();
		await they.unmute();
		await they.follow();
	});

	test("a block hides their posts until the unblock, and cuts the follow", async () => {
		const tag = fresh("jsblock");
		const post = await them.v1.statuses.create({ status: `to block #${tag}`, visibility: "public" });
		assert.ok((await home()).includes(post.id), "followed: their post is in my home");

		const rel = await me.v1.accounts.$select(themId).block();
		assert.equal(rel.blocking, true);
		assert.equal(rel.following, false, "a block ends my follow of them");
		assert.deepEqual(ids(await me.v1.blocks.list()), [themId]);
		assert.ok(!(await home()).includes(post.id), "blocked: not in my home");
		assert.ok(!(await tagged(tag)).includes(post.id), "blocked: not on the tag timeline");
		const mention = await them.v1.statuses.create({ status: `@${(await me.v1.accounts.verifyCredentials()).username} hello?` });
		const notes = await me.v1.notifications.list({ limit: 40 });
		assert.ok(!notes.some((n) => n.status?.id === mention.id), "blocked: their mention notifies me not");

		const undone = await me.v1.accounts.$select(themId).unblock();
		assert.equal(undone.blocking, false);
		assert.equal((await relationship()).blocking, false);
		assert.deepEqual(ids(await me.v1.blocks.list()), []);
		assert.ok((await tagged(tag)).includes(post.id), "unblocked: on the tag timeline again");
	});

	test("a mute keeps the follow and, asked so, the notifications", async () => {
		const post = await them.v1.statuses.create({ status: "to mute", visibility: "public" });
		assert.ok((await home()).includes(post.id));

		const rel = await me.v1.accounts.$select(themId).mute({ notifications: false });
		assert.equal(rel.muting, true);
		assert.equal(rel.mutingNotifications, false);
		assert.equal(rel.following, true, "a mute keeps the follow");
		assert.deepEqual(ids(await me.v1.mutes.list()), [themId]);
		assert.ok(!(await home()).includes(post.id), "muted: not in my home");
		const username = (await me.v1.accounts.verifyCredentials()).username;
		const mention = await them.v1.statuses.create({ status: `@${username} still there?` });
		const notes = await me.v1.notifications.list({ limit: 40 });
		assert.ok(notes.some((n) => n.type === "mention" && n.status?.id === mention.id),
			"notifications=false: their mention still notifies me");

		await me.v1.accounts.$select(themId).unmute();
		const after = await relationship();
		assert.equal(after.muting, false);
		assert.deepEqual(ids(await me.v1.mutes.list()), []);
		assert.ok((await home()).includes(post.id), "unmuted: in my home again");
	});

	test("a v2 filter hides or warns in the contexts it names", async () => {
		const word = fresh("jsword");
		const hide = await me.v2.filters.create({
			title: "hide it",
			context: ["home"],
			filterAction: "hide",
			keywordsAttributes: [{ keyword: word, wholeWord: true }],
		});
		assert.equal(hide.filterAction, "hide");
		assert.deepEqual(hide.keywords.map((k) => k.keyword), [word]);
		const hidden = await them.v1.statuses.create({ status: `says ${word} here`, visibility: "public" });
		const plain = await them.v1.statuses.create({ status: "says nothing much", visibility: "public" });
		const got = await home();
		assert.ok(!got.includes(hidden.id), "hide: the matching post is not in my home");
		assert.ok(got.includes(plain.id), "hide: the others are");

		await me.v2.filters.$select(hide.id).update({ filterAction: "warn" });
		const warned = (await me.v1.timelines.home.list({ limit: 40 })).find((s) => s.id === hidden.id);
		assert.ok(warned, "warn: the matching post is in my home");
		assert.deepEqual(warned.filtered?.map((r) => [r.filter.id, r.keywordMatches]), [[hide.id, [word]]]);

		await me.v2.filters.$select(hide.id).remove();
		assert.ok(!(await me.v2.filters.list()).some((f) => f.id === hide.id));
		const back = (await me.v1.timelines.home.list({ limit: 40 })).find((s) => s.id === hidden.id);
		assert.ok(back && !back.filtered?.length, "removed: the post is plain again");
	});
});
