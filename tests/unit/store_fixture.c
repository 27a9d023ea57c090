/*
 * store_fixture.c - see store_fixture.h. Linked into the unit binary with
 * every other unit test file; it registers no tests itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"
#include "unit.h"

int64_t
sfx_add_user(struct store *s, const char *name)
{
	int64_t id = 0;

	CHECK_INT(store_user_add(s, name, "$argon2id$fake", false, 100, &id),
	    STORE_OK);
	return id;
}

/* A session whose hash is all byte b; handle from the first 6 bytes. */
void
sfx_make_session(struct session *ss, unsigned char b, int64_t user_id,
    int64_t created, int64_t expires)
{
	memset(ss, 0, sizeof *ss);
	memset(ss->hash, b, sizeof ss->hash);
	for (int i = 0; i < SESSION_HANDLE_LEN / 2; i++)
		(void)snprintf(ss->handle + 2 * i, 3, "%02x", b);
	ss->user_id = user_id;
	ss->created_at = created;
	ss->last_seen = created;
	ss->expires_at = expires;
	ss->pw_changed_at = 100;
	(void)snprintf(ss->ip, sizeof ss->ip, "192.0.2.%u", b);
	(void)snprintf(ss->user_agent, sizeof ss->user_agent, "ua-%u", b);
}

int
sfx_cache_put(struct store *s, int64_t scope, const char *key, int64_t now,
    int64_t expires, const struct cache_limits *lim, int64_t *ev, int64_t *cu)
{
	return store_cache_set(s, scope, key, key, strlen(key), "text/plain",
	    now, expires, lim, ev, cu);
}

int
sfx_cache_has(struct store *s, int64_t scope, const char *key, int64_t now)
{
	struct cache_entry e;
	int rc = store_cache_get(s, scope, key, now, &e);

	if (rc == STORE_OK)
		free(e.value);
	return rc == STORE_OK;
}

void
sfx_remove_db(const char *dir, const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		(void)snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}
