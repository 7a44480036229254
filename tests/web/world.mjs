// The world a visitor finds: six people, a hashtag five of them used
// today (so it trends), a thread with a content warning and a sensitive
// image, a boost, and a thread of 300 replies (more than one page of
// descendants, so the thread page needs its "more replies" links).
//
// Everything is made through the API, as a client would.

import { png, startChorus } from "./harness.mjs";

export const TAG = "climatestrike";
export const PEOPLE = ["ana", "ben", "cleo", "dev", "eli", "fay"];
export const BIG_THREAD_REPLIES = 300;
export const TAG_POSTS = 45; // more than a page of the tag's feed

// Run fn over items, at most n at a time (the server has cores to spare
// for a few clients, not for three hundred).
export async function inBatches(items, n, fn) {
	const out = [];
	for (let i = 0; i < items.length; i += n)
		out.push(...(await Promise.all(items.slice(i, i + n).map(fn))));
	return out;
}

// Start a server and seed it. Answers {server, users, posts, tag} where
// posts names the statuses the tests visit.
export async function seedWorld({ bigThread = true } = {}) {
	const { server, users } = await startChorus(PEOPLE);
	const [ana, ben, cleo, dev, eli, fay] = PEOPLE.map((n) => users[n]);

	await server.profile(ana, {
		display_name: "Ana Organiser",
		note: "Organising the Friday strikes. #climatestrike",
		fields_attributes: [
			{ name: "Site", value: "https://example.org/ana" },
			{ name: "City", value: "Lisbon" },
		],
	});

	// five distinct voices today: the tag trends
	const voices = [ben, cleo, dev, fay];
	const tagged = await inBatches(
		Array.from({ length: TAG_POSTS - 2 }, (_, i) => i),
		4,
		(i) => server.post(voices[i % voices.length], `Day ${i + 1} of the strike #${TAG}`),
	);

	const spanish = await server.post(eli, {
		status: `¡Nos vemos el viernes! #${TAG}`,
		language: "es",
	});
	// the thread is the tag's newest post: first in its feed
	const root = await server.post(ana, {
		status: `Strike on Friday at noon, city hall. Bring water. #${TAG}`,
		language: "en",
	});
	const cw = await server.post(ben, {
		status: "The route goes down Avenida da Liberdade, then left at the square.",
		spoiler_text: "Route details",
		in_reply_to_id: root.id,
		language: "en",
	});
	const media = await server.upload(cleo, png(320, 200), "A crowd holding a green banner");
	const sensitive = await server.post(cleo, {
		status: "Photo from last week's march",
		media_ids: [media.id],
		sensitive: true,
		in_reply_to_id: root.id,
		language: "en",
	});
	const nested = await server.post(dev, {
		status: "Thanks, I'll bring my bike.",
		in_reply_to_id: cw.id,
		language: "en",
	});
	await server.api("POST", `/api/v1/statuses/${root.id}/reblog`, { token: fay.token });
	await server.api("POST", `/api/v1/statuses/${root.id}/pin`, { token: ana.token });
	await server.api("POST", `/api/v1/statuses/${root.id}/favourite`, { token: dev.token });

	let big = null;
	if (bigThread) {
		big = await server.post(eli, "Tell us why you strike. Every reply counts.");
		await inBatches(
			Array.from({ length: BIG_THREAD_REPLIES }, (_, i) => i),
			6,
			(i) =>
				server.post(users[PEOPLE[i % PEOPLE.length]], {
					status: `Reason number ${i + 1}: the future.`,
					in_reply_to_id: big.id,
				}),
		);
	}
	return {
		server,
		users,
		tag: TAG,
		posts: { root, cw, sensitive, nested, spanish, big, tagged },
	};
}

// Every page a visitor can reach in the world, by feature (see PENDING in
// harness.mjs): [feature, name, path].
export function worldPages({ posts, tag }) {
	const pages = [
		["home", "home", "/"],
		["about", "about", "/about"],
		["profile", "profile", "/@ana"],
		["thread", "thread", `/@ana/${posts.root.id}`],
		["thread", "reply", `/@ben/${posts.cw.id}`],
		["tag", "tag", `/tags/${tag}`],
		["explore", "explore", "/explore"],
		["search", "search", `/search?q=strike`],
		["errors", "not-found", "/@nobody_here"],
	];
	if (posts.big) pages.push(["thread", "big-thread", `/@eli/${posts.big.id}`]);
	return pages;
}
