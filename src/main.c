/* main.c — the chorus command: serve, init, user, demo, backup, config. */
#include "api/api.h"
#include "core/cache.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/feeds.h"
#include "core/id.h"
#include "core/log.h"
#include "core/replies.h"
#include "core/time.h"
#include "domain/domain.h"
#include "fed/fed.h"
#include "jobs/jobs.h"
#include "media/media.h"
#include "store/store.h"
#include "stream/stream.h"
#include "web/web.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void tell_server(void);

static void usage(FILE *out)
{
	fputs("usage: chorus <command> [options]\n"
	      "\n"
	      "commands:\n"
	      "  serve                 run the server\n"
	      "  demo                  seed a demo instance (once) and serve "
	      "it\n"
	      "  init                  create the data directory and database\n"
	      "  user create NAME --email E --password P [--role R]\n"
	      "  user list\n"
	      "  user passwd NAME --password P   (revokes all its sessions)\n"
	      "  user sessions NAME    list its sessions (tokens, browsers)\n"
	      "  user revoke NAME [--token ID]   revoke all its sessions, or "
	      "one\n"
	      "  user export NAME DIR  its follows, blocks, mutes, domain "
	      "blocks and\n"
	      "                        bookmarks as Mastodon's CSV files, "
	      "and\n"
	      "                        archive.tar.gz (its posts and media "
	      "too), in DIR\n"
	      "  user delete NAME\n"
	      "  domain block HOST [--severity silence|suspend] "
	      "[--reject-media]\n"
	      "  domain unblock HOST\n"
	      "  domain list           the other servers this one limits\n"
	      "  admin ACTION NAME [--report ID] [--text T]   a moderator's\n"
	      "                        action on an account (NAME or\n"
	      "                        NAME@DOMAIN): none, suspend, "
	      "unsuspend,\n"
	      "                        silence, unsilence, sensitive, "
	      "unsensitive,\n"
	      "                        disable, enable\n"
	      "  admin erase NAME      erase a suspended account now\n"
	      "  admin approve|reject NAME   a sign-up waiting for approval\n"
	      "  admin invite [--uses N] [--expires 7d]   an invite link\n"
	      "  admin invites         the invites, newest first\n"
	      "  admin log [--limit N] the moderators' actions, newest "
	      "first\n"
	      "  backup FILE [--force] copy the database, while it serves, to "
	      "FILE\n"
	      "  db migrate-to URL     copy this SQLite instance into an empty"
	      " PostgreSQL\n"
	      "                        database (postgresql://...)\n"
	      "  config                print the effective configuration\n"
	      "  bench-data [ACCOUNTS [STATUSES]]  fill the database with the\n"
	      "                        benchmark data set (default 1000 "
	      "100000)\n"
	      "\n"
	      "options (all commands):\n"
	      "  --data DIR            data directory (default ./data)\n"
	      "  --database URL        PostgreSQL (postgresql://...) instead "
	      "of SQLite\n"
	      "                        under --data; media stay under "
	      "--data\n"
	      "  --config FILE         INI configuration file\n"
	      "  --port N              port to listen on (default 3000)\n"
	      "  --bind ADDR           address to listen on (default "
	      "127.0.0.1)\n"
	      "  --base-url URL        public URL (default http://BIND:PORT)\n",
	      out);
}

/* Options shared by every command, plus the user-command ones. */
typedef struct cli {
	const char *email, *password, *role, *token, *severity;
	const char *report, *text, *limit, *uses, *expires;
	bool reject_media;
	const char *args[4];
	int nargs;
	bool force;
} cli;

static int user_export(const cli *c);

