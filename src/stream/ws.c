/* ws.c — WebSocket handshake key and framing (RFC 6455 §4.2.2, §5). */
#include "stream/ws.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	unsigned char raw[32];
	size_t raw_len = 0;
	size_t klen = key ? strlen(key) : 0;
	if (klen != 24 ||
	    sodium_base642bin(raw, sizeof raw, key, klen, NULL, &raw_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    raw_len != 16)
		return false;
	char joined[24 + sizeof ws_guid];
	memcpy(joined, key, 24);
	memcpy(joined + 24, ws_guid, sizeof ws_guid);
	unsigned char sha[EVP_MAX_MD_SIZE];
	unsigned int sha_len = 0;
	if (!EVP_Digest(joined, 24 + sizeof ws_guid - 1, sha, &sha_len,
			EVP_sha1(), NULL) ||
	    sha_len != 20)
		return false;
	sodium_bin2base64(out, WS_ACCEPT_LEN + 1, sha, 20,
			  sodium_base64_VARIANT_ORIGINAL);
	return true;
}

size_t ws_header(unsigned char out[WS_HEADER_MAX], int opcode, size_t len)
{
	out[0] = (unsigned char)(0x80 | (opcode & 0x0F));
	if (len < 126) {
		out[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xFFFF) {
		out[1] = 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

long ws_parse(unsigned char *in, size_t n, size_t max_payload, ws_frame *f,
	      int *close_code)
{
	if (n < 2)
		return 0;
	bool fin = in[0] & 0x80;
	int opcode = in[0] & 0x0F;
	bool masked = in[1] & 0x80;
	uint64_t len = in[1] & 0x7F;
	size_t pos = 2;
	*close_code = WS_CLOSE_PROTOCOL;
	if (in[0] & 0x70 || !masked) /* no extensions; clients must mask */
		return -1;
	bool control = opcode & 0x8;
	if (control ? (opcode > WS_PONG || !fin || len > 125)
		    : opcode > WS_BINARY)
		return -1;
	if (len == 126) {
		if (n < 4)
			return 0;
		len = (uint64_t)in[2] << 8 | in[3];
		pos = 4;
	} else if (len == 127) {
		if (n < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | in[2 + i];
		pos = 10;
	}
	if (len > max_payload) {
		*close_code = WS_CLOSE_TOO_BIG;
		return -1;
	}
	if (n < pos + 4 + len)
		return 0;
	const unsigned char *mask = in + pos;
	unsigned char *payload = in + pos + 4;
	for (size_t i = 0; i < len; i++)
		payload[i] ^= mask[i & 3];
	f->opcode = opcode;
	f->fin = fin;
	f->payload = payload;
	f->len = (size_t)len;
	return (long)(pos + 4 + len);
}
