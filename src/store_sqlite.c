/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * One struct store is one connection plus its prepared statements, used by
 * one thread only (hence SQLITE_OPEN_NOMUTEX). Every statement comes from
 * the stmts[] table below; the hot ones are prepared once (at open when the
 * schema is current, else right after store_migrate), the rare ones on first
 * use, and all are kept until store_close. Every use of a statement ends in
 * stmt_done(), which resets it and clears its bindings on every path.
 *
 * Faults are classified once, in set_err(): busy (another connection holds
 * the write lock past the wait set by store_set_wait), full (disk or
 * quota), or other; store_fault() reports the kind of the last one.
 *
 * Fault injection (tests only): SESSIONGW_FAULT_STEP=N, read once at
 * store_open, makes the Nth step() of that store fail with SQLITE_IOERR, so
 * integration tests can prove a database fault gives a clean error.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "migrations.h"
#include "store_backend.h"

#define STORE_PATH_MAX	4096
/* room for the path and SQLite's message */
#define STORE_ERR_MAX	(STORE_PATH_MAX + 512)
#define DEFAULT_BUSY_MS	5000
/*
 * After a checkpoint resets the WAL, SQLite truncates the file to this
 * size (bytes): a burst of writes (a cleanup storm) cannot leave a large
 * WAL on disk for good. 16 MiB: a checkpoint every 5 s (stage_cleanup.c)
 * then keeps the file well under the 64 MiB bench/README.md checks.
 */
#define STORE_WAL_LIMIT_STR	"16777216"
/* WAL frames (pages, 4 KiB by default) past which store_checkpoint restarts */
#define STORE_WAL_RESTART_FRAMES	4096

enum st {
	ST_BEGIN,
	ST_COMMIT,
	ST_PING,
	ST_USER_ADD,
	ST_USER_BY_NAME,
	ST_USER_BY_ID,
	ST_USER_SET_PW,
	ST_USER_SET_LOCKED,
	ST_USER_DEL,
	ST_USER_DEL_CACHE,
	ST_USER_LIST,
	ST_USER_IMPORT,
	ST_USER_REHASH,
	ST_SESSION_CREATE,
	ST_SESSION_GET,
	ST_SESSION_GET_WITH_USER,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSION_DELETE_HANDLE,
	ST_SESSION_DELETE_USER,
	ST_SESSION_DELETE_ALL,
	ST_SESSION_LIST,
	ST_SESSION_COUNT,
	ST_FAILURE_GET,
	ST_FAILURE_ADD,
	ST_FAILURE_CLEAR,
	ST_CACHE_GET,
	ST_CACHE_EXISTS,
	ST_CACHE_PUT,
	ST_CACHE_SCOPE_COUNT,
	ST_CACHE_EVICT_SCOPE,
	ST_CACHE_COUNT,
	ST_CACHE_DELETE_EXPIRED,
	ST_CACHE_CULL,
	ST_CACHE_DELETE,
	ST_CLEANUP_SESSIONS,
	ST_CLEANUP_CACHE,
	ST_CLEANUP_FAILURES,
	ST_DB_SIZE,
	ST_COUNTER_ADD,
	ST_COUNTER_GET,
	ST_PROBE_WRITE,
	ST_USER_SET_MFA,
	ST_MFA_STEP,
	ST_MFA_RECOVERY,
	ST_PENDING_PUT,
	ST_PENDING_EXPIRE,
	ST_PENDING_GET,
	ST_PENDING_DEL,
	ST__MAX
};

#define USER_COLS \
	"id, name, pwhash, admin, locked, pw_changed_at, created_at, " \
	"must_reset, mfa_secret, mfa_last_step, mfa_recovery, " \
	"mfa_recovery_used"
#define SESSION_COLS \
	"hash, handle, user_id, created_at, last_seen, expires_at, " \
	"pw_changed_at, request_count, ip, user_agent, remember"

