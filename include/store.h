/*
 * store.h - the storage contract: users, sessions, login-failure counters,
 * cache rows and counters, behind which a backend sits.
 *
 * Two backends implement it (src/store_sqlite.c: one file next to one
 * gateway; src/store_redis.c: one Redis shared by several gateways),
 * chosen at run time by [store] backend through store_open(); src/store.c
 * dispatches every call to the backend's struct store_ops
 * (store_backend.h). Every rule below holds for both; the contract tests
 * (tests/unit/test_store_contract.c) run against both.
 *
 * One struct store per thread: it owns one connection (a database handle,
 * a Redis connection) and must never be shared between threads.
 *
 * Convention: functions return 0 on success, STORE_NOTFOUND when the row
 * does not exist, STORE_EXISTS on a uniqueness conflict, STORE_ERROR (-1)
 * on a store fault; store_errmsg() then describes the fault (never a
 * secret: the store is never given a raw session id, only its hash) and
 * store_fault() says which kind it was. STORE_ERROR is the only failure
 * code on purpose: every `== STORE_ERROR` test in the callers stays right,
 * and a caller that must answer differently for a busy or full store (503
 * instead of 500, or skip a bookkeeping write) asks store_fault().
 *
 * Invariants (every backend):
 *  - Every multi-row change is atomic: a reader on any connection (any
 *    gateway) sees all of it or none of it. A session is created together
 *    with its per-user index entry; a user is deleted together with all
 *    their sessions and cache rows; a cache set is one step with the
 *    per-user quota eviction and the global cull; a login failure is
 *    counted without a read-modify-write race.
 *  - Deleting a user removes their sessions and their cache rows (scope =
 *    the user id) in the same step.
 *  - User ids are never reused, not even after the highest one is deleted,
 *    so a stale session or cache row can never belong to a new user.
 *  - Times are Unix seconds given by the caller (`now`); a backend never
 *    reads the clock for a rule. A backend may drop an expired row at any
 *    time (SQLite: the cleanup calls; Redis: key TTLs), so "expired" and
 *    "missing" must be treated alike by callers.
 *  - A session is live while session_is_live() says so: its idle expiry
 *    and created_at + absolute_age are both still ahead of now. That one
 *    function is the rule; store_session_count() and the backends' expiry
 *    apply the same rule.
 *  - List walks (store_user_list, store_session_list): the callback may
 *    read the rows it is given and stop the walk (nonzero return), but it
 *    must not call back into the same struct store (no nested query, no
 *    write): SQLite holds a statement open during the walk, Redis hands
 *    out rows from one reply. Collect and act after the walk.
 */
#ifndef SESSIONGW_STORE_H
#define SESSIONGW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookie.h"

#define STORE_OK	0
#define STORE_ERROR	(-1)
#define STORE_NOTFOUND	1
#define STORE_EXISTS	2

#define USER_NAME_MAX	150	/* bytes, without NUL (Django's limit) */
/*
 * Room for any stored hash with its NUL: argon2id from crypto_pwhash_str
 * (< 128) and imported ones (Django pbkdf2_sha256 ~88, argon2 ~100).
 */
#define PWHASH_MAX	256
#define IP_MAX		64
#define UA_MAX		512	/* user agents are truncated to this */
#define CTYPE_MAX	128

struct store;

/* The kind of the last fault (after a STORE_ERROR return). */
enum store_fault {
	STORE_FAULT_OTHER,	/* I/O error, corruption, misuse, ... */
	STORE_FAULT_BUSY,	/* locked by another writer past the wait */
	STORE_FAULT_FULL,	/* disk or quota full */
	STORE_FAULT_DOWN,	/* store unreachable (connect, timeout) */
	STORE_FAULT__MAX
};
/* "other", "busy", "full", "unreachable": metric label, audit detail. */
extern const char *const store_fault_names[STORE_FAULT__MAX];

/*
 * A user's second factor as stored (mfa.c makes and reads it): the TOTP
 * secret only encrypted, the recovery codes only hashed.
 */
