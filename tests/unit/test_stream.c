/* test_stream.c — the WebSocket handshake key and frames (RFC 6455's own
 * examples where it has them) and the stream-name rules, without a
 * server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/arena.h"
#include "stream/stream.h"
#include "stream/ws.h"

#include <string.h>

static void test_accept_key_matches_the_rfc_example(void **state)
{
	(void)state;
	char out[WS_ACCEPT_LEN + 1];
	assert_true(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out));
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* not 16 bytes of base64 */
	assert_false(ws_accept_key("short", out));
	assert_false(ws_accept_key("", out));
	assert_false(ws_accept_key(NULL, out));
	assert_false(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=!", out));
	assert_false(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==dGhl", out));
}

static void test_header_lengths(void **state)
{
	(void)state;
	unsigned char h[WS_HEADER_MAX];
	assert_int_equal(ws_header(h, WS_TEXT, 5), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 5);
	assert_int_equal(ws_header(h, WS_TEXT, 125), 2);
	assert_int_equal(ws_header(h, WS_TEXT, 126), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2] << 8 | h[3], 126);
	assert_int_equal(ws_header(h, WS_BINARY, 65535), 4);
	assert_int_equal(ws_header(h, WS_BINARY, 65536), 10);
	assert_int_equal(h[0], 0x82);
	assert_int_equal(h[1], 127);
	assert_int_equal(h[7], 1); /* 0x0000000000010000 */
	assert_int_equal(h[8], 0);
	assert_int_equal(ws_header(h, WS_PING, 0), 2);
	assert_int_equal(h[0], 0x89);
}

/* RFC 6455 §5.7: a masked "Hello" from a client. */
static void test_parse_masked_hello_byte_by_byte(void **state)
{
	(void)state;
	const unsigned char wire[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
				      0x7f, 0x9f, 0x4d, 0x51, 0x58};
	unsigned char buf[sizeof wire];
	ws_frame f;
	int code;
	for (size_t n = 0; n < sizeof wire; n++) { /* every prefix: more */
		memcpy(buf, wire, sizeof wire);
		assert_int_equal(ws_parse(buf, n, 1024, &f, &code), 0);
	}
	memcpy(buf, wire, sizeof wire);
	assert_int_equal(ws_parse(buf, sizeof wire, 1024, &f, &code),
			 sizeof wire);
	assert_int_equal(f.opcode, WS_TEXT);
	assert_true(f.fin);
	assert_int_equal(f.len, 5);
	assert_memory_equal(f.payload, "Hello", 5);
}

