/*
 * password_import.c - verifying password hashes imported from Django
 * (see include/password_import.h for the formats and the cost bounds).
 *
 * PBKDF2 comes from OpenSSL's libcrypto and argon2 from the reference
 * libargon2: well-kept libraries, no hand-written key derivation. Every
 * hash is parsed strictly and its cost checked before any work is done,
 * so a hostile row cannot make a sign-in take minutes.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "password_import.h"

#define PBKDF2_SALT_MAX	128	/* characters; Django uses 22 */

/* A parsed pbkdf2_ALGO$ITER$SALT$HASH; pointers into the hash string. */
struct pbkdf2 {
	const EVP_MD	*md;
	unsigned long	 iter;
	const char	*salt;
	size_t		 saltlen;
	unsigned char	 dk[PBKDF2_DKLEN_MAX];
	size_t		 dklen;
};

static const struct {
	const char	*prefix;
	const EVP_MD	*(*md)(void);
} pbkdf2_algos[] = {
	{ "pbkdf2_sha256$", EVP_sha256 },
	{ "pbkdf2_sha1$", EVP_sha1 },
};

/* Decimal 1..max, no sign or blank, ended by '$'; *end after the '$'. */
static int
parse_count(const char *s, unsigned long max, unsigned long *out,
    const char **end)
{
	char	*e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &e, 10);
	if (errno != 0 || *e != '$' || *out < 1 || *out > max)
		return -1;
	*end = e + 1;
	return 0;
}

/* 0 and p filled when hash is a well-formed PBKDF2 hash within bounds. */
static int
pbkdf2_parse(const char *hash, struct pbkdf2 *p)
{
	const char *s = NULL, *salt_end, *b64_end;
	size_t	 n;

	memset(p, 0, sizeof *p);
	for (size_t i = 0; i < sizeof pbkdf2_algos / sizeof pbkdf2_algos[0];
	    i++) {
		n = strlen(pbkdf2_algos[i].prefix);
		if (strncmp(hash, pbkdf2_algos[i].prefix, n) == 0) {
			p->md = pbkdf2_algos[i].md();
			s = hash + n;
		}
	}
	if (s == NULL || parse_count(s, PBKDF2_ITER_MAX, &p->iter, &s) != 0)
		return -1;
	if ((salt_end = strchr(s, '$')) == NULL || salt_end == s ||
	    (size_t)(salt_end - s) > PBKDF2_SALT_MAX)
		return -1;
	p->salt = s;
	p->saltlen = (size_t)(salt_end - s);
	for (const char *c = s; c < salt_end; c++)
		if (*c <= ' ' || *c > '~')
			return -1;
	s = salt_end + 1;
	if (sodium_base642bin(p->dk, sizeof p->dk, s, strlen(s), NULL,
	    &p->dklen, &b64_end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *b64_end != '\0' || p->dklen == 0)
		return -1;
	return 0;
}

/* The libargon2 type for a Django "argon2$argon2X$..." hash, or -1. */
static int
argon2_type_of(const char *hash, const char **encoded)
{
	static const struct {
		const char	*prefix;
		argon2_type	 type;
	} types[] = {
		{ "argon2$argon2id$", Argon2_id },
		{ "argon2$argon2i$", Argon2_i },
	};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (strncmp(hash, types[i].prefix, strlen(types[i].prefix))
		    == 0) {
			*encoded = hash + strlen("argon2");
			return (int)types[i].type;
		}
	}
	return -1;
}

/* "KEY=N" with 1 <= N <= max, then sep; *s moves past sep. */
static int
param(const char **s, const char *key, unsigned long max, char sep)
{
	size_t	 klen = strlen(key);
	unsigned long v;
	char	*e;

	if (strncmp(*s, key, klen) != 0 || (*s)[klen] < '0' ||
	    (*s)[klen] > '9')
		return -1;
	errno = 0;
	v = strtoul(*s + klen, &e, 10);
	if (errno != 0 || *e != sep || v < 1 || v > max)
		return -1;
	*s = e + 1;
	return 0;
}

/* Non-empty run of unpadded base64 characters ending at sep; moves *s. */
static int
b64_field(const char **s, char sep)
{
	const char *c = *s;

	while ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
	    (*c >= '0' && *c <= '9') || *c == '+' || *c == '/')
		c++;
	if (c == *s || *c != sep)
		return -1;
	*s = sep == '\0' ? c : c + 1;
	return 0;
}

/*
 * 0 when hash is a Django argon2 hash whose m/t/p are within bounds:
 * "argon2$argon2id$" ["v=19$"] "m=M,t=T,p=P$" SALT "$" HASH.
 */
static int
argon2_parse(const char *hash, argon2_type *type, const char **encoded)
{
	const char *s;
	int	 t;

	if ((t = argon2_type_of(hash, encoded)) < 0)
		return -1;
	*type = (argon2_type)t;
	s = strchr(*encoded + 1, '$') + 1;
	if (strncmp(s, "v=", 2) == 0 && param(&s, "v=", 0x13, '$') != 0)
		return -1;
	if (param(&s, "m=", ARGON2_IMPORT_M_MAX, ',') != 0 ||
	    param(&s, "t=", ARGON2_IMPORT_T_MAX, ',') != 0 ||
	    param(&s, "p=", ARGON2_IMPORT_P_MAX, '$') != 0 ||
	    b64_field(&s, '$') != 0 || b64_field(&s, '\0') != 0)
		return -1;
	return 0;
}

enum pwhash_kind
password_hash_kind(const char *hash)
{
	struct pbkdf2 p;
	argon2_type type;
	const char *encoded;
	enum pwhash_kind kind = PWHASH_UNKNOWN;

	if (hash == NULL)
		return PWHASH_UNKNOWN;
	if (pbkdf2_parse(hash, &p) == 0)
		kind = PWHASH_PBKDF2;
	else if (argon2_parse(hash, &type, &encoded) == 0)
		kind = PWHASH_ARGON2;
	else if (strncmp(hash, "$argon2id$", 10) == 0 &&
	    strlen(hash) < crypto_pwhash_STRBYTES &&
	    crypto_pwhash_str_needs_rehash(hash,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != -1)
		kind = PWHASH_NATIVE;
	sodium_memzero(&p, sizeof p);
	return kind;
}

bool
password_needs_upgrade(const char *hash)
{
	enum pwhash_kind k = password_hash_kind(hash);

	return k == PWHASH_PBKDF2 || k == PWHASH_ARGON2;
}

static bool
pbkdf2_verify(const struct pbkdf2 *p, const char *pw, size_t len)
{
	unsigned char dk[PBKDF2_DKLEN_MAX];
	bool	 ok;

	ok = len <= INT_MAX && p->saltlen <= INT_MAX &&
	    PKCS5_PBKDF2_HMAC(pw, (int)len, (const unsigned char *)p->salt,
	    (int)p->saltlen, (int)p->iter, p->md, (int)p->dklen, dk) == 1 &&
	    sodium_memcmp(dk, p->dk, p->dklen) == 0;
	sodium_memzero(dk, sizeof dk);
	return ok;
}

bool
password_import_verify(const char *hash, const char *pw, size_t len)
{
	struct pbkdf2 p;
	argon2_type type;
	const char *encoded;
	bool	 ok = false;

	if (hash == NULL || pw == NULL)
		return false;
	if (pbkdf2_parse(hash, &p) == 0)
		ok = pbkdf2_verify(&p, pw, len);
	else if (argon2_parse(hash, &type, &encoded) == 0)
		ok = argon2_verify(encoded, pw, len, type) == ARGON2_OK;
	sodium_memzero(&p, sizeof p);
	return ok;
}
