/*
 * cookie.c - the session token codec: make, split and verify
 * base64url(id) "." base64url(HMAC-SHA-256(key, LABEL || id)).
 *
 * Parsing is strict (exact length, canonical base64url) so that one session
 * has exactly one spelling; verification tries every key in constant time.
 */
#include <string.h>

#include <sodium.h>

#include "cookie.h"

/* Domain separation: a tag made for sessions is good for nothing else. */
static const char token_label[] = "sessiongw-session-v1";

#define B64_PART_LEN	43	/* base64url of 32 bytes, no padding */
#define B64_VARIANT	sodium_base64_VARIANT_URLSAFE_NO_PADDING

static const char *const token_errs[TOKEN_ERR__MAX] = {
	[TOKEN_OK] = "ok",
	[TOKEN_EMPTY] = "empty token",
	[TOKEN_BAD_LENGTH] = "token has the wrong length",
	[TOKEN_NO_DOT] = "token has no separator",
	[TOKEN_BAD_BASE64] = "token is not canonical base64url",
	[TOKEN_BAD_TAG] = "token signature does not verify",
};

const char *
token_strerror(enum token_err e)
{
	if ((unsigned)e >= TOKEN_ERR__MAX || token_errs[e] == NULL)
		return "unknown token error";
	return token_errs[e];
}

/*
 * Decode one 43-character part into exactly 32 bytes. The re-encoding check
 * rejects non-canonical spellings (non-zero trailing bits) even if the
 * library were lenient about them.
 */
static int
b64_part_decode(const char *s, unsigned char out[32])
{
	char again[B64_PART_LEN + 1];
	const char *end = NULL;
	size_t n = 0;

	if (sodium_base642bin(out, 32, s, B64_PART_LEN, NULL, &n, &end,
	    B64_VARIANT) != 0)
		return -1;
	if (n != 32 || end != s + B64_PART_LEN)
		return -1;
	sodium_bin2base64(again, sizeof(again), out, 32, B64_VARIANT);
	if (memcmp(again, s, B64_PART_LEN) != 0)
		return -1;
	return 0;
}

enum token_err
token_parse(const char *tok, size_t len, unsigned char id[SESSION_ID_BYTES],
    unsigned char tag[SESSION_TAG_BYTES])
{
	enum token_err e;

	if (tok == NULL || len == 0) {
		e = TOKEN_EMPTY;
		goto fail;
	}
	if (len != TOKEN_LEN) {
		e = TOKEN_BAD_LENGTH;
		goto fail;
	}
	if (tok[B64_PART_LEN] != '.') {
		e = TOKEN_NO_DOT;
		goto fail;
	}
	if (b64_part_decode(tok, id) == -1 ||
	    b64_part_decode(tok + B64_PART_LEN + 1, tag) == -1) {
		e = TOKEN_BAD_BASE64;
		goto fail;
	}
	return TOKEN_OK;
fail:
	sodium_memzero(id, SESSION_ID_BYTES);
	sodium_memzero(tag, SESSION_TAG_BYTES);
	return e;
}

static void
token_tag(const unsigned char key[KEY_BYTES],
    const unsigned char id[SESSION_ID_BYTES],
    unsigned char tag[SESSION_TAG_BYTES])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, KEY_BYTES);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)token_label,
	    sizeof(token_label) - 1);
	crypto_auth_hmacsha256_update(&st, id, SESSION_ID_BYTES);
	crypto_auth_hmacsha256_final(&st, tag);
	sodium_memzero(&st, sizeof(st));
}

/*
 * Every key is tried whatever matched, and the index is picked without a
 * data-dependent early exit, so the time taken says nothing about which
 * key (if any) signed the token.
 */
int
token_verify(const struct keyring *ring,
    const unsigned char id[SESSION_ID_BYTES],
    const unsigned char tag[SESSION_TAG_BYTES])
{
	unsigned char want[SESSION_TAG_BYTES];
	int found = -1;

	if (ring == NULL || ring->keys == NULL)
		return -1;
	for (int i = 0; i < ring->nkeys && i < KEYS_MAX; i++) {
		int eq;

		token_tag(ring->keys[i], id, want);
		eq = sodium_memcmp(want, tag, SESSION_TAG_BYTES) == 0;
		found = (found < 0 && eq) ? i : found;
	}
	sodium_memzero(want, sizeof(want));
	return found;
}

void
token_make(const struct keyring *ring,
    const unsigned char id[SESSION_ID_BYTES], char out[TOKEN_LEN + 1])
{
	unsigned char tag[SESSION_TAG_BYTES];

	out[0] = '\0';
	if (ring == NULL || ring->keys == NULL || ring->nkeys < 1)
		return;	/* an empty token never validates */
	token_tag(ring->keys[0], id, tag);
	sodium_bin2base64(out, B64_PART_LEN + 1, id, SESSION_ID_BYTES,
	    B64_VARIANT);
	out[B64_PART_LEN] = '.';
	sodium_bin2base64(out + B64_PART_LEN + 1, B64_PART_LEN + 1, tag,
	    SESSION_TAG_BYTES, B64_VARIANT);
	sodium_memzero(tag, sizeof(tag));
}

void
session_id_new(unsigned char id[SESSION_ID_BYTES])
{
	randombytes_buf(id, SESSION_ID_BYTES);
}

void
session_id_hash(const unsigned char id[SESSION_ID_BYTES],
    unsigned char hash[SESSION_HASH_BYTES])
{
	crypto_hash_sha256(hash, id, SESSION_ID_BYTES);
}

void
session_handle(const unsigned char hash[SESSION_HASH_BYTES],
    char out[SESSION_HANDLE_LEN + 1])
{
	/* 6 bytes are exactly the first 12 hex digits of the whole hash. */
	sodium_bin2hex(out, SESSION_HANDLE_LEN + 1, hash,
	    SESSION_HANDLE_LEN / 2);
}
