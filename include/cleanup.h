/*
 * cleanup.h - deleting expired rows without holding the write lock long,
 * shared by the daemon's cleanup stage and `sessiongw clearsessions`.
 *
 * Rows go in batches of at most `batch`, each batch one short transaction
 * of its own (one DELETE statement); between two batches the sweep sleeps
 * CLEANUP_PAUSE_MS with the lock released, so a request waiting to write
 * (login, cache PUT) gets it between batches instead of after the whole
 * sweep.
 */
#ifndef SESSIONGW_CLEANUP_H
#define SESSIONGW_CLEANUP_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/*
 * Long enough for SQLite's busy handler in another connection to wake and
 * take the lock (it sleeps 1-100 ms between tries), short enough that a
 * sweep of 100 batches adds at most a second.
 */
#define CLEANUP_PAUSE_MS	10

enum cleanup_table { CLEANUP_SESSIONS, CLEANUP_CACHE };

struct cleanup_opts {
	int64_t	now;
	int64_t	absolute_age;	/* sessions: the hard limit from login */
	int64_t	batch;		/* rows per transaction; <= 0: no limit */
	int	max_batches;	/* 0 = until a batch comes back short */
	/*
	 * Between two batches, store_checkpoint() as well: a sweep of a large
	 * backlog under steady reads otherwise grows the WAL by hundreds of
	 * MiB before the next checkpoint (bench/README.md: 975 MiB in one
	 * 17 s pass). Its RESTART holds new writers for up to the
	 * connection's busy wait, so only for a caller whose wait is short
	 * (the daemon's bookkeeping wait), not the CLI's.
	 */
	bool	checkpoint;
};

/*
 * Delete the expired rows of one table. *deleted counts what went, also
 * when it fails half-way. STORE_OK or STORE_ERROR (store_errmsg() and
 * store_fault() tell why; the batches done stay done).
 */
int	cleanup_sweep(struct store *, enum cleanup_table,
	    const struct cleanup_opts *, int64_t *deleted);

#endif
