/*
 * store_sqlite.c - the SQLite backend of store.h.
 *
 * One struct store is one connection plus its prepared statements, used by
 * one thread only (hence SQLITE_OPEN_NOMUTEX). Every statement comes from
 * the stmts[] table below; the hot ones are prepared once (at open when the
 * schema is current, else right after store_migrate), the rare ones on first
 * use, and all are kept until store_close. Every query runs through one
 * runner, q_run() (q_exec, q_change, q_row, q_each, q_scalar over a bind
 * list): it gets the statement, binds, steps, turns the step's result into
 * a store status, and resets the statement and clears its bindings on every
 * path.
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
#include <stdatomic.h>
#include <sqlite3.h>
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
 * WAL on disk for good. 16 MiB, where a commit restarts the WAL
 * (STORE_WAL_RESTART_FRAMES below).
 */
#define STORE_WAL_LIMIT_STR	"16777216"
/*
 * WAL frames (pages, 4 KiB by default) past which a checkpoint restarts
 * the WAL: the cleanup stage's, and the one a commit runs (wal_committed).
 * 16 MiB, journal_size_limit's size: bench/README.md "WAL bounded by size"
 * measured 37.5 MiB at the largest, and 2 x 4096 frames let 104 MiB
 * through at the start of the load.
 */
#define STORE_WAL_RESTART_FRAMES	4096
/* SQLite's own autocheckpoint threshold, which wal_committed replaces */
#define STORE_WAL_AUTO_FRAMES		1000
/*
 * A RESTART run by a commit waits at most this for the readers of the old
 * WAL (validates: microseconds each) and for the write lock; when that is
 * not enough, no commit of this process tries again for
 * STORE_WAL_RETRY_MS, so a busy WAL cannot stall the writers over and
 * over.
 */
#define STORE_WAL_RESTART_WAIT_MS	20
#define STORE_WAL_RETRY_MS		100

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

/*
 * Flags of a statement, read by q_run:
 * QF_KEYED: a broken key is an answer, not a fault: a duplicate key
 *     (primary or unique) is STORE_EXISTS, a missing parent row (foreign
 *     key) STORE_NOTFOUND.
 * QF_RETURNING: a change with RETURNING is done only when stepped to the
 *     end, so q_row steps on past the row it reads (each row goes to the
 *     reader).
 */
#define QF_KEYED	0x1
#define QF_RETURNING	0x2

/*
 * hot: prepared up front (request path); the rest on first use (CLI).
 * flags: QF_* above.
 */