/* hot: prepared up front (request path); the rest on first use (CLI). */
static const struct {
	const char	*sql;
	int		 hot;
} stmts[ST__MAX] = {
	[ST_BEGIN] = { "BEGIN IMMEDIATE", 1 },
	[ST_COMMIT] = { "COMMIT", 1 },
	/* Reads the schema, so a missing or corrupt file is noticed. */
	[ST_PING] = { "SELECT count(*) FROM sqlite_master", 1 },
	[ST_USER_ADD] = { "INSERT INTO users (name, pwhash, admin, locked, "
	    "pw_changed_at, created_at) VALUES (?1, ?2, ?3, 0, ?4, ?4)", 0 },
	[ST_USER_BY_NAME] = { "SELECT " USER_COLS " FROM users "
	    "WHERE name = ?1", 1 },
	[ST_USER_BY_ID] = { "SELECT " USER_COLS " FROM users "
	    "WHERE id = ?1", 1 },
	/* A new password is a usable one: it ends must_reset. */
	[ST_USER_SET_PW] = { "UPDATE users SET pwhash = ?2, "
	    "pw_changed_at = ?3, must_reset = 0 WHERE id = ?1", 0 },
	[ST_USER_SET_LOCKED] = { "UPDATE users SET locked = ?2 "
	    "WHERE id = ?1", 0 },
	[ST_USER_DEL] = { "DELETE FROM users WHERE id = ?1", 0 },
	[ST_USER_DEL_CACHE] = { "DELETE FROM cache WHERE scope = ?1", 0 },
	[ST_USER_LIST] = { "SELECT " USER_COLS " FROM users "
	    "ORDER BY name", 0 },
	/*
	 * Same password, stronger hash: pw_changed_at stays, so sessions
	 * (the one just started) stay valid. Only if the hash is still the
	 * one that was verified: a concurrent `user passwd` wins.
	 */
	[ST_USER_REHASH] = { "UPDATE users SET pwhash = ?3 "
	    "WHERE id = ?1 AND pwhash = ?2", 0 },
	/* Import never overwrites: a taken name changes nothing. */
	[ST_USER_IMPORT] = { "INSERT INTO users (name, pwhash, admin, locked, "
	    "must_reset, pw_changed_at, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (name) DO NOTHING", 0 },
	[ST_SESSION_CREATE] = { "INSERT INTO sessions (" SESSION_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", 1 },
	[ST_SESSION_GET] = { "SELECT " SESSION_COLS " FROM sessions "
	    "WHERE hash = ?1", 1 },
	/*
	 * validate's one read: the session and its user in one step. LEFT
	 * JOIN, so a row whose user is gone is told apart from no row (u.id
	 * NULL). pwhash is not read: validate never needs it.
	 */
	[ST_SESSION_GET_WITH_USER] = { "SELECT s.hash, s.handle, s.user_id, "
	    "s.created_at, s.last_seen, s.expires_at, s.pw_changed_at, "
	    "s.request_count, s.ip, s.user_agent, s.remember, "
	    "u.id, u.name, '', u.admin, u.locked, u.pw_changed_at, "
	    "u.created_at, u.must_reset, u.mfa_secret, u.mfa_last_step, "
	    "u.mfa_recovery, u.mfa_recovery_used "
	    "FROM sessions AS s LEFT JOIN users AS u ON u.id = s.user_id "
	    "WHERE s.hash = ?1", 1 },
	[ST_SESSION_TOUCH] = { "UPDATE sessions SET last_seen = ?2, "
	    "expires_at = ?3, ip = ?4, user_agent = ?5, "
	    "request_count = request_count + 1 WHERE hash = ?1", 1 },
	[ST_SESSION_DELETE] = { "DELETE FROM sessions WHERE hash = ?1", 1 },
	/* One statement, so finding and deleting the row is atomic. */
	[ST_SESSION_DELETE_HANDLE] = { "DELETE FROM sessions WHERE hash = "
	    "(SELECT hash FROM sessions WHERE handle = ?1 "
	    "AND (?2 = 0 OR user_id = ?2) LIMIT 1) "
	    "RETURNING " SESSION_COLS, 1 },
	[ST_SESSION_DELETE_USER] = { "DELETE FROM sessions "
	    "WHERE user_id = ?1", 1 },
	[ST_SESSION_DELETE_ALL] = { "DELETE FROM sessions", 0 },
	[ST_SESSION_LIST] = { "SELECT " SESSION_COLS " FROM sessions "
	    "WHERE ?1 = 0 OR user_id = ?1 "
	    "ORDER BY created_at DESC, last_seen DESC", 1 },
	[ST_SESSION_COUNT] = { "SELECT count(*) FROM sessions "
	    "WHERE expires_at > ?1 AND (?2 <= 0 OR created_at + ?2 > ?1)", 1 },
	[ST_FAILURE_GET] = { "SELECT count, first_at, last_at "
	    "FROM login_failures WHERE kind = ?1 AND key = ?2", 1 },
	/* SET sees the old row, so both CASEs test the old first_at. */
	[ST_FAILURE_ADD] = { "INSERT INTO login_failures "
	    "(kind, key, count, first_at, last_at) VALUES (?1, ?2, 1, ?3, ?3) "
	    "ON CONFLICT (kind, key) DO UPDATE SET "
	    "count = CASE WHEN first_at < ?4 THEN 1 ELSE count + 1 END, "
	    "first_at = CASE WHEN first_at < ?4 THEN ?3 ELSE first_at END, "
	    "last_at = ?3", 1 },
	[ST_FAILURE_CLEAR] = { "DELETE FROM login_failures "
	    "WHERE kind = ?1 AND key = ?2", 1 },
	[ST_CACHE_GET] = { "SELECT value, content_type, expires_at FROM cache "
	    "WHERE scope = ?1 AND key = ?2 "
	    "AND (expires_at = 0 OR expires_at > ?3)", 1 },
	[ST_CACHE_EXISTS] = { "SELECT 1 FROM cache "
	    "WHERE scope = ?1 AND key = ?2", 1 },
	[ST_CACHE_PUT] = { "INSERT INTO cache (scope, key, value, "
	    "content_type, created_at, expires_at, seq) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "(SELECT IFNULL(MAX(seq), 0) + 1 FROM cache)) "
	    "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, "
	    "content_type = excluded.content_type, "
	    "created_at = excluded.created_at, "
	    "expires_at = excluded.expires_at, seq = excluded.seq", 1 },
	[ST_CACHE_SCOPE_COUNT] = { "SELECT count(*) FROM cache "
	    "WHERE scope = ?1", 1 },
	/* WHERE scope = ?1 twice: the quota never touches another user. */
	[ST_CACHE_EVICT_SCOPE] = { "DELETE FROM cache WHERE scope = ?1 "
	    "AND rowid IN (SELECT rowid FROM cache WHERE scope = ?1 "
	    "ORDER BY seq LIMIT ?2)", 1 },
	[ST_CACHE_COUNT] = { "SELECT count(*) FROM cache", 1 },
	[ST_CACHE_DELETE_EXPIRED] = { "DELETE FROM cache "
	    "WHERE expires_at != 0 AND expires_at <= ?1", 1 },
	[ST_CACHE_CULL] = { "DELETE FROM cache WHERE rowid IN "
	    "(SELECT rowid FROM cache ORDER BY seq LIMIT ?1)", 1 },
	/* An expired row counts as missing; cleanup removes it. */
	[ST_CACHE_DELETE] = { "DELETE FROM cache "
	    "WHERE scope = ?1 AND key = ?2 "
	    "AND (expires_at = 0 OR expires_at > ?3)", 1 },
	/* Batched so that no cleanup pass holds the write lock for long. */
	[ST_CLEANUP_SESSIONS] = { "DELETE FROM sessions WHERE hash IN "
	    "(SELECT hash FROM sessions WHERE expires_at <= ?1 "
	    "OR (?2 > 0 AND created_at + ?2 <= ?1) LIMIT ?3)", 1 },
	[ST_CLEANUP_CACHE] = { "DELETE FROM cache WHERE rowid IN "
	    "(SELECT rowid FROM cache WHERE expires_at != 0 "
	    "AND expires_at <= ?1 LIMIT ?2)", 1 },
	[ST_CLEANUP_FAILURES] = { "DELETE FROM login_failures "
	    "WHERE last_at < ?1", 1 },
	[ST_DB_SIZE] = { "SELECT page_count * page_size "
	    "FROM pragma_page_count(), pragma_page_size()", 1 },
	[ST_COUNTER_ADD] = { "INSERT INTO counters (name, value) "
	    "VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE "
	    "SET value = value + ?2", 1 },
	[ST_COUNTER_GET] = { "SELECT value FROM counters WHERE name = ?1", 1 },
	/*
	 * Rewrites one row with its own value: a real page write (so a full
	 * disk shows), changing nothing anyone reads.
	 */
	[ST_PROBE_WRITE] = { "INSERT INTO counters (name, value) "
	    "VALUES ('write_probe', 0) ON CONFLICT (name) DO UPDATE "
	    "SET value = value", 1 },
	/* NULL blobs (?2, ?4 unbound) remove the second factor. */
	[ST_USER_SET_MFA] = { "UPDATE users SET mfa_secret = ?2, "
	    "mfa_last_step = ?3, mfa_recovery = ?4, mfa_recovery_used = ?5 "
	    "WHERE id = ?1", 0 },
	/* The replay rule in one statement: only a later step wins. */
	[ST_MFA_STEP] = { "UPDATE users SET mfa_last_step = ?2 "
	    "WHERE id = ?1 AND mfa_secret IS NOT NULL "
	    "AND mfa_last_step < ?2", 1 },
	[ST_MFA_RECOVERY] = { "UPDATE users SET mfa_recovery_used = "
	    "mfa_recovery_used | (1 << ?2) WHERE id = ?1 "
	    "AND mfa_secret IS NOT NULL "
	    "AND (mfa_recovery_used & (1 << ?2)) = 0", 1 },
	[ST_PENDING_PUT] = { "INSERT INTO mfa_pending (hash, user_id, "
	    "expires_at, enrol) VALUES (?1, ?2, ?3, ?4)", 1 },
	[ST_PENDING_EXPIRE] = { "DELETE FROM mfa_pending "
	    "WHERE expires_at <= ?1", 1 },
	[ST_PENDING_GET] = { "SELECT user_id, expires_at, enrol "
	    "FROM mfa_pending WHERE hash = ?1 AND expires_at > ?2", 1 },
	[ST_PENDING_DEL] = { "DELETE FROM mfa_pending WHERE hash = ?1", 1 },
};

struct sq {
	struct store	 base;			/* first: see store_backend.h */
	sqlite3		*db;
	char		 path[STORE_PATH_MAX];		/* for messages only */
	char		 err[STORE_ERR_MAX];
	long		 fault_step;		/* 0 = no fault injection */
	long		 steps;
	int		 fault_fired;
	enum store_fault fault;			/* kind of the last fault */
	int		 wait_ms;		/* busy_wait's limit */
	struct timespec	 busy_since;		/* busy_wait's first call */
	sqlite3_stmt	*st[ST__MAX];
};