static size_t client_frame(unsigned char *out, int opcode, bool fin,
			   const char *payload, size_t len)
{
	static const unsigned char mask[4] = {1, 2, 3, 4};
	size_t h = 0;
	out[h++] = (unsigned char)((fin ? 0x80 : 0) | opcode);
	if (len < 126) {
		out[h++] = (unsigned char)(0x80 | len);
	} else {
		out[h++] = 0x80 | 126;
		out[h++] = (unsigned char)(len >> 8);
		out[h++] = (unsigned char)len;
	}
	memcpy(out + h, mask, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		out[h + i] = (unsigned char)(payload[i] ^ mask[i & 3]);
	return h + len;
}

static void test_parse_two_frames_and_a_long_one(void **state)
{
	(void)state;
	unsigned char buf[1024];
	char big[300];
	memset(big, 'x', sizeof big);
	size_t n = client_frame(buf, WS_PING, true, "hi", 2);
	n += client_frame(buf + n, WS_TEXT, false, big, sizeof big);
	ws_frame f;
	int code;
	long used = ws_parse(buf, n, 1024, &f, &code);
	assert_int_equal(used, 2 + 4 + 2);
	assert_int_equal(f.opcode, WS_PING);
	assert_memory_equal(f.payload, "hi", 2);
	long used2 = ws_parse(buf + used, n - (size_t)used, 1024, &f, &code);
	assert_int_equal(used2, 4 + 4 + 300);
	assert_int_equal(f.opcode, WS_TEXT);
	assert_false(f.fin);
	assert_int_equal(f.len, 300);
	assert_int_equal(f.payload[299], 'x');
}

static void test_parse_refuses_protocol_errors(void **state)
{
	(void)state;
	unsigned char buf[64];
	ws_frame f;
	int code;
	/* unmasked */
	unsigned char plain[] = {0x81, 0x02, 'h', 'i'};
	assert_int_equal(ws_parse(plain, sizeof plain, 1024, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	/* a reserved bit (no extension was agreed) */
	size_t n = client_frame(buf, WS_TEXT, true, "a", 1);
	buf[0] |= 0x40;
	assert_int_equal(ws_parse(buf, n, 1024, &f, &code), -1);
	/* unknown opcodes, data and control */
	n = client_frame(buf, 0x3, true, "a", 1);
	assert_int_equal(ws_parse(buf, n, 1024, &f, &code), -1);
	n = client_frame(buf, 0xB, true, "a", 1);
	assert_int_equal(ws_parse(buf, n, 1024, &f, &code), -1);
	/* a fragmented control frame */
	n = client_frame(buf, WS_PING, false, "a", 1);
	assert_int_equal(ws_parse(buf, n, 1024, &f, &code), -1);
	/* a control frame over 125 bytes */
	unsigned char big[300];
	char payload[126];
	memset(payload, 'p', sizeof payload);
	n = client_frame(big, WS_PING, true, payload, sizeof payload);
	assert_int_equal(ws_parse(big, n, 1024, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_PROTOCOL);
	/* longer than we take: refused from the header alone */
	unsigned char huge[] = {0x81, 0xFF, 0x00, 0x00, 0x01,
				0x00, 0x00, 0x00, 0x00, 0x00};
	assert_int_equal(ws_parse(huge, sizeof huge, 1024, &f, &code), -1);
	assert_int_equal(code, WS_CLOSE_TOO_BIG);
}

static void test_stream_names_and_who_may_open_them(void **state)
{
	(void)state;
	arena a;
	arena_init(&a);
	stream_spec s;
	int status;
	assert_null(stream_spec_parse(&a, "public", NULL, NULL, NULL, 0, NULL,
				      &s, &status));
	assert_int_equal(s.kind, STREAM_PUBLIC);
	assert_null(stream_spec_parse(&a, "public:local:media", NULL, NULL,
				      NULL, 0, NULL, &s, &status));
	assert_int_equal(s.kind, STREAM_PUBLIC_LOCAL_MEDIA);
	/* hashtags keep the name as given, and the folded key */
	assert_null(stream_spec_parse(&a, "hashtag", "#MeToo", NULL, NULL, 0,
				      NULL, &s, &status));
	assert_string_equal(s.tag, "#MeToo");
	assert_string_equal(s.key, "metoo");
	assert_string_equal(stream_spec_parse(&a, "hashtag", "", NULL, NULL, 0,
					      NULL, &s, &status),
			    "No tag for stream provided");
	assert_int_equal(status, 400);
	/* hashtags are at most 100 characters, so are their stream keys */
	char longtag[102];
	memset(longtag, 'x', 101);
	longtag[101] = '\0';
	assert_string_equal(stream_spec_parse(&a, "hashtag", longtag, NULL,
					      NULL, 0, NULL, &s, &status),
			    "No tag for stream provided");
	longtag[100] = '\0';
	assert_null(stream_spec_parse(&a, "hashtag", longtag, NULL, NULL, 0,
				      NULL, &s, &status));
	assert_string_equal(stream_spec_parse(&a, "thread", NULL, NULL, NULL, 0,
					      NULL, &s, &status),
			    "No post for stream provided");
	assert_string_equal(stream_spec_parse(&a, "thread", NULL, NULL, "x1", 0,
					      NULL, &s, &status),
			    "No post for stream provided");
	assert_string_equal(stream_spec_parse(&a, "Public", NULL, NULL, NULL, 0,
					      NULL, &s, &status),
			    "Unknown stream type");
	assert_string_equal(stream_spec_parse(&a, NULL, NULL, NULL, NULL, 0,
					      NULL, &s, &status),
			    "Unknown stream type");
	/* private streams need an account, and the read scope */
	assert_string_equal(stream_spec_parse(&a, "user", NULL, NULL, NULL, 0,
					      NULL, &s, &status),
			    "Missing access token");
	assert_int_equal(status, 401);
	assert_null(stream_spec_parse(&a, "user", NULL, NULL, NULL, 7, "read",
				      &s, &status));
	assert_null(stream_spec_parse(&a, "user:notification", NULL, NULL, NULL,
				      7, "read:notifications", &s, &status));
	assert_non_null(stream_spec_parse(&a, "user", NULL, NULL, NULL, 7,
					  "read:notifications", &s, &status));
	assert_int_equal(status, 403);
	assert_non_null(stream_spec_parse(&a, "public", NULL, NULL, NULL, 7,
					  "write", &s, &status));
	assert_int_equal(status, 403);
	assert_string_equal(stream_spec_parse(&a, "list", NULL, "x", NULL, 7,
					      "read", &s, &status),
			    "No list for stream provided");
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key_matches_the_rfc_example),
		cmocka_unit_test(test_header_lengths),
		cmocka_unit_test(test_parse_masked_hello_byte_by_byte),
		cmocka_unit_test(test_parse_two_frames_and_a_long_one),
		cmocka_unit_test(test_parse_refuses_protocol_errors),
		cmocka_unit_test(test_stream_names_and_who_may_open_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
