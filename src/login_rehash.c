/*
 * login_rehash.c - upgrade an imported (Django) password hash to our
 * argon2id at the first successful sign-in, the only moment the clear
 * password is at hand. Users moved from Django thus end up with the same
 * hashes as users created here, without anybody choosing a new password.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include <cJSON.h>

#include "audit.h"
#include "login_rehash.h"
#include "password.h"
#include "password_import.h"
#include "server.h"
#include "session.h"
#include "store.h"

void
login_rehash_imported(struct request *r, const char *pw)
{
	struct audit_rec a = { .event = AUDIT_PASSWORD_REHASHED };
	struct user u;
	char	 hash[PWHASH_MAX];

	/* The login path wiped its copy of the hash: read it again. */
	if (store_user_by_id(r->w->store, r->user.id, &u) != STORE_OK ||
	    !password_needs_upgrade(u.pwhash))
		goto out;
	if (password_hash(pw, hash, sizeof hash) != 0 ||
	    store_user_rehash(r->w->store, u.id, u.pwhash, hash) != STORE_OK)
		goto out;
	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		/* The scheme only (e.g. "pbkdf2_sha256"), never the hash. */
		char scheme[32];
		size_t n = strcspn(u.pwhash, "$");

		snprintf(scheme, sizeof scheme, "%.*s", (int)(n < 31 ? n : 31),
		    u.pwhash);
		cJSON_AddStringToObject(a.detail, "from", scheme);
		cJSON_AddStringToObject(a.detail, "to", "argon2id");
	}
	audit_write(&a);
out:
	sodium_memzero(hash, sizeof hash);
	sodium_memzero(&u, sizeof u);
}
