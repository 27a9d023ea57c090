/*
 * fuzz_login_body.c - the sign-in body: form and JSON (src/parse.c:
 * login_form_parse, form_get, percent_decode, body_kind_of).
 *
 * The whole input is a body, parsed as each kind; split at its first
 * newline it is a form body and a field name, and a Content-Type.
 * Invariants: a parsed login has a non-empty username and password, no
 * control byte in the username, every field within its buffer; a decoded
 * value is never longer than its encoding; BODY_OTHER never parses.
 */
#include <stdbool.h>

#include "parse.h"
#include "fuzz.h"

FUZZ_NO_INITIALIZE

static void
fuzz_body(const char *s, size_t len, const char *name)
{
	char out[64], dec[256];
	struct login_form f;
	char err[128];
	int r;

	r = form_get(s, len, name, out, sizeof(out));
	FUZZ_ASSERT(r >= -1 && r <= 1);
	if (r == 1)
		FUZZ_ASSERT(strlen(out) < sizeof(out));
	if (percent_decode(s, len, dec, sizeof(dec), true) == 0)
		FUZZ_ASSERT(strlen(dec) <= len);
	if (percent_decode(s, len, dec, sizeof(dec), false) == 0)
		FUZZ_ASSERT(strlen(dec) <= len);
	for (int k = BODY_FORM; k <= BODY_OTHER; k++) {
		err[0] = '\0';
		if (login_form_parse((enum body_kind)k, s, len, &f, err,
		    sizeof(err)) != 0) {
			FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0',
			    sizeof(err)) != NULL);
			continue;
		}
		FUZZ_ASSERT(k != BODY_OTHER);
		FUZZ_ASSERT(f.username[0] != '\0' && f.password[0] != '\0');
		FUZZ_ASSERT(strlen(f.username) < sizeof(f.username));
		FUZZ_ASSERT(strlen(f.password) < sizeof(f.password));
		FUZZ_ASSERT(strlen(f.rd) < sizeof(f.rd));
		FUZZ_ASSERT(f.has_rd || f.rd[0] == '\0');
		for (const char *p = f.username; *p; p++)
			FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in;
	enum body_kind k;

	if (fuzz_input_split(&in, data, size) != 0)
		return 0;
	fuzz_body(in.s, in.len, "username");
	fuzz_body(in.a, strlen(in.a), in.b);
	k = body_kind_of(in.s);
	FUZZ_ASSERT(k == BODY_FORM || k == BODY_JSON || k == BODY_OTHER);
	fuzz_input_free(&in);
	return 0;
}