static int parse_cli(int argc, char **argv, cli *c)
{
	memset(c, 0, sizeof *c);
	const char *config_file = NULL;
	/* the config file first, so flags override it */
	for (int i = 2; i < argc - 1; i++)
		if (!strcmp(argv[i], "--config"))
			config_file = argv[i + 1];
	if (config_file && config_load(config_file) < 0)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char *key = NULL;
		if (!strcmp(a, "--data"))
			key = "data.dir";
		else if (!strcmp(a, "--database"))
			key = "database.url";
		else if (!strcmp(a, "--port"))
			key = "server.port";
		else if (!strcmp(a, "--bind"))
			key = "server.bind";
		else if (!strcmp(a, "--base-url"))
			key = "server.base_url";
		if (key) {
			if (!v || config_set(key, v) < 0) {
				fprintf(stderr, "chorus: bad value for %s\n",
					a);
				return -1;
			}
			i++;
		} else if (!strcmp(a, "--config")) {
			i++;
		} else if (!strcmp(a, "--email") && v) {
			c->email = v;
			i++;
		} else if (!strcmp(a, "--password") && v) {
			c->password = v;
			i++;
		} else if (!strcmp(a, "--role") && v) {
			c->role = v;
			i++;
		} else if (!strcmp(a, "--token") && v) {
			c->token = v;
			i++;
		} else if (!strcmp(a, "--severity") && v) {
			c->severity = v;
			i++;
		} else if (!strcmp(a, "--report") && v) {
			c->report = v;
			i++;
		} else if (!strcmp(a, "--text") && v) {
			c->text = v;
			i++;
		} else if (!strcmp(a, "--uses") && v) {
			c->uses = v;
			i++;
		} else if (!strcmp(a, "--expires") && v) {
			c->expires = v;
			i++;
		} else if (!strcmp(a, "--limit") && v) {
			c->limit = v;
			i++;
		} else if (!strcmp(a, "--reject-media")) {
			c->reject_media = true;
		} else if (!strcmp(a, "--force")) {
			c->force = true;
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "chorus: unknown option %s\n", a);
			return -1;
		} else if (c->nargs < 4) {
			c->args[c->nargs++] = a;
		}
	}
	config_finish();
	if (strcmp(cfg.synchronous, "full") &&
	    strcmp(cfg.synchronous, "normal")) {
		fputs("chorus: [data] synchronous must be full or normal\n",
		      stderr);
		return -1;
	}
	log_set_json(!strcmp(cfg.log_format, "json"));
	return 0;
}

enum { UPLOAD_SLACK_BYTES = 1 << 20 }; /* form fields around a file */

/* The trend tables keep only what reads can still need. */
static void trends_prune(void)
{
	store_trends_prune(time_now_ms());
}

/* The media pipeline and its workers; 0 or -1. */
static int media_start(void)
{
	if (media_dirs_init(cfg.data_dir) < 0)
		return -1;
	jobs_register(MEDIA_JOB, media_job_run);
	jobs_register(INSTANCE_PURGE_JOB, instance_purge_job);
	jobs_register(CACHES_FORGET_JOB, caches_forget_job);
	jobs_register(ACCOUNT_ERASE_JOB, account_erase_job);
	fed_start();
	jobs_every(3600, media_sweep);
	jobs_every(3600, account_suspensions_purge);
	jobs_every(3600, trends_prune);
	return jobs_start(cfg.job_workers);
}

/* Every stream is a socket: take all the descriptors the hard limit
 * allows (the soft one is often 1 024). */
static void raise_fd_limit(void)
{
	struct rlimit lim;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
	    lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
}

/* Write the limits the database enforces from this configuration. Only
 * a command that serves does: a CLI command run beside the server, with
 * another configuration, must not change what the server enforces. */
static int write_limits(void)
{
	if (store_limit_set("max_pinned", cfg.max_pinned) < 0 ||
	    store_limit_set("max_featured_tags", cfg.max_featured_tags) < 0)
		return -1;
	return 0;
}

/* The API's routes, the web's and federation's, in one table for one
 * router. */
static http_route *all_routes(size_t *n)
{
	*n = api_nroutes + web_nroutes + fed_nroutes;
	http_route *t = malloc(*n * sizeof *t);
	if (!t)
		return NULL;
	memcpy(t, api_routes, api_nroutes * sizeof *t);
	memcpy(t + api_nroutes, web_routes, web_nroutes * sizeof *t);
	memcpy(t + api_nroutes + web_nroutes, fed_routes,
	       fed_nroutes * sizeof *t);
	return t;
}

/* Pages pass the web's guard (cookies, language, page cache), documents
 * federation's; the rest the API's (bearer tokens). */
static bool serve_guard(http_req *r, const http_route *route)
{
	return route->auth == WEB_ROUTE	  ? web_guard(r, route)
	       : route->auth == FED_ROUTE ? fed_guard(r, route)
					  : api_guard(r, route);
}

static void serve_after(http_req *r)
{
	int auth = r->route ? r->route->auth : 0;
	if (auth == WEB_ROUTE)
		web_after(r);
	else if (auth == FED_ROUTE)
		fed_after(r);
	else
		api_after(r);
}

/* [server] trusted_proxies, parsed once; the server reads it while it
 * runs, so it lives as long as the process. */
static cidr_list trusted_proxies;

