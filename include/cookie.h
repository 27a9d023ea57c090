/*
 * cookie.h - the session token codec.
 *
 * TOKEN = base64url(id) "." base64url(tag), no padding, where id is 32
 * random bytes and tag = HMAC-SHA-256(key, LABEL || id). The database only
 * ever sees sha256(id); the ops "handle" is its first 12 hex digits.
 */
#ifndef SESSIONGW_COOKIE_H
#define SESSIONGW_COOKIE_H

#include <stddef.h>

#include "keys.h"

#define SESSION_ID_BYTES	32
#define SESSION_TAG_BYTES	32
#define SESSION_HASH_BYTES	32
#define SESSION_HANDLE_LEN	12
/* 43 + 1 + 43 characters of base64url without padding */
#define TOKEN_LEN		87

enum token_err {
	TOKEN_OK = 0,
	TOKEN_EMPTY,		/* zero-length value */
	TOKEN_BAD_LENGTH,	/* not exactly TOKEN_LEN characters */
	TOKEN_NO_DOT,		/* no '.' separator where expected */
	TOKEN_BAD_BASE64,	/* a part is not base64url of the right size */
	TOKEN_BAD_TAG,		/* well-formed, but no key signs it */
	TOKEN_ERR__MAX
};

const char *token_strerror(enum token_err);

/*
 * Split a token into id and tag (no key needed). Pure, for the fuzzer.
 */
enum token_err	token_parse(const char *tok, size_t len,
		    unsigned char id[SESSION_ID_BYTES],
		    unsigned char tag[SESSION_TAG_BYTES]);

/*
 * Verify tag over id against every key in the ring in constant time (every
 * key is tried, whatever matched). Returns the index of the matching key
 * (0 = current signing key) or -1.
 */
int	token_verify(const struct keyring *,
	    const unsigned char id[SESSION_ID_BYTES],
	    const unsigned char tag[SESSION_TAG_BYTES]);

/* Make a token for id signed with key 0. out must hold TOKEN_LEN + 1. */
void	token_make(const struct keyring *,
	    const unsigned char id[SESSION_ID_BYTES], char out[TOKEN_LEN + 1]);

/* Fresh random id from libsodium. */
void	session_id_new(unsigned char id[SESSION_ID_BYTES]);

/* sha256(id): the only form of the id the database stores. */
void	session_id_hash(const unsigned char id[SESSION_ID_BYTES],
	    unsigned char hash[SESSION_HASH_BYTES]);

/* First 12 hex digits of hash. out must hold SESSION_HANDLE_LEN + 1. */
void	session_handle(const unsigned char hash[SESSION_HASH_BYTES],
	    char out[SESSION_HANDLE_LEN + 1]);

#endif
