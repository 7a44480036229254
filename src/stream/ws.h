/* ws.h — WebSocket (RFC 6455) for a server: the handshake's accept key and
 * frames. Pure functions over bytes, no I/O, so the unit tests drive them
 * directly. */
#ifndef CHORUS_WS_H
#define CHORUS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xA,
	WS_HEADER_MAX = 10, /* a server frame's header, at most */
	WS_ACCEPT_LEN = 28, /* base64 of a SHA-1 */
};

/* Close codes this server sends. */
enum {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_POLICY = 1008, /* e.g. the session was revoked */
	WS_CLOSE_TOO_BIG = 1009,
};

/* Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: out receives
 * WS_ACCEPT_LEN characters and a NUL. false for a key that is not 16
 * bytes in base64. */
bool ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* Write the header of an unmasked frame (FIN set) carrying len bytes;
 * returns its size (2, 4 or 10). */
size_t ws_header(unsigned char out[WS_HEADER_MAX], int opcode, size_t len);

/* One frame parsed from a client. */
typedef struct ws_frame {
	int opcode;
	bool fin;
	unsigned char *payload; /* unmasked in place, inside the input */
	size_t len;
} ws_frame;

/* Parse the frame at the start of in[0..n). Returns the bytes it spans
 * (header and payload) with *f filled and the payload unmasked in place;
 * 0 when more bytes are needed; -1 for a frame that breaks the protocol
 * or is longer than max_payload, with *close_code set. Client frames must
 * be masked; control frames must be whole and at most 125 bytes. */
long ws_parse(unsigned char *in, size_t n, size_t max_payload, ws_frame *f,
	      int *close_code);

#endif