static int cmd_serve(void)
{
	const char *bad = NULL;
	if (cidr_list_parse(cfg.trusted_proxies, &trusted_proxies, &bad) < 0) {
		bad = bad ? bad : "";
		log_error("[server] trusted_proxies: not an address or CIDR "
			  "range at \"%.*s\"",
			  (int)strcspn(bad, ","), bad);
		return 1;
	}
	/* workers inherit this mask; the main thread waits for the signal
	 * and then stops the server after in-flight requests finish */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* API_POOL_PASSWORD: Argon2id off the I/O threads, queue bounded;
	 * API_POOL_FETCH: threads that mostly wait on other servers;
	 * API_POOL_INBOX: deliveries kept, a queue past which senders are
	 * told to retry; four threads a core, which mostly wait: those
	 * waiting while one writes share the next commit (store_inbox_accept);
	 * at the job workers' nice value, as what they keep is the jobs'
	 * work: readers come first, and the queue absorbs a flood */
	const http_pool_opts pools[] = {
		{
			.threads = cfg.password_threads,
			.max_waiting = cfg.password_queue,
			.nice = cfg.password_nice,
		},
		{
			.threads = cfg.fed_fetch_threads,
			.max_waiting = cfg.fed_fetch_queue,
		},
		{
			.threads = cfg.threads * 4,
			.max_waiting = cfg.fed_inbox_queue,
			.nice = JOBS_NICE,
		}};
	http_server_opts opts = {
		.bind = cfg.bind,
		.port = cfg.port,
		.threads = cfg.threads,
		.max_body_bytes = cfg.max_body_bytes,
		.max_url_bytes = cfg.max_url_bytes,
		.param_limits =
			{
				.max_params = cfg.max_params,
				.max_list_items = cfg.max_list_items,
				.max_json_depth = cfg.max_json_depth,
			},
		.max_output_bytes = cfg.max_output_bytes,
		.access_log = cfg.access_log,
		.guard = serve_guard,
		.after = serve_after,
		.error_page = web_error_hook,
		.thread_exit = store_thread_close,
		/* what a deferred handler reads is as fresh as a request's */
		.work_begin = cache_request_begin,
		.work_threads = cfg.threads,
		.header_timeout_s = cfg.header_timeout_seconds,
		.idle_timeout_s = cfg.idle_timeout_seconds,
		.max_per_address = cfg.max_connections_per_address,
		.trusted_proxies = &trusted_proxies,
		.hsts = !strncmp(cfg.base_url, "https://", 8),
		.pools = pools,
		.npools = sizeof pools / sizeof *pools,
		.upload_dir = media_upload_dir(),
		/* the largest upload plus room for the form around it */
		.max_upload_bytes = (cfg.image_max_bytes > cfg.video_max_bytes
					     ? cfg.image_max_bytes
					     : cfg.video_max_bytes) +
				    UPLOAD_SLACK_BYTES,
	};
	if (auth_init() < 0) {
		log_error("cannot hash with the configured Argon2id cost");
		return 1;
	}
	size_t nroutes;
	http_route *routes = all_routes(&nroutes);
	if (!routes || web_init() < 0) {
		free(routes);
		return 1;
	}
	opts.routes = routes;
	opts.nroutes = nroutes;
	cache_init((size_t)cfg.cache_statuses, (size_t)cfg.cache_statuses_bytes,
		   (size_t)cfg.cache_accounts, (size_t)cfg.cache_accounts_bytes,
		   (size_t)cfg.cache_relations,
		   (size_t)cfg.cache_relations_bytes);
	feeds_init((size_t)cfg.cache_home_feeds,
		   (size_t)cfg.cache_home_feed_length);
	replies_init((size_t)cfg.cache_pages, (size_t)cfg.cache_pages_bytes,
		     cfg.cache_page_seconds);
	if (store_checkpointer_start() < 0)
		return 1;
	if (store_search_indexer_start() < 0 || media_start() < 0) {
		store_search_indexer_stop();
		store_checkpointer_stop();
		return 1;
	}
	raise_fd_limit();
	http_server *s = NULL;
	/* several processes on one PostgreSQL database: what the others
	 * change reaches this one's caches and streams (store/peers.c) */
	events_relay(cfg.database_url[0] ? store_peers_send_event : NULL);
	if (stream_start() < 0 || store_peers_start(events_receive) < 0 ||
	    !(s = http_server_start(&opts))) {
		store_peers_stop();
		stream_stop();
		jobs_stop();
		store_search_indexer_stop();
		store_checkpointer_stop();
		return 1;
	}
	ops_mark_start();
	log_info("chorus listening on %s (data in %s, %d threads)",
		 cfg.base_url, cfg.data_dir, cfg.threads);
	int sig;
	sigwait(&stop, &sig);
	log_info("signal %d: finishing in-flight requests", sig);
	stream_stop(); /* libmicrohttpd wants its streams back first */
	http_server_stop(s);
	store_peers_stop();
	jobs_stop();
	store_search_indexer_stop();
	store_checkpointer_stop();
	store_thread_close();
	cache_shutdown();
	feeds_shutdown();
	replies_shutdown();
	web_shutdown();
	free(routes);
	log_info("stopped");
	return 0;
}

