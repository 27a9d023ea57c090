/*
 * pwpool.h - the password pool: the threads that run requests which check
 * a password (routes flagged RF_PASSWORD), so that argon2id never occupies
 * the FastCGI workers that answer validate.
 *
 * A worker whose chain reaches STAGE_HANDOFF passes the whole request, a
 * struct job (the request struct and its FCGX_Request in one heap object),
 * to pwpool_submit(). On success the pool owns the job: one of its threads
 * sets r.w to itself, continues the stage chain at r.resume, sends the
 * response, calls FCGX_Finish_r and frees the job; the worker never
 * touches it again and goes on with a fresh job. The queue is bounded:
 * when it is full, pwpool_submit() fails at once and the caller still
 * owns the job (the handoff stage then answers 503 + Retry-After).
 */
#ifndef SESSIONGW_PWPOOL_H
#define SESSIONGW_PWPOOL_H

#include <fcgiapp.h>

#include "request.h"

struct server;
struct worker;

#define PWPOOL_THREADS_MAX	16	/* password threads: cores, at most this */
/*
 * Queue slots: 4 per password thread, at least 16, so that a handful of
 * people signing in at the same moment all get in even on one core, while
 * the wait stays short (16 checks of ~0.1 s on one core: under 2 s).
 */
#define PWPOOL_QUEUE_PER_THREAD	4
#define PWPOOL_QUEUE_MIN	16

/* One FastCGI request and its request struct; r.fcgx points at fr. */
struct job {
	struct request	r;
	FCGX_Request	fr;
};

/*
 * A job ready for FCGX_Accept_r on the listening socket; owned by the
 * caller, released with job_free(). NULL when out of memory.
 */
struct job	*job_new(int listen_fd);
/* FCGX_Free (closing a connection still open) and free; NULL is fine. */
void		 job_free(struct job *);

struct pwpool;

/*
 * Start n threads on ws[0..n-1] (each with its own store, already open;
 * the workers stay owned by the caller) and a queue of queue_max jobs.
 * *out is owned by the caller, released with pwpool_stop(). 0 or -1.
 */
int	pwpool_start(struct pwpool **out, struct worker *ws, int n,
	    int queue_max) __attribute__((warn_unused_result));
/*
 * Queue a job. 0: the pool owns it now. -1: queue full or stopping; the
 * caller keeps it. Never waits for a queue slot.
 */
int	pwpool_submit(struct pwpool *, struct job *)
	    __attribute__((warn_unused_result));
/*
 * Stop: every job already queued is still served, then the threads exit
 * and are joined. Call after the workers that submit have been joined.
 */
void	pwpool_stop(struct pwpool *);

#endif