#define MFA_SECRET_ENC_MAX	64	/* nonce + MAC + secret (60 bytes) */
#define MFA_RECOVERY_CODES	10
#define MFA_RECOVERY_BLOB	(16 + MFA_RECOVERY_CODES * 16)	/* salt, hashes */
struct user_mfa {
	unsigned char	secret[MFA_SECRET_ENC_MAX];	/* sealed secret */
	size_t		secret_len;	/* 0 = not enrolled */
	int64_t		last_step;	/* last TOTP step accepted */
	unsigned char	recovery[MFA_RECOVERY_BLOB];
	int64_t		recovery_used;	/* bit i: code i was used */
};

struct user {
	int64_t	id;
	char	name[USER_NAME_MAX + 1];
	char	pwhash[PWHASH_MAX];
	bool	admin;
	bool	locked;
	bool	must_reset;	/* imported hash we cannot verify; implies locked */
	int64_t	pw_changed_at;	/* Unix seconds of the last password set */
	int64_t	created_at;
	struct user_mfa mfa;	/* read with the user; set by store_user_set_mfa */
};

struct session {
	unsigned char hash[SESSION_HASH_BYTES];	/* sha256(id), primary key */
	char	handle[SESSION_HANDLE_LEN + 1];
	int64_t	user_id;
	int64_t	created_at;
	int64_t	last_seen;
	int64_t	expires_at;	/* idle expiry (sliding or fixed) */
	int64_t	pw_changed_at;	/* user's pw_changed_at when logged in */
	int64_t	request_count;
	char	ip[IP_MAX];
	char	user_agent[UA_MAX];
	bool	remember;	/* "keep me signed in": idle limit remember_age */
};

/* [store] backend */
enum store_backend {
	STORE_BACKEND_SQLITE,
	STORE_BACKEND_REDIS,
	STORE_BACKEND__MAX
};
/* "sqlite", "redis": the config spelling, stats and metric label. */
extern const char *const store_backend_names[STORE_BACKEND__MAX];

#define STORE_ADDR_MAX		256
#define STORE_SENTINELS_MAX	8

/* Where the store is: the [store] section (SQLite: [server] database). */
struct store_conf {
	enum store_backend backend;
	char	redis[STORE_ADDR_MAX];		/* host:port or unix:/path */
	int	redis_db;
	char	redis_username[128];		/* "" = default user */
	char	redis_password_file[4096];	/* "" = no AUTH */
	char	redis_prefix[64];		/* every key starts with it */
	char	redis_sentinels[STORE_SENTINELS_MAX][STORE_ADDR_MAX];
	int	nredis_sentinels;		/* > 0: ask Sentinel */
	char	redis_master[128];		/* the Sentinel master name */
	int	redis_timeout_ms;		/* connect and command timeout */
};

/* Options for store_open; zero is a sane value for each field. */
struct store_opts {
	const struct store_conf *conf;	/* NULL: SQLite at path */
	int	wait_ms;		/* wait for another writer; 0 = 5000 */
	bool	create;			/* create the store if missing */
	bool	readonly;
};

/*
 * Open the store: the SQLite file at path, or what opts->conf names
 * (path is then unused). *out is owned by the caller, released with
 * store_close(). On failure returns -1 and puts a message naming the
 * file or server in err (never a password).
 */
int	store_open(struct store **out, const char *path,
	    const struct store_opts *, char *err, size_t errsz)
	    __attribute__((warn_unused_result));
void	store_close(struct store *);
const char *store_errmsg(const struct store *);
/* Kind of the last fault; meaningful only right after STORE_ERROR. */
enum store_fault store_fault(const struct store *);
/*
 * How long the next writes wait for another writer before they fail with
 * STORE_FAULT_BUSY (ms, >= 0); reads never wait for a writer. It stays in
 * force until set again. A backend without writer locks (Redis: every
 * change is one atomic command or script) ignores it; its own bound is
 * the command timeout.
 */
void	store_set_wait(struct store *, int ms);

/*
 * Bring the store's layout (tables, key layout) up to the version this
 * program knows; idempotent, safe while other processes use the store.
 * *from / *to: the layout version before and after. A store newer than
 * this program is STORE_ERROR.
 */
int	store_prepare(struct store *, int *from, int *to)
	    __attribute__((warn_unused_result));
int	store_layout_version(struct store *, int *version);
int	store_ping(struct store *);
/*
 * Prove that a write can be made now: one small write that changes no
 * value anyone reads.
 */
int	store_probe_write(struct store *);

