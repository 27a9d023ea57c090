/*
 * test_cookie.c - the session token codec: round trip, key ring
 * verification, every malformed shape, hash and handle.
 */
#include <stdlib.h>

#include <sodium.h>

#include "cookie.h"
#include "unit.h"

static unsigned char ring_keys[KEYS_MAX][KEY_BYTES];

/* A ring of n random keys (test memory, not sodium_malloc). */
static struct keyring
test_ring(int n)
{
	struct keyring r = { .keys = ring_keys, .nkeys = n };

	for (int i = 0; i < n; i++)
		randombytes_buf(ring_keys[i], KEY_BYTES);
	return r;
}

static enum token_err
parse_str(const char *s, unsigned char id[32], unsigned char tag[32])
{
	return token_parse(s, strlen(s), id, tag);
}

UNIT_TEST(token_roundtrip)
{
	struct keyring r = test_ring(1);
	unsigned char id[32], id2[32], tag[32];
	char tok[TOKEN_LEN + 1];

	for (int n = 0; n < 200; n++) {
		session_id_new(id);
		token_make(&r, id, tok);
		CHECK_INT(strlen(tok), TOKEN_LEN);
		CHECK(tok[43] == '.');
		CHECK(strpbrk(tok, "+/=") == NULL);
		CHECK_INT(parse_str(tok, id2, tag), TOKEN_OK);
		CHECK(memcmp(id, id2, 32) == 0);
		CHECK_INT(token_verify(&r, id2, tag), 0);
	}
}

UNIT_TEST(token_verify_ring)
{
	struct keyring r = test_ring(3), old = { .keys = ring_keys + 1,
	    .nkeys = 1 }, none = { .keys = ring_keys, .nkeys = 0 };
	unsigned char id[32], tag[32];
	char tok[TOKEN_LEN + 1];

	session_id_new(id);
	/* Signed with what is now the second key of the ring. */
	token_make(&old, id, tok);
	CHECK_INT(parse_str(tok, id, tag), TOKEN_OK);
	CHECK_INT(token_verify(&r, id, tag), 1);
	CHECK_INT(token_verify(&old, id, tag), 0);
	CHECK_INT(token_verify(&none, id, tag), -1);
	CHECK_INT(token_verify(NULL, id, tag), -1);

	/* Tampered id, tampered tag, unknown key. */
	id[5] ^= 1;
	CHECK_INT(token_verify(&r, id, tag), -1);
	id[5] ^= 1;
	tag[31] ^= 0x80;
	CHECK_INT(token_verify(&r, id, tag), -1);
	tag[31] ^= 0x80;
	CHECK_INT(token_verify(&r, id, tag), 1);
	randombytes_buf(ring_keys[1], KEY_BYTES);
	CHECK_INT(token_verify(&r, id, tag), -1);
}

UNIT_TEST(token_same_key_twice_gives_first_index)
{
	struct keyring r = test_ring(3);
	unsigned char id[32], tag[32];
	char tok[TOKEN_LEN + 1];

	memcpy(ring_keys[2], ring_keys[0], KEY_BYTES);
	session_id_new(id);
	token_make(&r, id, tok);
	CHECK_INT(parse_str(tok, id, tag), TOKEN_OK);
	CHECK_INT(token_verify(&r, id, tag), 0);
}

/* A valid token with character i replaced by c. */
static void
mutate(char out[TOKEN_LEN + 1], const char *tok, int i, char c)
{
	memcpy(out, tok, TOKEN_LEN + 1);
	out[i] = c;
}