static int create_user(const char *name, const char *email,
		       const char *password, const char *role, int64_t *id)
{
	static const char *const roles[] = {"owner", "admin", "moderator",
					    "user"};
	bool role_ok = false;
	for (int i = 0; i < 4; i++)
		role_ok |= !strcmp(role, roles[i]);
	if (!role_ok) {
		fprintf(stderr, "chorus: role must be owner, admin, moderator "
				"or user\n");
		return 1;
	}
	arena a;
	arena_init(&a);
	registration reg = {.username = name,
			    .email = email,
			    .password = password,
			    .role = role};
	const char *field = NULL, *code = NULL, *msg = NULL;
	dom_err err = account_register(&a, &reg, id, &field, &code, &msg);
	if (err)
		fprintf(stderr, "chorus: %s %s\n", field ? field : "account",
			msg ? msg : "could not be created");
	arena_release(&a);
	return err ? 1 : 0;
}

static void print_user(const account *acc, void *ctx)
{
	(void)ctx;
	printf("%lld\t%s\t%s\t%s\n", (long long)acc->id, acc->username,
	       acc->email ? acc->email : "", acc->role ? acc->role : "");
}

/* The local user NAME into *acc (arena a), or false after saying so. */
static bool user_named(arena *a, const char *name, account *acc)
{
	if (store_account_by_username(a, name, NULL, acc) && acc->email)
		return true;
	fprintf(stderr, "chorus: no user %s\n", name);
	return false;
}

/* A new password revokes every session at once, in the same transaction:
 * whoever held one must sign in again (a running server's streams close
 * within [streaming] session_check_ms). */
static int user_passwd(const cli *c)
{
	if (c->nargs < 2 || !c->password) {
		fputs("usage: chorus user passwd NAME --password P\n", stderr);
		return 2;
	}
	arena a;
	arena_init(&a);
	account acc;
	int rc = 1;
	if (user_named(&a, c->args[1], &acc)) {
		dom_err err = auth_set_password(&a, acc.id, c->password, 0);
		if (err == DOM_INVALID)
			fprintf(stderr, "chorus: password too short\n");
		else if (err)
			fprintf(stderr, "chorus: could not set the password\n");
		rc = err ? 1 : 0;
	}
	arena_release(&a);
	return rc;
}

static void print_session(const store_session *s, void *ctx)
{
	(void)ctx;
	char at[TIME_RFC3339_LEN];
	time_format_rfc3339(s->created_at, at);
	printf("%lld\t%s\t%s\t%s\n", (long long)s->token_id, s->app_name,
	       s->scopes, at);
}

static void print_web_session(const store_web_session *s, void *ctx)
{
	(void)ctx;
	char at[TIME_RFC3339_LEN], used[TIME_RFC3339_LEN];
	time_format_rfc3339(s->created_at, at);
	time_format_rfc3339(s->last_used_at, used);
	printf("%lld\tweb\t(browser)\t%s\t%s\t%s\n", (long long)s->id, at, used,
	       s->user_agent);
}

/* One line per access token: id, app, scopes, created; then one per
 * browser session: id, "web", "(browser)", created, last used (to the
 * hour), its User-Agent. Never a secret: only hashes are stored. A
 * token's last use is not recorded. */
static int user_sessions(const cli *c)
{
	if (c->nargs < 2) {
		fputs("usage: chorus user sessions NAME\n", stderr);
		return 2;
	}
	arena a;
	arena_init(&a);
	account acc;
	int rc = 1;
	if (user_named(&a, c->args[1], &acc))
		rc = store_tokens_each(acc.id, print_session, NULL, &a) < 0 ||
		     store_web_sessions_each(acc.id, print_web_session, NULL,
					     &a) < 0;
	arena_release(&a);
	return rc;
}

static int user_revoke(const cli *c)
{
	int64_t token = 0;
	if (c->nargs < 2 ||
	    (c->token && (!id_parse(c->token, &token) || token <= 0))) {
		fputs("usage: chorus user revoke NAME [--token ID]\n", stderr);
		return 2;
	}
	arena a;
	arena_init(&a);
	account acc;
	int rc = 1, n = 1;
	if (!user_named(&a, c->args[1], &acc))
		goto out;
	dom_err err = token ? auth_revoke_session(acc.id, token)
			    : auth_revoke_sessions(acc.id, 0, &n);
	if (err == DOM_NOT_FOUND)
		fprintf(stderr, "chorus: %s has no session %s\n", c->args[1],
			c->token);
	else if (err)
		fprintf(stderr, "chorus: could not revoke\n");
	else {
		printf("revoked %d session%s of %s\n", n, n == 1 ? "" : "s",
		       c->args[1]);
		rc = 0;
	}
out:
	arena_release(&a);
	return rc;
}