/* What `stats`, `metrics` and `setup-session-security` report. */
struct store_stats {
	enum store_backend backend;
	int64_t	bytes;		/* SQLite: file size; Redis: used_memory */
	int64_t	reconnects;	/* Redis: reconnections by this process */
	int64_t	errors;		/* Redis: command/connection errors */
	bool	persistent;	/* SQLite: true; Redis: AOF on */
	bool	evicts;		/* Redis: maxmemory-policy may drop keys */
};
int	store_stats(struct store *, struct store_stats *);

/* Users. */
int	store_user_add(struct store *, const char *name, const char *pwhash,
	    bool admin, int64_t now, int64_t *id);
int	store_user_by_name(struct store *, const char *name, struct user *);
int	store_user_by_id(struct store *, int64_t id, struct user *);
int	store_user_set_password(struct store *, int64_t id, const char *pwhash,
	    int64_t now);
/*
 * Replace old_hash by new_hash for the same password (an imported hash
 * upgraded at sign-in): pw_changed_at is kept, so no session ends.
 * STORE_NOTFOUND when the stored hash is no longer old_hash.
 */
int	store_user_rehash(struct store *, int64_t id, const char *old_hash,
	    const char *new_hash);
int	store_user_set_locked(struct store *, int64_t id, bool locked);
int	store_user_del(struct store *, int64_t id);
/*
 * Second factor. set_mfa stores m as a whole (enrolment); m == NULL
 * removes it (mfa-reset). STORE_NOTFOUND: no such user.
 */
int	store_user_set_mfa(struct store *, int64_t id, const struct user_mfa *m);
/*
 * Spend a code, atomically, so that two requests racing with one code
 * cannot both win. recovery < 0: a TOTP code for time step `step` -
 * STORE_OK only if step is later than the last one accepted (which it
 * becomes); recovery = i (0..MFA_RECOVERY_CODES-1): recovery code i -
 * STORE_OK only if it was not used yet (it is now). STORE_NOTFOUND: a
 * replay, a used code, or a user without a second factor.
 */
int	store_user_mfa_consume(struct store *, int64_t id, int64_t step,
	    int recovery) __attribute__((warn_unused_result));

/*
 * Half-done sign-ins (right password, second factor still to come): the
 * browser holds a random token, the store its hash. put also drops
 * expired rows; get: STORE_NOTFOUND when missing or expired at now.
 */
struct mfa_pending {
	unsigned char	hash[SESSION_HASH_BYTES];
	int64_t		user_id;
	int64_t		expires_at;
	bool		enrol;		/* must enrol first (totp = required) */
};
int	store_mfa_pending_put(struct store *, const struct mfa_pending *,
	    int64_t now);
int	store_mfa_pending_get(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES], int64_t now,
	    struct mfa_pending *);
int	store_mfa_pending_del(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES]);

/* A nonzero return from a callback stops the walk and is returned. */
typedef int (*store_user_cb)(void *arg, const struct user *);
int	store_user_list(struct store *, store_user_cb, void *arg);

/*
 * Bulk import (user import): insert users[0..n) in ONE transaction, all or
 * nothing. A name already taken is skipped, never overwritten;
 * inserted[i] (n entries, caller's) says whether row i was added. id is
 * ignored; name, pwhash, admin, locked, must_reset, pw_changed_at and
 * created_at are stored as given.
 */
int	store_user_import(struct store *, const struct user *users, size_t n,
	    bool *inserted) __attribute__((warn_unused_result));

/*
 * Sessions. create: STORE_EXISTS for a duplicate hash, STORE_NOTFOUND when
 * the user does not exist.
 */
int	store_session_create(struct store *, const struct session *);
int	store_session_get(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES], struct session *);
/*
 * validate's read: the session row and its user in one query.
 * STORE_NOTFOUND when there is no session row; with a row, *user_found
 * says whether its user exists (u is zeroed when not). u->pwhash is left
 * empty: the hash is never needed to validate.
 */
int	store_session_get_with_user(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES], struct session *,
	    struct user *, bool *user_found);
/* Record activity: last_seen, expires_at, ip, ua, request_count += 1. */
int	store_session_touch(struct store *, const struct session *);
int	store_session_delete(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES]);
/* Delete by handle; user_id > 0 restricts to that user's sessions. */
int	store_session_delete_handle(struct store *, const char *handle,
	    int64_t user_id, struct session *deleted);
