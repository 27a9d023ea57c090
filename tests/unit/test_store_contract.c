/*
 * test_store_contract.c - the store.h contract, run against every backend:
 * SQLite on a temporary file, Redis on a redis-server this binary starts
 * on a temporary unix socket (stopped by pid at exit).
 *
 * CONTRACT_TEST(x) registers x_sqlite and x_redis. Each Redis test uses
 * its own redis_prefix, so tests never see each other's keys. Without
 * redis-server the Redis half is skipped with a message, except when $CI
 * is set: then it fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "store_fixture.h"
#include "unit.h"

extern char **environ;

static enum store_backend contract_backend;

/* ---- one redis-server for the whole run ---- */

static pid_t redis_pid;
static char redis_dir[64];
static char redis_sock[128];
static int redis_state;		/* 0 not tried, 1 up, -1 unavailable */

static void
redis_stop(void)
{
	char p[160];

	if (redis_pid > 0) {
		(void)kill(redis_pid, SIGTERM);
		(void)waitpid(redis_pid, NULL, 0);
		redis_pid = 0;
	}
	(void)unlink(redis_sock);
	(void)snprintf(p, sizeof p, "%s/redis.log", redis_dir);
	(void)unlink(p);
	(void)rmdir(redis_dir);
}

static int
redis_start(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	char sockarg[160], logarg[160];
	char *argv[] = { "redis-server", "--port", "0", "--unixsocket",
	    sockarg, "--save", "", "--appendonly", "no", "--dir", redis_dir,
	    "--logfile", logarg, NULL };
	posix_spawn_file_actions_t fa;
	struct stat sb;
	int rc;

	if (redis_state != 0)
		return redis_state == 1 ? 0 : -1;
	redis_state = -1;
	(void)snprintf(redis_dir, sizeof redis_dir,
	    "/tmp/sessiongw-redis-XXXXXX");
	if (mkdtemp(redis_dir) == NULL)
		return -1;
	(void)snprintf(redis_sock, sizeof redis_sock, "%s/r.sock", redis_dir);
	(void)snprintf(sockarg, sizeof sockarg, "%s", redis_sock);
	(void)snprintf(logarg, sizeof logarg, "%s/redis.log", redis_dir);
	/*
	 * Its stdio on /dev/null (it logs to --logfile): a unit binary that
	 * crashes before atexit leaves the server behind, and it must not
	 * keep run-all.sh's `| tee` pipe open, or the suite hangs.
	 */
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++)
		(void)posix_spawn_file_actions_addopen(&fa, fd, "/dev/null",
		    fd == 0 ? O_RDONLY : O_WRONLY, 0);
	rc = posix_spawnp(&redis_pid, "redis-server", &fa, NULL, argv,
	    environ);
	(void)posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		redis_pid = 0;
		(void)rmdir(redis_dir);
		return -1;
	}
	(void)atexit(redis_stop);
	for (int i = 0; i < 250; i++) {
		if (stat(redis_sock, &sb) == 0) {
			redis_state = 1;
			return 0;
		}
		if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
			redis_pid = 0;	/* not installed (exec failed) */
			return -1;
		}
		(void)nanosleep(&ts, NULL);
	}
	return -1;
}

/* ---- fixture ---- */

struct cfx {
	char		 dir[64];
	char		 path[128];
	struct store_conf conf;
	struct store	*s;
};

static int
cfx_open(struct cfx *fx, enum store_backend b)
{
	static int seq;
	struct store_opts o = { .create = true };
	char err[256];
	int from, to;

	memset(fx, 0, sizeof *fx);
	if (b == STORE_BACKEND_REDIS) {
		fx->conf.backend = STORE_BACKEND_REDIS;
		(void)snprintf(fx->conf.redis, sizeof fx->conf.redis,
		    "unix:%s", redis_sock);
		(void)snprintf(fx->conf.redis_prefix,
		    sizeof fx->conf.redis_prefix, "ct%ld:%d:", (long)getpid(),
		    ++seq);
		fx->conf.redis_timeout_ms = 2000;
		o.conf = &fx->conf;
	} else {
		(void)snprintf(fx->dir, sizeof fx->dir,
		    "/tmp/sessiongw-contract-XXXXXX");
		if (mkdtemp(fx->dir) == NULL)
			return -1;
		(void)snprintf(fx->path, sizeof fx->path, "%s/t.db", fx->dir);
	}
	if (store_open(&fx->s, fx->path, &o, err, sizeof err) != 0) {
		printf("store_open: %s\n", err);
		return -1;
	}
	if (store_prepare(fx->s, &from, &to) != STORE_OK) {
		printf("store_prepare: %s\n", store_errmsg(fx->s));
		return -1;
	}
	return 0;
}

