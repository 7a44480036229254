/* fuzz_ws.c — what a streaming client sends over its WebSocket: frames
 * (ws_parse, stream/ws.c) read as the hub reads them (stream/hub.c's
 * ws_parse_input and ws_frame_in: input arriving in reads of any size,
 * fragments gathered up to the hub's message limit), and each whole
 * text message read as a subscription (its JSON, then
 * stream_spec_parse). The input: one byte seeding the read sizes, then
 * the bytes off the socket.
 *
 * Invariants: a frame spans no more than the bytes given and at least
 * its header; a control frame is whole and at most 125 bytes; reading
 * in pieces finds the same frames as reading all at once (0, "more
 * bytes needed", is never said of a frame that is there); a message's
 * stream spec either fails with a status or names a stream. */
#include "fuzz.h"

#include "stream/stream.h"
#include "stream/ws.h"

#include <jansson.h>

enum {
	MESSAGE_MAX = 16 * 1024, /* hub.c's WS_MESSAGE_MAX */
	MAX_FRAMES = 4096,
};

typedef struct frame_seen {
	int opcode;
	bool fin;
	size_t len;
	uint32_t sum; /* of the unmasked payload */
} frame_seen;

static uint32_t sum_of(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* A subscribe or unsubscribe message, as hub.c's ws_message reads it;
 * a thread's needs the database, which this target has not. */
static void read_message(const char *text, size_t len)
{
	json_t *j = json_loadb(text, len, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *name = json_string_value(json_object_get(j, "stream"));
	if (json_is_object(j) && type && name && strcmp(name, "thread")) {
		arena a;
		arena_init(&a);
		stream_spec spec;
		int status = 0;
		const char *list =
			json_string_value(json_object_get(j, "list"));
		const char *err = stream_spec_parse(
			&a, name, json_string_value(json_object_get(j, "tag")),
			list, NULL, 7, "read write", &spec, &status);
		if (err)
			FUZZ_CHECK(status >= 400 && status < 500);
		else
			FUZZ_CHECK(!strcmp(stream_kind_name(spec.kind), name));
		arena_release(&a);
	}
	json_decref(j);
}

/* Parse in[0..n) as the hub does, reads of the sizes seed gives (0: all
 * at once); the frames into seen. Returns how many, or -1 when the
 * stream broke the protocol. */
static long parse_all(const uint8_t *data, size_t n, uint32_t seed,
		      frame_seen *seen, bool messages)
{
	unsigned char *in = malloc(n ? n : 1);
	size_t have = 0, pos = 0, nseen = 0;
	char *msg = NULL;
	size_t msg_len = 0;
	long result = 0;
	while (have < n || pos < have) {
		size_t k = n - have;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			size_t r = 1 + (seed >> 16) % 300;
			k = r < k ? r : k;
		}
		memcpy(in + have, data + have, k);
		have += k;
		for (;;) {
			ws_frame f;
			int code = 0;
			long used = ws_parse(in + pos, have - pos, MESSAGE_MAX,
					     &f, &code);
			if (used == 0)
				break;
			if (used < 0) {
				FUZZ_CHECK(code == WS_CLOSE_PROTOCOL ||
					   code == WS_CLOSE_TOO_BIG);
				result = -1;
				goto done;
			}
			FUZZ_CHECK((size_t)used <= have - pos && used >= 6);
			FUZZ_CHECK(f.payload >= in + pos &&
				   f.payload + f.len == in + pos + used);
			if (f.opcode & 0x8)
				FUZZ_CHECK(f.fin && f.len <= 125);
			FUZZ_CHECK(nseen < MAX_FRAMES);
			seen[nseen++] = (frame_seen){f.opcode, f.fin, f.len,
						     sum_of(f.payload, f.len)};
			pos += (size_t)used;
			if (nseen == MAX_FRAMES)
				goto done;
			if (!messages || (f.opcode & 0x8))
				continue;
			/* ws_frame_in: gather fragments */
			if (f.opcode != WS_CONT && msg) {
				result = -1;
				goto done;
			}
			if (f.opcode == WS_CONT && !msg) {
				result = -1;
				goto done;
			}
			if (f.opcode != WS_CONT && f.fin) {
				if (f.opcode == WS_TEXT)
					read_message((const char *)f.payload,
						     f.len);
				continue;
			}
			if (!msg)
				msg = malloc(MESSAGE_MAX);
			if (msg_len + f.len > MESSAGE_MAX) {
				result = -1;
				goto done;
			}
			memcpy(msg + msg_len, f.payload, f.len);
			msg_len += f.len;
			if (f.fin) {
				read_message(msg, msg_len);
				free(msg);
				msg = NULL;
				msg_len = 0;
			}
		}
		if (have == n)
			break;
	}
	result = result < 0 ? result : (long)nseen;
done:
	free(msg);
	free(in);
	return result < 0 ? -(long)nseen - 1 : result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static frame_seen whole[MAX_FRAMES], pieces[MAX_FRAMES];
	fuzz_input in = {data, size};
	uint32_t seed = fuzz_byte(&in) | 1u;
	long a = parse_all(in.p, in.n, 0, whole, true);
	long b = parse_all(in.p, in.n, seed, pieces, false);
	/* the pieces' run stops only at a broken frame, the whole run at a
	 * broken message too: what the whole run took, the pieces' took
	 * alike, and the frames both saw agree */
	long na = a < 0 ? -a - 1 : a, nb = b < 0 ? -b - 1 : b;
	long n = na < nb ? na : nb;
	if (a >= 0)
		FUZZ_CHECK(b == a);
	else
		FUZZ_CHECK(nb >= na);
	for (long i = 0; i < n; i++) {
		FUZZ_CHECK(whole[i].opcode == pieces[i].opcode);
		FUZZ_CHECK(whole[i].fin == pieces[i].fin);
		FUZZ_CHECK(whole[i].len == pieces[i].len);
		FUZZ_CHECK(whole[i].sum == pieces[i].sum);
	}
	return 0;
}
