/*
 * keys.h - the HMAC key ring: key 0 signs, every key verifies.
 *
 * A key file holds one key per line as 64 hex digits; its first line is the
 * signing key, the lines below are previous keys kept after --rotate-key.
 * Fallback files (secret_key_fallback_files) add verify-only keys.
 * Key bytes live in sodium_malloc'd, locked memory and are wiped on free.
 */
#ifndef SESSIONGW_KEYS_H
#define SESSIONGW_KEYS_H

#include <stddef.h>

#define KEY_BYTES	32
#define KEYS_MAX	16	/* signing key + previous keys + fallbacks */
#define KEYS_PER_FILE	4	/* current + at most 3 previous (--rotate-key) */

struct keyring {
	unsigned char	(*keys)[KEY_BYTES];	/* sodium_malloc'd, KEYS_MAX rows */
	int		  nkeys;
};

struct config;

/*
 * Load the ring from cfg's key file and fallback files (all of them must
 * pass the mode check). Returns 0, or -1 with a message naming the file and
 * line (never the key) in err. On success *out owns its memory, which is
 * read-only (sodium_mprotect_readonly): release with keyring_free().
 */
int	keyring_load(struct keyring *out, const struct config *cfg,
	    char *err, size_t errsz) __attribute__((warn_unused_result));
void	keyring_free(struct keyring *);

/*
 * Read and check one key file. Fills keys (up to max rows) and sets *n.
 * Returns 0 ok, -1 with err (missing file, bad mode, bad line...).
 * check_mode: refuse a file readable or writable by group/others.
 */
int	keyfile_read(const char *path, unsigned char (*keys)[KEY_BYTES],
	    int max, int *n, int check_mode, char *err, size_t errsz)
	    __attribute__((warn_unused_result));

/* Create path with one fresh key, mode 0600 (O_EXCL). 0 or -1 + err. */
int	keyfile_create(const char *path, char *err, size_t errsz)
	    __attribute__((warn_unused_result));

/*
 * Put a fresh key on line 1, keep at most KEYS_PER_FILE-1 previous keys
 * below it; written to a temp file, fsync'd and renamed. 0 or -1 + err.
 */
int	keyfile_rotate(const char *path, char *err, size_t errsz)
	    __attribute__((warn_unused_result));

#endif
