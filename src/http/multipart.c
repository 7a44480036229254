/* multipart.c — multipart/form-data parsed as it arrives.
 *
 * One state machine serves both the buffered bodies of ordinary routes (the
 * whole body fed at once, files kept in memory) and the streamed bodies of
 * upload routes (fed chunk by chunk as libmicrohttpd reads them, files
 * written to temp files), so the two cannot drift apart.
 *
 * The delimiter "\r\n--boundary" is found with a running count of how many
 * of its bytes the input has matched, so it is found whatever the chunk
 * borders. A boundary cannot hold CR or LF, so the delimiter's only CR is
 * its first byte: on a mismatch the held bytes are data, and matching
 * restarts at 1 if the mismatching byte is CR, else at 0. */
#include "http/http.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	MULTIPART_BOUNDARY_MAX = 200,	 /* RFC 2046 says 70; be lenient */
	MULTIPART_HEADERS_MAX = 8192,	 /* one part's header block */
	MULTIPART_WRITE_BUF = 64 * 1024, /* file bytes batched per write */
	MULTIPART_PART_OVERHEAD = 64,	 /* memory charged per part */
};

typedef enum mp_state {
	MP_PREAMBLE,	/* before the first delimiter: discarded */
	MP_AFTER_DELIM, /* "--" (the end) or padding and CRLF (a part) */
	MP_AFTER_DELIM_DASH,
	MP_AFTER_DELIM_CR,
	MP_HEADERS,
	MP_DATA,
	MP_EPILOGUE, /* after the closing delimiter: discarded */
	MP_FAILED,
} mp_state;

/* A temp file this parser created; unlinked on cleanup if still ours. */
typedef struct mp_file {
	const char *path;
	dev_t dev;
	ino_t ino;
	struct mp_file *next;
} mp_file;

struct http_multipart {
	http_req *r;
	const char *upload_dir; /* NULL: file parts stay in memory */
	http_multipart_limits limits;
	mp_state state;
	char *delim; /* "\r\n--" boundary */
	size_t dlen;
	size_t matched; /* delimiter bytes matched so far */
	uint64_t fed;	/* body bytes seen */
	size_t memory;	/* bytes charged against limits.memory_max */
	int status;	/* 0, or the HTTP status of the failure */
	const char *error;
	/* the part being read */
	char *headers;
	size_t headers_len;
	const char *name, *filename, *content_type;
	bool to_file;
	buf value; /* in-memory parts */
	int fd;	   /* file parts: the open temp file, else -1 */
	const char *path;
	uint64_t file_len;
	char *wbuf; /* pending file bytes, MULTIPART_WRITE_BUF */
	size_t wlen;
	mp_file *files;
};

/* The value of attribute attr (e.g. boundary=, name=) in a header value. */
static char *header_attr(arena *a, const char *h, const char *attr)
{
	size_t alen = strlen(attr);
	for (const char *p = h; (p = strcasestr(p, attr)); p += alen) {
		if (p != h && p[-1] != ' ' && p[-1] != ';' && p[-1] != '\t')
			continue;
		if (p[alen] != '=')
			continue;
		const char *v = p + alen + 1;
		if (*v == '"') {
			const char *end = strchr(v + 1, '"');
			if (!end)
				return NULL;
			return arena_strndup(a, v + 1, (size_t)(end - v - 1));
		}
		return arena_strndup(a, v, strcspn(v, "; \t"));
	}
	return NULL;
}

