/*
 * totp.c - TOTP (RFC 6238) on liboath: generate, verify, base32.
 *
 * liboath keeps no state between calls but must be initialised once
 * (oath_init); pthread_once makes that safe from any thread.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>

#include "totp.h"

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static bool oath_ready;

static void
init_oath(void)
{
	oath_ready = oath_init() == OATH_OK;
}

static bool
ready(void)
{
	(void)pthread_once(&oath_once, init_oath);
	return oath_ready;
}

int64_t
totp_step(int64_t now)
{
	return now / TOTP_STEP;
}

/* liboath's compare callback: 0 = equal; constant time, never strcmp. */
static int
code_cmp(void *handle, const char *test_otp)
{
	const char *code = handle;
	size_t n = strlen(code);

	if (strlen(test_otp) != n)
		return 1;
	return sodium_memcmp(code, test_otp, n) == 0 ? 0 : 1;
}

static bool
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[i] == '\0';
}

int
totp_verify(const unsigned char *secret, size_t len, int64_t now,
    unsigned digits, const char *code, int64_t *step)
{
	uint64_t counter = 0;
	int pos = 0, rc;

	if (!ready() || now < 0 || digits < 6 || digits > 8 ||
	    !all_digits(code, digits))
		return -1;
	rc = oath_totp_validate3_callback((const char *)secret, len,
	    (time_t)now, TOTP_STEP, 0, digits, TOTP_WINDOW, &pos, &counter,
	    code_cmp, (void *)(uintptr_t)code);
	if (rc < 0)
		return -1;
	*step = (int64_t)counter;
	return 0;
}

int
totp_code(const unsigned char *secret, size_t len, int64_t now,
    unsigned digits, char *out)
{
	if (!ready() || now < 0 || digits < 6 || digits > 8)
		return -1;
	return oath_totp_generate((const char *)secret, len, (time_t)now,
	    TOTP_STEP, 0, digits, out) == OATH_OK ? 0 : -1;
}

int
totp_base32(const unsigned char *secret, size_t len, char *out,
    size_t outsz)
{
	char *b32 = NULL;
	size_t n = 0, k;
	int rc = -1;

	if (!ready() || oath_base32_encode((const char *)secret, len, &b32,
	    &n) != OATH_OK)
		goto out;
	for (k = 0; k < n && b32[k] != '='; k++)
		;
	if (k + 1 > outsz)
		goto out;
	memcpy(out, b32, k);
	out[k] = '\0';
	rc = 0;
out:
	if (b32 != NULL) {
		sodium_memzero(b32, n);
		free(b32);
	}
	return rc;
}
