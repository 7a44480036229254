/* ops.c — what operators' machines ask: /health for load balancers,
 * /metrics for Prometheus (docs/monitoring.md). Neither needs a token;
 * /metrics answers only the networks in [metrics] allow. */
#include "api/api.h"

#include "core/cache.h"
#include "core/cidr.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/replies.h"
#include "core/time.h"
#include "jobs/jobs.h"
#include "store/store.h"
#include "stream/stream.h"

#include <stdatomic.h>

static const char metrics_content_type[] =
	"text/plain; version=0.0.4; charset=utf-8";

/* When serving began: wall clock for process_start_time_seconds, the
 * monotonic clock for the uptime. */
static _Atomic int64_t started_ms, started_ns;

void ops_mark_start(void)
{
	atomic_store(&started_ms, time_now_ms());
	atomic_store(&started_ns, time_mono_ns());
}

void ops_health(http_req *r)
{
	http_set_header(r, "Cache-Control", "no-store");
	if (store_ops_stats_read(NULL) < 0) {
		http_reply_error(r, 503, "The database cannot be read");
		return;
	}
	http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* Whether the client's address is in [metrics] allow (checked when the
 * configuration was loaded; a list that fails here allows no one). */
static bool metrics_allowed(http_req *r)
{
	const cidr_addr *client = http_client_address(r);
	cidr_list allow;
	if (!client || cidr_list_parse(cfg.metrics_allow, &allow, NULL) < 0)
		return false;
	bool yes = cidr_list_contains(&allow, client);
	cidr_list_free(&allow);
	return yes;
}

static void gauge(buf *b, const char *name, const char *help, double value)
{
	metrics_header(b, name, "gauge", help);
	metrics_sample(b, name, NULL, value);
}

static void counter(buf *b, const char *name, const char *help, double value)
{
	metrics_header(b, name, "counter", help);
	metrics_sample(b, name, NULL, value);
}

/* name{label="value"} for each of n values, under one header. */
static void labelled(buf *b, const char *name, const char *type,
		     const char *help, const char *label,
		     const char *const *values, const double *samples, size_t n)
{
	const char *names[] = {label};
	metrics_header(b, name, type, help);
	for (size_t i = 0; i < n; i++) {
		metrics_labels l = {names, &values[i], 1};
		metrics_sample(b, name, &l, samples[i]);
	}
}

static void write_process(buf *b)
{
	int64_t ms = atomic_load(&started_ms);
	int64_t ns = atomic_load(&started_ns);
	gauge(b, "process_start_time_seconds",
	      "When the server started, in seconds since the Unix epoch",
	      (double)ms / 1e3);
	gauge(b, "chorus_uptime_seconds", "Seconds since the server started",
	      ns ? (double)(time_mono_ns() - ns) / 1e9 : 0);
}

static void write_database(buf *b)
{
	store_ops_stats st;
	bool up = store_ops_stats_read(&st) == 0;
	gauge(b, "chorus_database_up",
	      "1 when the database answered this scrape's queries, else 0", up);
	if (!up)
		return;
	gauge(b, "chorus_database_connections",
	      "Database connections the process holds open", st.connections);
	counter(b, "chorus_database_busy_waits_total",
		"Times a connection found the database locked by another "
		"writer and waited for it",
		(double)st.busy_waits);
	static const char *const states[] = {"waiting", "running", "failed"};
	const double jobs[] = {(double)st.jobs_waiting, (double)st.jobs_running,
			       (double)st.jobs_failed};
	labelled(b, "chorus_jobs", "gauge",
		 "Jobs in the queue by state (failed: kept after the last "
		 "attempt)",
		 "state", states, jobs, 3);
}

static void write_jobs(buf *b)
{
	jobs_stats js;
	jobs_get_stats(&js);
	counter(b, "chorus_job_attempts_failed_total",
		"Job attempts that failed (each retry counts)",
		(double)js.attempts_failed);
	counter(b, "chorus_jobs_failed_total",
		"Jobs given up on after their last attempt", (double)js.failed);
}

static void write_streams(buf *b)
{
	stream_stats ss;
	stream_get_stats(&ss);
	static const char *const kinds[] = {"websocket", "sse"};
	const double clients[] = {(double)ss.websocket, (double)ss.sse};
	labelled(b, "chorus_stream_clients", "gauge",
		 "Streaming clients connected, by kind", "kind", kinds, clients,
		 2);
	counter(b, "chorus_stream_dropped_total",
		"Streaming clients closed for reading too slowly",
		(double)ss.dropped);
	counter(b, "chorus_stream_revoked_total",
		"Streaming clients closed because their session ended",
		(double)ss.revoked);
}

static void write_caches(buf *b)
{
	/* the id-keyed caches, then the kept answers (core/replies.h) */
	static const char *const names[] = {"statuses", "accounts", "relations",
					    "folds", "replies"};
	cache *caches[] = {cache_statuses, cache_accounts, cache_relations,
			   cache_folds};
	enum { N = sizeof names / sizeof *names };
	double hits[N], misses[N], bytes[N];
	uint64_t h, m;
	size_t held;
	for (size_t i = 0; i < N - 1; i++) {
		cache_stats(caches[i], &h, &m);
		hits[i] = (double)h;
		misses[i] = (double)m;
		bytes[i] = (double)cache_bytes(caches[i]);
	}
	replies_stats(&h, &m, &held);
	hits[N - 1] = (double)h;
	misses[N - 1] = (double)m;
	bytes[N - 1] = (double)held;
	labelled(b, "chorus_cache_hits_total", "counter",
		 "Cache lookups that found their entry", "cache", names, hits,
		 N);
	labelled(b, "chorus_cache_misses_total", "counter",
		 "Cache lookups that did not", "cache", names, misses, N);
	labelled(b, "chorus_cache_bytes", "gauge", "Bytes a cache holds now",
		 "cache", names, bytes, N);
}

void ops_metrics(http_req *r)
{
	http_set_header(r, "Cache-Control", "no-store");
	if (!metrics_allowed(r)) {
		http_reply_error(r, 403,
				 "Metrics are not served to this address");
		return;
	}
	buf b;
	buf_init(&b, &r->arena);
	write_process(&b);
	http_server_metrics(r->server, &b);
	write_database(&b);
	write_jobs(&b);
	write_streams(&b);
	write_caches(&b);
	http_reply_raw(r, 200, metrics_content_type, b.data, b.len);
}
