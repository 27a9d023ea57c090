/*
 * test_totp.c - TOTP against RFC 6238's SHA-1 test vectors (8 digits,
 * Appendix B) through the same liboath calls the daemon uses, the 6-digit
 * window (one step either side, no more), and base32.
 */
#include <string.h>

#include "totp.h"
#include "unit.h"

static const unsigned char rfc_secret[] = "12345678901234567890";

static const struct {
	int64_t	t;
	const char *code;
} rfc6238_sha1[] = {
	{ 59LL, "94287082" },
	{ 1111111109LL, "07081804" },
	{ 1111111111LL, "14050471" },
	{ 1234567890LL, "89005924" },
	{ 2000000000LL, "69279037" },
	{ 20000000000LL, "65353130" },
};

UNIT_TEST(totp_rfc6238_sha1_vectors)
{
	char out[16];
	int64_t step;

	for (size_t i = 0; i < sizeof rfc6238_sha1 / sizeof rfc6238_sha1[0];
	    i++) {
		CHECK_INT(totp_code(rfc_secret, 20, rfc6238_sha1[i].t, 8, out),
		    0);
		CHECK_STR(out, rfc6238_sha1[i].code);
		step = -1;
		CHECK_INT(totp_verify(rfc_secret, 20, rfc6238_sha1[i].t, 8,
		    rfc6238_sha1[i].code, &step), 0);
		CHECK_INT(step, rfc6238_sha1[i].t / 30);
	}
}

UNIT_TEST(totp_window_one_step)
{
	const int64_t now = 1700000000LL;
	char prev[8], cur[8], next[8], far[8], wrong[8];
	int64_t step = 0;

	CHECK_INT(totp_code(rfc_secret, 20, now - 30, 6, prev), 0);
	CHECK_INT(totp_code(rfc_secret, 20, now, 6, cur), 0);
	CHECK_INT(totp_code(rfc_secret, 20, now + 30, 6, next), 0);
	CHECK_INT(totp_code(rfc_secret, 20, now - 60, 6, far), 0);
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, cur, &step), 0);
	CHECK_INT(step, totp_step(now));
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, prev, &step), 0);
	CHECK_INT(step, totp_step(now) - 1);
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, next, &step), 0);
	CHECK_INT(step, totp_step(now) + 1);
	/* two steps old: refused (unless it happens to equal a near one) */
	if (strcmp(far, prev) != 0 && strcmp(far, cur) != 0 &&
	    strcmp(far, next) != 0)
		CHECK_INT(totp_verify(rfc_secret, 20, now, 6, far, &step), -1);
	memcpy(wrong, cur, sizeof wrong);
	wrong[0] = wrong[0] == '9' ? '0' : (char)(wrong[0] + 1);
	if (strcmp(wrong, prev) != 0 && strcmp(wrong, next) != 0)
		CHECK_INT(totp_verify(rfc_secret, 20, now, 6, wrong, &step),
		    -1);
	/* malformed: not six digits */
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, "12345", &step), -1);
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, "1234567", &step), -1);
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, "12a456", &step), -1);
	CHECK_INT(totp_verify(rfc_secret, 20, now, 6, "", &step), -1);
}

UNIT_TEST(totp_base32_no_padding)
{
	char out[TOTP_B32_LEN + 1];

	/* RFC 4648 test vector: "foobar" = MZXW6YTBOI====== */
	CHECK_INT(totp_base32((const unsigned char *)"foobar", 6, out,
	    sizeof out), 0);
	CHECK_STR(out, "MZXW6YTBOI");
	CHECK_INT(totp_base32(rfc_secret, 20, out, sizeof out), 0);
	CHECK_STR(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	CHECK_INT(totp_base32(rfc_secret, 20, out, 10), -1);
}