static const struct {
	const char	*sql;
	int		 hot;
	int		 flags;
} stmts[ST__MAX] = {
	[ST_BEGIN] = { "BEGIN IMMEDIATE", 1, 0 },
	[ST_COMMIT] = { "COMMIT", 1, 0 },
	/* Reads the schema, so a missing or corrupt file is noticed. */
	[ST_PING] = { "SELECT count(*) FROM sqlite_master", 1, 0 },
	[ST_USER_ADD] = { "INSERT INTO users (name, pwhash, admin, locked, "
	    "pw_changed_at, created_at) VALUES (?1, ?2, ?3, 0, ?4, ?4)", 0,
	    QF_KEYED },
	[ST_USER_BY_NAME] = { "SELECT " USER_COLS " FROM users "
	    "WHERE name = ?1", 1, 0 },
	[ST_USER_BY_ID] = { "SELECT " USER_COLS " FROM users "
	    "WHERE id = ?1", 1, 0 },
	/* A new password is a usable one: it ends must_reset. */
	[ST_USER_SET_PW] = { "UPDATE users SET pwhash = ?2, "
	    "pw_changed_at = ?3, must_reset = 0 WHERE id = ?1", 0, 0 },
	[ST_USER_SET_LOCKED] = { "UPDATE users SET locked = ?2 "
	    "WHERE id = ?1", 0, 0 },
	[ST_USER_DEL] = { "DELETE FROM users WHERE id = ?1", 0, 0 },
	[ST_USER_DEL_CACHE] = { "DELETE FROM cache WHERE scope = ?1", 0, 0 },
	[ST_USER_LIST] = { "SELECT " USER_COLS " FROM users "
	    "ORDER BY name", 0, 0 },
	/*
	 * Same password, stronger hash: pw_changed_at stays, so sessions
	 * (the one just started) stay valid. Only if the hash is still the
	 * one that was verified: a concurrent `user passwd` wins.
	 */
	[ST_USER_REHASH] = { "UPDATE users SET pwhash = ?3 "
	    "WHERE id = ?1 AND pwhash = ?2", 0, 0 },
	/* Import never overwrites: a taken name changes nothing. */
	[ST_USER_IMPORT] = { "INSERT INTO users (name, pwhash, admin, locked, "
	    "must_reset, pw_changed_at, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (name) DO NOTHING", 0, 0 },
	[ST_SESSION_CREATE] = { "INSERT INTO sessions (" SESSION_COLS ") "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", 1,
	    QF_KEYED },
	[ST_SESSION_GET] = { "SELECT " SESSION_COLS " FROM sessions "
	    "WHERE hash = ?1", 1, 0 },
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
	    "WHERE s.hash = ?1", 1, 0 },
	[ST_SESSION_TOUCH] = { "UPDATE sessions SET last_seen = ?2, "
	    "expires_at = ?3, ip = ?4, user_agent = ?5, "
	    "request_count = request_count + 1 WHERE hash = ?1", 1, 0 },
	[ST_SESSION_DELETE] = { "DELETE FROM sessions WHERE hash = ?1", 1, 0 },
	/* One statement, so finding and deleting the row is atomic. */
	[ST_SESSION_DELETE_HANDLE] = { "DELETE FROM sessions WHERE hash = "
	    "(SELECT hash FROM sessions WHERE handle = ?1 "
	    "AND (?2 = 0 OR user_id = ?2) LIMIT 1) "
	    "RETURNING " SESSION_COLS, 1, QF_RETURNING },
	[ST_SESSION_DELETE_USER] = { "DELETE FROM sessions "
	    "WHERE user_id = ?1", 1, 0 },
	[ST_SESSION_DELETE_ALL] = { "DELETE FROM sessions", 0, 0 },
	[ST_SESSION_LIST] = { "SELECT " SESSION_COLS " FROM sessions "
	    "WHERE ?1 = 0 OR user_id = ?1 "
	    "ORDER BY created_at DESC, last_seen DESC", 1, 0 },
	[ST_SESSION_COUNT] = { "SELECT count(*) FROM sessions "
	    "WHERE expires_at > ?1 AND (?2 <= 0 OR created_at + ?2 > ?1)", 1, 0 },
	[ST_FAILURE_GET] = { "SELECT count, first_at, last_at "
	    "FROM login_failures WHERE kind = ?1 AND key = ?2", 1, 0 },
	/* SET sees the old row, so both CASEs test the old first_at. */
	[ST_FAILURE_ADD] = { "INSERT INTO login_failures "
	    "(kind, key, count, first_at, last_at) VALUES (?1, ?2, 1, ?3, ?3) "
	    "ON CONFLICT (kind, key) DO UPDATE SET "
	    "count = CASE WHEN first_at < ?4 THEN 1 ELSE count + 1 END, "
	    "first_at = CASE WHEN first_at < ?4 THEN ?3 ELSE first_at END, "
	    "last_at = ?3", 1, 0 },
	[ST_FAILURE_CLEAR] = { "DELETE FROM login_failures "
	    "WHERE kind = ?1 AND key = ?2", 1, 0 },
	[ST_CACHE_GET] = { "SELECT value, content_type, expires_at FROM cache "
	    "WHERE scope = ?1 AND key = ?2 "
	    "AND (expires_at = 0 OR expires_at > ?3)", 1, 0 },
	[ST_CACHE_EXISTS] = { "SELECT 1 FROM cache "
	    "WHERE scope = ?1 AND key = ?2", 1, 0 },
	[ST_CACHE_PUT] = { "INSERT INTO cache (scope, key, value, "
	    "content_type, created_at, expires_at, seq) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "(SELECT IFNULL(MAX(seq), 0) + 1 FROM cache)) "
	    "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, "
	    "content_type = excluded.content_type, "
	    "created_at = excluded.created_at, "
	    "expires_at = excluded.expires_at, seq = excluded.seq", 1, 0 },
	[ST_CACHE_SCOPE_COUNT] = { "SELECT count(*) FROM cache "
	    "WHERE scope = ?1", 1, 0 },
	/* WHERE scope = ?1 twice: the quota never touches another user. */
	[ST_CACHE_EVICT_SCOPE] = { "DELETE FROM cache WHERE scope = ?1 "
	    "AND rowid IN (SELECT rowid FROM cache WHERE scope = ?1 "
	    "ORDER BY seq LIMIT ?2)", 1, 0 },
	[ST_CACHE_COUNT] = { "SELECT count(*) FROM cache", 1, 0 },
	[ST_CACHE_DELETE_EXPIRED] = { "DELETE FROM cache "
	    "WHERE expires_at != 0 AND expires_at <= ?1", 1, 0 },
	[ST_CACHE_CULL] = { "DELETE FROM cache WHERE rowid IN "
	    "(SELECT rowid FROM cache ORDER BY seq LIMIT ?1)", 1, 0 },
	/* An expired row counts as missing; cleanup removes it. */
	[ST_CACHE_DELETE] = { "DELETE FROM cache "
	    "WHERE scope = ?1 AND key = ?2 "
	    "AND (expires_at = 0 OR expires_at > ?3)", 1, 0 },
	/* Batched so that no cleanup pass holds the write lock for long. */
	[ST_CLEANUP_SESSIONS] = { "DELETE FROM sessions WHERE hash IN "
	    "(SELECT hash FROM sessions WHERE expires_at <= ?1 "
	    "OR (?2 > 0 AND created_at + ?2 <= ?1) LIMIT ?3)", 1, 0 },
	[ST_CLEANUP_CACHE] = { "DELETE FROM cache WHERE rowid IN "
	    "(SELECT rowid FROM cache WHERE expires_at != 0 "
	    "AND expires_at <= ?1 LIMIT ?2)", 1, 0 },
	[ST_CLEANUP_FAILURES] = { "DELETE FROM login_failures "
	    "WHERE last_at < ?1", 1, 0 },
	[ST_DB_SIZE] = { "SELECT page_count * page_size "
	    "FROM pragma_page_count(), pragma_page_size()", 1, 0 },
	[ST_COUNTER_ADD] = { "INSERT INTO counters (name, value) "
	    "VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE "
	    "SET value = value + ?2", 1, 0 },
	[ST_COUNTER_GET] = { "SELECT value FROM counters WHERE name = ?1", 1, 0 },
	/*
	 * Rewrites one row with its own value: a real page write (so a full
	 * disk shows), changing nothing anyone reads.
	 */
	[ST_PROBE_WRITE] = { "INSERT INTO counters (name, value) "
	    "VALUES ('write_probe', 0) ON CONFLICT (name) DO UPDATE "
	    "SET value = value", 1, 0 },
	/* NULL blobs (?2, ?4 unbound) remove the second factor. */
	[ST_USER_SET_MFA] = { "UPDATE users SET mfa_secret = ?2, "
	    "mfa_last_step = ?3, mfa_recovery = ?4, mfa_recovery_used = ?5 "
	    "WHERE id = ?1", 0, 0 },
	/* The replay rule in one statement: only a later step wins. */
	[ST_MFA_STEP] = { "UPDATE users SET mfa_last_step = ?2 "
	    "WHERE id = ?1 AND mfa_secret IS NOT NULL "
	    "AND mfa_last_step < ?2", 1, 0 },
	[ST_MFA_RECOVERY] = { "UPDATE users SET mfa_recovery_used = "
	    "mfa_recovery_used | (1 << ?2) WHERE id = ?1 "
	    "AND mfa_secret IS NOT NULL "
	    "AND (mfa_recovery_used & (1 << ?2)) = 0", 1, 0 },
	[ST_PENDING_PUT] = { "INSERT INTO mfa_pending (hash, user_id, "
	    "expires_at, enrol) VALUES (?1, ?2, ?3, ?4)", 1, 0 },
	[ST_PENDING_EXPIRE] = { "DELETE FROM mfa_pending "
	    "WHERE expires_at <= ?1", 1, 0 },
	[ST_PENDING_GET] = { "SELECT user_id, expires_at, enrol "
	    "FROM mfa_pending WHERE hash = ?1 AND expires_at > ?2", 1, 0 },
	[ST_PENDING_DEL] = { "DELETE FROM mfa_pending WHERE hash = ?1", 1, 0 },
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