static const struct store_ops sqlite_ops;

static struct sq *
sq(struct store *st)
{
	return (struct sq *)(void *)st;
}

static const struct sq *
csq(const struct store *st)
{
	return (const struct sq *)(const void *)st;
}

/*
 * SQLITE_LOCKED is a lock inside this process (shared cache), as passing
 * as BUSY. A full disk shows as SQLITE_FULL, or as an I/O error whose
 * system errno is ENOSPC/EDQUOT (the WAL and shm writes report it so).
 */
static enum store_fault
classify(struct sq *s, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_FAULT_BUSY;
	case SQLITE_FULL:
		return STORE_FAULT_FULL;
	case SQLITE_IOERR:
		e = sqlite3_system_errno(s->db);
		return e == ENOSPC || e == EDQUOT ? STORE_FAULT_FULL :
		    STORE_FAULT_OTHER;
	default:
		return STORE_FAULT_OTHER;
	}
}

/* Describe a fault as "PATH: WHAT: sqlite's message". Never a value. */
static void
set_err(struct sq *s, const char *what, int rc)
{
	const char *msg, *hint = "";

	if (s->fault_fired) {
		msg = "injected fault (SESSIONGW_FAULT_STEP)";
		s->fault_fired = 0;
		s->fault = STORE_FAULT_OTHER;
	} else {
		msg = sqlite3_errmsg(s->db);
		s->fault = classify(s, rc);
	}
	if ((rc & 0xff) == SQLITE_BUSY)
		hint = " (busy timeout expired)";
	(void)snprintf(s->err, sizeof s->err, "%s: %s: %s%s", s->path, what,
	    msg, hint);
}

static void
set_msg(struct sq *s, const char *what)
{
	s->fault = STORE_FAULT_OTHER;
	(void)snprintf(s->err, sizeof s->err, "%s: %s", s->path, what);
}

/* sqlite3_step, but the store's Nth step fails when a fault is injected. */
static int
step(struct sq *s, sqlite3_stmt *st)
{
	if (s->fault_step > 0 && ++s->steps == s->fault_step) {
		s->fault_fired = 1;
		return SQLITE_IOERR;
	}
	return sqlite3_step(st);
}

static int
prepare(struct sq *s, enum st id)
{
	unsigned flags = stmts[id].hot ? SQLITE_PREPARE_PERSISTENT : 0;
	int rc;

	if (s->st[id] != NULL)
		return 0;
	rc = sqlite3_prepare_v3(s->db, stmts[id].sql, -1, flags, &s->st[id],
	    NULL);
	if (rc != SQLITE_OK) {
		set_err(s, "prepare", rc);
		s->st[id] = NULL;
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
stmt(struct sq *s, enum st id)
{
	return prepare(s, id) == 0 ? s->st[id] : NULL;
}

static int
prepare_hot(struct sq *s)
{
	for (int i = 0; i < ST__MAX; i++)
		if (stmts[i].hot && prepare(s, (enum st)i) == -1)
			return -1;
	return 0;
}

static void
stmt_done(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

/*
 * Bind parameters 1.. by a type string: 'i' int64_t, 't' const char *
 * (NUL-terminated), 'b' const void * then size_t, 'c' char (a one-letter
 * string). Every 'i' argument must really be an int64_t.
 */
static int
bind(struct sq *s, sqlite3_stmt *st, const char *fmt, ...)
{
	va_list ap;
	int rc = SQLITE_OK, i;

	va_start(ap, fmt);
	for (i = 1; fmt[i - 1] != '\0' && rc == SQLITE_OK; i++) {
		switch (fmt[i - 1]) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 't':
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *),
			    -1, SQLITE_TRANSIENT);
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			rc = n > INT_MAX ? SQLITE_TOOBIG :
			    sqlite3_bind_blob(st, i, p == NULL ? "" : p,
			    (int)n, SQLITE_TRANSIENT);
			break;
		}
		case 'c': {
			char c[2] = { (char)va_arg(ap, int), '\0' };

			rc = sqlite3_bind_text(st, i, c, 1, SQLITE_TRANSIENT);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		set_err(s, "bind", rc);
		return -1;
	}
	return 0;
}

/* Step a statement that returns no row; *changes may be NULL. */
static int
run(struct sq *s, sqlite3_stmt *st, const char *what, int64_t *changes)
{
	int rc = step(s, st);

	if (rc != SQLITE_DONE) {
		set_err(s, what, rc);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes64(s->db);
	return 0;
}

/* Step for one row: STORE_OK with a row, STORE_NOTFOUND, STORE_ERROR. */
static int
row(struct sq *s, sqlite3_stmt *st, const char *what)
{
	int rc = step(s, st);

	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	set_err(s, what, rc);
	return STORE_ERROR;
}

/* Read one integer from a statement that must return a row. */
static int
scalar(struct sq *s, sqlite3_stmt *st, const char *what, int64_t *out)
{
	int rc = row(s, st, what);

	if (rc == STORE_NOTFOUND) {
		set_msg(s, "query returned no row");
		return STORE_ERROR;
	}
	if (rc == STORE_OK)
		*out = sqlite3_column_int64(st, 0);
	return rc;
}

static void
col_text(sqlite3_stmt *st, int i, char *buf, size_t sz)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	(void)snprintf(buf, sz, "%s", t != NULL ? (const char *)t : "");
}

/* Run one parameterless prepared statement (BEGIN, COMMIT). */
static int
exec_stmt(struct sq *s, enum st id, const char *what)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc;

	if (st == NULL)
		return -1;
	rc = run(s, st, what, NULL);
	stmt_done(st);
	return rc;
}

static int
begin(struct sq *s)
{
	return exec_stmt(s, ST_BEGIN, "begin transaction");
}

static int
commit(struct sq *s)
{
	return exec_stmt(s, ST_COMMIT, "commit");
}

/* Undo a failed transaction; SQLite may already have rolled it back. */
static void
rollback(struct sq *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Read SESSIONGW_FAULT_STEP: unset or empty = off. */
static int
fault_from_env(long *out, char *err, size_t errsz)
{
	const char *v = getenv("SESSIONGW_FAULT_STEP");
	char *end;
	long n;

	*out = 0;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n <= 0) {
		(void)snprintf(err, errsz,
		    "SESSIONGW_FAULT_STEP: not a positive integer");
		return -1;
	}
	*out = n;
	return 0;
}