static void
cfx_close(struct cfx *fx)
{
	store_close(fx->s);
	fx->s = NULL;
	if (fx->dir[0] != '\0')
		sfx_remove_db(fx->dir, fx->path);
}

static void
run_contract(enum store_backend b, void (*fn)(struct store *))
{
	struct cfx fx;
	const char *ci = getenv("CI");

	if (b == STORE_BACKEND_REDIS && redis_start() != 0) {
		if (ci != NULL && ci[0] != '\0') {
			CHECK(!"redis-server could not be started (CI)");
			return;
		}
		printf("SKIP redis contract: no redis-server\n");
		return;
	}
	contract_backend = b;
	if (cfx_open(&fx, b) != 0) {
		CHECK(!"fixture");
		cfx_close(&fx);
		return;
	}
	fn(fx.s);
	cfx_close(&fx);
}

#define CONTRACT_TEST(name)						\
	static void contract_##name(struct store *);			\
	UNIT_TEST(contract_##name##_sqlite)				\
	{ run_contract(STORE_BACKEND_SQLITE, contract_##name); }	\
	UNIT_TEST(contract_##name##_redis)				\
	{ run_contract(STORE_BACKEND_REDIS, contract_##name); }	\
	static void contract_##name(struct store *s)

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

CONTRACT_TEST(users)
{
	struct session ss;
	struct user u;
	int64_t a, b, id = 0;

	a = sfx_add_user(s, "alice");
	b = sfx_add_user(s, "bob");
	CHECK(a > 0 && b > 0 && a != b);
	CHECK_INT(store_user_add(s, "alice", "$x", true, 1, &id),
	    STORE_EXISTS);
	CHECK_INT(store_user_by_name(s, "alice", &u), STORE_OK);
	CHECK_INT(u.id, a);
	CHECK_STR(u.pwhash, "$argon2id$fake");
	CHECK(!u.admin && !u.locked);
	CHECK_INT(u.pw_changed_at, 100);
	CHECK_INT(store_user_by_name(s, "carol", &u), STORE_NOTFOUND);
	CHECK_INT(store_user_by_id(s, b, &u), STORE_OK);
	CHECK_STR(u.name, "bob");
	CHECK_INT(store_user_by_id(s, 9999, &u), STORE_NOTFOUND);

	CHECK_INT(store_user_set_locked(s, a, true), STORE_OK);
	CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
	CHECK(u.locked);
	CHECK_INT(store_user_set_locked(s, 9999, true), STORE_NOTFOUND);
	CHECK_INT(store_user_set_password(s, a, "$new", 500), STORE_OK);
	CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
	CHECK_STR(u.pwhash, "$new");
	CHECK_INT(u.pw_changed_at, 500);

	/* Deleting a user takes their sessions and cache rows, not bob's. */
	sfx_make_session(&ss, 1, a, 100, 2000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	sfx_make_session(&ss, 2, b, 100, 2000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(sfx_cache_put(s, a, "k", 100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(sfx_cache_put(s, b, "k", 100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_user_del(s, a), STORE_OK);
	CHECK_INT(store_user_del(s, a), STORE_NOTFOUND);
	memset(ss.hash, 1, sizeof ss.hash);
	CHECK_INT(store_session_get(s, ss.hash, &ss), STORE_NOTFOUND);
	memset(ss.hash, 2, sizeof ss.hash);
	CHECK_INT(store_session_get(s, ss.hash, &ss), STORE_OK);
	CHECK(!sfx_cache_has(s, a, "k", 100));
	CHECK(sfx_cache_has(s, b, "k", 100));
}

CONTRACT_TEST(sessions)
{
	struct session ss, got, del;
	struct seen sn = { 0 };
	int64_t a, b, n = -1;
	int users = 0;

	a = sfx_add_user(s, "alice");
	b = sfx_add_user(s, "bob");
	CHECK_INT(store_user_list(s, count_cb, &users), STORE_OK);
	CHECK_INT(users, 2);

	sfx_make_session(&ss, 1, a, 100, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_create(s, &ss), STORE_EXISTS);
	sfx_make_session(&ss, 9, 4242, 100, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_NOTFOUND);
	sfx_make_session(&ss, 2, a, 200, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	sfx_make_session(&ss, 3, b, 300, 150);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);

	memset(ss.hash, 1, sizeof ss.hash);
	/* the hash may be the output's own field (stage_session does so) */
	got = ss;
	CHECK_INT(store_session_get(s, got.hash, &got), STORE_OK);
	CHECK_INT(got.hash[0], 1);
	CHECK_INT(got.hash[SESSION_HASH_BYTES - 1], 1);
	CHECK_STR(got.handle, "010101010101");
	CHECK_INT(got.user_id, a);
	CHECK_INT(got.expires_at, 1000);
	CHECK_STR(got.ip, "192.0.2.1");
	CHECK_INT(got.request_count, 0);

	got.last_seen = 400;
	got.expires_at = 1600;
	(void)snprintf(got.ip, sizeof got.ip, "198.51.100.7");
	CHECK_INT(store_session_touch(s, &got), STORE_OK);
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_OK);
	CHECK_INT(got.last_seen, 400);
	CHECK_INT(got.expires_at, 1600);
	CHECK_STR(got.ip, "198.51.100.7");
	CHECK_INT(got.request_count, 1);

	/* Active = expires_at > now: session 3 expired at 150. */
	CHECK_INT(store_session_count(s, 200, 0, &n), STORE_OK);
	CHECK_INT(n, 2);

	/* Newest first, optionally one user's only. */
	CHECK_INT(store_session_list(s, 0, session_cb, &sn), STORE_OK);
	CHECK_INT(sn.n, 3);
	CHECK(sn.first[0] == 3 && sn.first[1] == 2 && sn.first[2] == 1);
	memset(&sn, 0, sizeof sn);
	CHECK_INT(store_session_list(s, a, session_cb, &sn), STORE_OK);
	CHECK_INT(sn.n, 2);

	/* A handle of another user's session is NOTFOUND and survives. */
	CHECK_INT(store_session_delete_handle(s, "030303030303", a, &del),
	    STORE_NOTFOUND);
	CHECK_INT(store_session_delete_handle(s, "0303", 0, &del),
	    STORE_NOTFOUND);
	CHECK_INT(store_session_delete_handle(s, "020202020202", a, &del),
	    STORE_OK);
	CHECK_INT(del.hash[0], 2);
	CHECK_INT(del.user_id, a);
	CHECK_INT(store_session_delete_handle(s, "020202020202", a, NULL),
	    STORE_NOTFOUND);
	CHECK_INT(store_session_delete_handle(s, "030303030303", 0, NULL),
	    STORE_OK);

	sfx_make_session(&ss, 4, a, 500, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_delete(s, ss.hash), STORE_OK);
	CHECK_INT(store_session_delete(s, ss.hash), STORE_NOTFOUND);
	sfx_make_session(&ss, 5, a, 500, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	sfx_make_session(&ss, 6, b, 500, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_delete_user(s, a, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_session_delete_all(s, &n), STORE_OK);
	CHECK_INT(n, 1);
}

CONTRACT_TEST(failures)
{
	struct login_failures f;

	CHECK_INT(store_failure_get(s, LOGIN_BY_USER, "alice", &f),
	    STORE_NOTFOUND);
	CHECK_INT(store_failure_add(s, LOGIN_BY_USER, "alice", 1000, 300, 600),
	    STORE_OK);
	CHECK_INT(store_failure_add(s, LOGIN_BY_USER, "alice", 1100, 300, 600),
	    STORE_OK);
	CHECK_INT(store_failure_add(s, LOGIN_BY_USER, "alice", 1300, 300, 600),
	    STORE_OK);
	CHECK_INT(store_failure_add(s, LOGIN_BY_ADDR, "alice", 1300, 300, 600),
	    STORE_OK);
	CHECK_INT(store_failure_get(s, LOGIN_BY_USER, "alice", &f), STORE_OK);
	CHECK_INT(f.count, 3);
	CHECK_INT(f.first_at, 1000);
	CHECK_INT(f.last_at, 1300);
	/* first_at 1000 < 1301 - 300: the window has passed, restart at 1. */
	CHECK_INT(store_failure_add(s, LOGIN_BY_USER, "alice", 1301, 300, 600),
	    STORE_OK);
	CHECK_INT(store_failure_get(s, LOGIN_BY_USER, "alice", &f), STORE_OK);
	CHECK_INT(f.count, 1);
	CHECK_INT(f.first_at, 1301);
	CHECK_INT(f.last_at, 1301);
	CHECK_INT(store_failure_get(s, LOGIN_BY_ADDR, "alice", &f), STORE_OK);
	CHECK_INT(f.count, 1);

	CHECK_INT(store_failure_clear(s, LOGIN_BY_USER, "alice"), STORE_OK);
	CHECK_INT(store_failure_get(s, LOGIN_BY_USER, "alice", &f),
	    STORE_NOTFOUND);
}

CONTRACT_TEST(cache_roundtrip)
{
	static const unsigned char bin[] = { 'a', 0, 'b', 0xff, 0 };
	struct cache_entry e;
	int64_t n = -1;

	CHECK_INT(store_cache_set(s, 7, "bin", bin, sizeof bin,
	    "application/octet-stream", 100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_cache_get(s, 7, "bin", 100, &e), STORE_OK);
	CHECK_INT(e.len, sizeof bin);
	CHECK(e.value != NULL && memcmp(e.value, bin, sizeof bin) == 0);
	CHECK_STR(e.content_type, "application/octet-stream");
	CHECK_INT(e.expires_at, 0);
	free(e.value);
	/* The same key in another scope is another row. */
	CHECK_INT(store_cache_get(s, 8, "bin", 100, &e), STORE_NOTFOUND);
	CHECK_INT(store_cache_get(s, CACHE_SCOPE_GLOBAL, "bin", 100, &e),
	    STORE_NOTFOUND);

	/* Zero-length value: non-NULL pointer, len 0. */
	CHECK_INT(store_cache_set(s, 7, "empty", NULL, 0, "text/plain",
	    100, 0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_cache_get(s, 7, "empty", 100, &e), STORE_OK);
	CHECK(e.value != NULL);
	CHECK_INT(e.len, 0);
	free(e.value);

	/* Expired at expires_at itself, never returned. */
	CHECK_INT(store_cache_set(s, 7, "ttl", "v", 1, "text/plain", 100,
	    160, NULL, NULL, NULL), STORE_OK);
	CHECK(sfx_cache_has(s, 7, "ttl", 159));
	CHECK(!sfx_cache_has(s, 7, "ttl", 160));
	CHECK(!sfx_cache_has(s, 7, "ttl", 1000));

	/* Replace keeps one row with the new value and type. */
	CHECK_INT(store_cache_set(s, 7, "bin", "new", 3, "text/x-new", 200,
	    0, NULL, NULL, NULL), STORE_OK);
	CHECK_INT(store_cache_get(s, 7, "bin", 200, &e), STORE_OK);
	CHECK_INT(e.len, 3);
	CHECK(memcmp(e.value, "new", 3) == 0);
	CHECK_STR(e.content_type, "text/x-new");
	free(e.value);
	CHECK_INT(store_cache_count(s, &n), STORE_OK);
	CHECK_INT(n, 3);

	CHECK_INT(store_cache_delete(s, 7, "bin", 100), STORE_OK);
	CHECK_INT(store_cache_delete(s, 7, "bin", 100), STORE_NOTFOUND);
	CHECK_INT(store_cache_get(s, 7, "bin", 200, &e), STORE_NOTFOUND);
}

CONTRACT_TEST(cache_user_quota)
{
	struct cache_limits lim = { .max_entries = 1000, .cull_frequency = 3,
	    .max_entries_per_user = 3 };
	int64_t ev = -1, cu = -1;
	char key[16];

	/* Interleave users so "oldest overall" and "A's oldest" differ. */
	for (int i = 0; i < 3; i++) {
		(void)snprintf(key, sizeof key, "b%d", i);
		CHECK_INT(sfx_cache_put(s, 2, key, 100, 0, &lim, &ev, &cu),
		    STORE_OK);
		(void)snprintf(key, sizeof key, "a%d", i);
		CHECK_INT(sfx_cache_put(s, 1, key, 100, 0, &lim, &ev, &cu),
		    STORE_OK);
		CHECK_INT(ev, 0);
	}
	CHECK_INT(sfx_cache_put(s, 1, "a3", 100, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(ev, 1);
	CHECK_INT(cu, 0);
	CHECK(!sfx_cache_has(s, 1, "a0", 100));
	CHECK(sfx_cache_has(s, 1, "a1", 100));
	CHECK(sfx_cache_has(s, 1, "a3", 100));
	for (int i = 0; i < 3; i++) {
		(void)snprintf(key, sizeof key, "b%d", i);
		CHECK(sfx_cache_has(s, 2, key, 100));
	}
	/* Replacing an existing key evicts nothing. */
	CHECK_INT(sfx_cache_put(s, 1, "a1", 100, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(ev, 0);
	/* ... and a1 is now A's newest, so a2 goes next. */
	CHECK_INT(sfx_cache_put(s, 1, "a4", 100, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(ev, 1);
	CHECK(!sfx_cache_has(s, 1, "a2", 100));
	CHECK(sfx_cache_has(s, 1, "a1", 100));
	/* The global scope has no per-user quota. */
	for (int i = 0; i < 5; i++) {
		(void)snprintf(key, sizeof key, "g%d", i);
		CHECK_INT(sfx_cache_put(s, 0, key, 100, 0, &lim, &ev, &cu),
		    STORE_OK);
		CHECK_INT(ev, 0);
	}
}

CONTRACT_TEST(cache_cull)
{
	struct cache_limits lim = { .max_entries = 6, .cull_frequency = 3,
	    .max_entries_per_user = 0 };
	int64_t ev = -1, cu = -1, n = -1;
	char key[16];

	/* k0..k5; k1 and k3 expire at 150. */
	for (int i = 0; i < 6; i++) {
		(void)snprintf(key, sizeof key, "k%d", i);
		CHECK_INT(sfx_cache_put(s, 1 + i % 2, key, 100,
		    i == 1 || i == 3 ? 150 : 0, &lim, &ev, &cu), STORE_OK);
		CHECK_INT(cu, 0);
	}
	/* Full: the two expired rows go, nothing else. */
	CHECK_INT(sfx_cache_put(s, 1, "k6", 200, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(cu, 2);
	CHECK_INT(store_cache_count(s, &n), STORE_OK);
	CHECK_INT(n, 5);
	CHECK(sfx_cache_has(s, 1, "k0", 200));
	CHECK_INT(sfx_cache_put(s, 2, "k7", 200, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(cu, 0);
	/* Full, nothing expired: the oldest 6/3 = 2 rows, any scope. */
	CHECK_INT(sfx_cache_put(s, 1, "k8", 200, 0, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(cu, 2);
	CHECK_INT(store_cache_count(s, &n), STORE_OK);
	CHECK_INT(n, 5);
	CHECK(!sfx_cache_has(s, 1, "k0", 200));
	CHECK(!sfx_cache_has(s, 1, "k2", 200));
	CHECK(sfx_cache_has(s, 2, "k5", 200));
	CHECK(sfx_cache_has(s, 1, "k8", 200));
}

CONTRACT_TEST(counters_stats)
{
	struct store_stats st;
	int64_t v = -1;

	/* A counter never added to reads 0. */
	CHECK_INT(store_counter_get(s, "contract_test", &v), STORE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(store_counter_add(s, "contract_test", 3), STORE_OK);
	CHECK_INT(store_counter_add(s, "contract_test", 4), STORE_OK);
	CHECK_INT(store_counter_get(s, "contract_test", &v), STORE_OK);
	CHECK_INT(v, 7);
	CHECK_INT(store_stats(s, &st), STORE_OK);
	CHECK_INT(st.backend, contract_backend);
	CHECK(st.bytes > 0);
	CHECK_INT(store_probe_write(s), STORE_OK);
	CHECK_INT(store_ping(s), STORE_OK);
}

/* Ids are never reused, not even the highest one after its delete. */
CONTRACT_TEST(user_ids_not_reused)
{
	int64_t a = sfx_add_user(s, "alice"), b;

	CHECK_INT(store_user_del(s, a), STORE_OK);
	b = sfx_add_user(s, "alice");
	CHECK(b > a);
}

/* Import: all rows in one step, a taken name skipped, fields kept. */
CONTRACT_TEST(user_import)
{
	struct user in[3], u;
	bool ins[3] = { true, true, true };

	sfx_add_user(s, "taken");
	memset(in, 0, sizeof in);
	(void)snprintf(in[0].name, sizeof in[0].name, "imp1");
	(void)snprintf(in[0].pwhash, sizeof in[0].pwhash, "pbkdf2_sha256$x");
	in[0].must_reset = true;
	in[0].locked = true;
	in[0].pw_changed_at = 77;
	in[0].created_at = 66;
	(void)snprintf(in[1].name, sizeof in[1].name, "taken");
	(void)snprintf(in[1].pwhash, sizeof in[1].pwhash, "h");
	(void)snprintf(in[2].name, sizeof in[2].name, "imp2");
	(void)snprintf(in[2].pwhash, sizeof in[2].pwhash, "h2");
	in[2].admin = true;
	CHECK_INT(store_user_import(s, in, 3, ins), STORE_OK);
	CHECK(ins[0] && !ins[1] && ins[2]);
	CHECK_INT(store_user_by_name(s, "imp1", &u), STORE_OK);
	CHECK(u.must_reset && u.locked && !u.admin);
	CHECK_INT(u.pw_changed_at, 77);
	CHECK_INT(u.created_at, 66);
	CHECK_STR(u.pwhash, "pbkdf2_sha256$x");
	CHECK_INT(store_user_by_name(s, "taken", &u), STORE_OK);
	CHECK_STR(u.pwhash, "$argon2id$fake");
	/* rehash only from the hash that was verified */
	CHECK_INT(store_user_by_name(s, "imp2", &u), STORE_OK);
	CHECK(u.admin);
	CHECK_INT(store_user_rehash(s, u.id, "other", "h3"), STORE_NOTFOUND);
	CHECK_INT(store_user_rehash(s, u.id, "h2", "h3"), STORE_OK);
	CHECK_INT(store_user_by_id(s, u.id, &u), STORE_OK);
	CHECK_STR(u.pwhash, "h3");
}

/* session_get then user_by_id: the user as stored, a deleted one gone. */
CONTRACT_TEST(session_then_user)
{
	struct session ss, got;
	struct user u;
	int64_t a = sfx_add_user(s, "alice");

	sfx_make_session(&ss, 7, a, 100, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_OK);
	CHECK_INT(store_user_by_id(s, got.user_id, &u), STORE_OK);
	CHECK_STR(u.name, "alice");
	CHECK_INT(store_user_set_locked(s, a, true), STORE_OK);
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_OK);
	CHECK_INT(store_user_set_locked(s, a, false), STORE_OK);
	/* a change after the session read is seen by the next read */
	CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
	CHECK(!u.locked);
	CHECK_INT(store_user_by_id(s, a, &u), STORE_OK);
	CHECK(!u.locked);
}

/*
 * The same session hash, first alice's, then (deleted and made again)
 * bob's: every read answers the session's own user. On Redis the second
 * read takes the pipelined path with a user hint that is now wrong
 * (uid_hint in store_redis.c), which must fall back to reading bob.
 */
CONTRACT_TEST(session_hash_moves_to_another_user)
{
	struct session ss, got;
	struct user u;
	bool found = false;
	int64_t a = sfx_add_user(s, "alice");
	int64_t b = sfx_add_user(s, "bob");

	sfx_make_session(&ss, 5, a, 100, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_get_with_user(s, ss.hash, &got, &u, &found),
	    STORE_OK);
	CHECK(found);
	CHECK_STR(u.name, "alice");
	CHECK_INT(store_session_delete(s, ss.hash), STORE_OK);
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_NOTFOUND);

	sfx_make_session(&ss, 5, b, 200, 1000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	for (int i = 0; i < 2; i++) {	/* the hint wrong, then right */
		found = false;
		CHECK_INT(store_session_get_with_user(s, ss.hash, &got, &u,
		    &found), STORE_OK);
		CHECK_INT(got.user_id, b);
		CHECK(found);
		CHECK_STR(u.name, "bob");
	}
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_OK);
	CHECK_INT(store_user_by_id(s, got.user_id, &u), STORE_OK);
	CHECK_STR(u.name, "bob");

	/* a deleted user: the session goes with them, on every path */
	CHECK_INT(store_user_del(s, b), STORE_OK);
	CHECK_INT(store_session_get_with_user(s, ss.hash, &got, &u, &found),
	    STORE_NOTFOUND);
}

/* The liveness rule (store.c), the same for every backend. */
CONTRACT_TEST(session_is_live)
{
	struct session ss;

	(void)s;
	memset(&ss, 0, sizeof ss);
	ss.created_at = 100;
	ss.expires_at = 200;
	CHECK(session_is_live(&ss, 199, 1000));
	CHECK(!session_is_live(&ss, 200, 1000));
	CHECK(session_is_live(&ss, 149, 50));
	CHECK(!session_is_live(&ss, 150, 50));
	CHECK_INT(session_end_at(&ss, 50), 150);
	CHECK_INT(session_end_at(&ss, 0), 200);
}

/* An expired row is missing for DELETE too (a backend may keep it). */
CONTRACT_TEST(cache_expired_delete)
{
	struct cache_limits lim = { 100, 3, 10 };
	int64_t ev = 0, cu = 0, id = sfx_add_user(s, "u");

	CHECK_INT(store_cache_set(s, id, "k", "v", 1, "text/plain", 100,
	    150, &lim, &ev, &cu), STORE_OK);
	CHECK_INT(store_cache_delete(s, id, "k", 150), STORE_NOTFOUND);
	CHECK_INT(store_cache_delete(s, id, "k", 149), STORE_OK);
	CHECK_INT(store_cache_delete(s, id, "k", 149), STORE_NOTFOUND);
}

/*
 * Second factor (mfa.c's store calls): set/read back/remove; a TOTP step
 * is spent only if later than the last; a recovery code once; half-done
 * sign-ins expire at their time and go on delete.
 */
CONTRACT_TEST(second_factor)
{
	struct user_mfa m;
	struct user u;
	struct mfa_pending p, got;
	int64_t id = sfx_add_user(s, "mfa-user");

	memset(&m, 0, sizeof m);
	memset(m.secret, 0xa5, 60);
	m.secret[7] = 0;	/* binary-safe: a NUL inside */
	m.secret_len = 60;
	m.last_step = 1000;
	memset(m.recovery, 0x5a, sizeof m.recovery);
	CHECK_INT(store_user_mfa_consume(s, id, 2000, -1), STORE_NOTFOUND);
	CHECK_INT(store_user_set_mfa(s, id, &m), STORE_OK);
	CHECK_INT(store_user_set_mfa(s, id + 999, &m), STORE_NOTFOUND);
	CHECK_INT(store_user_by_id(s, id, &u), STORE_OK);
	CHECK_INT((long long)u.mfa.secret_len, 60);
	CHECK(memcmp(u.mfa.secret, m.secret, 60) == 0);
	CHECK(memcmp(u.mfa.recovery, m.recovery, sizeof m.recovery) == 0);
	CHECK_INT(u.mfa.last_step, 1000);
	CHECK_INT(u.mfa.recovery_used, 0);

	CHECK_INT(store_user_mfa_consume(s, id, 1000, -1), STORE_NOTFOUND);
	CHECK_INT(store_user_mfa_consume(s, id, 999, -1), STORE_NOTFOUND);
	CHECK_INT(store_user_mfa_consume(s, id, 1001, -1), STORE_OK);
	CHECK_INT(store_user_mfa_consume(s, id, 1001, -1), STORE_NOTFOUND);
	CHECK_INT(store_user_mfa_consume(s, id, 0, 3), STORE_OK);
	CHECK_INT(store_user_mfa_consume(s, id, 0, 3), STORE_NOTFOUND);
	CHECK_INT(store_user_mfa_consume(s, id, 0, 9), STORE_OK);
	CHECK_INT(store_user_mfa_consume(s, id, 0, 10), STORE_ERROR);
	CHECK_INT(store_user_by_name(s, "mfa-user", &u), STORE_OK);
	CHECK_INT(u.mfa.last_step, 1001);
	CHECK_INT(u.mfa.recovery_used, (1 << 3) | (1 << 9));

	CHECK_INT(store_user_set_mfa(s, id, NULL), STORE_OK);
	CHECK_INT(store_user_by_id(s, id, &u), STORE_OK);
	CHECK_INT((long long)u.mfa.secret_len, 0);
	CHECK_INT(store_user_mfa_consume(s, id, 5000, -1), STORE_NOTFOUND);
	CHECK_INT(store_user_mfa_consume(s, id, 0, 1), STORE_NOTFOUND);

	memset(&p, 0, sizeof p);
	memset(p.hash, 0x42, sizeof p.hash);
	p.user_id = id;
	p.expires_at = 400;
	p.enrol = true;
	CHECK_INT(store_mfa_pending_put(s, &p, 100), STORE_OK);
	CHECK_INT(store_mfa_pending_get(s, p.hash, 399, &got), STORE_OK);
	CHECK_INT(got.user_id, id);
	CHECK_INT(got.expires_at, 400);
	CHECK(got.enrol);
	CHECK_INT(store_mfa_pending_get(s, p.hash, 400, &got), STORE_NOTFOUND);
	CHECK_INT(store_mfa_pending_del(s, p.hash), STORE_OK);
	CHECK_INT(store_mfa_pending_get(s, p.hash, 100, &got), STORE_NOTFOUND);
	CHECK_INT(store_mfa_pending_del(s, p.hash), STORE_NOTFOUND);
}

/* The remember flag of a session is stored and read back. */
CONTRACT_TEST(session_remember)
{
	struct session ss, got;
	int64_t id = sfx_add_user(s, "rem");

	sfx_make_session(&ss, 7, id, 100, 5000);
	ss.remember = true;
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_OK);
	CHECK(got.remember);
	sfx_make_session(&ss, 8, id, 100, 5000);
	CHECK_INT(store_session_create(s, &ss), STORE_OK);
	CHECK_INT(store_session_get(s, ss.hash, &got), STORE_OK);
	CHECK(!got.remember);
}

/* From the django branch: import all or nothing, rehash, must_reset. */
CONTRACT_TEST(user_import_and_rehash)
{
	struct user in[3], u;
	bool ins[3] = { true, true, true };

	sfx_add_user(s, "taken");
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
	CHECK_INT(store_user_import(s, in, 3, ins), STORE_OK);
	CHECK(ins[0] && !ins[1] && ins[2]);
	/* the existing row is untouched */
	CHECK_INT(store_user_by_name(s, "taken", &u), STORE_OK);
	CHECK_STR(u.pwhash, "$argon2id$fake");
	CHECK(!u.admin && !u.must_reset);
	CHECK_INT(store_user_by_name(s, "new1", &u), STORE_OK);
	CHECK(u.admin && !u.locked && !u.must_reset);
	CHECK_INT(u.created_at, 5);
	CHECK_INT(u.pw_changed_at, 7);
	CHECK_INT(store_user_by_name(s, "new2", &u), STORE_OK);
	CHECK(u.locked && u.must_reset);
	/* rehash: only from the hash that was verified; pw_changed_at kept */
	CHECK_INT(store_user_by_name(s, "new1", &u), STORE_OK);
	CHECK_INT(store_user_rehash(s, u.id, "other", "$argon2id$new"),
	    STORE_NOTFOUND);
	CHECK_INT(store_user_rehash(s, u.id, "pbkdf2_sha256$1$s$AAAA",
	    "$argon2id$new"), STORE_OK);
	CHECK_INT(store_user_by_id(s, u.id, &u), STORE_OK);
	CHECK_STR(u.pwhash, "$argon2id$new");
	CHECK_INT(u.pw_changed_at, 7);
	/* a new password clears must_reset */
	CHECK_INT(store_user_by_name(s, "new2", &u), STORE_OK);
	CHECK_INT(store_user_set_password(s, u.id, "$argon2id$pw", 9),
	    STORE_OK);
	CHECK_INT(store_user_by_id(s, u.id, &u), STORE_OK);
	CHECK(!u.must_reset);
	/* one bad row (an empty name) anywhere: nothing inserted */
	memset(in, 0, sizeof in);
	snprintf(in[0].name, sizeof in[0].name, "ok3");
	snprintf(in[0].pwhash, sizeof in[0].pwhash, "x");
	CHECK_INT(store_user_import(s, in, 2, ins), STORE_ERROR);
	CHECK_INT(store_user_by_name(s, "ok3", &u), STORE_NOTFOUND);
}