UNIT_TEST(token_malformed)
{
	struct keyring r = test_ring(1);
	unsigned char id[32], tag[32];
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 2], *big;

	memset(id, 0x5a, sizeof(id));
	token_make(&r, id, tok);
	CHECK_INT(parse_str("", id, tag), TOKEN_EMPTY);
	CHECK_INT(token_parse(NULL, 0, id, tag), TOKEN_EMPTY);
	CHECK_INT(token_parse(tok, 86, id, tag), TOKEN_BAD_LENGTH);
	memcpy(t, tok, TOKEN_LEN);
	t[TOKEN_LEN] = 'A';
	t[TOKEN_LEN + 1] = '\0';
	CHECK_INT(parse_str(t, id, tag), TOKEN_BAD_LENGTH);
	CHECK_INT(parse_str("abc.def", id, tag), TOKEN_BAD_LENGTH);

	/* No dot at 43; a dot elsewhere. */
	mutate(t, tok, 43, 'A');
	CHECK_INT(parse_str(t, id, tag), TOKEN_NO_DOT);
	mutate(t, tok, 43, 'A');
	t[42] = '.';
	CHECK_INT(parse_str(t, id, tag), TOKEN_NO_DOT);
	mutate(t, tok, 10, '.');
	CHECK_INT(parse_str(t, id, tag), TOKEN_BAD_BASE64);
	mutate(t, tok, 60, '.');
	CHECK_INT(parse_str(t, id, tag), TOKEN_BAD_BASE64);

	/* Characters of the other alphabets and padding. */
	static const char bad[] = { '+', '/', '=', ' ', '%', '\0', '\n', '\xff' };
	for (size_t i = 0; i < sizeof(bad); i++) {
		mutate(t, tok, 3, bad[i]);
		CHECK_INT(token_parse(t, TOKEN_LEN, id, tag), TOKEN_BAD_BASE64);
		mutate(t, tok, 80, bad[i]);
		CHECK_INT(token_parse(t, TOKEN_LEN, id, tag), TOKEN_BAD_BASE64);
	}
	mutate(t, tok, 42, '=');
	CHECK_INT(parse_str(t, id, tag), TOKEN_BAD_BASE64);

	/* 8 KB of base64 characters. */
	big = malloc(8193);
	CHECK(big != NULL);
	if (big != NULL) {
		memset(big, 'A', 8192);
		big[8192] = '\0';
		CHECK_INT(parse_str(big, id, tag), TOKEN_BAD_LENGTH);
		free(big);
	}
	CHECK(memcmp(id, (unsigned char[32]){ 0 }, 32) == 0);
}

/*
 * The last of 43 characters carries 4 bits of data and 2 unused bits:
 * 'A' (000000) is canonical, 'B' (000001) is the same bytes spelled
 * differently and must be refused, for the id and for the tag.
 */
UNIT_TEST(token_non_canonical_tail)
{
	struct keyring r = test_ring(1);
	unsigned char id[32], tag[32];
	char tok[TOKEN_LEN + 1], t[TOKEN_LEN + 1];
	static const char *b64 =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int v;

	memset(id, 0, sizeof(id));
	id[31] = 0x10;
	token_make(&r, id, tok);
	CHECK_INT(parse_str(tok, id, tag), TOKEN_OK);
	v = (int)(strchr(b64, tok[42]) - b64);
	CHECK_INT(v & 3, 0);
	for (int low = 1; low < 4; low++) {
		mutate(t, tok, 42, b64[v | low]);
		CHECK_INT(parse_str(t, id, tag), TOKEN_BAD_BASE64);
		v = (int)(strchr(b64, tok[86]) - b64);
		mutate(t, tok, 86, b64[v | low]);
		CHECK_INT(parse_str(t, id, tag), TOKEN_BAD_BASE64);
		v = (int)(strchr(b64, tok[42]) - b64);
	}
}

UNIT_TEST(token_strerror)
{
	for (int e = 0; e < TOKEN_ERR__MAX; e++)
		CHECK(token_strerror((enum token_err)e) != NULL);
	CHECK(token_strerror(TOKEN_ERR__MAX) != NULL);
	CHECK_STR(token_strerror(TOKEN_OK), "ok");
}

UNIT_TEST(session_hash_and_handle)
{
	unsigned char id[32], id2[32], h[32], want[32];
	char handle[SESSION_HANDLE_LEN + 1], hex[65];

	session_id_new(id);
	session_id_new(id2);
	CHECK(memcmp(id, id2, 32) != 0);
	session_id_hash(id, h);
	crypto_hash_sha256(want, id, sizeof(id));
	CHECK(memcmp(h, want, 32) == 0);
	session_handle(h, handle);
	sodium_bin2hex(hex, sizeof(hex), want, sizeof(want));
	CHECK_INT(strlen(handle), SESSION_HANDLE_LEN);
	CHECK(strncmp(handle, hex, SESSION_HANDLE_LEN) == 0);
	CHECK(strspn(handle, "0123456789abcdef") == SESSION_HANDLE_LEN);

	/* Known answer: sha256 of 32 zero bytes. */
	memset(id, 0, sizeof(id));
	session_id_hash(id, h);
	session_handle(h, handle);
	CHECK_STR(handle, "66687aadf862");
}
