/*
 * store.c - the store.h calls, dispatched to the backend chosen at
 * store_open() ([store] backend), and the rules that belong to no backend
 * (session liveness).
 */
#include <stddef.h>

#include "store_backend.h"

const char *const store_fault_names[STORE_FAULT__MAX] = {
	[STORE_FAULT_OTHER] = "other",
	[STORE_FAULT_BUSY] = "busy",
	[STORE_FAULT_FULL] = "full",
	[STORE_FAULT_DOWN] = "unreachable",
};

const char *const store_backend_names[STORE_BACKEND__MAX] = {
	[STORE_BACKEND_SQLITE] = "sqlite",
	[STORE_BACKEND_REDIS] = "redis",
};

int
store_open(struct store **out, const char *path, const struct store_opts *o,
    char *err, size_t errsz)
{
	if (o != NULL && o->conf != NULL &&
	    o->conf->backend == STORE_BACKEND_REDIS)
		return store_redis_open(out, o->conf, o, err, errsz);
	return store_sqlite_open(out, path, o, err, errsz);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *
store_errmsg(const struct store *s)
{
	return s != NULL ? s->ops->errmsg(s) : "no store";
}

enum store_fault
store_fault(const struct store *s)
{
	return s != NULL ? s->ops->fault(s) : STORE_FAULT_OTHER;
}

/* absolute_age <= 0: no absolute limit (the store's own callers). */
int64_t
session_end_at(const struct session *s, int64_t absolute_age)
{
	int64_t hard = s->created_at + absolute_age;

	return absolute_age <= 0 || s->expires_at < hard ? s->expires_at :
	    hard;
}

bool
session_is_live(const struct session *s, int64_t now, int64_t absolute_age)
{
	return now < session_end_at(s, absolute_age);
}

void
store_set_wait(struct store *s, int ms)
{
	s->ops->set_wait(s, ms);
}

int
store_prepare(struct store *s, int *from, int *to)
{
	return s->ops->prepare(s, from, to);
}

int
store_layout_version(struct store *s, int *version)
{
	return s->ops->layout_version(s, version);
}

int
store_ping(struct store *s)
{
	return s->ops->ping(s);
}

int
store_probe_write(struct store *s)
{
	return s->ops->probe_write(s);
}

int
store_stats(struct store *s, struct store_stats *out)
{
	return s->ops->stats(s, out);
}

int
store_user_add(struct store *s, const char *name, const char *pwhash,
    bool admin, int64_t now, int64_t *id)
{
	return s->ops->user_add(s, name, pwhash, admin, now, id);
}

int
store_user_by_name(struct store *s, const char *name, struct user *u)
{
	return s->ops->user_by_name(s, name, u);
}

int
store_user_by_id(struct store *s, int64_t id, struct user *u)
{
	return s->ops->user_by_id(s, id, u);
}

int
store_user_set_password(struct store *s, int64_t id, const char *pwhash,
    int64_t now)
{
	return s->ops->user_set_password(s, id, pwhash, now);
}

int
store_user_rehash(struct store *s, int64_t id, const char *old_hash,
    const char *new_hash)
{
	return s->ops->user_rehash(s, id, old_hash, new_hash);
}

int
store_user_set_locked(struct store *s, int64_t id, bool locked)
{
	return s->ops->user_set_locked(s, id, locked);
}

int
store_user_del(struct store *s, int64_t id)
{
	return s->ops->user_del(s, id);
}

int
store_user_list(struct store *s, store_user_cb cb, void *arg)
{
	return s->ops->user_list(s, cb, arg);
}

int
store_user_import(struct store *s, const struct user *users, size_t n,
    bool *inserted)
{
	return s->ops->user_import(s, users, n, inserted);
}

int
store_session_create(struct store *s, const struct session *ss)
{
	return s->ops->session_create(s, ss);
}

int
store_session_get(struct store *s, const unsigned char
    hash[SESSION_HASH_BYTES], struct session *ss)
{
	return s->ops->session_get(s, hash, ss);
}

int
store_session_get_with_user(struct store *s, const unsigned char
    hash[SESSION_HASH_BYTES], struct session *ss, struct user *u,
    bool *user_found)
{
	return s->ops->session_get_with_user(s, hash, ss, u, user_found);
}

int
store_session_touch(struct store *s, const struct session *ss)
{
	return s->ops->session_touch(s, ss);
}

int
store_session_delete(struct store *s, const unsigned char
    hash[SESSION_HASH_BYTES])
{
	return s->ops->session_delete(s, hash);
}

int
store_session_delete_handle(struct store *s, const char *handle, int64_t
    user_id, struct session *deleted)
{
	return s->ops->session_delete_handle(s, handle, user_id, deleted);
}

int
store_session_delete_user(struct store *s, int64_t user_id, int64_t
    *count)
{
	return s->ops->session_delete_user(s, user_id, count);
}

int
store_session_delete_all(struct store *s, int64_t *count)
{
	return s->ops->session_delete_all(s, count);
}

int
store_session_list(struct store *s, int64_t user_id, store_session_cb
    cb, void *arg)
{
	return s->ops->session_list(s, user_id, cb, arg);
}

int
store_session_count(struct store *s, int64_t now, int64_t absolute_age,
    int64_t *count)
{
	return s->ops->session_count(s, now, absolute_age, count);
}

int
store_failure_get(struct store *s, enum login_kind kind, const char
    *key, struct login_failures *f)
{
	return s->ops->failure_get(s, kind, key, f);
}

int
store_failure_add(struct store *s, enum login_kind kind, const char
    *key, int64_t now, int64_t window, int64_t keep)
{
	return s->ops->failure_add(s, kind, key, now, window, keep);
}

int
store_failure_clear(struct store *s, enum login_kind kind, const char
    *key)
{
	return s->ops->failure_clear(s, kind, key);
}

int
store_cache_get(struct store *s, int64_t scope, const char *key, int64_t
    now, struct cache_entry *e)
{
	return s->ops->cache_get(s, scope, key, now, e);
}

int
store_cache_set(struct store *s, int64_t scope, const char *key, const
    void *value, size_t len, const char *content_type, int64_t now, int64_t
    expires_at, const struct cache_limits *lim, int64_t *evicted, int64_t
    *culled)
{
	return s->ops->cache_set(s, scope, key, value, len, content_type, now, expires_at, lim, evicted, culled);
}

int
store_cache_delete(struct store *s, int64_t scope, const char *key,
    int64_t now)
{
	return s->ops->cache_delete(s, scope, key, now);
}

int
store_cache_count(struct store *s, int64_t *count)
{
	return s->ops->cache_count(s, count);
}

int
store_cleanup_sessions(struct store *s, int64_t now, int64_t
    absolute_age, int64_t batch, int64_t *deleted)
{
	return s->ops->cleanup_sessions(s, now, absolute_age, batch, deleted);
}

int
store_cleanup_cache(struct store *s, int64_t now, int64_t batch, int64_t
    *deleted)
{
	return s->ops->cleanup_cache(s, now, batch, deleted);
}

int
store_cleanup_failures(struct store *s, int64_t now, int64_t keep,
    int64_t *deleted)
{
	return s->ops->cleanup_failures(s, now, keep, deleted);
}

int
store_checkpoint(struct store *s, int *wal_frames, int *checkpointed)
{
	return s->ops->checkpoint(s, wal_frames, checkpointed);
}

int
store_counter_add(struct store *s, const char *name, int64_t delta)
{
	return s->ops->counter_add(s, name, delta);
}

int
store_counter_get(struct store *s, const char *name, int64_t *value)
{
	return s->ops->counter_get(s, name, value);
}

int
store_user_set_mfa(struct store *s, int64_t id, const struct user_mfa *m)
{
	return s->ops->user_set_mfa(s, id, m);
}

int
store_user_mfa_consume(struct store *s, int64_t id, int64_t step,
    int recovery)
{
	return s->ops->user_mfa_consume(s, id, step, recovery);
}

int
store_mfa_pending_put(struct store *s, const struct mfa_pending *p,
    int64_t now)
{
	return s->ops->mfa_pending_put(s, p, now);
}

int
store_mfa_pending_get(struct store *s,
    const unsigned char hash[SESSION_HASH_BYTES], int64_t now,
    struct mfa_pending *p)
{
	return s->ops->mfa_pending_get(s, hash, now, p);
}

int
store_mfa_pending_del(struct store *s,
    const unsigned char hash[SESSION_HASH_BYTES])
{
	return s->ops->mfa_pending_del(s, hash);
}
