/* chorus.js — what the pages gain when script runs; nothing they need.
 *
 * Every page is complete HTML from the server. This file adds:
 *  - live arrival on tag and thread pages: a "N new posts" button that
 *    reloads the feed from the server (never post HTML built from JSON
 *    here: the server's escaping is the only escaping);
 *  - relative times ("3 minutes ago") kept current;
 *  - a share / copy-link button on each post.
 *
 * Plain ES2017, no dependencies, no build step, loaded with <script src
 * defer> under the CSP script-src 'self': no inline script, no eval, no
 * inline event handlers, no innerHTML.
 *
 * Strings: English here; a page may carry its translations as JSON in
 * <meta name="chorus-strings" content="{...}"> with the keys of STRINGS
 * below (plural keys end in the Intl.PluralRules category: new_posts_one,
 * new_posts_few, new_posts_other; "{n}" is the number). */
(function () {
	"use strict";

	var STRINGS = {
		new_posts_one: "{n} new post",
		new_posts_other: "{n} new posts",
		share: "Share",
		copy_link: "Copy link",
		copied: "Copied",
		copy_failed: "Copy this link:",
	};
	var RECONNECT_MIN_MS = 1000;
	var RECONNECT_MAX_MS = 60000;
	var TIME_REFRESH_MS = 60000;
	var COPIED_SHOWN_MS = 4000;

	var lang = document.documentElement.lang || "en";
	var reducedMotion =
		window.matchMedia &&
		window.matchMedia("(prefers-reduced-motion: reduce)").matches;

	(function loadStrings() {
		var meta = document.querySelector('meta[name="chorus-strings"]');
		if (!meta) return;
		try {
			var given = JSON.parse(meta.getAttribute("content"));
			Object.keys(given).forEach(function (k) {
				if (typeof given[k] === "string") STRINGS[k] = given[k];
			});
		} catch (e) {
			/* a bad catalogue leaves English */
		}
	})();

	function plural(key, n) {
		var category = "other";
		try {
			category = new Intl.PluralRules(lang).select(n);
		} catch (e) {
			category = n === 1 ? "one" : "other";
		}
		var s = STRINGS[key + "_" + category] || STRINGS[key + "_other"];
		return s.replace("{n}", String(n));
	}

	/* ---- live arrival ------------------------------------------------ */

	function streamUrl(params) {
		var scheme = location.protocol === "https:" ? "wss:" : "ws:";
		var q = Object.keys(params)
			.map(function (k) {
				return k + "=" + encodeURIComponent(params[k]);
			})
			.join("&");
		return scheme + "//" + location.host + "/api/v1/streaming?" + q;
	}

	/* A WebSocket that reopens after a close, waiting twice as long each
	 * time (with jitter, so a restarted server is not hit by every page at
	 * once) and starting over once a connection holds. onUpdate gets each
	 * "update" event's Status, parsed. The element's data-live says where
	 * the connection is ("connecting", "open"), for style and tests. */
	function openStream(el, params, onUpdate) {
		var delay = RECONNECT_MIN_MS;
		var socket = null;
		var stopped = false;
		function connect() {
			if (stopped) return;
			el.setAttribute("data-live", "connecting");
			try {
				socket = new WebSocket(streamUrl(params));
			} catch (e) {
				return retry();
			}
			socket.onopen = function () {
				delay = RECONNECT_MIN_MS;
				el.setAttribute("data-live", "open");
			};
			socket.onmessage = function (msg) {
				var ev;
				try {
					ev = JSON.parse(msg.data);
				} catch (e) {
					return;
				}
				if (!ev || ev.event !== "update" || typeof ev.payload !== "string")
					return;
				try {
					onUpdate(JSON.parse(ev.payload));
				} catch (e) {
					/* a payload we cannot read is not a new post */
				}
			};
			socket.onclose = retry;
		}
		function retry() {
			socket = null;
			el.setAttribute("data-live", "connecting");
			if (stopped) return;
			var wait = delay * (0.75 + Math.random() / 2);
			delay = Math.min(delay * 2, RECONNECT_MAX_MS);
			setTimeout(connect, wait);
		}
		/* leaving the page (or entering the back-forward cache) closes it */
		window.addEventListener("pagehide", function () {
			stopped = true;
			if (socket) socket.close();
		});
		window.addEventListener("pageshow", function (e) {
			if (e.persisted && stopped) {
				stopped = false;
				delay = RECONNECT_MIN_MS;
				connect();
			}
		});
		connect();
	}

	function shownIds(root) {
		var ids = Object.create(null);
		var articles = root.querySelectorAll("article[data-id]");
		for (var i = 0; i < articles.length; i++)
			ids[articles[i].getAttribute("data-id")] = true;
		return ids;
	}

	/* The "N new posts" button at the top of container, in a polite live
	 * region that exists from the start (a region added together with its
	 * text is not announced). refresh() replaces container's contents. */
	function newPostsNotice(container, before, refresh) {
		var region = document.createElement("div");
		region.className = "new-posts-region";
		region.setAttribute("aria-live", "polite");
		container.parentNode.insertBefore(region, before || container);
		var button = null;
		var count = 0;
		var busy = false;
		return {
			add: function () {
				count++;
				if (!button) {
					button = document.createElement("button");
					button.type = "button";
					button.className = "new-posts";
					button.addEventListener("click", function () {
						if (busy) return;
						busy = true;
						button.disabled = true;
						refresh().then(
							function () {
								busy = false;
								count = 0;
								region.removeChild(button);
								button = null;
							},
							function () {
								busy = false;
								button.disabled = false;
							}
						);
					});
					region.appendChild(button);
				}
				button.textContent = plural("new_posts", count);
			},
		};
	}

	/* Fetch this page again and put the fresh copy of the element matching
	 * selector in place of old's contents; answers the fresh element. */
	function reloadPart(old, selector) {
		return fetch(location.href, {
			credentials: "same-origin",
			headers: { Accept: "text/html" },
			cache: "no-store",
		})
			.then(function (res) {
				if (!res.ok) throw new Error("HTTP " + res.status);
				return res.text();
			})
			.then(function (text) {
				var doc = new DOMParser().parseFromString(text, "text/html");
				var fresh = doc.querySelector(selector);
				if (!fresh) throw new Error("no " + selector + " in the page");
				var nodes = [];
				while (fresh.firstChild) {
					nodes.push(document.adoptNode(fresh.firstChild));
				}
				while (old.firstChild) old.removeChild(old.firstChild);
				nodes.forEach(function (n) {
					old.appendChild(n);
				});
				enhance(old);
				/* keep keyboard focus in the content that replaced the button */
				if (!old.hasAttribute("tabindex")) old.setAttribute("tabindex", "-1");
				old.focus({ preventScroll: true });
				old.scrollIntoView({
					behavior: reducedMotion ? "auto" : "smooth",
					block: "start",
				});
				return old;
			});
	}

	function cssString(s) {
		return '"' + s.replace(/["\\]/g, "\\$&") + '"';
	}

	/* Only the newest page listens: an older page (?max_id=) would not
	 * show the new posts when reloaded. */
	function isNewestPage() {
		return !/[?&]max_id=/.test(location.search);
	}

	function liveTagFeed(feed) {
		var tag = feed.getAttribute("data-tag");
		if (!tag || !isNewestPage()) return;
		var seen = shownIds(feed);
		var selector =
			'.feed[data-stream="hashtag"][data-tag=' + cssString(tag) + "]";
		var notice = newPostsNotice(feed, null, function () {
			return reloadPart(feed, selector).then(function () {
				seen = shownIds(feed);
			});
		});
		openStream(feed, { stream: "hashtag", tag: tag }, function (status) {
			if (!status || !status.id || seen[status.id]) return;
			seen[status.id] = true;
			notice.add();
		});
	}

	/* The thread stream (a chorus extension) carries every new public or
	 * unlisted reply of the thread this post belongs to. */
	function liveThread(thread) {
		var id = thread.getAttribute("data-status-id");
		if (!id) return;
		var shown = shownIds(thread);
		var selector = ".thread[data-status-id=" + cssString(id) + "]";
		var notice = newPostsNotice(thread, null, function () {
			return reloadPart(thread, selector).then(function () {
				shown = shownIds(thread);
			});
		});
		openStream(thread, { stream: "thread", id: id }, function (status) {
			if (!status || !status.id || shown[status.id]) return;
			shown[status.id] = true;
			notice.add();
		});
	}

	/* ---- relative times ---------------------------------------------- */

	var relativeFormat = null;
	var nowFormat = null;
	var monthNames = null;
	try {
		/* "5 minutes ago", not "yesterday": the server's wording */
		relativeFormat = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
		nowFormat = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
	} catch (e) {
		relativeFormat = null;
	}

	/* Month names in the page's language, to tell "12 Mar 2024" (absolute,
	 * left alone) from "3 hours ago" (relative, kept current). */
	function months() {
		if (monthNames) return monthNames;
		monthNames = [];
		["short", "long"].forEach(function (style) {
			var f = new Intl.DateTimeFormat(lang, { month: style, timeZone: "UTC" });
			for (var m = 0; m < 12; m++)
				monthNames.push(
					f.format(new Date(Date.UTC(2000, m, 1))).toLowerCase().replace(/\.$/, "")
				);
		});
		return monthNames;
	}

	/* A time is relative when the server says so (data-relative) or when
	 * its text names no year, month or clock time. */
	function isRelative(el, when) {
		if (el.hasAttribute("data-relative")) return true;
		var text = el.textContent.toLowerCase();
		if (!text.trim()) return false;
		if (text.indexOf(String(when.getUTCFullYear())) >= 0) return false;
		if (/\d:\d\d/.test(text)) return false;
		var names = months();
		var words = text.split(/[\s\d.,:;\/()-]+/);
		for (var i = 0; i < words.length; i++)
			if (words[i] && names.indexOf(words[i]) >= 0) return false;
		return true;
	}

	var MINUTE = 60;
	var HOUR = 60 * MINUTE;
	var DAY = 24 * HOUR;

	/* The server's rule (src/web/status.c, put_relative), so a refresh
	 * changes only the number: "now", whole minutes, hours and days ago
	 * for a week, then the date (YYYY-MM-DD, as the server writes it). */
	function relativeText(when, now) {
		var ago = Math.floor((now - when.getTime()) / 1000);
		if (ago < MINUTE) return nowFormat.format(0, "second");
		if (ago < HOUR) return relativeFormat.format(-Math.floor(ago / MINUTE), "minute");
		if (ago < DAY) return relativeFormat.format(-Math.floor(ago / HOUR), "hour");
		if (ago < 7 * DAY) return relativeFormat.format(-Math.floor(ago / DAY), "day");
		return when.toISOString().slice(0, 10);
	}

	/* Mark the relative times under root (data-relative) and, when
	 * rewrite, render them anew. Text fresh from the server is left as
	 * written until the first tick. */
	function refreshTimes(root, rewrite) {
		if (!relativeFormat) return;
		var now = Date.now();
		var times = root.querySelectorAll("time[datetime]");
		for (var i = 0; i < times.length; i++) {
			var el = times[i];
			var when = new Date(el.getAttribute("datetime"));
			if (isNaN(when.getTime())) continue;
			if (!el.hasAttribute("data-relative")) {
				if (!isRelative(el, when)) continue;
				el.setAttribute("data-relative", "");
			}
			if (!rewrite) continue;
			var text = relativeText(when, now);
			if (el.textContent !== text) el.textContent = text;
		}
	}

	/* ---- share / copy link ------------------------------------------- */

	function copyText(text) {
		if (navigator.clipboard && navigator.clipboard.writeText)
			return navigator.clipboard.writeText(text);
		/* an insecure origin has no clipboard API: the older command */
		return new Promise(function (resolve, reject) {
			var input = document.createElement("textarea");
			input.value = text;
			input.setAttribute("readonly", "");
			input.style.position = "fixed";
			input.style.opacity = "0";
			document.body.appendChild(input);
			input.select();
			var ok = false;
			try {
				ok = document.execCommand("copy");
			} catch (e) {
				ok = false;
			}
			document.body.removeChild(input);
			if (ok) resolve();
			else reject(new Error("copy refused"));
		});
	}

	/* The post's own page: its permalink, or for the post a thread page is
	 * about (whose time is no link: the page is the post) the page's
	 * canonical URL. */
	function postUrl(article, link) {
		if (link.hasAttribute("href"))
			return new URL(link.getAttribute("href"), location.href).href;
		var canonical = document.querySelector('link[rel="canonical"]');
		if (canonical) return canonical.href;
		return location.origin + location.pathname;
	}

	function shareButton(article) {
		var link = null;
		for (var c = article.querySelectorAll(".permalink"), i = 0; i < c.length; i++)
			if (c[i].closest("article.status") === article) {
				link = c[i];
				break;
			}
		if (!link || link.parentNode.querySelector(".share-wrap")) return;
		var url = postUrl(article, link);
		var canShare = typeof navigator.share === "function";
		var wrap = document.createElement("span");
		wrap.className = "share-wrap";
		var button = document.createElement("button");
		button.type = "button";
		button.className = "share";
		button.textContent = canShare ? STRINGS.share : STRINGS.copy_link;
		var status = document.createElement("span");
		status.className = "share-status";
		status.setAttribute("role", "status");
		var timer = null;
		function say(text) {
			status.textContent = text;
			clearTimeout(timer);
			timer = setTimeout(function () {
				status.textContent = "";
			}, COPIED_SHOWN_MS);
		}
		button.addEventListener("click", function () {
			if (canShare) {
				navigator.share({ url: url, title: document.title }).catch(function () {
					/* the reader closed the share sheet */
				});
				return;
			}
			copyText(url).then(
				function () {
					say(STRINGS.copied);
				},
				function () {
					/* nothing could copy: show the link to copy by hand */
					say(STRINGS.copy_failed + " " + url);
				}
			);
		});
		wrap.appendChild(button);
		wrap.appendChild(status);
		link.parentNode.insertBefore(wrap, link.nextSibling);
	}

	/* ---- start ------------------------------------------------------- */

	function enhance(root) {
		var articles = root.querySelectorAll("article.status");
		for (var i = 0; i < articles.length; i++) shareButton(articles[i]);
		refreshTimes(root, false);
	}

	function start() {
		enhance(document);
		setInterval(function () {
			if (!document.hidden) refreshTimes(document, true);
		}, TIME_REFRESH_MS);
		document.addEventListener("visibilitychange", function () {
			if (!document.hidden) refreshTimes(document, true);
		});
		if (typeof WebSocket !== "function") return;
		var feeds = document.querySelectorAll('.feed[data-stream="hashtag"][data-tag]');
		for (var i = 0; i < feeds.length; i++) liveTagFeed(feeds[i]);
		var threads = document.querySelectorAll(".thread[data-status-id]");
		for (var j = 0; j < threads.length; j++) liveThread(threads[j]);
	}

	if (document.readyState === "loading")
		document.addEventListener("DOMContentLoaded", start);
	else start();
})();
