/*
 * fuzz_cache_key.c - what a cache request and the sign-in redirect carry
 * in the URL and headers (src/parse.c: cache_key_valid, ttl_parse,
 * rd_from_query, rd_is_local, origin_allowed, parse_long).
 *
 * The whole input is a key, a query string and an rd; split at its first
 * newline it is an Origin and a Host. Invariants: a valid key is 1..250
 * bytes with no '/', '%', space, '?', '#' or '\'; a ttl is in [0, TTL_MAX];
 * a redirect judged local starts with one '/' and holds no CR, LF or '\';
 * an Origin is never accepted empty, and over HTTPS only as https://.
 */
#include <stdbool.h>
#include <strings.h>

#include "parse.h"
#include "fuzz.h"

FUZZ_NO_INITIALIZE

static void
fuzz_query(const char *s)
{
	char rd[2048];
	bool present = true;
	long ttl = -1, n;

	if (cache_key_valid(s))
		FUZZ_ASSERT(strlen(s) >= 1 && strlen(s) <= CACHE_KEY_MAX &&
		    strpbrk(s, "/% ?#\\") == NULL);
	if (ttl_parse(s, &present, &ttl) == 0 && present)
		FUZZ_ASSERT(ttl >= 0 && ttl <= TTL_MAX);
	if (rd_from_query(s, rd, sizeof(rd)) == 0 && rd_is_local(rd))
		FUZZ_ASSERT(rd[0] == '/' && rd[1] != '/' && rd[1] != '\\' &&
		    strchr(rd, '\r') == NULL && strchr(rd, '\n') == NULL);
	if (rd_is_local(s))
		FUZZ_ASSERT(s[0] == '/' && strchr(s, '\\') == NULL);
	if (parse_long(s, -5, 1000, &n) == 0)
		FUZZ_ASSERT(n >= -5 && n <= 1000);
}

static void
fuzz_origin(const char *origin, const char *host)
{
	static const char allowed[][256] = { "https://app.example", "null" };
	bool ok = origin_allowed(origin, origin[0] & 1, host, allowed, 2);

	if (ok)
		FUZZ_ASSERT(origin[0] != '\0');
	FUZZ_ASSERT(!origin_allowed(origin, true, host, NULL, 0) ||
	    strncasecmp(origin, "https://", 8) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;

	if (fuzz_input_split(&in, data, size) != 0)
		return 0;
	fuzz_query(in.s);
	fuzz_query(in.a);
	fuzz_origin(in.a, in.b);
	fuzz_input_free(&in);
	return 0;
}