static int
check_exists(const char *path, const struct store_opts *o, char *err,
    size_t errsz)
{
	struct stat sb;

	if (o->create || strcmp(path, ":memory:") == 0)
		return 0;
	if (stat(path, &sb) == -1) {
		(void)snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * SQLite's busy handler: wait for a lock another connection holds, up to
 * s->wait_ms in all, sleeping 50 us and doubling to at most 1 ms between
 * tries. sqlite3_busy_timeout() sleeps 1, 2, 5, 10, 15, 20, 25 ... ms,
 * so when the workers race for the write lock most of them sleep through
 * the moments it is free: cache PUT ran at a quarter of the do-nothing
 * responder with a 64 ms p99 (bench/README.md, "Busy wait").
 */
static int
busy_wait(void *arg, int count)
{
	struct sq *s = arg;
	struct timespec now, nap = { 0, 0 };
	long long waited_us;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		s->busy_since = now;
	waited_us = (long long)(now.tv_sec - s->busy_since.tv_sec) * 1000000 +
	    (now.tv_nsec - s->busy_since.tv_nsec) / 1000;
	if (waited_us >= (long long)s->wait_ms * 1000)
		return 0;	/* SQLITE_BUSY to the caller */
	nap.tv_nsec = (count < 5 ? 50000L << count : 1000000L);
	(void)nanosleep(&nap, NULL);
	return 1;
}

static void
set_busy_wait(struct sq *s, int ms)
{
	s->wait_ms = ms > 0 ? ms : 0;
	(void)sqlite3_busy_handler(s->db, busy_wait, s);
}

static int
open_db(struct sq *s, const char *path, const struct store_opts *o,
    char *err, size_t errsz)
{
	int flags = SQLITE_OPEN_NOMUTEX, rc;

	if (o->readonly)
		flags |= SQLITE_OPEN_READONLY;
	else
		flags |= SQLITE_OPEN_READWRITE |
		    (o->create ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		(void)snprintf(err, errsz, "%s: cannot open database: %s",
		    path, s->db != NULL ? sqlite3_errmsg(s->db) :
		    sqlite3_errstr(rc));
		return -1;
	}
	(void)sqlite3_extended_result_codes(s->db, 1);
	set_busy_wait(s, o->wait_ms > 0 ? o->wait_ms : DEFAULT_BUSY_MS);
	return 0;
}

static int
set_pragmas(struct sq *s, const struct store_opts *o, char *err,
    size_t errsz)
{
	const char *sql = o->readonly ?
	    "PRAGMA foreign_keys = ON;" :
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
	    "PRAGMA foreign_keys = ON; "
	    "PRAGMA journal_size_limit = " STORE_WAL_LIMIT_STR ";";

	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		(void)snprintf(err, errsz, "%s: cannot set up database: %s",
		    s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static void sq_close(struct store *);
static int sq_layout_version(struct store *, int *);

int
store_sqlite_open(struct store **out, const char *path,
    const struct store_opts *opts, char *err, size_t errsz)
{
	static const struct store_opts zero;
	const struct store_opts *o = opts != NULL ? opts : &zero;
	struct sq *s = NULL;
	int version;

	*out = NULL;
	if (check_exists(path, o, err, errsz) == -1)
		goto fail;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		(void)snprintf(err, errsz, "%s: out of memory", path);
		goto fail;
	}
	if (snprintf(s->path, sizeof s->path, "%s", path) >=
	    (int)sizeof s->path) {
		(void)snprintf(err, errsz, "database path too long");
		goto fail;
	}
	if (fault_from_env(&s->fault_step, err, errsz) == -1 ||
	    open_db(s, path, o, err, errsz) == -1 ||
	    set_pragmas(s, o, err, errsz) == -1)
		goto fail;
	/* Prepare now only if the tables exist; sq_prepare does it later. */
	if (sq_layout_version(&s->base, &version) == -1 ||
	    ((size_t)version == sql_migrations_count && prepare_hot(s) == -1)) {
		(void)snprintf(err, errsz, "%s", s->err);
		goto fail;
	}
	s->base.ops = &sqlite_ops;
	*out = &s->base;
	return 0;
fail:
	if (s != NULL)
		sq_close(&s->base);
	return -1;
}

static void
sq_close(struct store *sb)
{
	struct sq *s = sq(sb);

	for (int i = 0; i < ST__MAX; i++)
		(void)sqlite3_finalize(s->st[i]);
	(void)sqlite3_close(s->db);
	free(s);
}

static const char *
sq_errmsg(const struct store *sb)
{
	const struct sq *s = csq(sb);

	return s != NULL ? s->err : "no store";
}

static enum store_fault
sq_fault(const struct store *sb)
{
	const struct sq *s = csq(sb);

	return s != NULL ? s->fault : STORE_FAULT_OTHER;
}

static void
sq_set_wait(struct store *sb, int ms)
{
	set_busy_wait(sq(sb), ms);
}

/* PRAGMA user_version; read with exec-free steps, not counted as faults. */
static int
sq_layout_version(struct store *sb, int *version)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		set_err(s, "read schema version", rc);
		return STORE_ERROR;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		set_err(s, "read schema version", rc);
		(void)sqlite3_finalize(st);
		return STORE_ERROR;
	}
	*version = sqlite3_column_int(st, 0);
	(void)sqlite3_finalize(st);
	return STORE_OK;
}

/* Apply migration i (0-based) unless another process got there first. */
static int
migrate_one(struct sq *s, size_t i)
{
	char sql[64];
	int version;

	if (begin(s) == -1)
		return -1;
	if (sq_layout_version(&s->base, &version) == -1)
		goto fail;
	if ((size_t)version > i) {
		if (commit(s) == -1)
			goto fail;
		return 0;
	}
	(void)snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", i + 1);
	if (sqlite3_exec(s->db, sql_migrations[i], NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		char what[64];

		(void)snprintf(what, sizeof what, "migration %zu", i + 1);
		set_err(s, what, sqlite3_errcode(s->db));
		goto fail;
	}
	if (commit(s) == -1)
		goto fail;
	return 0;
fail:
	rollback(s);
	return -1;
}

static int
sq_prepare(struct store *sb, int *from, int *to)
{
	struct sq *s = sq(sb);
	int version;

	if (sq_layout_version(&s->base, &version) == -1)
		return STORE_ERROR;
	if (from != NULL)
		*from = version;
	if ((size_t)version > sql_migrations_count) {
		(void)snprintf(s->err, sizeof s->err,
		    "%s: schema version %d is newer than this program knows "
		    "(%zu)", s->path, version, sql_migrations_count);
		return STORE_ERROR;
	}
	for (size_t i = (size_t)version; i < sql_migrations_count; i++)
		if (migrate_one(s, i) == -1)
			return STORE_ERROR;
	if (sq_layout_version(&s->base, &version) == -1 || prepare_hot(s) == -1)
		return STORE_ERROR;
	if (to != NULL)
		*to = version;
	return STORE_OK;
}

static int
sq_ping(struct store *sb)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_PING);
	int rc;

	if (st == NULL)
		return STORE_ERROR;
	rc = row(s, st, "ping") == STORE_OK ? STORE_OK : STORE_ERROR;
	stmt_done(st);
	return rc;
}

static int
sq_probe_write(struct store *sb)
{
	struct sq *s = sq(sb);

	return exec_stmt(s, ST_PROBE_WRITE, "write probe") == 0 ? STORE_OK :
	    STORE_ERROR;
}

/* ---- users ---- */

/* A blob column into buf; *len = 0 when NULL or larger than bufsz. */
static void
col_blob(sqlite3_stmt *st, int i, unsigned char *buf, size_t bufsz,
    size_t *len)
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);

	*len = 0;
	if (p != NULL && n > 0 && (size_t)n <= bufsz) {
		memcpy(buf, p, (size_t)n);
		*len = (size_t)n;
	}
}

/* The USER_COLS columns, starting at column c0 (0, or after a session). */
static void
read_user_at(sqlite3_stmt *st, int c0, struct user *u)
{
	size_t n;

	memset(u, 0, sizeof *u);
	u->id = sqlite3_column_int64(st, c0);
	col_text(st, c0 + 1, u->name, sizeof u->name);
	col_text(st, c0 + 2, u->pwhash, sizeof u->pwhash);
	u->admin = sqlite3_column_int(st, c0 + 3) != 0;
	u->locked = sqlite3_column_int(st, c0 + 4) != 0;
	u->pw_changed_at = sqlite3_column_int64(st, c0 + 5);
	u->created_at = sqlite3_column_int64(st, c0 + 6);
	u->must_reset = sqlite3_column_int(st, c0 + 7) != 0;
	col_blob(st, c0 + 8, u->mfa.secret, sizeof u->mfa.secret,
	    &u->mfa.secret_len);
	u->mfa.last_step = sqlite3_column_int64(st, c0 + 9);
	/* a recovery blob of any other size is no recovery codes at all */
	col_blob(st, c0 + 10, u->mfa.recovery, sizeof u->mfa.recovery, &n);
	u->mfa.recovery_used = n == sizeof u->mfa.recovery ?
	    sqlite3_column_int64(st, c0 + 11) : -1;
}

