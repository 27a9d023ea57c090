/*
 * password.h - argon2id password hashing (libsodium crypto_pwhash_str).
 */
#ifndef SESSIONGW_PASSWORD_H
#define SESSIONGW_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MAX	1024	/* bytes; longer input is refused */

/* Hash pw into out (crypto_pwhash_STRBYTES). 0 or -1 (out of memory). */
int	password_hash(const char *pw, char *out, size_t outsz)
	    __attribute__((warn_unused_result));
/*
 * Constant work whether or not hash is well-formed. true if pw matches.
 * Takes 64 MiB and tens of milliseconds: `serve` calls it only on the
 * password threads (pwpool.h), never on a FastCGI worker.
 */
bool	password_verify(const char *hash, const char *pw);
/*
 * A hash of a random password made at startup: verified against when the
 * user does not exist, so an unknown user costs the same time.
 */
int	password_dummy_hash(char *out, size_t outsz)
	    __attribute__((warn_unused_result));
/*
 * Read a password: the first line of stdin when from_stdin, else prompt on
 * the terminal without echo (twice, must match, when confirm).
 * 0 ok, -1 with err.
 */
int	password_read(bool from_stdin, bool confirm, char *out, size_t outsz,
	    char *err, size_t errsz) __attribute__((warn_unused_result));

#endif