static int cmd_user(const cli *c)
{
	const char *sub = c->nargs > 0 ? c->args[0] : "";
	if (!strcmp(sub, "list")) {
		arena a;
		arena_init(&a);
		store_users_each(print_user, NULL, &a);
		arena_release(&a);
		return 0;
	}
	if (!strcmp(sub, "create")) {
		if (c->nargs < 2 || !c->email || !c->password) {
			fputs("usage: chorus user create NAME --email E "
			      "--password P [--role R]\n",
			      stderr);
			return 2;
		}
		int64_t id;
		int rc = create_user(c->args[1], c->email, c->password,
				     c->role ? c->role : "user", &id);
		if (!rc)
			printf("created %s (id %lld)\n", c->args[1],
			       (long long)id);
		return rc;
	}
	if (!strcmp(sub, "passwd"))
		return user_passwd(c);
	if (!strcmp(sub, "sessions"))
		return user_sessions(c);
	if (!strcmp(sub, "revoke"))
		return user_revoke(c);
	if (!strcmp(sub, "export"))
		return user_export(c);
	if (!strcmp(sub, "delete")) {
		if (c->nargs < 2) {
			fputs("usage: chorus user delete NAME\n", stderr);
			return 2;
		}
		arena a;
		arena_init(&a);
		account acc;
		int rc = 1;
		media_dirs_use(cfg.data_dir);
		if (!store_account_by_username(&a, c->args[1], NULL, &acc))
			fprintf(stderr, "chorus: no user %s\n", c->args[1]);
		else if (account_delete(&a, acc.id) != DOM_OK)
			fprintf(stderr, "chorus: could not delete %s\n",
				c->args[1]);
		else {
			printf("deleted %s and everything it posted\n",
			       c->args[1]);
			tell_server();
			rc = 0;
		}
		arena_release(&a);
		return rc;
	}
	usage(stderr);
	return 2;
}

/* After the shell changed what a running server may have cached: queue
 * the forgetting for it (CACHES_FORGET_JOB) and wait until a server ran
 * it. When none does within a few seconds, none runs: the job waits for
 * the next start, which has nothing cached yet. */
static void tell_server(void)
{
	enum { WAIT_STEP_MS = 100, WAIT_MS = 3000 };
	if (store_job_enqueue(CACHES_FORGET_JOB, 0, time_now_ms()) < 0) {
		fputs("chorus: could not tell a running server; restart it to "
		      "be sure it shows the change\n",
		      stderr);
		return;
	}
	for (int waited = 0; waited < WAIT_MS; waited += WAIT_STEP_MS) {
		if (!store_job_active(CACHES_FORGET_JOB, 0)) {
			puts("the running server has it");
			return;
		}
		struct timespec step = {0, WAIT_STEP_MS * 1000000L};
		nanosleep(&step, NULL);
	}
	puts("no server is running: it has it when it starts");
}

/* chorus user export NAME DIR: the account's CSV files, as the API's
 * /api/v1/exports/NAME.csv gives them, written into DIR. */
static int user_export(const cli *c)
{
	static const char *const files[] = {"following", "blocks", "mutes",
					    "domain_blocks", "bookmarks"};
	if (c->nargs != 3) {
		fputs("usage: chorus user export NAME DIR\n", stderr);
		return 2;
	}
	arena a;
	arena_init(&a);
	account acc;
	int rc = 0;
	if (!store_account_by_username(&a, c->args[1], NULL, &acc)) {
		fprintf(stderr, "chorus: no user %s\n", c->args[1]);
		rc = 1;
	}
	for (size_t i = 0; !rc && i < sizeof files / sizeof *files; i++) {
		export_kind kind;
		export_kind_parse(files[i], &kind);
		const char *csv = account_export(&a, acc.id, kind);
		const char *path =
			arena_printf(&a, "%s/%s.csv", c->args[2], files[i]);
		FILE *f = fopen(path, "wx");
		bool ok = f && fputs(csv, f) >= 0;
		if (f && fclose(f) != 0)
			ok = false;
		if (!ok) {
			fprintf(stderr,
				"chorus: cannot write %s (it must not "
				"exist yet)\n",
				path);
			rc = 1;
		} else
			printf("%s\n", path);
	}
	/* and the whole archive, its posts and media with them */
	const char *archive = arena_printf(&a, "%s/archive.tar.gz", c->args[2]);
	if (!rc && access(archive, F_OK) == 0) {
		fprintf(stderr, "chorus: %s exists already\n", archive);
		rc = 1;
	} else if (!rc) {
		media_dirs_use(cfg.data_dir);
		fed_archive_install();
		if (account_archive(&a, acc.id, archive) < 0) {
			fprintf(stderr, "chorus: cannot write %s\n", archive);
			rc = 1;
		} else
			printf("%s\n", archive);
	}
	arena_release(&a);
	return rc;
}