static void
read_user(sqlite3_stmt *st, struct user *u)
{
	read_user_at(st, 0, u);
}

static int
check_user_args(struct sq *s, const char *name, const char *pwhash)
{
	if (name != NULL && (name[0] == '\0' ||
	    strlen(name) > USER_NAME_MAX)) {
		set_msg(s, "user name empty or too long");
		return -1;
	}
	if (pwhash != NULL && strlen(pwhash) >= PWHASH_MAX) {
		set_msg(s, "password hash too long");
		return -1;
	}
	return 0;
}

static int
sq_user_add(struct store *sb, const char *name, const char *pwhash,
    bool admin, int64_t now, int64_t *id)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = NULL;
	int rc = STORE_ERROR, src;

	if (check_user_args(s, name, pwhash) == -1 ||
	    (st = stmt(s, ST_USER_ADD)) == NULL ||
	    bind(s, st, "ttii", name, pwhash, (int64_t)admin, now) == -1)
		goto out;
	src = step(s, st);
	if (src == SQLITE_CONSTRAINT_UNIQUE)
		rc = STORE_EXISTS;
	else if (src != SQLITE_DONE)
		set_err(s, "add user", src);
	else {
		if (id != NULL)
			*id = sqlite3_last_insert_rowid(s->db);
		rc = STORE_OK;
	}
out:
	stmt_done(st);
	return rc;
}

static int
user_get(struct sq *s, enum st id, const char *fmt, const char *key,
    int64_t num, struct user *u)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if ((fmt[0] == 't' ? bind(s, st, fmt, key) : bind(s, st, fmt, num))
	    == -1)
		goto out;
	rc = row(s, st, "read user");
	if (rc == STORE_OK)
		read_user(st, u);
out:
	stmt_done(st);
	return rc;
}

static int
sq_user_by_name(struct store *sb, const char *name, struct user *u)
{
	struct sq *s = sq(sb);

	return user_get(s, ST_USER_BY_NAME, "t", name, 0, u);
}

static int
sq_user_by_id(struct store *sb, int64_t id, struct user *u)
{
	struct sq *s = sq(sb);

	return user_get(s, ST_USER_BY_ID, "i", NULL, id, u);
}

/* Run a one-row UPDATE/DELETE: STORE_NOTFOUND when nothing matched. */
static int
update_one(struct sq *s, sqlite3_stmt *st, const char *what)
{
	int64_t n = 0;
	int rc = run(s, st, what, &n);

	stmt_done(st);
	if (rc == -1)
		return STORE_ERROR;
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

static int
sq_user_set_password(struct store *sb, int64_t id, const char *pwhash,
    int64_t now)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st;

	if (check_user_args(s, NULL, pwhash) == -1 ||
	    (st = stmt(s, ST_USER_SET_PW)) == NULL)
		return STORE_ERROR;
	if (bind(s, st, "iti", id, pwhash, now) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "set password");
}

static int
sq_user_rehash(struct store *sb, int64_t id, const char *old_hash,
    const char *new_hash)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st;

	if (check_user_args(s, NULL, new_hash) == -1 ||
	    (st = stmt(s, ST_USER_REHASH)) == NULL)
		return STORE_ERROR;
	if (bind(s, st, "itt", id, old_hash, new_hash) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "rehash password");
}

static int
sq_user_set_locked(struct store *sb, int64_t id, bool locked)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_USER_SET_LOCKED);

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ii", id, (int64_t)locked) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "lock user");
}

static int
sq_user_set_mfa(struct store *sb, int64_t id, const struct user_mfa *m)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_USER_SET_MFA);
	int brc;

	if (st == NULL)
		return STORE_ERROR;
	if (m == NULL)
		brc = bind(s, st, "i", id);
	else if (m->secret_len == 0 || m->secret_len > sizeof m->secret) {
		set_msg(s, "second factor without a secret");
		brc = -1;
	} else
		brc = bind(s, st, "ibibi", id, (const void *)m->secret,
		    m->secret_len, m->last_step, (const void *)m->recovery,
		    sizeof m->recovery, m->recovery_used);
	if (brc == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	if (m == NULL && (sqlite3_bind_int64(st, 3, 0) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, 0) != SQLITE_OK)) {
		set_msg(s, "bind");
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "set second factor");
}

static int
sq_user_mfa_consume(struct store *sb, int64_t id, int64_t step,
    int recovery)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st;

	if (recovery >= MFA_RECOVERY_CODES) {
		set_msg(s, "no such recovery code");
		return STORE_ERROR;
	}
	st = stmt(s, recovery < 0 ? ST_MFA_STEP : ST_MFA_RECOVERY);
	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ii", id, recovery < 0 ? step : (int64_t)recovery)
	    == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "spend a second-factor code");
}

static int
sq_mfa_pending_put(struct store *sb, const struct mfa_pending *p,
    int64_t now)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_PENDING_EXPIRE);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "i", now) == -1 ||
	    run(s, st, "expire half-done sign-ins", NULL) == -1)
		goto out;
	stmt_done(st);
	if ((st = stmt(s, ST_PENDING_PUT)) == NULL)
		return STORE_ERROR;
	if (bind(s, st, "biii", (const void *)p->hash,
	    (size_t)SESSION_HASH_BYTES, p->user_id, p->expires_at,
	    (int64_t)p->enrol) == -1 ||
	    run(s, st, "store a half-done sign-in", NULL) == -1)
		goto out;
	rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

static int
sq_mfa_pending_get(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES], int64_t now,
    struct mfa_pending *p)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_PENDING_GET);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "bi", (const void *)hash, (size_t)SESSION_HASH_BYTES,
	    now) == -1)
		goto out;
	rc = row(s, st, "read a half-done sign-in");
	if (rc == STORE_OK) {
		memcpy(p->hash, hash, SESSION_HASH_BYTES);
		p->user_id = sqlite3_column_int64(st, 0);
		p->expires_at = sqlite3_column_int64(st, 1);
		p->enrol = sqlite3_column_int(st, 2) != 0;
	}
out:
	stmt_done(st);
	return rc;
}

static int
sq_mfa_pending_del(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_PENDING_DEL);

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "b", (const void *)hash, (size_t)SESSION_HASH_BYTES)
	    == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "delete a half-done sign-in");
}

/* Sessions go by ON DELETE CASCADE; cache rows have no foreign key. */
static int
sq_user_del(struct store *sb, int64_t id)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *cache = NULL, *user = NULL;
	int64_t n = 0;
	int rc = STORE_ERROR;

	if ((cache = stmt(s, ST_USER_DEL_CACHE)) == NULL ||
	    (user = stmt(s, ST_USER_DEL)) == NULL || begin(s) == -1)
		return STORE_ERROR;
	if (bind(s, cache, "i", id) == -1 ||
	    run(s, cache, "delete user cache", NULL) == -1 ||
	    bind(s, user, "i", id) == -1 ||
	    run(s, user, "delete user", &n) == -1)
		goto out;
	if (n == 0) {
		rc = STORE_NOTFOUND;
		goto out;
	}
	stmt_done(cache);
	stmt_done(user);
	if (commit(s) == -1)
		goto out;
	return STORE_OK;
