/*
 * store.h - the narrow storage interface behind which SQLite sits.
 *
 * One struct store per thread: it owns one database connection and its
 * prepared statements and must never be shared between threads. A second
 * backend (a shared store for several gateway hosts) implements this header
 * in one new file.
 *
 * Convention: functions return 0 on success, STORE_NOTFOUND when the row
 * does not exist, STORE_EXISTS on a uniqueness conflict, STORE_ERROR (-1)
 * on a database fault; store_errmsg() then describes the fault (never a
 * secret: the store is never given a raw session id, only its hash) and
 * store_fault() says which kind it was. STORE_ERROR is the only failure
 * code on purpose: every `== STORE_ERROR` test in the callers stays right,
 * and a caller that must answer differently for a busy or full store (503
 * instead of 500, or skip a bookkeeping write) asks store_fault().
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
	STORE_FAULT__MAX
};
/* "other", "busy", "full": the metric label and audit detail. */
extern const char *const store_fault_names[STORE_FAULT__MAX];

struct user {
	int64_t	id;
	char	name[USER_NAME_MAX + 1];
	char	pwhash[PWHASH_MAX];
	bool	admin;
	bool	locked;
	bool	must_reset;	/* imported hash we cannot verify; implies locked */
	int64_t	pw_changed_at;	/* Unix seconds of the last password set */
	int64_t	created_at;
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
};

/* Options for store_open; zero is a sane value for each field. */
struct store_opts {
	int	busy_timeout_ms;	/* wait for a writer's lock; 0 = 5000 */
	bool	create;			/* create the file if missing */
	bool	readonly;
};

/*
 * Open path. *out is owned by the caller, released with store_close().
 * On failure returns -1 and puts a message naming the file in err.
 */
int	store_open(struct store **out, const char *path,
	    const struct store_opts *, char *err, size_t errsz)
	    __attribute__((warn_unused_result));
void	store_close(struct store *);
const char *store_errmsg(const struct store *);
/* Kind of the last fault; meaningful only right after STORE_ERROR. */
enum store_fault store_fault(const struct store *);
/*
 * How long the next operations wait for a lock held by another
 * connection before they fail with STORE_FAULT_BUSY (ms, >= 0). Reads
 * never wait for a writer (WAL), so this bounds writes; it stays in force
 * until set again.
 */
void	store_set_wait(struct store *, int ms);

/* Apply the numbered migrations in sql/ (PRAGMA user_version). */
int	store_migrate(struct store *, int *from, int *to)
	    __attribute__((warn_unused_result));
int	store_schema_version(struct store *, int *version);
int	store_ping(struct store *);
/*
 * Prove that a write can be made now: one small write transaction on the
 * counters table (it changes no counter's value).
 */
int	store_probe_write(struct store *);

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
/* Live sessions: idle expiry and the absolute limit both ahead of now. */
int	store_session_count(struct store *, int64_t now, int64_t absolute_age,
	    int64_t *count);

/*
 * Login failure counters. kind is 'u' (username) or 'i' (client IP).
 * A counter whose window has passed restarts at 1.
 */
struct login_failures {
	int64_t	count;
	int64_t	first_at;
	int64_t	last_at;
};
int	store_failure_get(struct store *, char kind, const char *key,
	    struct login_failures *);
int	store_failure_add(struct store *, char kind, const char *key,
	    int64_t now, int64_t window);
int	store_failure_clear(struct store *, char kind, const char *key);
/* Take back one counted attempt (a login that turned out right). */
int	store_failure_undo(struct store *, char kind, const char *key);

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

/* Cleanup: delete at most batch expired rows; *deleted = rows removed. */
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

/* Bytes used by the database file (page_count * page_size). */
int	store_db_size(struct store *, int64_t *bytes);

/* Counters kept in the database (survive restarts); name e.g. "cache_hits". */
int	store_counter_add(struct store *, const char *name, int64_t delta);
int	store_counter_get(struct store *, const char *name, int64_t *value);

#endif