/*
 * Ends every use of a statement, on every path: the statement is ready
 * for its next use and holds no pointer to the caller's bound values.
 */
static void
stmt_done(sqlite3_stmt *st)
{
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
}

static void
col_text(sqlite3_stmt *st, int i, char *buf, size_t sz)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	(void)snprintf(buf, sz, "%s", t != NULL ? (const char *)t : "");
}

/* ---- the statement runner: every query goes through q_run ---- */

/*
 * A bind list: parameter ?k is element k-1, up to the QA_END element that
 * QARGS adds. The list lives on the caller's stack (no allocation per
 * query); NULL is the empty list. Text is NUL-terminated; a blob is a
 * pointer and a length (NULL with 0 binds an empty blob, not NULL).
 */
enum qa_type { QA_END, QA_INT, QA_TEXT, QA_BLOB, QA_NULL };

struct qarg {
	enum qa_type	 type;
	int64_t		 i;
	const void	*p;
	size_t		 n;
};

#define QI(v)		{ .type = QA_INT, .i = (int64_t)(v) }
#define QT(t)		{ .type = QA_TEXT, .p = (t) }
#define QB(b, len)	{ .type = QA_BLOB, .p = (b), .n = (len) }
#define QHASH(h)	QB((h), SESSION_HASH_BYTES)
#define QNULL		{ .type = QA_NULL }
#define QARGS(...)	\
	((const struct qarg[]){ __VA_ARGS__, { .type = QA_END } })

/*
 * A reader gets the current row of st (columns are valid only during the
 * call). STORE_OK goes on; anything else stops the query and is what the
 * query returns.
 */
typedef int (*q_reader)(struct sq *, sqlite3_stmt *, void *arg);

enum q_mode {
	Q_EXEC,		/* no row wanted: step to SQLITE_DONE */
	Q_ROW,		/* the first row to the reader, none: STORE_NOTFOUND */
	Q_EACH,		/* every row to the reader */
};

/*
 * Values are bound SQLITE_STATIC (not copied): q_run clears the bindings
 * before it returns, while the caller's buffers are still there.
 */