out:
	stmt_done(cache);
	stmt_done(user);
	rollback(s);
	return rc;
}

static int
sq_user_list(struct store *sb, store_user_cb cb, void *arg)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_USER_LIST);
	struct user u;
	int rc;

	if (st == NULL)
		return STORE_ERROR;
	while ((rc = row(s, st, "list users")) == STORE_OK) {
		read_user(st, &u);
		if ((rc = cb(arg, &u)) != 0)
			break;
	}
	stmt_done(st);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/*
 * One transaction for the whole file: 10,000 rows commit in one journal
 * write instead of 10,000, and a fault half-way leaves nothing behind.
 * The statement is reset (not re-prepared) per row.
 */
static int
sq_user_import(struct store *sb, const struct user *users, size_t n,
    bool *inserted)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = NULL;
	int64_t changed;
	int rc = STORE_ERROR;

	for (size_t i = 0; i < n; i++)
		if (check_user_args(s, users[i].name, users[i].pwhash) == -1)
			return STORE_ERROR;
	if ((st = stmt(s, ST_USER_IMPORT)) == NULL)
		return STORE_ERROR;
	if (begin(s) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		const struct user *u = &users[i];

		if (bind(s, st, "ttiiiii", u->name, u->pwhash,
		    (int64_t)u->admin, (int64_t)u->locked,
		    (int64_t)u->must_reset, u->pw_changed_at, u->created_at)
		    == -1 || run(s, st, "import user", &changed) == -1)
			goto out;
		inserted[i] = changed > 0;
		stmt_done(st);
	}
	stmt_done(st);
	st = NULL;
	if (commit(s) == -1)
		goto out;
	return STORE_OK;
out:
	stmt_done(st);
	rollback(s);
	return rc;
}

/* ---- sessions ---- */

static void
read_session(sqlite3_stmt *st, struct session *ss)
{
	const void *h = sqlite3_column_blob(st, 0);

	memset(ss, 0, sizeof *ss);
	if (h != NULL && sqlite3_column_bytes(st, 0) == SESSION_HASH_BYTES)
		memcpy(ss->hash, h, SESSION_HASH_BYTES);
	col_text(st, 1, ss->handle, sizeof ss->handle);
	ss->user_id = sqlite3_column_int64(st, 2);
	ss->created_at = sqlite3_column_int64(st, 3);
	ss->last_seen = sqlite3_column_int64(st, 4);
	ss->expires_at = sqlite3_column_int64(st, 5);
	ss->pw_changed_at = sqlite3_column_int64(st, 6);
	ss->request_count = sqlite3_column_int64(st, 7);
	col_text(st, 8, ss->ip, sizeof ss->ip);
	col_text(st, 9, ss->user_agent, sizeof ss->user_agent);
	ss->remember = sqlite3_column_int(st, 10) != 0;
}

/*
 * STORE_EXISTS for a duplicate hash; STORE_NOTFOUND when the user does not
 * exist (foreign key).
 */
static int
sq_session_create(struct store *sb, const struct session *ss)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_CREATE);
	int rc = STORE_ERROR, src;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "btiiiiiitti", ss->hash, (size_t)SESSION_HASH_BYTES,
	    ss->handle, ss->user_id, ss->created_at, ss->last_seen,
	    ss->expires_at, ss->pw_changed_at, ss->request_count, ss->ip,
	    ss->user_agent, (int64_t)ss->remember) == -1)
		goto out;
	src = step(s, st);
	if (src == SQLITE_DONE)
		rc = STORE_OK;
	else if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = STORE_EXISTS;
	else if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
		rc = STORE_NOTFOUND;
	else
		set_err(s, "create session", src);
out:
	stmt_done(st);
	return rc;
}

static int
sq_session_get(struct store *sb, const unsigned char hash[SESSION_HASH_BYTES],
    struct session *ss)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_GET);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "b", hash, (size_t)SESSION_HASH_BYTES) == -1)
		goto out;
	if ((rc = row(s, st, "read session")) == STORE_OK)
		read_session(st, ss);
out:
	stmt_done(st);
	return rc;
}

/*
 * validate's one read: columns 0..10 are the session, 11.. the user (u.id
 * NULL: no user).
 */
static int
sq_session_get_with_user(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES], struct session *ss,
    struct user *u, bool *user_found)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_GET_WITH_USER);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "b", hash, (size_t)SESSION_HASH_BYTES) == -1)
		goto out;
	if ((rc = row(s, st, "read session")) == STORE_OK) {
		read_session(st, ss);
		*user_found = sqlite3_column_type(st, 11) != SQLITE_NULL;
		read_user_at(st, 11, u);
	}
out:
	stmt_done(st);
	return rc;
}

static int
sq_session_touch(struct store *sb, const struct session *ss)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_TOUCH);

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "biitt", ss->hash, (size_t)SESSION_HASH_BYTES,
	    ss->last_seen, ss->expires_at, ss->ip, ss->user_agent) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "touch session");
}

static int
sq_session_delete(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_DELETE);

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "b", hash, (size_t)SESSION_HASH_BYTES) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "delete session");
}

static int
sq_session_delete_handle(struct store *sb, const char *handle,
    int64_t user_id, struct session *deleted)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st;
	int rc = STORE_ERROR;

	/* A handle is exactly 12 characters; anything else matches nothing. */
	if (strlen(handle) != SESSION_HANDLE_LEN)
		return STORE_NOTFOUND;
	if ((st = stmt(s, ST_SESSION_DELETE_HANDLE)) == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ti", handle, user_id > 0 ? user_id : (int64_t)0)
	    == -1)
		goto out;
	if ((rc = row(s, st, "revoke session")) == STORE_OK && deleted != NULL)
		read_session(st, deleted);
	/* RETURNING: the delete completes only when stepped to the end. */
	if (rc == STORE_OK && step(s, st) != SQLITE_DONE) {
		set_err(s, "revoke session", sqlite3_errcode(s->db));
		rc = STORE_ERROR;
	}
out:
	stmt_done(st);
	return rc;
}

static int
delete_count(struct sq *s, enum st id, const char *what, const char *fmt,
    int64_t a, int64_t *count)
{
	sqlite3_stmt *st = stmt(s, id);
	int64_t n = 0;
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (fmt[0] != '\0' && bind(s, st, fmt, a) == -1)
		goto out;
	if (run(s, st, what, &n) == 0) {
		rc = STORE_OK;
		if (count != NULL)
			*count = n;
	}
out:
	stmt_done(st);
	return rc;
}

static int
sq_session_delete_user(struct store *sb, int64_t user_id, int64_t *count)
{
	struct sq *s = sq(sb);

	return delete_count(s, ST_SESSION_DELETE_USER, "revoke user sessions",
	    "i", user_id, count);
}

static int
sq_session_delete_all(struct store *sb, int64_t *count)
{
	struct sq *s = sq(sb);

	return delete_count(s, ST_SESSION_DELETE_ALL, "delete all sessions",
	    "", 0, count);
}

/* The callback's nonzero result stops the walk and is returned. */
static int
sq_session_list(struct store *sb, int64_t user_id, store_session_cb cb,
    void *arg)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_LIST);
	struct session ss;
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "i", user_id > 0 ? user_id : (int64_t)0) == -1)
		goto out;
	while ((rc = row(s, st, "list sessions")) == STORE_OK) {
		read_session(st, &ss);
		if ((rc = cb(arg, &ss)) != 0)
			break;
	}
	if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

