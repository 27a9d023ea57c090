/*
 * server.h - state shared by the worker threads of `sessiongw serve`.
 *
 * struct server is built once before the workers start and is read-only
 * afterwards, except: the key ring (swapped under keys_lock on SIGHUP),
 * the atomic counters, and the cleanup timestamp.
 * struct worker is one thread's own context: its store (one SQLite
 * connection with its prepared statements) is never touched by another
 * thread. FastCGI workers and password threads (pwpool.h) both have one.
 */
#ifndef SESSIONGW_SERVER_H
#define SESSIONGW_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "keys.h"
#include "metrics.h"
#include "store.h"
#include "store_health.h"

#define FC__COUNT	5	/* cache counters flushed for `stats` (metrics.c) */

struct pwpool;
struct request;

struct server {
	struct config	 cfg;
	struct keyring	 keys;
	pthread_rwlock_t keys_lock;
	char		 dummy_hash[PWHASH_MAX];
	atomic_llong	 last_cleanup;		/* Unix seconds of last pass */
	atomic_bool	 stopping;
	struct metrics	 metrics;
	struct store_health store_health;	/* faults, skipped writes */
	int		 listen_fd;
	int		 wake_fd;		/* eventfd: readable = stop */
	struct pwpool	*pwpool;		/* RF_PASSWORD requests (pwpool.h) */
	int		 npassword;		/* password threads */
	/*
	 * Bad-cookie audit lines per second are capped (anyone can send
	 * forged cookies; the audit log must not become the attack's sink).
	 */
	atomic_llong	 badtok_second;
	atomic_int	 badtok_count;
	atomic_ullong	 badtok_suppressed;
	/* Cache counters already added to the database (stats_flush()). */
	unsigned long long flushed[FC__COUNT];
	pthread_mutex_t	 flush_lock;
};

/*
 * Add the cache counters gathered since the last call to the database's
 * counters table, where `sessiongw stats` reads them. Called by the
 * cleanup pass and at shutdown.
 */
void	stats_flush(struct server *, struct store *);

struct worker {
	struct server	*srv;
	struct store	*store;
	int		 index;
	pthread_t	 thread;
	bool		 password_thread;	/* serves the password pool */
	struct pwpool	*pool;			/* that pool; NULL on workers */
};

/*
 * The end of every request, on the thread that owns it (a worker, or a
 * password thread after a handoff): send the response, FCGX_Finish_r, run
 * the after-response stages, free what r owns. r->fcgx stays allocated
 * (the caller reuses or frees it).
 */
void	serve_finish(struct request *);

#endif
