/*
 * fuzz_parse.c - libFuzzer harness for every client-input parser.
 *
 * Each input is fed to all of them: the token codec, the Cookie header
 * iterator, the form and JSON login parsers, cache keys, ttl, rd and Origin.
 * Besides memory errors (ASan/UBSan), the harness aborts when an invariant
 * of a parsed value does not hold, e.g. a redirect judged local that starts
 * with "//", or a value that does not fit its buffer. See README.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cookie.h"
#include "parse.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char fuzz_keys[2][KEY_BYTES];
static const struct keyring fuzz_ring = {
	.keys = fuzz_keys,
	.nkeys = 2,
};

#define ASSERT(e) do { if (!(e)) { fprintf(stderr, "invariant: %s\n", #e); \
	abort(); } } while (0)

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

	if (token_parse(s, len, id, tag) != TOKEN_OK)
		return;
	/* Canonical: the id spells back to exactly the same characters. */
	ASSERT(len == TOKEN_LEN);
	token_make(&fuzz_ring, id, again);
	ASSERT(memcmp(again, s, 44) == 0);
	(void)token_verify(&fuzz_ring, id, tag);
}

static void
fuzz_cookie(const char *header, const char *name)
{
	size_t pos = 0, last = 0, len, hlen = strlen(header);
	const char *v;
	int n = 0;

	while (cookie_next(header, name, &pos, &v, &len) == 1) {
		ASSERT(v >= header && v + len <= header + hlen);
		ASSERT(pos > last || n == 0);
		ASSERT(memchr(v, ';', len) == NULL);
		last = pos;
		ASSERT(++n <= (int)hlen);
	}
}

static void
fuzz_form(const char *s, size_t len, const char *name)
{
	char out[64], dec[256];
	struct login_form f;
	char err[128];

	if (form_get(s, len, name, out, sizeof(out)) == 1)
		ASSERT(strlen(out) < sizeof(out));
	if (percent_decode(s, len, dec, sizeof(dec), true) == 0)
		ASSERT(strlen(dec) <= len);
	for (int k = BODY_FORM; k <= BODY_OTHER; k++) {
		if (login_form_parse((enum body_kind)k, s, len, &f, err,
		    sizeof(err)) != 0)
			continue;
		ASSERT(k != BODY_OTHER);
		ASSERT(f.username[0] != '\0' && f.password[0] != '\0');
		ASSERT(strlen(f.username) < sizeof(f.username));
		ASSERT(strlen(f.password) < sizeof(f.password));
		ASSERT(strlen(f.rd) < sizeof(f.rd));
		for (const char *p = f.username; *p; p++)
			ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	(void)body_kind_of(s);
}

static void
fuzz_query(const char *s)
{
	char rd[2048];
	bool present;
	long ttl;

	if (cache_key_valid(s))
		ASSERT(strlen(s) >= 1 && strlen(s) <= CACHE_KEY_MAX &&
		    strpbrk(s, "/% ?#\\") == NULL);
	if (ttl_parse(s, &present, &ttl) == 0 && present)
		ASSERT(ttl >= 0 && ttl <= TTL_MAX);
	if (rd_from_query(s, rd, sizeof(rd)) == 0 && rd_is_local(rd))
		ASSERT(rd[0] == '/' && rd[1] != '/' && rd[1] != '\\' &&
		    strchr(rd, '\r') == NULL && strchr(rd, '\n') == NULL);
	if (rd_is_local(s))
		ASSERT(s[0] == '/' && strchr(s, '\\') == NULL);
}

static void
fuzz_origin(const char *origin, const char *host)
{
	static const char allowed[][256] = { "https://app.example", "null" };
	bool ok = origin_allowed(origin, origin[0] & 1, host, allowed, 2);

	if (ok)
		ASSERT(origin[0] != '\0');
	ASSERT(!origin_allowed(origin, true, host, NULL, 0) ||
	    strncasecmp(origin, "https://", 8) == 0);
}

/*
 * The input is used whole (bodies, tokens) and split at the first '\n' into
 * two strings (cookie header / name, origin / host).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *a, *b, *nl;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_token(s, size);
	fuzz_form(s, size, "username");
	fuzz_query(s);
	fuzz_cookie(s, "sessionid");

	if ((a = strdup(s)) != NULL) {
		nl = strchr(a, '\n');
		b = nl != NULL ? nl + 1 : a + strlen(a);
		if (nl != NULL)
			*nl = '\0';
		fuzz_cookie(a, b);
		fuzz_form(a, strlen(a), b);
		fuzz_origin(a, b);
		free(a);
	}
	free(s);
	return 0;
}
