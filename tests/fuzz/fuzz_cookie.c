/*
 * fuzz_cookie.c - the Cookie header and the session token (src/cookie.c,
 * cookie_next in src/parse.c).
 *
 * The whole input is a token for token_parse (and token_make/token_verify
 * on what parses) and a Cookie header searched for "sessionid"; split at
 * its first newline it is a header and a cookie name. Invariants: a token
 * that parses re-encodes to exactly the same text; every cookie value lies
 * inside the header, holds no ';', and the iteration moves forward.
 */
#include <sodium.h>

#include "cookie.h"
#include "parse.h"
#include "fuzz.h"

static unsigned char fuzz_keys[2][KEY_BYTES];
static const struct keyring fuzz_ring = {
	.keys = fuzz_keys,
	.nkeys = 2,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(fuzz_keys[0], 0x11, KEY_BYTES);
	memset(fuzz_keys[1], 0x22, KEY_BYTES);
	return 0;
}

static void
fuzz_token(const char *s, size_t len)
{
	unsigned char id[SESSION_ID_BYTES], tag[SESSION_TAG_BYTES];
	char again[TOKEN_LEN + 1];
	int k;

	if (token_parse(s, len, id, tag) != TOKEN_OK)
		return;
	/* Canonical: the id spells back to exactly the same characters. */
	FUZZ_ASSERT(len == TOKEN_LEN);
	token_make(&fuzz_ring, id, again);
	FUZZ_ASSERT(memcmp(again, s, 44) == 0);
	k = token_verify(&fuzz_ring, id, tag);
	FUZZ_ASSERT(k >= -1 && k < 2);
	/* What we sign ourselves verifies with key 0. */
	FUZZ_ASSERT(token_parse(again, TOKEN_LEN, id, tag) == TOKEN_OK);
	FUZZ_ASSERT(token_verify(&fuzz_ring, id, tag) == 0);
}

static void
fuzz_header(const char *header, const char *name)
{
	size_t pos = 0, last = 0, len, hlen = strlen(header);
	const char *v;
	int n = 0;

	while (cookie_next(header, name, &pos, &v, &len) == 1) {
		FUZZ_ASSERT(v >= header && v + len <= header + hlen);
		FUZZ_ASSERT(pos > last || n == 0);
		FUZZ_ASSERT(memchr(v, ';', len) == NULL);
		last = pos;
		FUZZ_ASSERT(++n <= (int)hlen);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;

	if (fuzz_input_split(&in, data, size) != 0)
		return 0;
	fuzz_token(in.s, in.len);
	fuzz_header(in.s, "sessionid");
	fuzz_header(in.a, in.b);
	fuzz_token(in.a, strlen(in.a));
	fuzz_input_free(&in);
	return 0;
}
