/*
 * test_store.c - the SQLite store against a real temporary database file.
 *
 * Each test makes its own directory under /tmp (mkdtemp), so tests never
 * share a file, and removes it (with the -wal/-shm files) at the end.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "migrations.h"
#include "store.h"
#include "unit.h"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
};

static void
fx_remove(struct fixture *fx)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[160];

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		(void)snprintf(p, sizeof p, "%s%s", fx->path, suffix[i]);
		(void)unlink(p);
	}
	(void)rmdir(fx->dir);
}

/* Make a fresh, migrated database; 0 on success. */
static int
fx_open(struct fixture *fx)
{
	struct store_opts o = { .create = true };
	char err[256];
	int from, to;

	memset(fx, 0, sizeof *fx);
	(void)snprintf(fx->dir, sizeof fx->dir, "/tmp/sessiongw-store-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	(void)snprintf(fx->path, sizeof fx->path, "%s/t.db", fx->dir);
	if (store_open(&fx->s, fx->path, &o, err, sizeof err) != 0) {
		printf("store_open: %s\n", err);
		return -1;
	}
	if (store_migrate(fx->s, &from, &to) != STORE_OK) {
		printf("store_migrate: %s\n", store_errmsg(fx->s));
		return -1;
	}
	return 0;
}

static void
fx_close(struct fixture *fx)
{
	store_close(fx->s);
	fx->s = NULL;
	fx_remove(fx);
}

static int64_t
add_user(struct store *s, const char *name)
{
	int64_t id = 0;

	CHECK_INT(store_user_add(s, name, "$argon2id$fake", false, 100, &id),
	    STORE_OK);
	return id;
}

/* A session whose hash is all byte b; handle from the first 6 bytes. */
static void
make_session(struct session *ss, unsigned char b, int64_t user_id,
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

static int
cache_put(struct store *s, int64_t scope, const char *key, int64_t now,
    int64_t expires, const struct cache_limits *lim, int64_t *ev, int64_t *cu)
{
	return store_cache_set(s, scope, key, key, strlen(key), "text/plain",
	    now, expires, lim, ev, cu);
}

static int
cache_has(struct store *s, int64_t scope, const char *key, int64_t now)
{
	struct cache_entry e;
	int rc = store_cache_get(s, scope, key, now, &e);

	if (rc == STORE_OK)
		free(e.value);
	return rc == STORE_OK;
}

UNIT_TEST(store_migrate_idempotent)
{
	struct fixture fx;
	struct store_opts o = { .create = false };
	struct store *s2 = NULL;
	sqlite3 *db;
	char err[256];
	int from = -1, to = -1, v = -1;

	CHECK(fx_open(&fx) == 0);
	CHECK_INT(store_migrate(fx.s, &from, &to), STORE_OK);
	CHECK_INT(from, (int)sql_migrations_count);
	CHECK_INT(to, (int)sql_migrations_count);
	CHECK_INT(store_schema_version(fx.s, &v), STORE_OK);
	CHECK_INT(v, (int)sql_migrations_count);
	CHECK_INT(store_ping(fx.s), STORE_OK);
	store_close(fx.s);
	fx.s = NULL;

	/* A database newer than this binary is refused. */
	CHECK_INT(sqlite3_open(fx.path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL,
	    NULL), SQLITE_OK);
	(void)sqlite3_close(db);
	CHECK_INT(store_open(&s2, fx.path, &o, err, sizeof err), 0);
	CHECK_INT(store_migrate(s2, &from, &to), STORE_ERROR);
	CHECK(strstr(store_errmsg(s2), "newer") != NULL);
	CHECK(strstr(store_errmsg(s2), fx.path) != NULL);
	store_close(s2);
	fx_remove(&fx);

	/* Without create, a missing file is an error naming it. */
	s2 = NULL;
	CHECK_INT(store_open(&s2, fx.path, &o, err, sizeof err), -1);
	CHECK(s2 == NULL);
	CHECK(strstr(err, fx.path) != NULL);
}

UNIT_TEST(store_users)
{
	struct fixture fx;
	struct session ss;
	struct user u;
	int64_t a, b, id = 0;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	b = add_user(fx.s, "bob");
	CHECK(a > 0 && b > 0 && a != b);
	CHECK_INT(store_user_add(fx.s, "alice", "$x", true, 1, &id),
	    STORE_EXISTS);
	CHECK_INT(store_user_by_name(fx.s, "alice", &u), STORE_OK);
	CHECK_INT(u.id, a);
	CHECK_STR(u.pwhash, "$argon2id$fake");
	CHECK(!u.admin && !u.locked);
	CHECK_INT(u.pw_changed_at, 100);
	CHECK_INT(store_user_by_name(fx.s, "carol", &u), STORE_NOTFOUND);
	CHECK_INT(store_user_by_id(fx.s, b, &u), STORE_OK);
	CHECK_STR(u.name, "bob");
	CHECK_INT(store_user_by_id(fx.s, 9999, &u), STORE_NOTFOUND);

	CHECK_INT(store_user_set_locked(fx.s, a, true), STORE_OK);
	CHECK_INT(store_user_by_id(fx.s, a, &u), STORE_OK);
	CHECK(u.locked);
	CHECK_INT(store_user_set_locked(fx.s, 9999, true), STORE_NOTFOUND);
	CHECK_INT(store_user_set_password(fx.s, a, "$new", 500), STORE_OK);
	CHECK_INT(store_user_by_id(fx.s, a, &u), STORE_OK);
	CHECK_STR(u.pwhash, "$new");
	CHECK_INT(u.pw_changed_at, 500);

	/* Deleting a user takes their sessions and cache rows, not bob's. */
	make_session(&ss, 1, a, 100, 2000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	make_session(&ss, 2, b, 100, 2000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(cache_put(fx.s, a, "k", 100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(cache_put(fx.s, b, "k", 100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_user_del(fx.s, a), STORE_OK);
	CHECK_INT(store_user_del(fx.s, a), STORE_NOTFOUND);
	memset(ss.hash, 1, sizeof ss.hash);
	CHECK_INT(store_session_get(fx.s, ss.hash, &ss), STORE_NOTFOUND);
	memset(ss.hash, 2, sizeof ss.hash);
	CHECK_INT(store_session_get(fx.s, ss.hash, &ss), STORE_OK);
	CHECK(!cache_has(fx.s, a, "k", 100));
	CHECK(cache_has(fx.s, b, "k", 100));
	fx_close(&fx);
}

static int
count_cb(void *arg, const struct user *u)
{
	(void)u;
	(*(int *)arg)++;
	return 0;
}

struct seen {
	int		n;
	unsigned char	first[4];
};

static int
session_cb(void *arg, const struct session *ss)
{
	struct seen *sn = arg;

	if (sn->n < 4)
		sn->first[sn->n] = ss->hash[0];
	sn->n++;
	return 0;
}

UNIT_TEST(store_sessions)
{
	struct fixture fx;
	struct session ss, got, del;
	struct seen sn = { 0 };
	int64_t a, b, n = -1;
	int users = 0;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	b = add_user(fx.s, "bob");
	CHECK_INT(store_user_list(fx.s, count_cb, &users), STORE_OK);
	CHECK_INT(users, 2);

	make_session(&ss, 1, a, 100, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_EXISTS);
	make_session(&ss, 9, 4242, 100, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_NOTFOUND);
	make_session(&ss, 2, a, 200, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	make_session(&ss, 3, b, 300, 150);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);

	memset(ss.hash, 1, sizeof ss.hash);
	CHECK_INT(store_session_get(fx.s, ss.hash, &got), STORE_OK);
	CHECK_STR(got.handle, "010101010101");
	CHECK_INT(got.user_id, a);
	CHECK_INT(got.expires_at, 1000);
	CHECK_STR(got.ip, "192.0.2.1");
	CHECK_INT(got.request_count, 0);

	got.last_seen = 400;
	got.expires_at = 1600;
	(void)snprintf(got.ip, sizeof got.ip, "198.51.100.7");
	CHECK_INT(store_session_touch(fx.s, &got), STORE_OK);
	CHECK_INT(store_session_get(fx.s, ss.hash, &got), STORE_OK);
	CHECK_INT(got.last_seen, 400);
	CHECK_INT(got.expires_at, 1600);
	CHECK_STR(got.ip, "198.51.100.7");
	CHECK_INT(got.request_count, 1);

	/* Active = expires_at > now: session 3 expired at 150. */
	CHECK_INT(store_session_count(fx.s, 200, 0, &n), STORE_OK);
	CHECK_INT(n, 2);

	/* Newest first, optionally one user's only. */
	CHECK_INT(store_session_list(fx.s, 0, session_cb, &sn), STORE_OK);
	CHECK_INT(sn.n, 3);
	CHECK(sn.first[0] == 3 && sn.first[1] == 2 && sn.first[2] == 1);
	memset(&sn, 0, sizeof sn);
	CHECK_INT(store_session_list(fx.s, a, session_cb, &sn), STORE_OK);
	CHECK_INT(sn.n, 2);

	/* A handle of another user's session is NOTFOUND and survives. */
	CHECK_INT(store_session_delete_handle(fx.s, "030303030303", a, &del),
	    STORE_NOTFOUND);
	CHECK_INT(store_session_delete_handle(fx.s, "0303", 0, &del),
	    STORE_NOTFOUND);
	CHECK_INT(store_session_delete_handle(fx.s, "020202020202", a, &del),
	    STORE_OK);
	CHECK_INT(del.hash[0], 2);
	CHECK_INT(del.user_id, a);
	CHECK_INT(store_session_delete_handle(fx.s, "020202020202", a, NULL),
	    STORE_NOTFOUND);
	CHECK_INT(store_session_delete_handle(fx.s, "030303030303", 0, NULL),
	    STORE_OK);

	make_session(&ss, 4, a, 500, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_session_delete(fx.s, ss.hash), STORE_OK);
	CHECK_INT(store_session_delete(fx.s, ss.hash), STORE_NOTFOUND);
	make_session(&ss, 5, a, 500, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	make_session(&ss, 6, b, 500, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_session_delete_user(fx.s, a, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_session_delete_all(fx.s, &n), STORE_OK);
	CHECK_INT(n, 1);
	fx_close(&fx);
}

UNIT_TEST(store_failures)
{
	struct fixture fx;
	struct login_failures f;
	int64_t n = -1;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(store_failure_get(fx.s, 'u', "alice", &f), STORE_NOTFOUND);
	CHECK_INT(store_failure_add(fx.s, 'u', "alice", 1000, 300), STORE_OK);
	CHECK_INT(store_failure_add(fx.s, 'u', "alice", 1100, 300), STORE_OK);
	CHECK_INT(store_failure_add(fx.s, 'u', "alice", 1300, 300), STORE_OK);
	CHECK_INT(store_failure_add(fx.s, 'i', "alice", 1300, 300), STORE_OK);
	CHECK_INT(store_failure_get(fx.s, 'u', "alice", &f), STORE_OK);
	CHECK_INT(f.count, 3);
	CHECK_INT(f.first_at, 1000);
	CHECK_INT(f.last_at, 1300);
	/* first_at 1000 < 1301 - 300: the window has passed, restart at 1. */
	CHECK_INT(store_failure_add(fx.s, 'u', "alice", 1301, 300), STORE_OK);
	CHECK_INT(store_failure_get(fx.s, 'u', "alice", &f), STORE_OK);
	CHECK_INT(f.count, 1);
	CHECK_INT(f.first_at, 1301);
	CHECK_INT(f.last_at, 1301);
	CHECK_INT(store_failure_get(fx.s, 'i', "alice", &f), STORE_OK);
	CHECK_INT(f.count, 1);

	CHECK_INT(store_failure_clear(fx.s, 'u', "alice"), STORE_OK);
	CHECK_INT(store_failure_get(fx.s, 'u', "alice", &f), STORE_NOTFOUND);
	CHECK_INT(store_cleanup_failures(fx.s, 2000, 600, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_failure_get(fx.s, 'i', "alice", &f), STORE_NOTFOUND);
	fx_close(&fx);
}

UNIT_TEST(store_cache_roundtrip)
{
	static const unsigned char bin[] = { 'a', 0, 'b', 0xff, 0 };
	struct fixture fx;
	struct cache_entry e;
	int64_t n = -1;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(store_cache_set(fx.s, 7, "bin", bin, sizeof bin,
	    "application/octet-stream", 100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_cache_get(fx.s, 7, "bin", 100, &e), STORE_OK);
	CHECK_INT(e.len, sizeof bin);
	CHECK(e.value != NULL && memcmp(e.value, bin, sizeof bin) == 0);
	CHECK_STR(e.content_type, "application/octet-stream");
	CHECK_INT(e.expires_at, 0);
	free(e.value);
	/* The same key in another scope is another row. */
	CHECK_INT(store_cache_get(fx.s, 8, "bin", 100, &e), STORE_NOTFOUND);
	CHECK_INT(store_cache_get(fx.s, CACHE_SCOPE_GLOBAL, "bin", 100, &e),
	    STORE_NOTFOUND);

	/* Zero-length value: non-NULL pointer, len 0. */
	CHECK_INT(store_cache_set(fx.s, 7, "empty", NULL, 0, "text/plain",
	    100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_cache_get(fx.s, 7, "empty", 100, &e), STORE_OK);
	CHECK(e.value != NULL);
	CHECK_INT(e.len, 0);
	free(e.value);

	/* Expired at expires_at itself, never returned. */
	CHECK_INT(store_cache_set(fx.s, 7, "ttl", "v", 1, "text/plain", 100,
	    160, NULL, NULL, NULL), STORE_OK);
	CHECK(cache_has(fx.s, 7, "ttl", 159));
	CHECK(!cache_has(fx.s, 7, "ttl", 160));
	CHECK(!cache_has(fx.s, 7, "ttl", 1000));

	/* Replace keeps one row with the new value and type. */
	CHECK_INT(store_cache_set(fx.s, 7, "bin", "new", 3, "text/x-new", 200,
	    0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_cache_get(fx.s, 7, "bin", 200, &e), STORE_OK);
	CHECK_INT(e.len, 3);
	CHECK(memcmp(e.value, "new", 3) == 0);
	CHECK_STR(e.content_type, "text/x-new");
	free(e.value);
	CHECK_INT(store_cache_count(fx.s, &n), STORE_OK);
	CHECK_INT(n, 3);

	CHECK_INT(store_cache_delete(fx.s, 7, "bin", 100), STORE_OK);
	CHECK_INT(store_cache_delete(fx.s, 7, "bin", 100), STORE_NOTFOUND);
	CHECK_INT(store_cache_get(fx.s, 7, "bin", 200, &e), STORE_NOTFOUND);
	fx_close(&fx);
}

UNIT_TEST(store_cache_user_quota)
{
	struct fixture fx;
	struct cache_limits lim = { .max_entries = 1000, .cull_frequency = 3,
	    .max_entries_per_user = 3 };
	int64_t ev = -1, cu = -1;
	char key[16];

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	/* Interleave users so "oldest overall" and "A's oldest" differ. */
	for (int i = 0; i < 3; i++) {
		(void)snprintf(key, sizeof key, "b%d", i);
		CHECK_INT(cache_put(fx.s, 2, key, 100, 0, &lim, &ev, &cu),
		    STORE_OK);
		(void)snprintf(key, sizeof key, "a%d", i);
		CHECK_INT(cache_put(fx.s, 1, key, 100, 0, &lim, &ev, &cu),
		    STORE_OK);
		CHECK_INT(ev, 0);
	}
	CHECK_INT(cache_put(fx.s, 1, "a3", 100, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(ev, 1);
	CHECK_INT(cu, 0);
	CHECK(!cache_has(fx.s, 1, "a0", 100));
	CHECK(cache_has(fx.s, 1, "a1", 100));
	CHECK(cache_has(fx.s, 1, "a3", 100));
	for (int i = 0; i < 3; i++) {
		(void)snprintf(key, sizeof key, "b%d", i);
		CHECK(cache_has(fx.s, 2, key, 100));
	}
	/* Replacing an existing key evicts nothing. */
	CHECK_INT(cache_put(fx.s, 1, "a1", 100, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(ev, 0);
	/* ... and a1 is now A's newest, so a2 goes next. */
	CHECK_INT(cache_put(fx.s, 1, "a4", 100, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(ev, 1);
	CHECK(!cache_has(fx.s, 1, "a2", 100));
	CHECK(cache_has(fx.s, 1, "a1", 100));
	/* The global scope has no per-user quota. */
	for (int i = 0; i < 5; i++) {
		(void)snprintf(key, sizeof key, "g%d", i);
		CHECK_INT(cache_put(fx.s, 0, key, 100, 0, &lim, &ev, &cu),
		    STORE_OK);
		CHECK_INT(ev, 0);
	}
	fx_close(&fx);
}

UNIT_TEST(store_cache_cull)
{
	struct fixture fx;
	struct cache_limits lim = { .max_entries = 6, .cull_frequency = 3,
	    .max_entries_per_user = 0 };
	int64_t ev = -1, cu = -1, n = -1;
	char key[16];

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	/* k0..k5; k1 and k3 expire at 150. */
	for (int i = 0; i < 6; i++) {
		(void)snprintf(key, sizeof key, "k%d", i);
		CHECK_INT(cache_put(fx.s, 1 + i % 2, key, 100,
		    i == 1 || i == 3 ? 150 : 0, &lim, &ev, &cu), STORE_OK);
		CHECK_INT(cu, 0);
	}
	/* Full: the two expired rows go, nothing else. */
	CHECK_INT(cache_put(fx.s, 1, "k6", 200, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(cu, 2);
	CHECK_INT(store_cache_count(fx.s, &n), STORE_OK);
	CHECK_INT(n, 5);
	CHECK(cache_has(fx.s, 1, "k0", 200));
	CHECK_INT(cache_put(fx.s, 2, "k7", 200, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(cu, 0);
	/* Full, nothing expired: the oldest 6/3 = 2 rows, any scope. */
	CHECK_INT(cache_put(fx.s, 1, "k8", 200, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(cu, 2);
	CHECK_INT(store_cache_count(fx.s, &n), STORE_OK);
	CHECK_INT(n, 5);
	CHECK(!cache_has(fx.s, 1, "k0", 200));
	CHECK(!cache_has(fx.s, 1, "k2", 200));
	CHECK(cache_has(fx.s, 2, "k5", 200));
	CHECK(cache_has(fx.s, 1, "k8", 200));
	fx_close(&fx);
}

UNIT_TEST(store_cleanup_batches)
{
	struct fixture fx;
	struct session ss;
	int64_t a, n = -1;
	char key[16];

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	/* 1..4 idle-expired at 500; 5 too old (absolute 1000); 6 live. */
	for (unsigned char i = 1; i <= 4; i++) {
		make_session(&ss, i, a, 100, 500);
		CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	}
	make_session(&ss, 5, a, 10, 5000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	make_session(&ss, 6, a, 900, 5000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_cleanup_sessions(fx.s, 1010, 1000, 2, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_cleanup_sessions(fx.s, 1010, 1000, 2, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_cleanup_sessions(fx.s, 1010, 1000, 2, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_cleanup_sessions(fx.s, 1010, 1000, 2, &n), STORE_OK);
	CHECK_INT(n, 0);
	memset(ss.hash, 6, sizeof ss.hash);
	CHECK_INT(store_session_get(fx.s, ss.hash, &ss), STORE_OK);

	for (int i = 0; i < 5; i++) {
		(void)snprintf(key, sizeof key, "c%d", i);
		CHECK_INT(cache_put(fx.s, a, key, 100, i < 3 ? 200 : 0, NULL,
		    NULL, NULL), STORE_OK);
	}
	CHECK_INT(store_cleanup_cache(fx.s, 300, 2, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_cleanup_cache(fx.s, 300, 2, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_cleanup_cache(fx.s, 300, 2, &n), STORE_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_cache_count(fx.s, &n), STORE_OK);
	CHECK_INT(n, 2);
	fx_close(&fx);
}

UNIT_TEST(store_counters_size)
{
	struct fixture fx;
	int64_t v = -1;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(store_counter_get(fx.s, "cache_hits", &v), STORE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(store_counter_add(fx.s, "cache_hits", 3), STORE_OK);
	CHECK_INT(store_counter_add(fx.s, "cache_hits", 4), STORE_OK);
	CHECK_INT(store_counter_get(fx.s, "cache_hits", &v), STORE_OK);
	CHECK_INT(v, 7);
	CHECK_INT(store_db_size(fx.s, &v), STORE_OK);
	CHECK(v > 0 && v % 512 == 0);
	fx_close(&fx);
}

UNIT_TEST(store_fault_hook)
{
	struct fixture fx;
	struct store_opts o = { .create = false };
	struct store *s = NULL;
	struct user u;
	char err[256];
	int64_t a, ev, cu;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	store_close(fx.s);
	fx.s = NULL;

	/* Step 1 and 2 succeed, step 3 is the injected fault, 4 works. */
	CHECK_INT(setenv("SESSIONGW_FAULT_STEP", "3", 1), 0);
	CHECK_INT(store_open(&s, fx.path, &o, err, sizeof err), 0);
	CHECK_INT(unsetenv("SESSIONGW_FAULT_STEP"), 0);
	if (s == NULL)
		goto out;
	CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
	CHECK_INT(store_ping(s), STORE_OK);
	CHECK_INT(store_user_by_id(s, a, &u), STORE_ERROR);
	CHECK(strstr(store_errmsg(s), "injected") != NULL);
	CHECK(strstr(store_errmsg(s), fx.path) != NULL);
	CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
	store_close(s);

	/* A fault inside a transaction rolls it back: nothing half-done. */
	CHECK_INT(setenv("SESSIONGW_FAULT_STEP", "4", 1), 0);
	CHECK_INT(store_open(&s, fx.path, &o, err, sizeof err), 0);
	CHECK_INT(unsetenv("SESSIONGW_FAULT_STEP"), 0);
	if (s == NULL)
		goto out;
	/* begin, exists, put (fault) */
	CHECK_INT(store_ping(s), STORE_OK);
	CHECK_INT(store_cache_set(s, a, "k", "v", 1, "text/plain", 100, 0,
	    NULL, &ev, &cu), STORE_ERROR);
	CHECK(!cache_has(s, a, "k", 100));
	CHECK_INT(store_cache_set(s, a, "k", "v", 1, "text/plain", 100, 0,
	    NULL, &ev, &cu), STORE_OK);
	CHECK(cache_has(s, a, "k", 100));

	/* Bad values are refused at open. */
	store_close(s);
	s = NULL;
	CHECK_INT(setenv("SESSIONGW_FAULT_STEP", "x", 1), 0);
	CHECK_INT(store_open(&s, fx.path, &o, err, sizeof err), -1);
	CHECK_INT(unsetenv("SESSIONGW_FAULT_STEP"), 0);
out:
	store_close(s);
	fx_remove(&fx);
}

UNIT_TEST(store_readonly_fault)
{
	struct fixture fx;
	struct store_opts o = { .readonly = true };
	struct store *s = NULL;
	struct user u;
	char err[256];
	int64_t a, n;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	CHECK_INT(store_open(&s, fx.path, &o, err, sizeof err), 0);
	if (s != NULL) {
		CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
		CHECK_INT(store_user_set_locked(s, a, true), STORE_ERROR);
		CHECK(strstr(store_errmsg(s), "readonly") != NULL);
		CHECK_INT(store_cache_set(s, a, "k", "v", 1, "text/plain", 100,
		    0, NULL, NULL, NULL), STORE_ERROR);
		CHECK_INT(store_session_delete_all(s, &n), STORE_ERROR);
		/* The connection is still usable after the faults. */
		CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
		CHECK(!u.locked);
	}
	store_close(s);
	fx_close(&fx);
}

UNIT_TEST(store_failure_undo_and_expired_delete)
{
	struct fixture fx;
	struct login_failures f;
	struct cache_limits lim = { 100, 3, 10 };
	int64_t ev = 0, cu = 0, id = 0;

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	CHECK_INT(store_failure_add(fx.s, 'i', "10.0.0.1", 100, 300), STORE_OK);
	CHECK_INT(store_failure_add(fx.s, 'i', "10.0.0.1", 101, 300), STORE_OK);
	CHECK_INT(store_failure_undo(fx.s, 'i', "10.0.0.1"), STORE_OK);
	CHECK_INT(store_failure_get(fx.s, 'i', "10.0.0.1", &f), STORE_OK);
	CHECK_INT(f.count, 1);
	CHECK_INT(store_failure_undo(fx.s, 'i', "10.0.0.1"), STORE_OK);
	CHECK_INT(store_failure_undo(fx.s, 'i', "10.0.0.1"), STORE_OK);
	CHECK_INT(store_failure_get(fx.s, 'i', "10.0.0.1", &f), STORE_OK);
	CHECK_INT(f.count, 0);		/* never below zero */

	/* an expired row is missing for DELETE too (cleanup removes it) */
	CHECK_INT(store_user_add(fx.s, "u", "$argon2id$x", false, 1, &id),
	    STORE_OK);
	CHECK_INT(store_cache_set(fx.s, id, "k", "v", 1, "text/plain", 100,
	    150, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(store_cache_delete(fx.s, id, "k", 150), STORE_NOTFOUND);
	CHECK_INT(store_cache_delete(fx.s, id, "k", 149), STORE_OK);

	/* ids are never reused (AUTOINCREMENT): no orphan rows for a new user */
	{
		int64_t id2 = 0, id3 = 0;

		CHECK_INT(store_user_add(fx.s, "w", "$argon2id$x", false, 1, &id2),
		    STORE_OK);
		CHECK_INT(store_user_del(fx.s, id2), STORE_OK);
		CHECK_INT(store_user_add(fx.s, "x", "$argon2id$x", false, 1, &id3),
		    STORE_OK);
		CHECK(id3 > id2);
	}
	fx_close(&fx);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Another connection holds the write lock: reads still work, a write
 * fails after the wait set with store_set_wait (not the open's 5 s) and
 * says busy; once the lock goes the same connection writes again.
 */
UNIT_TEST(store_busy_fault_bounded_wait)
{
	struct fixture fx;
	struct store_opts o = { .create = false };
	struct store *other = NULL;
	struct session ss;
	struct user u;
	char err[256];
	int64_t a, ev, cu;
	double t0, dt;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	make_session(&ss, 7, a, 100, 5000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_open(&other, fx.path, &o, err, sizeof err), 0);
	if (other == NULL)
		goto out;
	/* another store connection proves its own write path first */
	CHECK_INT(store_probe_write(other), STORE_OK);
	{
		sqlite3 *db;

		CHECK_INT(sqlite3_open(fx.path, &db), SQLITE_OK);
		CHECK_INT(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		    SQLITE_OK);
		store_set_wait(fx.s, 100);
		CHECK_INT(store_user_by_id(fx.s, a, &u), STORE_OK);
		t0 = mono();
		CHECK_INT(store_session_touch(fx.s, &ss), STORE_ERROR);
		dt = mono() - t0;
		CHECK_INT(store_fault(fx.s), STORE_FAULT_BUSY);
		CHECK(dt >= 0.05 && dt < 1.0);
		CHECK_STR(store_fault_names[store_fault(fx.s)], "busy");
		store_set_wait(fx.s, 0);
		CHECK_INT(store_cache_set(fx.s, a, "k", "v", 1, "text/plain",
		    100, 0, NULL, &ev, &cu), STORE_ERROR);
		CHECK_INT(store_fault(fx.s), STORE_FAULT_BUSY);
		CHECK_INT(store_probe_write(fx.s), STORE_ERROR);
		CHECK_INT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
	}
	CHECK_INT(store_session_touch(fx.s, &ss), STORE_OK);
	CHECK_INT(store_probe_write(fx.s), STORE_OK);
	/* a fault of another kind is not reported as busy */
	CHECK_INT(store_user_add(fx.s, "", "$argon2id$x", false, 1, NULL),
	    STORE_ERROR);
	CHECK_INT(store_fault(fx.s), STORE_FAULT_OTHER);
out:
	store_close(other);
	fx_close(&fx);
}

/* cleanup_sweep: every batch its own statement, until a short one. */
UNIT_TEST(cleanup_sweep_batches)
{
	struct fixture fx;
	struct session ss;
	struct cleanup_opts o = { .now = 1010, .absolute_age = 1000,
	    .batch = 2 };
	int64_t a, n = -1;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	for (unsigned char i = 1; i <= 7; i++) {
		make_session(&ss, i, a, 100, i == 7 ? 5000 : 500);
		if (i == 7)
			ss.created_at = 900;
		CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	}
	o.max_batches = 2;
	CHECK_INT(cleanup_sweep(fx.s, CLEANUP_SESSIONS, &o, &n), STORE_OK);
	CHECK_INT(n, 4);
	o.max_batches = 0;
	CHECK_INT(cleanup_sweep(fx.s, CLEANUP_SESSIONS, &o, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(cleanup_sweep(fx.s, CLEANUP_SESSIONS, &o, &n), STORE_OK);
	CHECK_INT(n, 0);
	memset(ss.hash, 7, sizeof ss.hash);
	CHECK_INT(store_session_get(fx.s, ss.hash, &ss), STORE_OK);
	fx_close(&fx);
}

UNIT_TEST(store_user_import_and_rehash)
{
	struct fixture fx;
	struct user in[3], u;
	bool ins[3] = { true, true, true };

	CHECK_INT(fx_open(&fx), 0);
	add_user(fx.s, "taken");
	memset(in, 0, sizeof in);
	snprintf(in[0].name, sizeof in[0].name, "new1");
	snprintf(in[0].pwhash, sizeof in[0].pwhash, "pbkdf2_sha256$1$s$AAAA");
	in[0].admin = true;
	in[0].created_at = 5;
	in[0].pw_changed_at = 7;
	snprintf(in[1].name, sizeof in[1].name, "taken");
	snprintf(in[1].pwhash, sizeof in[1].pwhash, "md5$x$y");
	in[1].admin = true;
	snprintf(in[2].name, sizeof in[2].name, "new2");
	snprintf(in[2].pwhash, sizeof in[2].pwhash, "md5$x$y");
	in[2].locked = in[2].must_reset = true;
	CHECK_INT(store_user_import(fx.s, in, 3, ins), STORE_OK);
	CHECK(ins[0] && !ins[1] && ins[2]);
	/* the existing row is untouched */
	CHECK_INT(store_user_by_name(fx.s, "taken", &u), STORE_OK);
	CHECK_STR(u.pwhash, "$argon2id$fake");
	CHECK(!u.admin && !u.must_reset);
	CHECK_INT(store_user_by_name(fx.s, "new1", &u), STORE_OK);
	CHECK(u.admin && !u.locked && !u.must_reset);
	CHECK_INT(u.created_at, 5);
	CHECK_INT(u.pw_changed_at, 7);
	CHECK_INT(store_user_by_name(fx.s, "new2", &u), STORE_OK);
	CHECK(u.locked && u.must_reset);
	/* rehash: only from the hash that was verified; pw_changed_at kept */
	CHECK_INT(store_user_by_name(fx.s, "new1", &u), STORE_OK);
	CHECK_INT(store_user_rehash(fx.s, u.id, "other", "$argon2id$new"),
	    STORE_NOTFOUND);
	CHECK_INT(store_user_rehash(fx.s, u.id, "pbkdf2_sha256$1$s$AAAA",
	    "$argon2id$new"), STORE_OK);
	CHECK_INT(store_user_by_id(fx.s, u.id, &u), STORE_OK);
	CHECK_STR(u.pwhash, "$argon2id$new");
	CHECK_INT(u.pw_changed_at, 7);
	/* a new password clears must_reset */
	CHECK_INT(store_user_by_name(fx.s, "new2", &u), STORE_OK);
	CHECK_INT(store_user_set_password(fx.s, u.id, "$argon2id$pw", 9),
	    STORE_OK);
	CHECK_INT(store_user_by_id(fx.s, u.id, &u), STORE_OK);
	CHECK(!u.must_reset);
	/* one bad row (an empty name) anywhere: nothing inserted */
	memset(in, 0, sizeof in);
	snprintf(in[0].name, sizeof in[0].name, "ok3");
	snprintf(in[0].pwhash, sizeof in[0].pwhash, "x");
	CHECK_INT(store_user_import(fx.s, in, 2, ins), STORE_ERROR);
	CHECK_INT(store_user_by_name(fx.s, "ok3", &u), STORE_NOTFOUND);
	fx_close(&fx);
}

/* validate's one query: the session and its user, or which one is missing. */
UNIT_TEST(store_session_get_with_user)
{
	struct fixture fx;
	struct session ss, got;
	struct user u;
	sqlite3 *raw = NULL;
	bool found = false;
	int64_t a;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = add_user(fx.s, "alice");
	make_session(&ss, 1, a, 100, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_user_set_locked(fx.s, a, true), STORE_OK);

	CHECK_INT(store_session_get_with_user(fx.s, ss.hash, &got, &u, &found),
	    STORE_OK);
	CHECK(found);
	CHECK_STR(got.handle, "010101010101");
	CHECK_INT(got.user_id, a);
	CHECK_INT(got.expires_at, 1000);
	CHECK_STR(got.ip, "192.0.2.1");
	CHECK_INT(u.id, a);
	CHECK_STR(u.name, "alice");
	CHECK(u.locked && !u.admin);
	CHECK_INT(u.pw_changed_at, 100);
	CHECK_STR(u.pwhash, "");	/* never read on this path */

	memset(ss.hash, 7, sizeof ss.hash);
	CHECK_INT(store_session_get_with_user(fx.s, ss.hash, &got, &u, &found),
	    STORE_NOTFOUND);

	/* a row whose user is gone (foreign keys off in another connection) */
	CHECK_INT(sqlite3_open(fx.path, &raw), SQLITE_OK);
	CHECK_INT(sqlite3_exec(raw, "PRAGMA foreign_keys = OFF; "
	    "DELETE FROM users", NULL, NULL, NULL), SQLITE_OK);
	(void)sqlite3_close(raw);
	memset(ss.hash, 1, sizeof ss.hash);
	CHECK_INT(store_session_get_with_user(fx.s, ss.hash, &got, &u, &found),
	    STORE_OK);
	CHECK(!found);
	CHECK_INT(got.user_id, a);
	CHECK_INT(u.id, 0);
	fx_close(&fx);
}
