/*
 * test_store.c - what only the SQLite backend does, against a real
 * temporary database file: migrations, cleanup batches, fault injection,
 * the write lock. The contract every backend keeps is in
 * test_store_contract.c.
 *
 * Each test makes its own directory under /tmp (mkdtemp), so tests never
 * share a file, and removes it (with the -wal/-shm files) at the end.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "migrations.h"
#include "store.h"
#include "store_fixture.h"
#include "unit.h"

struct fixture {
	char		 dir[64];
	char		 path[128];
	struct store	*s;
};

static void
fx_remove(struct fixture *fx)
{
	sfx_remove_db(fx->dir, fx->path);
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
	if (store_prepare(fx->s, &from, &to) != STORE_OK) {
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

UNIT_TEST(store_migrate_idempotent)
{
	struct fixture fx;
	struct store_opts o = { .create = false };
	struct store *s2 = NULL;
	sqlite3 *db;
	char err[256];
	int from = -1, to = -1, v = -1;

	CHECK(fx_open(&fx) == 0);
	CHECK_INT(store_prepare(fx.s, &from, &to), STORE_OK);
	CHECK_INT(from, (int)sql_migrations_count);
	CHECK_INT(to, (int)sql_migrations_count);
	CHECK_INT(store_layout_version(fx.s, &v), STORE_OK);
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
	CHECK_INT(store_prepare(s2, &from, &to), STORE_ERROR);
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
	a = sfx_add_user(fx.s, "alice");
	/* 1..4 idle-expired at 500; 5 too old (absolute 1000); 6 live. */
	for (unsigned char i = 1; i <= 4; i++) {
		sfx_make_session(&ss, i, a, 100, 500);
		CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	}
	sfx_make_session(&ss, 5, a, 10, 5000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	sfx_make_session(&ss, 6, a, 900, 5000);
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
		CHECK_INT(sfx_cache_put(fx.s, a, key, 100, i < 3 ? 200 : 0, NULL,
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
	a = sfx_add_user(fx.s, "alice");
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
	CHECK(!sfx_cache_has(s, a, "k", 100));
	CHECK_INT(store_cache_set(s, a, "k", "v", 1, "text/plain", 100, 0,
	    NULL, &ev, &cu), STORE_OK);
	CHECK(sfx_cache_has(s, a, "k", 100));

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

/*
 * How store_sqlite.c's runner reads a step's result (q_status): a broken
 * key is an answer only for statements flagged QF_KEYED, a fault for the
 * rest, and the statement is reset for its next use either way. A
 * QF_RETURNING delete hands back its row and is done.
 */
UNIT_TEST(store_step_results)
{
	struct fixture fx;
	struct store_opts o = { .create = false };
	char err[256];
	struct mfa_pending p;
	struct session ss, got;
	struct user u;
	bool found;
	int64_t a;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = sfx_add_user(fx.s, "alice");
	CHECK_INT(store_user_add(fx.s, "alice", "h", false, 1, NULL),
	    STORE_EXISTS);
	sfx_make_session(&ss, 4, a, 100, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_EXISTS);

	/* ST_PENDING_PUT is not QF_KEYED: no such user is a fault there */
	memset(&p, 0, sizeof p);
	memset(p.hash, 7, sizeof p.hash);
	p.user_id = a + 100;
	p.expires_at = 500;
	CHECK_INT(store_mfa_pending_put(fx.s, &p, 100), STORE_ERROR);
	CHECK(strstr(store_errmsg(fx.s), "FOREIGN KEY") != NULL);
	p.user_id = a;
	CHECK_INT(store_mfa_pending_put(fx.s, &p, 100), STORE_OK);
	CHECK_INT(store_mfa_pending_put(fx.s, &p, 100), STORE_ERROR);
	CHECK(strstr(store_errmsg(fx.s), "UNIQUE") != NULL);
	CHECK_INT(store_mfa_pending_get(fx.s, p.hash, 100, &p), STORE_OK);
	CHECK_INT(p.user_id, a);

	/* RETURNING is stepped to its end: a fault on the 2nd step shows */
	store_close(fx.s);
	CHECK_INT(setenv("SESSIONGW_FAULT_STEP", "2", 1), 0);
	CHECK_INT(store_open(&fx.s, fx.path, &o, err, sizeof err), 0);
	CHECK_INT(unsetenv("SESSIONGW_FAULT_STEP"), 0);
	if (fx.s == NULL)
		goto out;
	CHECK_INT(store_session_delete_handle(fx.s, ss.handle, a, NULL),
	    STORE_ERROR);
	CHECK(strstr(store_errmsg(fx.s), "revoke session") != NULL);
	sfx_make_session(&ss, 5, a, 100, 1000);
	CHECK_INT(store_session_create(fx.s, &ss), STORE_OK);
	memset(&got, 0, sizeof got);
	CHECK_INT(store_session_delete_handle(fx.s, ss.handle, a, &got),
	    STORE_OK);
	CHECK(memcmp(got.hash, ss.hash, sizeof ss.hash) == 0);
	CHECK_INT(store_session_get_with_user(fx.s, ss.hash, &got, &u, &found),
	    STORE_NOTFOUND);
out:
	fx_close(&fx);
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
	a = sfx_add_user(fx.s, "alice");
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

/* SQLite keeps failure rows until cleanup: window + lockout after last. */
UNIT_TEST(store_cleanup_failures)
{
	struct fixture fx;
	struct login_failures f;
	int64_t n = -1;

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	CHECK_INT(store_failure_add(fx.s, LOGIN_BY_ADDR, "10.0.0.1", 1300, 300,
	    600), STORE_OK);
	CHECK_INT(store_failure_add(fx.s, LOGIN_BY_USER, "bob", 1500, 300,
	    600), STORE_OK);
	CHECK_INT(store_cleanup_failures(fx.s, 2000, 600, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_failure_get(fx.s, LOGIN_BY_ADDR, "10.0.0.1", &f),
	    STORE_NOTFOUND);
	CHECK_INT(store_failure_get(fx.s, LOGIN_BY_USER, "bob", &f), STORE_OK);
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
	a = sfx_add_user(fx.s, "alice");
	sfx_make_session(&ss, 7, a, 100, 5000);
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
	a = sfx_add_user(fx.s, "alice");
	for (unsigned char i = 1; i <= 7; i++) {
		sfx_make_session(&ss, i, a, 100, i == 7 ? 5000 : 500);
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
	a = sfx_add_user(fx.s, "alice");
	sfx_make_session(&ss, 1, a, 100, 1000);
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

/*
 * A reader of the old WAL, on its own thread: it ends its read
 * transaction a moment after the -wal file has reached `until` bytes,
 * i.e. while the commit that wrote them checkpoints.
 */
struct wal_reader {
	sqlite3		*db;
	char		 wal[160];
	off_t		 until;
};

static void *
wal_reader_run(void *arg)
{
	struct wal_reader *rd = arg;
	struct timespec nap = { 0, 200000 };	/* 0.2 ms */
	struct stat sb;
	double t0 = mono();

	while (mono() - t0 < 30.0 &&
	    (stat(rd->wal, &sb) == -1 || sb.st_size < rd->until))
		(void)nanosleep(&nap, NULL);
	nap.tv_nsec = 2000000;			/* 2 ms */
	(void)nanosleep(&nap, NULL);
	(void)sqlite3_exec(rd->db, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

/*
 * A commit that takes the WAL past 4,096 frames restarts it, waiting
 * briefly for the readers of the old WAL (wal_committed). SQLite's own
 * PASSIVE autocheckpoint stops at the oldest reader's snapshot and never
 * waits, so under a steady stream of validates the WAL was never started
 * over and grew with every burst of writes (bench/README.md, "WAL bounded
 * by size"). Checked here by the frame count after one more small write:
 * a restarted WAL holds only that write. This fails without the hook
 * whenever the reader ends during the commit's checkpoint.
 */
UNIT_TEST(store_wal_restarts_past_bound)
{
	enum { BIG = 20 * 1024 * 1024 };	/* > 4,096 frames of 4 KiB */
	struct fixture fx;
	struct wal_reader rd = { .until = BIG };
	sqlite3 *probe = NULL;
	pthread_t t;
	char *big = NULL;
	int64_t a, ev, cu;
	int log = -1, done = -1;

	if (fx_open(&fx) != 0) {
		CHECK(0);
		return;
	}
	a = sfx_add_user(fx.s, "alice");
	/* a few frames in the WAL, not checkpointed: the reader's snapshot */
	CHECK_INT(sfx_cache_put(fx.s, a, "small", 100, 0, NULL, &ev, &cu),
	    STORE_OK);
	(void)snprintf(rd.wal, sizeof rd.wal, "%s-wal", fx.path);
	CHECK_INT(sqlite3_open(fx.path, &rd.db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(rd.db, "BEGIN; SELECT count(*) FROM users",
	    NULL, NULL, NULL), SQLITE_OK);
	if ((big = calloc(1, BIG)) == NULL ||
	    pthread_create(&t, NULL, wal_reader_run, &rd) != 0) {
		CHECK(0);
		goto out;
	}
	CHECK_INT(store_cache_set(fx.s, a, "big", big, BIG,
	    "application/octet-stream", 100, 0, NULL, &ev, &cu), STORE_OK);
	(void)pthread_join(t, NULL);
	/* the next commit starts the WAL over */
	CHECK_INT(sfx_cache_put(fx.s, a, "after", 100, 0, NULL, &ev, &cu),
	    STORE_OK);
	CHECK_INT(sqlite3_open(fx.path, &probe), SQLITE_OK);
	/* a first read tells the new connection the file is in WAL mode */
	CHECK_INT(sqlite3_exec(probe, "SELECT count(*) FROM users", NULL, NULL,
	    NULL), SQLITE_OK);
	CHECK_INT(sqlite3_wal_checkpoint_v2(probe, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &log, &done), SQLITE_OK);
	printf("  wal frames after the restart: %d\n", log);
	CHECK(log >= 1 && log < 100);
out:
	(void)sqlite3_close(probe);
	(void)sqlite3_close(rd.db);
	free(big);
	fx_close(&fx);
}
