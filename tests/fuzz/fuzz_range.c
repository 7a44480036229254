/* fuzz_range.c — the Range header (http_range_parse, http/file.c). The
 * input: one byte choosing the file's size (small ones, or one near 2^64)
 * and how many ranges are allowed, then the header's value. Invariants:
 * what is satisfiable is 1..max ranges, each inside the file, sorted,
 * neither overlapping nor touching; an empty file or no header ignores
 * Range. */
#include "fuzz.h"

#include "http/http.h"

enum { MAX_RANGES = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena a;
	arena_init(&a);
	fuzz_input in = {data, size};
	uint8_t pick = fuzz_byte(&in);
	static const uint64_t sizes[] = {
		0, 1, 2, 10, 100, 1000, 1 << 20, UINT64_MAX - 1, UINT64_MAX,
	};
	uint64_t file_size = pick & 0x10 ? (uint64_t)(pick >> 5) * 7 + 1
					 : sizes[(pick >> 5) % 9];
	size_t max = 1 + (pick & 0x0F);
	size_t len;
	const char *header = fuzz_rest(&a, &in, &len);

	http_range out[MAX_RANGES + 1];
	size_t n = 99;
	http_range_result r = http_range_parse(header, file_size, out, max, &n);
	if (file_size == 0)
		FUZZ_CHECK(r == HTTP_RANGE_IGNORE);
	if (r != HTTP_RANGE_SATISFIABLE) {
		FUZZ_CHECK(n == 0);
	} else {
		FUZZ_CHECK(n >= 1 && n <= max);
		for (size_t i = 0; i < n; i++) {
			FUZZ_CHECK(out[i].first <= out[i].last);
			FUZZ_CHECK(out[i].last < file_size);
			if (i)
				FUZZ_CHECK(out[i].first > out[i - 1].last + 1);
		}
	}
	FUZZ_CHECK(http_range_parse(NULL, file_size, out, max, &n) ==
		   HTTP_RANGE_IGNORE);
	arena_release(&a);
	return 0;
}