int	store_session_delete_user(struct store *, int64_t user_id,
	    int64_t *count);
int	store_session_delete_all(struct store *, int64_t *count);
typedef int (*store_session_cb)(void *arg, const struct session *);
/*
 * user_id > 0: that user's sessions only; 0: everyone's. Newest first.
 * A nonzero return from the callback stops the walk and is returned.
 */
int	store_session_list(struct store *, int64_t user_id,
	    store_session_cb, void *arg);
/* Live sessions (session_is_live()) across all users. */
int	store_session_count(struct store *, int64_t now, int64_t absolute_age,
	    int64_t *count);

/*
 * The moment a session stops being live: its idle expiry or created_at +
 * absolute_age, whichever comes first.
 */
int64_t	session_end_at(const struct session *, int64_t absolute_age);
/* THE liveness rule: now is before session_end_at(). */
bool	session_is_live(const struct session *, int64_t now,
	    int64_t absolute_age);

/*
 * Login failure counters, one per username and one per client address
 * (login_ip_key()). A counter whose window has passed restarts at 1.
 */
enum login_kind {
	LOGIN_BY_USER,
	LOGIN_BY_ADDR,
	LOGIN_KIND__MAX
};
struct login_failures {
	int64_t	count;
	int64_t	first_at;
	int64_t	last_at;
};
int	store_failure_get(struct store *, enum login_kind, const char *key,
	    struct login_failures *);
/*
 * Count one failure at now. keep: seconds after this failure the counter
 * still matters (window + lockout); a backend with TTLs forgets it then.
 */
int	store_failure_add(struct store *, enum login_kind, const char *key,
	    int64_t now, int64_t window, int64_t keep);
int	store_failure_clear(struct store *, enum login_kind, const char *key);

/*
 * Cache. scope is a user id (> 0) or CACHE_SCOPE_GLOBAL. These are the raw
 * row operations; the scope rules live in cache.h.
 */
#define CACHE_SCOPE_GLOBAL	0
struct cache_entry {
	unsigned char	*value;		/* owned; free() it */
	size_t		 len;
	char		 content_type[CTYPE_MAX];
	int64_t		 expires_at;	/* 0 = never */
};
int	store_cache_get(struct store *, int64_t scope, const char *key,
	    int64_t now, struct cache_entry *);
/* Insert or replace. *evicted counts rows removed to make room. */
struct cache_limits {
	int64_t	max_entries;
	int64_t	cull_frequency;
	int64_t	max_entries_per_user;
};
int	store_cache_set(struct store *, int64_t scope, const char *key,
	    const void *value, size_t len, const char *content_type,
	    int64_t now, int64_t expires_at, const struct cache_limits *,
	    int64_t *evicted, int64_t *culled);
/* An expired row is STORE_NOTFOUND (left for cleanup). */
int	store_cache_delete(struct store *, int64_t scope, const char *key,
	    int64_t now);
int	store_cache_count(struct store *, int64_t *count);

/*
 * Cleanup: delete at most batch expired rows; *deleted = rows removed. A
 * backend whose rows expire by themselves (Redis TTLs) does nothing and
 * reports 0.
 */
int	store_cleanup_sessions(struct store *, int64_t now, int64_t absolute_age,
	    int64_t batch, int64_t *deleted);
int	store_cleanup_cache(struct store *, int64_t now, int64_t batch,
	    int64_t *deleted);
int	store_cleanup_failures(struct store *, int64_t now, int64_t keep,
	    int64_t *deleted);

/*
 * A PASSIVE WAL checkpoint, then, if the WAL is still over 16 MiB of
 * frames, a RESTART that waits at most the connection's busy wait for
 * readers: frames in the WAL and frames copied back, for the caller's
 * curiosity. STORE_OK also when busy; the WAL file is truncated to 16 MiB
 * (journal_size_limit) whenever a checkpoint lets it restart.
 */
int	store_checkpoint(struct store *, int *wal_frames, int *checkpointed);

/*
 * Counters kept in the store (survive restarts); name e.g. "cache_hits".
 * A counter never added to reads 0.
 */
int	store_counter_add(struct store *, const char *name, int64_t delta);
int	store_counter_get(struct store *, const char *name, int64_t *value);

#endif