static int
q_bind(struct sq *s, sqlite3_stmt *st, const struct qarg *a)
{
	int rc = SQLITE_OK;

	for (int i = 1; a != NULL && a->type != QA_END && rc == SQLITE_OK;
	    a++, i++) {
		switch (a->type) {
		case QA_INT:
			rc = sqlite3_bind_int64(st, i, a->i);
			break;
		case QA_TEXT:
			rc = sqlite3_bind_text(st, i, a->p, -1, SQLITE_STATIC);
			break;
		case QA_BLOB:
			rc = a->n > INT_MAX ? SQLITE_TOOBIG :
			    sqlite3_bind_blob(st, i, a->p != NULL ? a->p : "",
			    (int)a->n, SQLITE_STATIC);
			break;
		case QA_NULL:
			rc = sqlite3_bind_null(st, i);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	if (rc != SQLITE_OK) {
		set_err(s, "bind", rc);
		return STORE_ERROR;
	}
	return STORE_OK;
}

/*
 * How a statement's last step() ends the query: the one place a step's
 * result code becomes a store status. A QF_KEYED statement's broken key
 * is an answer (see stmts[]), every other code a fault.
 */
static int
q_status(struct sq *s, enum st id, const char *what, int src)
{
	if (src == SQLITE_DONE)
		return STORE_OK;
	if (stmts[id].flags & QF_KEYED) {
		if (src == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    src == SQLITE_CONSTRAINT_UNIQUE)
			return STORE_EXISTS;
		if (src == SQLITE_CONSTRAINT_FOREIGNKEY)
			return STORE_NOTFOUND;
	}
	set_err(s, what, src);
	return STORE_ERROR;
}

/*
 * Run statement id (the cached one: never prepared twice) with args,
 * handing rows to rd as mode says; *changes (may be NULL) gets the rows
 * changed when the statement completes. what names the query in an error
 * message. Always ends in stmt_done().
 */
static int
q_run(struct sq *s, enum st id, const char *what, const struct qarg *args,
    enum q_mode mode, q_reader rd, void *arg, int64_t *changes)
{
	sqlite3_stmt *st = stmt(s, id);
	int rc, src, found = 0;

	if (st == NULL)
		return STORE_ERROR;
	if ((rc = q_bind(s, st, args)) != STORE_OK)
		goto out;
	src = step(s, st);
	while (src == SQLITE_ROW && mode != Q_EXEC) {
		found = 1;
		if ((rc = rd(s, st, arg)) != STORE_OK ||
		    (mode == Q_ROW && !(stmts[id].flags & QF_RETURNING)))
			goto out;
		src = step(s, st);
	}
	if ((rc = q_status(s, id, what, src)) != STORE_OK)
		goto out;
	if (mode == Q_ROW && !found)
		rc = STORE_NOTFOUND;
	else if (changes != NULL)
		*changes = sqlite3_changes64(s->db);
out:
	stmt_done(st);
	return rc;
}

/* A statement that returns no row; *changes may be NULL. */
static int
q_exec(struct sq *s, enum st id, const char *what, const struct qarg *args,
    int64_t *changes)
{
	return q_run(s, id, what, args, Q_EXEC, NULL, NULL, changes);
}

/* A one-row UPDATE/DELETE: STORE_NOTFOUND when nothing matched. */
static int
q_change(struct sq *s, enum st id, const char *what, const struct qarg *args)
{
	int64_t n = 0;
	int rc = q_exec(s, id, what, args, &n);

	return rc == STORE_OK && n == 0 ? STORE_NOTFOUND : rc;
}

/* The first row to rd: STORE_OK, STORE_NOTFOUND, or rd's status. */
static int
q_row(struct sq *s, enum st id, const char *what, const struct qarg *args,
    q_reader rd, void *arg)
{
	return q_run(s, id, what, args, Q_ROW, rd, arg, NULL);
}

/* Every row to rd; rd's first status other than STORE_OK is returned. */
static int
q_each(struct sq *s, enum st id, const char *what, const struct qarg *args,
    q_reader rd, void *arg)
{
	return q_run(s, id, what, args, Q_EACH, rd, arg, NULL);
}

/* Column 0 as an int64_t *arg. */
static int
rd_int64(struct sq *s, sqlite3_stmt *st, void *arg)
{
	(void)s;
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return STORE_OK;
}

/* One integer from a statement that always returns a row (count(*)). */
static int
q_scalar(struct sq *s, enum st id, const char *what, const struct qarg *args,
    int64_t *out)
{
	int rc = q_row(s, id, what, args, rd_int64, out);

	if (rc == STORE_NOTFOUND) {
		set_msg(s, "query returned no row");
		rc = STORE_ERROR;
	}
	return rc;
}

static int
begin(struct sq *s)
{
	return q_exec(s, ST_BEGIN, "begin transaction", NULL, NULL);
}

static int
commit(struct sq *s)
{
	return q_exec(s, ST_COMMIT, "commit", NULL, NULL);
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

static int wal_committed(void *, sqlite3 *, const char *, int);

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
	if (!o->readonly)
		(void)sqlite3_wal_hook(s->db, wal_committed, s);
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
	int64_t n;

	return q_scalar(sq(sb), ST_PING, "ping", NULL, &n);
}

static int
sq_probe_write(struct store *sb)
{
	return q_exec(sq(sb), ST_PROBE_WRITE, "write probe", NULL, NULL);
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

/* A USER_COLS row into the struct user *arg. */
static int
rd_user(struct sq *s, sqlite3_stmt *st, void *arg)
{
	(void)s;
	read_user_at(st, 0, arg);
	return STORE_OK;
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

/* STORE_EXISTS when the name is taken (ST_USER_ADD is QF_KEYED). */
static int
sq_user_add(struct store *sb, const char *name, const char *pwhash,
    bool admin, int64_t now, int64_t *id)
{
	struct sq *s = sq(sb);
	int rc;

	if (check_user_args(s, name, pwhash) == -1)
		return STORE_ERROR;
	rc = q_exec(s, ST_USER_ADD, "add user",
	    QARGS(QT(name), QT(pwhash), QI(admin), QI(now)), NULL);
	if (rc == STORE_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int
sq_user_by_name(struct store *sb, const char *name, struct user *u)
{
	return q_row(sq(sb), ST_USER_BY_NAME, "read user", QARGS(QT(name)),
	    rd_user, u);
}

static int
sq_user_by_id(struct store *sb, int64_t id, struct user *u)
{
	return q_row(sq(sb), ST_USER_BY_ID, "read user", QARGS(QI(id)),
	    rd_user, u);
}

static int
sq_user_set_password(struct store *sb, int64_t id, const char *pwhash,
    int64_t now)
{
	struct sq *s = sq(sb);

	if (check_user_args(s, NULL, pwhash) == -1)
		return STORE_ERROR;
	return q_change(s, ST_USER_SET_PW, "set password",
	    QARGS(QI(id), QT(pwhash), QI(now)));
}

static int
sq_user_rehash(struct store *sb, int64_t id, const char *old_hash,
    const char *new_hash)
{
	struct sq *s = sq(sb);

	if (check_user_args(s, NULL, new_hash) == -1)
		return STORE_ERROR;
	return q_change(s, ST_USER_REHASH, "rehash password",
	    QARGS(QI(id), QT(old_hash), QT(new_hash)));
}

static int
sq_user_set_locked(struct store *sb, int64_t id, bool locked)
{
	return q_change(sq(sb), ST_USER_SET_LOCKED, "lock user",
	    QARGS(QI(id), QI(locked)));
}

/* m == NULL removes the second factor: NULL secret and recovery blobs. */
static int
sq_user_set_mfa(struct store *sb, int64_t id, const struct user_mfa *m)
{
	struct sq *s = sq(sb);

	if (m == NULL)
		return q_change(s, ST_USER_SET_MFA, "set second factor",
		    QARGS(QI(id), QNULL, QI(0), QNULL, QI(0)));
	if (m->secret_len == 0 || m->secret_len > sizeof m->secret) {
		set_msg(s, "second factor without a secret");
		return STORE_ERROR;
	}
	return q_change(s, ST_USER_SET_MFA, "set second factor",
	    QARGS(QI(id), QB(m->secret, m->secret_len), QI(m->last_step),
	    QB(m->recovery, sizeof m->recovery), QI(m->recovery_used)));
}

static int
sq_user_mfa_consume(struct store *sb, int64_t id, int64_t step,
    int recovery)
{
	struct sq *s = sq(sb);

	if (recovery >= MFA_RECOVERY_CODES) {
		set_msg(s, "no such recovery code");
		return STORE_ERROR;
	}
	return q_change(s, recovery < 0 ? ST_MFA_STEP : ST_MFA_RECOVERY,
	    "spend a second-factor code",
	    QARGS(QI(id), QI(recovery < 0 ? step : recovery)));
}

static int
sq_mfa_pending_put(struct store *sb, const struct mfa_pending *p,
    int64_t now)
{
	struct sq *s = sq(sb);

	if (q_exec(s, ST_PENDING_EXPIRE, "expire half-done sign-ins",
	    QARGS(QI(now)), NULL) != STORE_OK)
		return STORE_ERROR;
	return q_exec(s, ST_PENDING_PUT, "store a half-done sign-in",
	    QARGS(QHASH(p->hash), QI(p->user_id), QI(p->expires_at),
	    QI(p->enrol)), NULL);
}

/* The pending row into the struct mfa_pending *arg (hash set by caller). */
static int
rd_pending(struct sq *s, sqlite3_stmt *st, void *arg)
{
	struct mfa_pending *p = arg;

	(void)s;
	p->user_id = sqlite3_column_int64(st, 0);
	p->expires_at = sqlite3_column_int64(st, 1);
	p->enrol = sqlite3_column_int(st, 2) != 0;
	return STORE_OK;
}

static int
sq_mfa_pending_get(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES], int64_t now,
    struct mfa_pending *p)
{
	int rc = q_row(sq(sb), ST_PENDING_GET, "read a half-done sign-in",
	    QARGS(QHASH(hash), QI(now)), rd_pending, p);

	if (rc == STORE_OK)
		memcpy(p->hash, hash, SESSION_HASH_BYTES);
	return rc;
}

static int
sq_mfa_pending_del(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	return q_change(sq(sb), ST_PENDING_DEL, "delete a half-done sign-in",
	    QARGS(QHASH(hash)));
}

/* Sessions go by ON DELETE CASCADE; cache rows have no foreign key. */
static int
sq_user_del(struct store *sb, int64_t id)
{
	struct sq *s = sq(sb);
	int64_t n = 0;
	int rc;

	if (begin(s) != STORE_OK)
		return STORE_ERROR;
	if ((rc = q_exec(s, ST_USER_DEL_CACHE, "delete user cache",
	    QARGS(QI(id)), NULL)) != STORE_OK ||
	    (rc = q_exec(s, ST_USER_DEL, "delete user", QARGS(QI(id)), &n))
	    != STORE_OK)
		goto fail;
	if (n == 0) {
		rc = STORE_NOTFOUND;
		goto fail;
	}
	if ((rc = commit(s)) != STORE_OK)
		goto fail;
	return STORE_OK;
fail:
	rollback(s);
	return rc;
}

struct user_walk {
	store_user_cb	 cb;
	void		*arg;
};

static int
rd_user_walk(struct sq *s, sqlite3_stmt *st, void *arg)
{
	struct user_walk *w = arg;
	struct user u;

	(void)s;
	read_user_at(st, 0, &u);
	return w->cb(w->arg, &u);
}

/* The callback's nonzero result stops the walk and is returned. */
static int
sq_user_list(struct store *sb, store_user_cb cb, void *arg)
{
	struct user_walk w = { cb, arg };

	return q_each(sq(sb), ST_USER_LIST, "list users", NULL, rd_user_walk,
	    &w);
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
	int64_t changed;

	for (size_t i = 0; i < n; i++)
		if (check_user_args(s, users[i].name, users[i].pwhash) == -1)
			return STORE_ERROR;
	if (begin(s) != STORE_OK)
		return STORE_ERROR;
	for (size_t i = 0; i < n; i++) {
		const struct user *u = &users[i];

		if (q_exec(s, ST_USER_IMPORT, "import user",
		    QARGS(QT(u->name), QT(u->pwhash), QI(u->admin),
		    QI(u->locked), QI(u->must_reset), QI(u->pw_changed_at),
		    QI(u->created_at)), &changed) != STORE_OK)
			goto fail;
		inserted[i] = changed > 0;
	}
	if (commit(s) != STORE_OK)
		goto fail;
	return STORE_OK;
fail:
	rollback(s);
	return STORE_ERROR;
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

/* A SESSION_COLS row into the struct session *arg, if not NULL. */
static int
rd_session(struct sq *s, sqlite3_stmt *st, void *arg)
{
	(void)s;
	if (arg != NULL)
		read_session(st, arg);
	return STORE_OK;
}

/*
 * STORE_EXISTS for a duplicate hash; STORE_NOTFOUND when the user does not
 * exist (foreign key): ST_SESSION_CREATE is QF_KEYED.
 */
static int
sq_session_create(struct store *sb, const struct session *ss)
{
	return q_exec(sq(sb), ST_SESSION_CREATE, "create session",
	    QARGS(QHASH(ss->hash), QT(ss->handle), QI(ss->user_id),
	    QI(ss->created_at), QI(ss->last_seen), QI(ss->expires_at),
	    QI(ss->pw_changed_at), QI(ss->request_count), QT(ss->ip),
	    QT(ss->user_agent), QI(ss->remember)), NULL);
}

static int
sq_session_get(struct store *sb, const unsigned char hash[SESSION_HASH_BYTES],
    struct session *ss)
{
	return q_row(sq(sb), ST_SESSION_GET, "read session",
	    QARGS(QHASH(hash)), rd_session, ss);
}

struct session_user {
	struct session	*ss;
	struct user	*u;
	bool		*user_found;
};

/* Columns 0..10 are the session, 11.. the user (u.id NULL: no user). */
static int
rd_session_user(struct sq *s, sqlite3_stmt *st, void *arg)
{
	struct session_user *su = arg;

	(void)s;
	read_session(st, su->ss);
	*su->user_found = sqlite3_column_type(st, 11) != SQLITE_NULL;
	read_user_at(st, 11, su->u);
	return STORE_OK;
}

/* validate's one read: one statement, one step. */
static int
sq_session_get_with_user(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES], struct session *ss,
    struct user *u, bool *user_found)
{
	struct session_user su = { ss, u, user_found };

	return q_row(sq(sb), ST_SESSION_GET_WITH_USER, "read session",
	    QARGS(QHASH(hash)), rd_session_user, &su);
}

static int
sq_session_touch(struct store *sb, const struct session *ss)
{
	return q_change(sq(sb), ST_SESSION_TOUCH, "touch session",
	    QARGS(QHASH(ss->hash), QI(ss->last_seen), QI(ss->expires_at),
	    QT(ss->ip), QT(ss->user_agent)));
}

static int
sq_session_delete(struct store *sb,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	return q_change(sq(sb), ST_SESSION_DELETE, "delete session",
	    QARGS(QHASH(hash)));
}

/* ST_SESSION_DELETE_HANDLE is QF_RETURNING: q_row steps it to the end. */
static int
sq_session_delete_handle(struct store *sb, const char *handle,
    int64_t user_id, struct session *deleted)
{
	/* A handle is exactly 12 characters; anything else matches nothing. */
	if (strlen(handle) != SESSION_HANDLE_LEN)
		return STORE_NOTFOUND;
	return q_row(sq(sb), ST_SESSION_DELETE_HANDLE, "revoke session",
	    QARGS(QT(handle), QI(user_id > 0 ? user_id : 0)), rd_session,
	    deleted);
}

static int
sq_session_delete_user(struct store *sb, int64_t user_id, int64_t *count)
{
	return q_exec(sq(sb), ST_SESSION_DELETE_USER, "revoke user sessions",
	    QARGS(QI(user_id)), count);
}

static int
sq_session_delete_all(struct store *sb, int64_t *count)
{
	return q_exec(sq(sb), ST_SESSION_DELETE_ALL, "delete all sessions",
	    NULL, count);
}

struct session_walk {
	store_session_cb	 cb;
	void			*arg;
};

static int
rd_session_walk(struct sq *s, sqlite3_stmt *st, void *arg)
{
	struct session_walk *w = arg;
	struct session ss;

	(void)s;
	read_session(st, &ss);
	return w->cb(w->arg, &ss);
}

/* The callback's nonzero result stops the walk and is returned. */
static int
sq_session_list(struct store *sb, int64_t user_id, store_session_cb cb,
    void *arg)
{
	struct session_walk w = { cb, arg };

	return q_each(sq(sb), ST_SESSION_LIST, "list sessions",
	    QARGS(QI(user_id > 0 ? user_id : 0)), rd_session_walk, &w);
}

static int
sq_session_count(struct store *sb, int64_t now, int64_t absolute_age,
    int64_t *count)
{
	return q_scalar(sq(sb), ST_SESSION_COUNT, "count sessions",
	    QARGS(QI(now), QI(absolute_age)), count);
}

/* ---- login failures ---- */

/* The login_failures.kind column: "u" (username) or "i" (address). */
static const char *
kind_str(enum login_kind kind)
{
	return kind == LOGIN_BY_USER ? "u" : "i";
}

static int
rd_failures(struct sq *s, sqlite3_stmt *st, void *arg)
{
	struct login_failures *f = arg;

	(void)s;
	f->count = sqlite3_column_int64(st, 0);
	f->first_at = sqlite3_column_int64(st, 1);
	f->last_at = sqlite3_column_int64(st, 2);
	return STORE_OK;
}

static int
sq_failure_get(struct store *sb, enum login_kind kind, const char *key,
    struct login_failures *f)
{
	memset(f, 0, sizeof *f);
	return q_row(sq(sb), ST_FAILURE_GET, "read login failures",
	    QARGS(QT(kind_str(kind)), QT(key)), rd_failures, f);
}

/* keep: rows are dropped by sq_cleanup_failures instead */
static int
sq_failure_add(struct store *sb, enum login_kind kind, const char *key,
    int64_t now, int64_t window, int64_t keep)
{
	(void)keep;
	return q_exec(sq(sb), ST_FAILURE_ADD, "count login failure",
	    QARGS(QT(kind_str(kind)), QT(key), QI(now), QI(now - window)),
	    NULL);
}

static int
sq_failure_clear(struct store *sb, enum login_kind kind, const char *key)
{
	return q_exec(sq(sb), ST_FAILURE_CLEAR, "clear login failures",
	    QARGS(QT(kind_str(kind)), QT(key)), NULL);
}

/* ---- cache ---- */

/* value, content_type, expires_at into the struct cache_entry *arg. */
static int
rd_cache(struct sq *s, sqlite3_stmt *st, void *arg)
{
	struct cache_entry *e = arg;
	const void *v = sqlite3_column_blob(st, 0);

	e->len = (size_t)sqlite3_column_bytes(st, 0);
	if ((e->value = malloc(e->len > 0 ? e->len : 1)) == NULL) {
		set_msg(s, "read cache: out of memory");
		e->len = 0;
		return STORE_ERROR;
	}
	if (e->len > 0)
		memcpy(e->value, v, e->len);
	col_text(st, 1, e->content_type, sizeof e->content_type);
	e->expires_at = sqlite3_column_int64(st, 2);
	return STORE_OK;
}

/* Never returns an expired row; e->value is malloc'd, even for 0 bytes. */
static int
sq_cache_get(struct store *sb, int64_t scope, const char *key, int64_t now,
    struct cache_entry *e)
{
	memset(e, 0, sizeof *e);
	return q_row(sq(sb), ST_CACHE_GET, "read cache",
	    QARGS(QI(scope), QT(key), QI(now)), rd_cache, e);
}

static int
rd_exists(struct sq *s, sqlite3_stmt *st, void *arg)
{
	(void)s;
	(void)st;
	*(bool *)arg = true;
	return STORE_OK;
}

static int
cache_exists(struct sq *s, int64_t scope, const char *key, bool *exists)
{
	int rc;

	*exists = false;
	rc = q_row(s, ST_CACHE_EXISTS, "read cache",
	    QARGS(QI(scope), QT(key)), rd_exists, exists);
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/*
 * A user at quota loses their own oldest rows, never another user's;
 * *evicted gets how many.
 */
static int
cache_quota(struct sq *s, int64_t scope, const struct cache_limits *lim,
    int64_t *evicted)
{
	int64_t n;

	if (scope == CACHE_SCOPE_GLOBAL || lim->max_entries_per_user <= 0)
		return STORE_OK;
	if (q_scalar(s, ST_CACHE_SCOPE_COUNT, "count cache rows",
	    QARGS(QI(scope)), &n) != STORE_OK)
		return STORE_ERROR;
	if (n < lim->max_entries_per_user)
		return STORE_OK;
	return q_exec(s, ST_CACHE_EVICT_SCOPE, "evict cache rows",
	    QARGS(QI(scope), QI(n - lim->max_entries_per_user + 1)), evicted);
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
	int64_t n, k = 0;

	if (lim->max_entries <= 0)
		return STORE_OK;
	if (q_scalar(s, ST_CACHE_COUNT, "count cache rows", NULL, &n)
	    != STORE_OK)
		return STORE_ERROR;
	if (n < lim->max_entries)
		return STORE_OK;
	if (q_exec(s, ST_CACHE_DELETE_EXPIRED, "delete expired cache",
	    QARGS(QI(now)), &k) != STORE_OK)
		return STORE_ERROR;
	*culled += k;
	n -= k;
	if (n < lim->max_entries)
		return STORE_OK;
	k = lim->cull_frequency > 0 ? n / lim->cull_frequency : n;
	if (q_exec(s, ST_CACHE_CULL, "evict cache rows",
	    QARGS(QI(k > 0 ? k : 1)), &k) != STORE_OK)
		return STORE_ERROR;
	*culled += k;
	return STORE_OK;
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
	if (begin(s) != STORE_OK)
		return STORE_ERROR;
	if (cache_exists(s, scope, key, &exists) != STORE_OK)
		goto fail;
	if (!exists && (cache_quota(s, scope, lim, &nevicted) != STORE_OK ||
	    cache_cull(s, now, lim, &nculled) != STORE_OK))
		goto fail;
	if (q_exec(s, ST_CACHE_PUT, "write cache", QARGS(QI(scope), QT(key),
	    QB(value, len), QT(content_type), QI(now), QI(expires_at)), NULL)
	    != STORE_OK || commit(s) != STORE_OK)
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
	return q_change(sq(sb), ST_CACHE_DELETE, "delete cache row",
	    QARGS(QI(scope), QT(key), QI(now)));
}

static int
sq_cache_count(struct store *sb, int64_t *count)
{
	return q_scalar(sq(sb), ST_CACHE_COUNT, "count cache rows", NULL,
	    count);
}

/* ---- cleanup ---- */

/* batch <= 0 means no limit (LIMIT -1 in SQLite). */
static int
sq_cleanup_sessions(struct store *sb, int64_t now, int64_t absolute_age,
    int64_t batch, int64_t *deleted)
{
	return q_exec(sq(sb), ST_CLEANUP_SESSIONS, "clean up sessions",
	    QARGS(QI(now), QI(absolute_age), QI(batch > 0 ? batch : -1)),
	    deleted);
}

static int
sq_cleanup_cache(struct store *sb, int64_t now, int64_t batch,
    int64_t *deleted)
{
	return q_exec(sq(sb), ST_CLEANUP_CACHE, "clean up cache",
	    QARGS(QI(now), QI(batch > 0 ? batch : -1)), deleted);
}

static int
sq_cleanup_failures(struct store *sb, int64_t now, int64_t keep,
    int64_t *deleted)
{
	return q_exec(sq(sb), ST_CLEANUP_FAILURES, "clean up login failures",
	    QARGS(QI(now - keep)), deleted);
}

/* ---- checkpoint ---- */

/*
 * A PASSIVE checkpoint: copies what it can without waiting for readers or
 * writers. Under steady writes PASSIVE never catches up with the end of
 * the WAL, so SQLite never starts it over and the file grows without
 * bound (checkpoint starvation; bench/README.md saw 370 MiB in a minute).
 * Past STORE_WAL_RESTART_FRAMES, RESTART: it waits (the connection's busy
 * wait, which the caller sets short) for readers to leave the WAL, then
 * the next commit starts it over and journal_size_limit truncates it.
 * The SQLite result; busy only means "not this time".
 */
static int
wal_checkpoint(struct sq *s, const char *name, int restart_frames,
    int *log, int *done)
{
	int rc;

	rc = sqlite3_wal_checkpoint_v2(s->db, name, SQLITE_CHECKPOINT_PASSIVE,
	    log, done);
	if (rc == SQLITE_OK && *log > restart_frames)
		rc = sqlite3_wal_checkpoint_v2(s->db, name,
		    SQLITE_CHECKPOINT_RESTART, log, done);
	return rc;
}

/* CLOCK_MONOTONIC before which no commit tries a RESTART (ns) */
static _Atomic int64_t wal_restart_after;

static int64_t
mono_ns(void)
{
	struct timespec t;

	(void)clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/*
 * SQLite's wal_hook, run by every commit of a writable connection; it
 * replaces SQLite's autocheckpoint (a PASSIVE checkpoint once the WAL
 * holds STORE_WAL_AUTO_FRAMES) and adds the RESTART above, so the WAL's
 * size is bounded by its own growth, not by a timer: bursts of activity
 * writes (10,000 sessions coming due in the same second) grew it to
 * 139.5 MiB between two 5 s checkpoints of the cleanup stage
 * (bench/README.md). The commit has happened; nothing here is a fault.
 */
static int
wal_committed(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq *s = arg;
	int log = 0, done = 0, saved = s->wait_ms;
	int64_t now;
	bool restart;

	(void)db;
	if (frames < STORE_WAL_AUTO_FRAMES)
		return SQLITE_OK;
	now = mono_ns();
	restart = frames > STORE_WAL_RESTART_FRAMES &&
	    now >= atomic_load(&wal_restart_after);
	s->wait_ms = STORE_WAL_RESTART_WAIT_MS;
	if (wal_checkpoint(s, name, restart ? STORE_WAL_RESTART_FRAMES :
	    INT_MAX, &log, &done) != SQLITE_OK && restart)
		atomic_store(&wal_restart_after,
		    now + (int64_t)STORE_WAL_RETRY_MS * 1000000);
	s->wait_ms = saved;
	return SQLITE_OK;
}

/*
 * The cleanup stage's checkpoint (every 5 s, and between sweep batches),
 * with whatever wait the caller set. Busy is not a fault here.
 */
static int
sq_checkpoint(struct store *sb, int *wal_frames, int *checkpointed)
{
	struct sq *s = sq(sb);
	int rc, log = 0, done = 0;

	rc = wal_checkpoint(s, NULL, STORE_WAL_RESTART_FRAMES, &log, &done);
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
	memset(out, 0, sizeof *out);
	out->backend = STORE_BACKEND_SQLITE;
	out->persistent = true;
	return q_scalar(sq(sb), ST_DB_SIZE, "database size", NULL,
	    &out->bytes);
}

static int
sq_counter_add(struct store *sb, const char *name, int64_t delta)
{
	return q_exec(sq(sb), ST_COUNTER_ADD, "add to counter",
	    QARGS(QT(name), QI(delta)), NULL);
}

/* A counter never written reads as 0. */
static int
sq_counter_get(struct store *sb, const char *name, int64_t *value)
{
	int rc = q_row(sq(sb), ST_COUNTER_GET, "read counter",
	    QARGS(QT(name)), rd_int64, value);

	if (rc == STORE_NOTFOUND) {
		*value = 0;
		rc = STORE_OK;
	}
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