static void close_file(http_multipart *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

void http_multipart_cleanup(http_multipart *m)
{
	if (!m)
		return;
	close_file(m);
	for (mp_file *f = m->files; f; f = f->next) {
		/* a handler takes a file by renaming it; the inode check keeps
		 * us from removing another request's file that reused the
		 * freed name */
		struct stat st;
		if (lstat(f->path, &st) == 0 && st.st_dev == f->dev &&
		    st.st_ino == f->ino && unlink(f->path) < 0 &&
		    errno != ENOENT)
			log_error("upload: cannot remove %s: %s", f->path,
				  strerror(errno));
	}
	m->files = NULL;
}

/* Record the first failure; the temp files go at once. */
static int fail(http_multipart *m, int status, const char *msg)
{
	if (m->state != MP_FAILED) {
		m->state = MP_FAILED;
		m->status = status;
		m->error = msg;
		http_multipart_cleanup(m);
	}
	return m->status;
}

static int fail_io(http_multipart *m, const char *what)
{
	log_error("upload: %s %s: %s", what, m->path ? m->path : m->upload_dir,
		  strerror(errno));
	return fail(m, 500, "Could not store the upload");
}

static int charge_memory(http_multipart *m, size_t n)
{
	m->memory += n;
	if (m->memory > m->limits.memory_max)
		return fail(m, 413, "Request body too large");
	return 0;
}

static int write_all(http_multipart *m, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(m->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail_io(m, "cannot write");
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush_file(http_multipart *m)
{
	size_t n = m->wlen;
	m->wlen = 0;
	return write_all(m, m->wbuf, n);
}

/* Part data (or preamble, dropped). */
static int emit(http_multipart *m, const char *data, size_t n)
{
	if (!n || m->state == MP_PREAMBLE)
		return 0;
	if (!m->to_file) {
		if (m->value.len + n > m->limits.field_max)
			return fail(m, 413, "Request body too large");
		if (charge_memory(m, n))
			return m->status;
		buf_append(&m->value, data, n);
		return 0;
	}
	m->file_len += n;
	if (m->wlen + n > MULTIPART_WRITE_BUF && flush_file(m))
		return m->status;
	if (n > MULTIPART_WRITE_BUF)
		return write_all(m, data, n);
	memcpy(m->wbuf + m->wlen, data, n);
	m->wlen += n;
	return 0;
}

static int open_temp_file(http_multipart *m)
{
	char *path =
		arena_printf(&m->r->arena, "%s/upload-XXXXXX", m->upload_dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return fail_io(m, "cannot create a temp file in");
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		unlink(path);
		return fail_io(m, "cannot stat");
	}
	mp_file *f = arena_alloc(&m->r->arena, sizeof *f);
	f->path = path;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->next = m->files;
	m->files = f;
	m->fd = fd;
	m->path = path;
	m->file_len = 0;
	if (!m->wbuf)
		m->wbuf = arena_alloc(&m->r->arena, MULTIPART_WRITE_BUF);
	m->wlen = 0;
	return 0;
}

/* The header block of a part is complete: who is it, and where does its
 * data go? */
static int begin_part(http_multipart *m)
{
	/* the block is "\r\n" (the delimiter line's end), the header lines,
	 * then "\r\n\r\n" */
	char *block =
		arena_strndup(&m->r->arena, m->headers + 2, m->headers_len - 4);
	m->name = m->filename = m->content_type = NULL;
	char *save = NULL;
	for (char *line = strtok_r(block, "\r\n", &save); line;
	     line = strtok_r(NULL, "\r\n", &save)) {
		if (!strncasecmp(line, "Content-Disposition:", 20)) {
			m->name = header_attr(&m->r->arena, line, "name");
			m->filename =
				header_attr(&m->r->arena, line, "filename");
		} else if (!strncasecmp(line, "Content-Type:", 13)) {
			const char *v = line + 13;
			while (*v == ' ' || *v == '\t')
				v++;
			m->content_type = arena_strdup(&m->r->arena, v);
		}
	}
	if (!m->name)
		return fail(m, 400,
			    "Invalid multipart body: part without a name");
	m->state = MP_DATA;
	m->matched = 0;
	m->to_file = m->filename && m->upload_dir;
	if (m->to_file)
		return open_temp_file(m);
	buf_init(&m->value, &m->r->arena);
	return 0;
}

/* The delimiter after a part's data was found: hand the part over. */
static int end_part(http_multipart *m)
{
	http_req *r = m->r;
	const char *value = m->value.data;
	size_t len = m->value.len;
	const char *path = NULL;
	if (m->to_file) {
		if (flush_file(m))
			return m->status;
		if (close(m->fd) < 0) {
			m->fd = -1;
			return fail_io(m, "cannot close");
		}
		m->fd = -1;
		value = "";
		len = (size_t)m->file_len;
		path = m->path;
		m->path = NULL;
	}
	http_param *p = http_param_add(r, m->name, value, len, false);
	if (!p) /* one too many: the request is refused (its file goes) */
		return 0;
	p->filename = m->filename;
	p->content_type = m->content_type;
	p->path = path;
	return 0;
}

/* Scan data[i..n) for the delimiter, emitting what precedes it. Returns the
 * index after the delimiter (state moved on), or n. */
static size_t scan_data(http_multipart *m, const char *data, size_t i, size_t n)
{
	size_t run = i; /* data[run..i) is data not yet emitted */
	while (i < n) {
		if (m->matched == 0) {
			const char *cr = memchr(data + i, '\r', n - i);
			if (!cr) {
				i = n;
				break;
			}
			i = (size_t)(cr - data);
			if (emit(m, data + run, i - run))
				return n;
			m->matched = 1;
			run = ++i;
			continue;
		}
		if (data[i] == m->delim[m->matched]) {
			run = ++i;
			if (++m->matched < m->dlen)
				continue;
			m->matched = 0;
			bool was_preamble = m->state == MP_PREAMBLE;
			m->state = MP_AFTER_DELIM;
			if (!was_preamble && end_part(m))
				return n;
			return i;
		}
		/* the held bytes were data after all; data[i] is looked at
		 * afresh */
		size_t held = m->matched;
		m->matched = 0;
		if (emit(m, m->delim, held))
			return n;
		run = i;
	}
	emit(m, data + run, i - run);
	return n;
}

/* Take header bytes until the blank line. Returns the index after the
 * bytes consumed. */
static size_t scan_headers(http_multipart *m, const char *data, size_t i,
			   size_t n)
{
	while (i < n) {
		if (m->headers_len == MULTIPART_HEADERS_MAX) {
			fail(m, 400,
			     "Invalid multipart body: part headers "
			     "too long");
			return n;
		}
		m->headers[m->headers_len++] = data[i++];
		if (m->headers_len >= 4 &&
		    !memcmp(m->headers + m->headers_len - 4, "\r\n\r\n", 4)) {
			if (charge_memory(m, m->headers_len +
						     MULTIPART_PART_OVERHEAD) ||
			    begin_part(m))
				return n;
			return i;
		}
	}
	return n;
}

/* One byte after a delimiter: "--" ends the body, optional padding and
 * CRLF start a part. */
static void step_after_delim(http_multipart *m, char c)
{
	static const char malformed[] =
		"Invalid multipart body: malformed delimiter";
	switch (m->state) {
	case MP_AFTER_DELIM:
		if (c == '-')
			m->state = MP_AFTER_DELIM_DASH;
		else if (c == '\r')
			m->state = MP_AFTER_DELIM_CR;
		else if (c != ' ' && c != '\t')
			fail(m, 400, malformed);
		return;
	case MP_AFTER_DELIM_DASH:
		if (c == '-')
			m->state = MP_EPILOGUE;
		else
			fail(m, 400, malformed);
		return;
	case MP_AFTER_DELIM_CR:
		if (c != '\n') {
			fail(m, 400, malformed);
			return;
		}
		m->state = MP_HEADERS;
		memcpy(m->headers, "\r\n", 2);
		m->headers_len = 2;
		return;
	default: return;
	}
}

int http_multipart_feed(http_multipart *m, const char *data, size_t n)
{
	m->fed += n;
	size_t i = 0;
	while (i < n) {
		switch (m->state) {
		case MP_PREAMBLE:
		case MP_DATA: i = scan_data(m, data, i, n); break;
		case MP_HEADERS: i = scan_headers(m, data, i, n); break;
		case MP_AFTER_DELIM:
		case MP_AFTER_DELIM_DASH:
		case MP_AFTER_DELIM_CR: step_after_delim(m, data[i++]); break;
		case MP_EPILOGUE:
		case MP_FAILED: return m->status;
		}
	}
	return m->status;
}

int http_multipart_end(http_multipart *m)
{
	switch (m->state) {
	case MP_EPILOGUE:
	case MP_FAILED: return m->status;
	case MP_PREAMBLE:
		/* an empty body is no body, as for the other encodings */
		if (m->fed == 0)
			return 0;
		return fail(m, 400,
			    "Invalid multipart body: boundary not found");
	case MP_HEADERS:
		return fail(m, 400,
			    "Invalid multipart body: unterminated headers");
	case MP_DATA:
		return fail(m, 400,
			    "Invalid multipart body: unterminated part");
	case MP_AFTER_DELIM:
	case MP_AFTER_DELIM_DASH:
	case MP_AFTER_DELIM_CR:
		return fail(m, 400,
			    "Invalid multipart body: malformed delimiter");
	}
	return m->status;
}

const char *http_multipart_error(const http_multipart *m)
{
	return m->error;
}

http_multipart *http_multipart_begin(http_req *r, const char *content_type,
				     const char *upload_dir,
				     const http_multipart_limits *limits,
				     const char **err)
{
	char *boundary = header_attr(&r->arena, content_type, "boundary");
	if (!boundary || !*boundary ||
	    strlen(boundary) > MULTIPART_BOUNDARY_MAX ||
	    strpbrk(boundary, "\r\n")) {
		*err = "Invalid multipart body: missing boundary";
		return NULL;
	}
	http_multipart *m = arena_alloc(&r->arena, sizeof *m);
	m->r = r;
	m->upload_dir = upload_dir;
	m->limits = *limits;
	m->delim = arena_printf(&r->arena, "\r\n--%s", boundary);
	m->dlen = strlen(m->delim);
	/* the first delimiter may open the body: act as if a CRLF had
	 * just been read */
	m->state = MP_PREAMBLE;
	m->matched = 2;
	m->headers = arena_alloc(&r->arena, MULTIPART_HEADERS_MAX);
	m->fd = -1;
	return m;
}
