/*
 * cleanup.c - the batched sweep of expired rows (cleanup.h).
 */
#include <time.h>

#include "cleanup.h"

static void
pause_between_batches(void)
{
	struct timespec ts = { 0, CLEANUP_PAUSE_MS * 1000000L };

	(void)nanosleep(&ts, NULL);
}

int
cleanup_sweep(struct store *st, enum cleanup_table table,
    const struct cleanup_opts *o, int64_t *deleted)
{
	int64_t n;
	int rc = STORE_OK;

	*deleted = 0;
	for (int i = 0; o->max_batches <= 0 || i < o->max_batches; i++) {
		if (i > 0) {
			/* a failed checkpoint is the 5 s cadence's to report */
			if (o->checkpoint)
				(void)store_checkpoint(st, NULL, NULL);
			pause_between_batches();
		}
		n = 0;
		rc = table == CLEANUP_SESSIONS ?
		    store_cleanup_sessions(st, o->now, o->absolute_age,
		    o->batch, &n) :
		    store_cleanup_cache(st, o->now, o->batch, &n);
		if (rc != STORE_OK)
			break;
		*deleted += n;
		/* a short batch was the last one; no limit means one batch */
		if (o->batch <= 0 || n < o->batch)
			break;
	}
	return rc;
}