static void print_instance_block(const store_instance_block *b, void *ctx)
{
	(void)ctx;
	char at[TIME_RFC3339_LEN];
	time_format_rfc3339(b->created_at, at);
	printf("%s\t%s\t%s\t%s\n", b->domain,
	       b->severity == INSTANCE_SUSPENDED ? "suspend" : "silence",
	       b->reject_media ? "reject-media" : "-", at);
}

/* chorus domain block|unblock|list: the servers this instance limits
 * (docs/federation.md, "Domain blocks"). A running server applies a
 * change at its next request to or from that server. */
static int cmd_domain(const cli *c)
{
	const char *sub = c->nargs > 0 ? c->args[0] : "";
	arena a;
	arena_init(&a);
	int rc = 2;
	const char *msg = "";
	if (!strcmp(sub, "list") && c->nargs == 1) {
		rc = store_instance_blocks_each(&a, print_instance_block,
						NULL) < 0;
	} else if (!strcmp(sub, "block") && c->nargs == 2) {
		const char *sev = c->severity ? c->severity : "suspend";
		instance_severity s =
			!strcmp(sev, "suspend")	  ? INSTANCE_SUSPENDED
			: !strcmp(sev, "silence") ? INSTANCE_SILENCED
						  : INSTANCE_OPEN;
		store_instance_block kept;
		dom_err err =
			instance_block(&a,
				       &(instance_block_request){
					       .domain = c->args[1],
					       .severity = s,
					       .reject_media = c->reject_media,
					       .shell = true},
				       &kept, &msg);
		if (err)
			fprintf(stderr, "chorus: cannot block %s: %s\n",
				c->args[1],
				err == DOM_INVALID ? msg : "failed");
		else
			printf("%s %s%s%s\n",
			       s == INSTANCE_SUSPENDED ? "suspended"
						       : "silenced",
			       c->args[1],
			       c->reject_media ? ", its media refused" : "",
			       s == INSTANCE_SUSPENDED
				       ? "; the server removes its accounts"
					 " (now if it runs, else at its start)"
				       : "");
		rc = err ? 1 : 0;
	} else if (!strcmp(sub, "unblock") && c->nargs == 2) {
		dom_err err =
			instance_unblock(&a, NULL, true, c->args[1], &msg);
		if (err)
			fprintf(stderr, "chorus: cannot unblock %s: %s\n",
				c->args[1],
				err == DOM_INTERNAL ? "failed" : msg);
		else
			printf("unblocked %s\n", c->args[1]);
		rc = err ? 1 : 0;
	} else {
		fputs("usage: chorus domain block HOST [--severity "
		      "silence|suspend] [--reject-media]\n"
		      "       chorus domain unblock HOST\n"
		      "       chorus domain list\n",
		      stderr);
	}
	arena_release(&a);
	return rc;
}

/* The account NAME or NAME@DOMAIN names, into *out; false (said) when
 * there is none. */
static bool named_account(arena *a, const char *name, account *out)
{
	const char *at = strchr(name, '@');
	const char *user =
		at ? arena_strndup(a, name, (size_t)(at - name)) : name;
	if (store_account_by_username(a, user, at ? at + 1 : NULL, out))
		return true;
	fprintf(stderr, "chorus: no account %s\n", name);
	return false;
}

static void print_admin_action(const store_admin_action *l)
{
	char at[TIME_RFC3339_LEN];
	time_format_rfc3339(l->created_at, at);
	printf("%s\t%s\t%s\t%s %s", at, l->actor, l->action, l->target_type,
	       l->target);
	if (l->report_id)
		printf("\treport %lld", (long long)l->report_id);
	if (l->text)
		printf("\t%s", l->text);
	putchar('\n');
}

/* chorus admin log: the audit log, newest first. */
static int admin_log(const cli *c)
{
	enum { LOG_DEFAULT = 50, LOG_MAX = 10000 };
	int limit = c->limit ? atoi(c->limit) : LOG_DEFAULT;
	if (limit < 1 || limit > LOG_MAX) {
		fprintf(stderr, "chorus: --limit is 1 to %d\n", LOG_MAX);
		return 2;
	}
	arena a;
	arena_init(&a);
	store_admin_action *items =
		arena_alloc(&a, (size_t)limit * sizeof *items);
	size_t n = store_admin_actions_list(
		&a, &(store_admin_action_query){.limit = limit}, items);
	for (size_t i = 0; i < n; i++)
		print_admin_action(&items[i]);
	arena_release(&a);
	return 0;
}

