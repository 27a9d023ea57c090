/*
 * store_backend.h - what a store backend provides (store.h is what the
 * rest of the program sees). Only src/store*.c include this.
 *
 * A backend's own struct begins with a struct store (its `base`), so a
 * struct store * handed out by store_open() is the backend's struct; the
 * backend gets it back in every op and converts with its own helper.
 * Every op keeps the store.h contract of the call it implements.
 */
#ifndef SESSIONGW_STORE_BACKEND_H
#define SESSIONGW_STORE_BACKEND_H

#include "store.h"

struct store_ops;

struct store {
	const struct store_ops *ops;
};

struct store_ops {
	void (*close)(struct store *);
	const char *(*errmsg)(const struct store *);
	enum store_fault (*fault)(const struct store *);
	void (*set_wait)(struct store *, int ms);
	int (*prepare)(struct store *, int *from, int *to);
	int (*layout_version)(struct store *, int *version);
	int (*ping)(struct store *);
	int (*probe_write)(struct store *);
	int (*stats)(struct store *, struct store_stats *out);
	int (*user_add)(struct store *, const char *name, const char *pwhash,
	    bool admin, int64_t now, int64_t *id);
	int (*user_by_name)(struct store *, const char *name, struct user *u);
	int (*user_by_id)(struct store *, int64_t id, struct user *u);
	int (*user_set_password)(struct store *, int64_t id, const char *pwhash,
	    int64_t now);
	int (*user_rehash)(struct store *, int64_t id, const char *old_hash,
	    const char *new_hash);
	int (*user_set_locked)(struct store *, int64_t id, bool locked);
	int (*user_del)(struct store *, int64_t id);
	int (*user_list)(struct store *, store_user_cb cb, void *arg);
	int (*user_import)(struct store *, const struct user *users, size_t n,
	    bool *inserted);
	int (*session_create)(struct store *, const struct session *ss);
	int (*session_get)(struct store *, const unsigned char
	    hash[SESSION_HASH_BYTES], struct session *ss);
	int (*session_get_with_user)(struct store *, const unsigned char
	    hash[SESSION_HASH_BYTES], struct session *ss, struct user *u,
	    bool *user_found);
	int (*session_touch)(struct store *, const struct session *ss);
	int (*session_delete)(struct store *, const unsigned char
	    hash[SESSION_HASH_BYTES]);
	int (*session_delete_handle)(struct store *, const char *handle, int64_t
	    user_id, struct session *deleted);
	int (*session_delete_user)(struct store *, int64_t user_id, int64_t
	    *count);
	int (*session_delete_all)(struct store *, int64_t *count);
	int (*session_list)(struct store *, int64_t user_id, store_session_cb
	    cb, void *arg);
	int (*session_count)(struct store *, int64_t now, int64_t absolute_age,
	    int64_t *count);
	int (*failure_get)(struct store *, enum login_kind kind, const char
	    *key, struct login_failures *f);
	int (*failure_add)(struct store *, enum login_kind kind, const char
	    *key, int64_t now, int64_t window, int64_t keep);
	int (*failure_clear)(struct store *, enum login_kind kind, const char
	    *key);
	int (*cache_get)(struct store *, int64_t scope, const char *key, int64_t
	    now, struct cache_entry *e);
	int (*cache_set)(struct store *, int64_t scope, const char *key, const
	    void *value, size_t len, const char *content_type, int64_t now, int64_t
	    expires_at, const struct cache_limits *lim, int64_t *evicted, int64_t
	    *culled);
	int (*cache_delete)(struct store *, int64_t scope, const char *key,
	    int64_t now);
	int (*cache_count)(struct store *, int64_t *count);
	int (*cleanup_sessions)(struct store *, int64_t now, int64_t
	    absolute_age, int64_t batch, int64_t *deleted);
	int (*cleanup_cache)(struct store *, int64_t now, int64_t batch, int64_t
	    *deleted);
	int (*cleanup_failures)(struct store *, int64_t now, int64_t keep,
	    int64_t *deleted);
	int (*checkpoint)(struct store *, int *wal_frames, int *checkpointed);
	int (*counter_add)(struct store *, const char *name, int64_t delta);
	int (*counter_get)(struct store *, const char *name, int64_t *value);
	/* second factor (mfa.c) */
	int (*user_set_mfa)(struct store *, int64_t id, const struct user_mfa *m);
	int (*user_mfa_consume)(struct store *, int64_t id, int64_t step,
	    int recovery);
	int (*mfa_pending_put)(struct store *, const struct mfa_pending *,
	    int64_t now);
	int (*mfa_pending_get)(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES], int64_t now,
	    struct mfa_pending *);
	int (*mfa_pending_del)(struct store *,
	    const unsigned char hash[SESSION_HASH_BYTES]);
};

/* Open one connection; the contract of store_open(). */
int	store_sqlite_open(struct store **out, const char *path,
	    const struct store_opts *, char *err, size_t errsz);
int	store_redis_open(struct store **out, const struct store_conf *,
	    const struct store_opts *, char *err, size_t errsz);

#endif