static int
count_query(struct sq *s, enum st id, const char *what, const char *fmt,
    int64_t a, int64_t *out)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (fmt[0] != '\0' && bind(s, st, fmt, a) == -1)
		goto out;
	rc = scalar(s, st, what, out);
out:
	stmt_done(st);
	return rc;
}

static int
sq_session_count(struct store *sb, int64_t now, int64_t absolute_age,
    int64_t *count)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_SESSION_COUNT);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ii", now, absolute_age) != -1)
		rc = scalar(s, st, "count sessions", count);
	stmt_done(st);
	return rc;
}

/* ---- login failures ---- */

/* The login_failures.kind column: 'u' (username) or 'i' (address). */
static int
kind_char(enum login_kind kind)
{
	return kind == LOGIN_BY_USER ? 'u' : 'i';
}

static int
sq_failure_get(struct store *sb, enum login_kind kind, const char *key,
    struct login_failures *f)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_FAILURE_GET);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	memset(f, 0, sizeof *f);
	if (bind(s, st, "ct", kind_char(kind), key) == -1)
		goto out;
	if ((rc = row(s, st, "read login failures")) == STORE_OK) {
		f->count = sqlite3_column_int64(st, 0);
		f->first_at = sqlite3_column_int64(st, 1);
		f->last_at = sqlite3_column_int64(st, 2);
	}
out:
	stmt_done(st);
	return rc;
}

static int
sq_failure_add(struct store *sb, enum login_kind kind, const char *key,
    int64_t now, int64_t window, int64_t keep)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_FAILURE_ADD);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	/* keep: rows are dropped by sq_cleanup_failures instead */
	(void)keep;
	if (bind(s, st, "ctii", kind_char(kind), key, now, now - window) == -1)
		goto out;
	if (run(s, st, "count login failure", NULL) == 0)
		rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

/* Run a one-statement change on one (kind, key) counter. */
static int
failure_exec(struct sq *s, enum st id, enum login_kind kind, const char *key,
    const char *what)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ct", kind_char(kind), key) == -1)
		goto out;
	if (run(s, st, what, NULL) == 0)
		rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

static int
sq_failure_clear(struct store *sb, enum login_kind kind, const char *key)
{
	struct sq *s = sq(sb);

	return failure_exec(s, ST_FAILURE_CLEAR, kind, key,
	    "clear login failures");
}

/* ---- cache ---- */

/* Never returns an expired row; e->value is malloc'd, even for 0 bytes. */
static int
sq_cache_get(struct store *sb, int64_t scope, const char *key, int64_t now,
    struct cache_entry *e)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_CACHE_GET);
	const void *v;
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	memset(e, 0, sizeof *e);
	if (bind(s, st, "iti", scope, key, now) == -1)
		goto out;
	if ((rc = row(s, st, "read cache")) != STORE_OK)
		goto out;
	v = sqlite3_column_blob(st, 0);
	e->len = (size_t)sqlite3_column_bytes(st, 0);
	if ((e->value = malloc(e->len > 0 ? e->len : 1)) == NULL) {
		set_msg(s, "read cache: out of memory");
		e->len = 0;
		rc = STORE_ERROR;
		goto out;
	}
	if (e->len > 0)
		memcpy(e->value, v, e->len);
	col_text(st, 1, e->content_type, sizeof e->content_type);
	e->expires_at = sqlite3_column_int64(st, 2);
out:
	stmt_done(st);
	return rc;
}

static int
cache_exists(struct sq *s, int64_t scope, const char *key, bool *exists)
{
	sqlite3_stmt *st = stmt(s, ST_CACHE_EXISTS);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "it", scope, key) == -1)
		goto out;
	rc = row(s, st, "read cache");
	*exists = rc == STORE_OK;
	if (rc == STORE_NOTFOUND)
		rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

/* Delete n rows with a LIMIT statement (scope ignored by ST_CACHE_CULL). */
static int
cache_delete_oldest(struct sq *s, enum st id, int64_t scope, int64_t n,
    int64_t *deleted)
{
	sqlite3_stmt *st = stmt(s, id);
	int64_t k = 0;
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if ((id == ST_CACHE_EVICT_SCOPE ? bind(s, st, "ii", scope, n) :
	    bind(s, st, "i", n)) == -1)
		goto out;
	if (run(s, st, "evict cache rows", &k) == 0) {
		*deleted += k;
		rc = STORE_OK;
	}
out:
	stmt_done(st);
	return rc;
}

/* A user at quota loses their own oldest rows, never another user's. */
static int
cache_quota(struct sq *s, int64_t scope, const struct cache_limits *lim,
    int64_t *evicted)
{
	int64_t n;

	if (scope == CACHE_SCOPE_GLOBAL || lim->max_entries_per_user <= 0)
		return STORE_OK;
	if (count_query(s, ST_CACHE_SCOPE_COUNT, "count cache rows", "i",
	    scope, &n) != STORE_OK)
		return STORE_ERROR;
	if (n < lim->max_entries_per_user)
		return STORE_OK;
	return cache_delete_oldest(s, ST_CACHE_EVICT_SCOPE, scope,
	    n - lim->max_entries_per_user + 1, evicted);
}

/*
 * The whole table at max_entries: expired rows go first, then (still
 * full) the oldest 1/cull_frequency of all rows, at least one. A
 * cull_frequency of 0 or less empties the table, as in Django.
 */
static int
cache_cull(struct sq *s, int64_t now, const struct cache_limits *lim,
    int64_t *culled)
{
	int64_t n, k;

	if (lim->max_entries <= 0)
		return STORE_OK;
	if (count_query(s, ST_CACHE_COUNT, "count cache rows", "", 0, &n)
	    != STORE_OK)
		return STORE_ERROR;
	if (n < lim->max_entries)
		return STORE_OK;
	if (delete_count(s, ST_CACHE_DELETE_EXPIRED, "delete expired cache",
	    "i", now, &k) != STORE_OK)
		return STORE_ERROR;
	*culled += k;
	n -= k;
	if (n < lim->max_entries)
		return STORE_OK;
	k = lim->cull_frequency > 0 ? n / lim->cull_frequency : n;
	return cache_delete_oldest(s, ST_CACHE_CULL, 0, k > 0 ? k : 1, culled);
}

static int
cache_put(struct sq *s, int64_t scope, const char *key, const void *value,
    size_t len, const char *content_type, int64_t now, int64_t expires_at)
{
	sqlite3_stmt *st = stmt(s, ST_CACHE_PUT);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "itbtii", scope, key, value, len, content_type, now,
	    expires_at) == -1)
		goto out;
	if (run(s, st, "write cache", NULL) == 0)
		rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

static int
sq_cache_set(struct store *sb, int64_t scope, const char *key,
    const void *value, size_t len, const char *content_type, int64_t now,
    int64_t expires_at, const struct cache_limits *limits, int64_t *evicted,
    int64_t *culled)
{
	struct sq *s = sq(sb);
	static const struct cache_limits unlimited;
	const struct cache_limits *lim = limits != NULL ? limits : &unlimited;
	int64_t nevicted = 0, nculled = 0;
	bool exists;

	if (strlen(content_type) >= CTYPE_MAX) {
		set_msg(s, "write cache: content type too long");
		return STORE_ERROR;
	}
	if (begin(s) == -1)
		return STORE_ERROR;
	if (cache_exists(s, scope, key, &exists) != STORE_OK)
		goto fail;
	if (!exists && (cache_quota(s, scope, lim, &nevicted) != STORE_OK ||
	    cache_cull(s, now, lim, &nculled) != STORE_OK))
		goto fail;
	if (cache_put(s, scope, key, value, len, content_type, now,
	    expires_at) != STORE_OK || commit(s) == -1)
		goto fail;
	if (evicted != NULL)
		*evicted = nevicted;
	if (culled != NULL)
		*culled = nculled;
	return STORE_OK;
fail:
	rollback(s);
	return STORE_ERROR;
}