/* "30m", "12h", "7d" or seconds as milliseconds; -1 when malformed. */
static int64_t duration_ms(const char *s)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	int64_t unit = !*end		   ? 1000
		       : !strcmp(end, "m") ? 60000
		       : !strcmp(end, "h") ? 3600000
		       : !strcmp(end, "d") ? 86400000
					   : 0;
	if (end == s || n < 0 || !unit || n > INT64_MAX / unit)
		return -1;
	return (int64_t)n * unit;
}

/* chorus admin invite [--uses N] [--expires 7d]: an invite link. */
static int admin_invite(const cli *c)
{
	char *end = NULL;
	long long uses = c->uses ? strtoll(c->uses, &end, 10) : 0;
	int64_t expires = c->expires ? duration_ms(c->expires) : 0;
	if ((c->uses && (*end || uses < 1)) || expires < 0) {
		fputs("usage: chorus admin invite [--uses N] [--expires "
		      "30m|12h|7d]\n",
		      stderr);
		return 2;
	}
	arena a;
	arena_init(&a);
	store_invite inv;
	const char *msg;
	int rc = 1;
	if (invite_create(&a, NULL, true, uses, expires, &inv, &msg))
		fprintf(stderr, "chorus: cannot make an invite: %s\n", msg);
	else {
		printf("%s/invite/%s\n", cfg.base_url, inv.code);
		rc = 0;
	}
	arena_release(&a);
	return rc;
}

/* chorus admin invites: code, uses, expiry of each. */
static int admin_invites(void)
{
	enum { INVITES_MAX = 1000 };
	arena a;
	arena_init(&a);
	store_invite *v = arena_alloc(&a, INVITES_MAX * sizeof *v);
	size_t n = store_invites_list(&a, v, INVITES_MAX);
	for (size_t i = 0; i < n; i++) {
		char at[TIME_RFC3339_LEN] = "never";
		if (v[i].expires_at)
			time_format_rfc3339(v[i].expires_at, at);
		printf("%s\t%lld/%s\t%s\n", v[i].code, (long long)v[i].uses,
		       v[i].max_uses ? arena_printf(&a, "%lld",
						    (long long)v[i].max_uses)
				     : "any",
		       at);
	}
	arena_release(&a);
	return 0;
}

/* chorus admin ACTION NAME | erase NAME | log: what a moderator does,
 * from the shell (the owner's reach), through the same domain functions
 * as the API; a running server is told to forget what it cached. */
static int cmd_admin(const cli *c)
{
	const char *sub = c->nargs > 0 ? c->args[0] : "";
	if (!strcmp(sub, "log") && c->nargs == 1)
		return admin_log(c);
	if (!strcmp(sub, "invite") && c->nargs == 1)
		return admin_invite(c);
	if (!strcmp(sub, "invites") && c->nargs == 1)
		return admin_invites();
	account_action act = {.shell = true, .text = c->text};
	bool erase = !strcmp(sub, "erase"), reject = !strcmp(sub, "reject");
	if (c->nargs != 2 ||
	    (!erase && !reject &&
	     !account_action_parse(sub, &act.what, &act.undo)) ||
	    (c->report && !id_parse(c->report, &act.report_id))) {
		fputs("usage: chorus admin ACTION NAME [--report ID] "
		      "[--text T]\n"
		      "       ACTION: none suspend unsuspend silence unsilence"
		      " sensitive unsensitive disable enable approve\n"
		      "       chorus admin erase|reject NAME\n"
		      "       chorus admin invite [--uses N] [--expires 7d]\n"
		      "       chorus admin invites\n"
		      "       chorus admin log [--limit N]\n",
		      stderr);
		return 2;
	}
	arena a;
	arena_init(&a);
	media_dirs_use(cfg.data_dir);
	account acc;
	const char *msg = "";
	int rc = 1;
	if (named_account(&a, c->args[1], &acc)) {
		act.target_id = acc.id;
		dom_err err =
			erase	 ? account_erase(&a, NULL, acc.id, true, &msg)
			: reject ? account_reject(&a, NULL, acc.id, true, &msg)
				 : account_act(&a, NULL, &act, &msg);
		if (err) {
			fprintf(stderr, "chorus: cannot %s %s: %s\n", sub,
				c->args[1], msg);
		} else {
			printf("%s: %s\n", sub, c->args[1]);
			tell_server();
			rc = 0;
		}
	}
	arena_release(&a);
	return rc;
}

/* chorus db migrate-to URL: this SQLite instance into an empty
 * PostgreSQL database, its search indexes built there. */
