/*
 * totp.h - TOTP codes (RFC 6238) through liboath (OATH Toolkit).
 *
 * The parameters are fixed, as every authenticator app expects them: HMAC-
 * SHA-1, 30-second steps counted from the Unix epoch, 6 digits, and one
 * step of clock drift either way. These functions are pure (no store, no
 * request); the rules around them (replay, counting failures) live in
 * mfa.c.
 */
#ifndef SESSIONGW_TOTP_H
#define SESSIONGW_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES	20	/* 160 bits, RFC 4226's recommendation */
#define TOTP_STEP		30
#define TOTP_DIGITS		6
#define TOTP_WINDOW		1	/* steps accepted either side of now */
/* Base32 of TOTP_SECRET_BYTES without padding, and its NUL. */
#define TOTP_B32_LEN		32

/* The time step a Unix time falls in. */
int64_t	totp_step(int64_t now);

/*
 * Is code (exactly `digits` decimal digits) the code of a step within
 * TOTP_WINDOW of now's? 0 yes, *step = that step; -1 no (or malformed).
 * The code is compared in constant time.
 */
int	totp_verify(const unsigned char *secret, size_t len, int64_t now,
	    unsigned digits, const char *code, int64_t *step)
	    __attribute__((warn_unused_result));

/* The code for now's step into out (digits + 1 bytes). 0 or -1. */
int	totp_code(const unsigned char *secret, size_t len, int64_t now,
	    unsigned digits, char *out) __attribute__((warn_unused_result));

/* RFC 4648 base32 without '=' padding, as otpauth:// URIs carry it. */
int	totp_base32(const unsigned char *secret, size_t len, char *out,
	    size_t outsz) __attribute__((warn_unused_result));

#endif