static int
sq_cache_delete(struct store *sb, int64_t scope, const char *key,
    int64_t now)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_CACHE_DELETE);

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "iti", scope, key, now) == -1) {
		stmt_done(st);
		return STORE_ERROR;
	}
	return update_one(s, st, "delete cache row");
}

static int
sq_cache_count(struct store *sb, int64_t *count)
{
	struct sq *s = sq(sb);

	return count_query(s, ST_CACHE_COUNT, "count cache rows", "", 0,
	    count);
}

/* ---- cleanup ---- */

/* batch <= 0 means no limit (LIMIT -1 in SQLite). */
static int
sq_cleanup_sessions(struct store *sb, int64_t now, int64_t absolute_age,
    int64_t batch, int64_t *deleted)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_CLEANUP_SESSIONS);
	int64_t n = 0;
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "iii", now, absolute_age,
	    batch > 0 ? batch : (int64_t)-1) == -1)
		goto out;
	if (run(s, st, "clean up sessions", &n) == 0) {
		rc = STORE_OK;
		if (deleted != NULL)
			*deleted = n;
	}
out:
	stmt_done(st);
	return rc;
}

static int
sq_cleanup_cache(struct store *sb, int64_t now, int64_t batch,
    int64_t *deleted)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_CLEANUP_CACHE);
	int64_t n = 0;
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ii", now, batch > 0 ? batch : (int64_t)-1) == -1)
		goto out;
	if (run(s, st, "clean up cache", &n) == 0) {
		rc = STORE_OK;
		if (deleted != NULL)
			*deleted = n;
	}
out:
	stmt_done(st);
	return rc;
}

static int
sq_cleanup_failures(struct store *sb, int64_t now, int64_t keep,
    int64_t *deleted)
{
	struct sq *s = sq(sb);

	return delete_count(s, ST_CLEANUP_FAILURES, "clean up login failures",
	    "i", now - keep, deleted);
}

/* ---- checkpoint ---- */

/*
 * A PASSIVE checkpoint: copies what it can without waiting for readers or
 * writers, so it never blocks a request (a RESTART, bounded by the busy
 * wait, when the WAL has grown past STORE_WAL_RESTART_FRAMES). SQLite's own autocheckpoint runs
 * inside whichever commit crosses the threshold; this one runs in the
 * cleanup pass, after the sweep wrote most. Busy is not a fault here.
 */
static int
sq_checkpoint(struct store *sb, int *wal_frames, int *checkpointed)
{
	struct sq *s = sq(sb);
	int rc, log = 0, done = 0;

	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	    &log, &done);
	/*
	 * Under steady writes PASSIVE never catches up with the end of the
	 * WAL, so SQLite never starts it over and the file grows without
	 * bound (checkpoint starvation; bench/README.md saw 370 MiB in a
	 * minute). Past STORE_WAL_RESTART_FRAMES, RESTART: it waits (the
	 * connection's busy wait, the short bookkeeping one in the cleanup
	 * pass) for readers to leave the WAL, then the next commit starts it
	 * over and journal_size_limit truncates it.
	 */
	if (rc == SQLITE_OK && log > STORE_WAL_RESTART_FRAMES)
		rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
		    SQLITE_CHECKPOINT_RESTART, &log, &done);
	if (wal_frames != NULL)
		*wal_frames = log;
	if (checkpointed != NULL)
		*checkpointed = done;
	if (rc == SQLITE_OK || rc == SQLITE_BUSY)
		return STORE_OK;
	set_err(s, "checkpoint", rc);
	return STORE_ERROR;
}

/* ---- size and counters ---- */

/* bytes: the database file (page_count * page_size). */
static int
sq_stats(struct store *sb, struct store_stats *out)
{
	struct sq *s = sq(sb);

	memset(out, 0, sizeof *out);
	out->backend = STORE_BACKEND_SQLITE;
	out->persistent = true;
	return count_query(s, ST_DB_SIZE, "database size", "", 0, &out->bytes);
}

static int
sq_counter_add(struct store *sb, const char *name, int64_t delta)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_COUNTER_ADD);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "ti", name, delta) == -1)
		goto out;
	if (run(s, st, "add to counter", NULL) == 0)
		rc = STORE_OK;
out:
	stmt_done(st);
	return rc;
}

/* A counter never written reads as 0. */
static int
sq_counter_get(struct store *sb, const char *name, int64_t *value)
{
	struct sq *s = sq(sb);
	sqlite3_stmt *st = stmt(s, ST_COUNTER_GET);
	int rc = STORE_ERROR;

	if (st == NULL)
		return STORE_ERROR;
	if (bind(s, st, "t", name) == -1)
		goto out;
	rc = row(s, st, "read counter");
	if (rc == STORE_OK)
		*value = sqlite3_column_int64(st, 0);
	else if (rc == STORE_NOTFOUND) {
		*value = 0;
		rc = STORE_OK;
	}
out:
	stmt_done(st);
	return rc;
}

static const struct store_ops sqlite_ops = {
	.close = sq_close,
	.errmsg = sq_errmsg,
	.fault = sq_fault,
	.set_wait = sq_set_wait,
	.prepare = sq_prepare,
	.layout_version = sq_layout_version,
	.ping = sq_ping,
	.probe_write = sq_probe_write,
	.stats = sq_stats,
	.user_add = sq_user_add,
	.user_by_name = sq_user_by_name,
	.user_by_id = sq_user_by_id,
	.user_set_password = sq_user_set_password,
	.user_rehash = sq_user_rehash,
	.user_set_locked = sq_user_set_locked,
	.user_del = sq_user_del,
	.user_list = sq_user_list,
	.user_import = sq_user_import,
	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_get_with_user = sq_session_get_with_user,
	.session_touch = sq_session_touch,
	.session_delete = sq_session_delete,
	.session_delete_handle = sq_session_delete_handle,
	.session_delete_user = sq_session_delete_user,
	.session_delete_all = sq_session_delete_all,
	.session_list = sq_session_list,
	.session_count = sq_session_count,
	.failure_get = sq_failure_get,
	.failure_add = sq_failure_add,
	.failure_clear = sq_failure_clear,
	.cache_get = sq_cache_get,
	.cache_set = sq_cache_set,
	.cache_delete = sq_cache_delete,
	.cache_count = sq_cache_count,
	.cleanup_sessions = sq_cleanup_sessions,
	.cleanup_cache = sq_cleanup_cache,
	.cleanup_failures = sq_cleanup_failures,
	.checkpoint = sq_checkpoint,
	.counter_add = sq_counter_add,
	.counter_get = sq_counter_get,
	.user_set_mfa = sq_user_set_mfa,
	.user_mfa_consume = sq_user_mfa_consume,
	.mfa_pending_put = sq_mfa_pending_put,
	.mfa_pending_get = sq_mfa_pending_get,
	.mfa_pending_del = sq_mfa_pending_del,
};
