/*
 * password_import.h - password hashes brought in from another system
 * (`sessiongw user import`), verified until their first successful use,
 * when the login path replaces them with our own argon2id hash.
 *
 * Formats verified (Django's hashers):
 *   pbkdf2_sha256$ITER$SALT$B64(HASH)   PBKDF2-HMAC-SHA256 (OpenSSL libcrypto)
 *   pbkdf2_sha1$ITER$SALT$B64(HASH)     PBKDF2-HMAC-SHA1   (OpenSSL libcrypto)
 *   argon2$argon2id$v=19$m=M,t=T,p=P$SALT$HASH   (libargon2; also argon2i)
 * Django uses argon2 parallelism > 1, which libsodium cannot verify.
 *
 * Cost bounds: a hash whose parameters exceed the limits below is not
 * "verifiable" (it imports as must_reset), so an import file cannot make a
 * sign-in take minutes or gigabytes.
 */
#ifndef SESSIONGW_PASSWORD_IMPORT_H
#define SESSIONGW_PASSWORD_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#define PBKDF2_ITER_MAX		10000000UL	/* ~4 s of SHA-256 on one core */
#define PBKDF2_DKLEN_MAX	64		/* bytes of derived key */
#define ARGON2_IMPORT_M_MAX	(256UL * 1024)	/* KiB: 256 MiB */
#define ARGON2_IMPORT_T_MAX	16UL
#define ARGON2_IMPORT_P_MAX	64UL

enum pwhash_kind {
	PWHASH_NATIVE,		/* our argon2id (crypto_pwhash_str) */
	PWHASH_PBKDF2,		/* Django pbkdf2_sha256 / pbkdf2_sha1 */
	PWHASH_ARGON2,		/* Django argon2 (argon2id / argon2i) */
	PWHASH_UNKNOWN,		/* anything else: cannot be verified */
	PWHASH__MAX
};

/*
 * Classify a stored hash: the format is recognised only when the whole
 * string parses and its cost parameters are within the bounds above.
 * Pure; never looks at a password.
 */
enum pwhash_kind password_hash_kind(const char *hash);

/* True for a verifiable imported hash (PWHASH_PBKDF2 or PWHASH_ARGON2). */
bool	password_needs_upgrade(const char *hash);

/*
 * Verify pw (len bytes) against an imported hash; false for a mismatch or
 * a hash password_needs_upgrade() refuses. The comparison of the derived
 * key is constant-time (sodium_memcmp / libargon2's own).
 */
bool	password_import_verify(const char *hash, const char *pw, size_t len);

#endif