static int cmd_db(const cli *c)
{
	if (c->nargs != 2 || strcmp(c->args[0], "migrate-to")) {
		fputs("usage: chorus db migrate-to postgresql://...\n", stderr);
		return 2;
	}
	if (cfg.database_url[0]) {
		fputs("chorus: migrate-to copies the SQLite database under"
		      " --data; leave --database out\n",
		      stderr);
		return 2;
	}
	store_copy_report r;
	if (store_migrate_to(cfg.data_dir, c->args[1], &r) < 0)
		return 1;
	printf("copied %d tables, %lld rows; every count matches\n", r.tables,
	       (long long)r.rows);
	store_thread_close();
	if (config_set("database.url", c->args[1]) < 0 ||
	    store_open(cfg.data_dir) < 0)
		return 1;
	fputs("building the search index...\n", stderr);
	if (store_search_flush() < 0)
		return 1;
	printf("search index built; serve it with --database %s"
	       " (media stay under %s/media)\n",
	       "URL", cfg.data_dir);
	return 0;
}

/* A copy of the database taken while a server may be writing it; the
 * database is neither created nor migrated (a backup comes before an
 * upgrade, not after it). */
static int cmd_backup(const cli *c)
{
	if (c->nargs != 1) {
		fputs("usage: chorus backup FILE [--force]\n", stderr);
		return 2;
	}
	if (cfg.database_url[0]) {
		fputs("chorus: backup copies a SQLite database; on PostgreSQL"
		      " use pg_dump (docs/operations.md)\n",
		      stderr);
		return 2;
	}
	store_backup_report r;
	if (store_backup(cfg.data_dir, c->args[0], c->force, &r) < 0)
		return 1;
	printf("backed up %s/chorus.db to %s: %lld bytes, schema %d, "
	       "%lld accounts, %lld statuses (quick_check ok; %d steps, "
	       "longest %.1f ms, snapshot held %.0f ms)\n",
	       cfg.data_dir, c->args[0], (long long)r.bytes, r.schema,
	       (long long)r.accounts, (long long)r.statuses, r.steps,
	       r.longest_step_ms, r.snapshot_ms);
	printf("media files are not in the database: copy %s/media too "
	       "(rsync -a %s/media/ DEST/media/)\n",
	       cfg.data_dir, cfg.data_dir);
	return 0;
}

int demo_seed(void);
/* bench_data.c: fill the database with the benchmark data set. */
int bench_data_run(int accounts, int statuses, unsigned seed);

static int run_config(const cli *c)
{
	(void)c;
	config_print();
	return 0;
}

static int run_init(const cli *c)
{
	(void)c;
	if (cfg.database_url[0])
		printf("database ready on PostgreSQL (schema %d)\n",
		       store_schema_version());
	else
		printf("database ready in %s (schema %d)\n", cfg.data_dir,
		       store_schema_version());
	return 0;
}

static int run_serve(const cli *c)
{
	(void)c;
	return write_limits() < 0 ? 1 : cmd_serve();
}

static int run_bench_data(const cli *c)
{
	int accounts = c->nargs > 0 ? atoi(c->args[0]) : 1000;
	int statuses = c->nargs > 1 ? atoi(c->args[1]) : 100000;
	return bench_data_run(accounts, statuses, 42) < 0 ? 1 : 0;
}

static int run_demo(const cli *c)
{
	(void)c;
	if (write_limits() < 0 || demo_seed() < 0)
		return 1;
	return cmd_serve();
}

/* The commands, and whether each opens the database first (an unknown
 * command opens nothing: it must not create a database where it ran). */
static const struct command {
	const char *name;
	bool store;
	int (*run)(const cli *c);
} commands[] = {
	{"config", false, run_config},
	{"backup", false, cmd_backup},
	{"init", true, run_init},
	{"serve", true, run_serve},
	{"user", true, cmd_user},
	{"db", true, cmd_db},
	{"domain", true, cmd_domain},
	{"admin", true, cmd_admin},
	{"bench-data", true, run_bench_data},
	{"demo", true, run_demo},
};

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (sodium_init() < 0) {
		fputs("chorus: libsodium failed to initialise\n", stderr);
		return 1;
	}
	if (media_init(argv[0]) < 0) {
		fputs("chorus: the image library failed to initialise\n",
		      stderr);
		return 1;
	}
	atexit(media_shutdown);
	config_defaults();
	cli c;
	if (parse_cli(argc, argv, &c) < 0)
		return 2;
	const struct command *cmd = NULL;
	for (size_t k = 0; !cmd && k < sizeof commands / sizeof *commands; k++)
		if (!strcmp(argv[1], commands[k].name))
			cmd = &commands[k];
	if (!cmd) {
		fprintf(stderr, "chorus: no command %s\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (cmd->store) {
		store_set_visibility_rule(visibility_can_see);
		store_set_interaction_rule(visibility_may_interact);
		if (store_open(cfg.data_dir) < 0)
			return 1;
	}
	return cmd->run(&c);
}
