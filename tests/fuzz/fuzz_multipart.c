/* fuzz_multipart.c — multipart/form-data bodies (http/multipart.c and
 * http_body_parse). The input: the Content-Type on its first line, one
 * byte choosing the limits and whether file parts stream to temp files,
 * one seeding where the body is cut into chunks, then the body.
 *
 * The body is parsed three ways: buffered (http_body_parse, as ordinary
 * routes do: no limits, files in memory), and twice by the streaming
 * parser under the limits chosen, fed whole and fed in chunks, its file
 * parts perhaps written to temp files as upload routes do. The
 * invariants: the whole and the chunked parse give the same verdict and
 * the same parameters, byte for byte (a streamed file's bytes read back
 * from its file), and so does the buffered one when there are no
 * limits; no temp file is left once the parsers are cleaned up. */
#include "fuzz.h"

#include "http/http.h"

#include <dirent.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

static char upload_dir[64];

static void remove_dir(void)
{
	rmdir(upload_dir);
}

static bool upload_dir_empty(void)
{
	DIR *d = opendir(upload_dir);
	FUZZ_CHECK(d != NULL);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *shm = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(upload_dir, sizeof upload_dir, "%s/chorus-fuzz-XXXXXX", shm);
	FUZZ_CHECK(mkdtemp(upload_dir) != NULL);
	atexit(remove_dir);
	return 0;
}

static void req_init(http_req *r)
{
	memset(r, 0, sizeof *r);
	arena_init(&r->arena);
	buf_init(&r->body, &r->arena);
}

/* A parameter's bytes: its value, or its temp file's content. */
static const char *param_bytes(arena *a, const http_param *p)
{
	if (!p->path)
		return p->value;
	char *out = arena_alloc(a, p->len + 1);
	int fd = open(p->path, O_RDONLY);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(read(fd, out, p->len + 1) == (ssize_t)p->len);
	close(fd);
	return out;
}

static bool same_str(const char *x, const char *y)
{
	return x == y || (x && y && !strcmp(x, y));
}

static void check_same_params(http_req *x, http_req *y)
{
	FUZZ_CHECK(x->nparams == y->nparams);
	for (size_t i = 0; i < x->nparams; i++) {
		const http_param *p = &x->params[i], *q = &y->params[i];
		FUZZ_CHECK(!strcmp(p->key, q->key));
		FUZZ_CHECK(p->is_list == q->is_list);
		FUZZ_CHECK(same_str(p->filename, q->filename));
		FUZZ_CHECK(same_str(p->content_type, q->content_type));
		FUZZ_CHECK(p->len == q->len);
		FUZZ_CHECK(!memcmp(param_bytes(&x->arena, p),
				   param_bytes(&y->arena, q), p->len));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	http_req buffered, whole, chunked;
	req_init(&buffered);
	req_init(&whole);
	req_init(&chunked);
	fuzz_input in = {data, size};
	size_t ctype_len, body_len;
	char *ctype = fuzz_piece(&buffered.arena, &in, '\n', &ctype_len);
	uint8_t mode = fuzz_byte(&in);
	uint32_t seed = fuzz_byte(&in);
	const char *body = fuzz_rest(&buffered.arena, &in, &body_len);
	http_multipart_limits limits = {SIZE_MAX, SIZE_MAX};
	if (mode & 1)
		limits = (http_multipart_limits){64, 1024};
	const char *dir = mode & 2 ? upload_dir : NULL;

	/* buffered: what an ordinary route's handler sees */
	buf_append(&buffered.body, body, body_len);
	const char *berr = http_body_parse(&buffered, ctype);

	const char *err = NULL;
	http_multipart *m =
		http_multipart_begin(&whole, ctype, dir, &limits, &err);
	http_multipart *c =
		http_multipart_begin(&chunked, ctype, dir, &limits, &err);
	FUZZ_CHECK(!m == !c);
	/* http_body_parse reads a non-empty multipart body with no limits */
	bool compare_buffered = !(mode & 1) && body_len &&
				!strncasecmp(ctype, "multipart/form-data", 19);
	if (compare_buffered && !m)
		FUZZ_CHECK(berr != NULL);
	if (m) {
		int ms = http_multipart_feed(m, body, body_len);
		if (!ms)
			ms = http_multipart_end(m);
		int cs = 0;
		for (size_t at = 0; at < body_len && !cs;) {
			seed = seed * 1103515245u + 12345u;
			size_t k = 1 + (seed >> 16) % 97;
			if (k > body_len - at)
				k = body_len - at;
			cs = http_multipart_feed(c, body + at, k);
			at += k;
		}
		if (!cs)
			cs = http_multipart_end(c);
		FUZZ_CHECK(ms == cs);
		FUZZ_CHECK(!ms == !http_multipart_error(m));
		if (!ms)
			check_same_params(&whole, &chunked);
		if (compare_buffered) {
			FUZZ_CHECK(!berr == !ms);
			if (!ms)
				check_same_params(&buffered, &whole);
		}
		http_multipart_cleanup(c);
		http_multipart_cleanup(m);
	}
	if (dir)
		FUZZ_CHECK(upload_dir_empty());
	arena_release(&buffered.arena);
	arena_release(&whole.arena);
	arena_release(&chunked.arena);
	return 0;
}
