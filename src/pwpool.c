/*
 * pwpool.c - the password pool (see pwpool.h): a bounded FIFO of handed-off
 * requests and the threads that serve it.
 *
 * Why a separate pool: argon2id takes tens of milliseconds of CPU and
 * 64 MiB per check. Run on the FastCGI workers, a burst of sign-ins kept
 * every worker busy and validate (every page view of the site, through
 * auth_request) waited behind them. Here at most n checks run at once (n =
 * cores: more would only add memory, not throughput), and at most
 * queue_max wait; beyond that a sign-in is refused at once with 503
 * rather than queued without bound.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "pwpool.h"
#include "server.h"
#include "stage.h"

struct pwpool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 nonempty;	/* a job was queued, or stopping */
	struct job	**ring;		/* queue_max slots */
	int		 queue_max;
	int		 head;		/* next job to take */
	int		 count;
	bool		 stopping;
	struct worker	*ws;		/* borrowed: the threads' contexts */
	int		 started;	/* threads running, to join */
};

struct job *
job_new(int listen_fd)
{
	struct job *j = calloc(1, sizeof *j);

	if (j != NULL && FCGX_InitRequest(&j->fr, listen_fd, 0) != 0) {
		free(j);
		j = NULL;
	}
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	FCGX_Free(&j->fr, 1);	/* closes only a connection still open */
	free(j);
}

/* The next job, or NULL once the queue is empty and the pool stopping. */
static struct job *
take(struct pwpool *p)
{
	struct job *j = NULL;

	pthread_mutex_lock(&p->lock);
	while (p->count == 0 && !p->stopping)
		pthread_cond_wait(&p->nonempty, &p->lock);
	if (p->count > 0) {
		j = p->ring[p->head];
		p->head = (p->head + 1) % p->queue_max;
		p->count--;
	}
	pthread_mutex_unlock(&p->lock);
	return j;
}

static void *
pool_main(void *arg)
{
	struct worker *w = arg;
	struct pwpool *p = w->pool;
	struct job *j;

	while ((j = take(p)) != NULL) {
		j->r.w = w;	/* from here on: this thread's store */
		if (chain_run(&j->r) == STAGE_HANDOFF) {
			/* cannot happen (w->password_thread); never hang */
			j->r.handoff_refused = true;
			(void)chain_run(&j->r);
		}
		serve_finish(&j->r);
		job_free(j);
	}
	return NULL;
}

int
pwpool_submit(struct pwpool *p, struct job *j)
{
	int rc = -1;

	pthread_mutex_lock(&p->lock);
	if (!p->stopping && p->count < p->queue_max) {
		p->ring[(p->head + p->count) % p->queue_max] = j;
		p->count++;
		pthread_cond_signal(&p->nonempty);
		rc = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int
pwpool_start(struct pwpool **out, struct worker *ws, int n, int queue_max)
{
	struct pwpool *p = calloc(1, sizeof *p);
	int rc = -1;

	*out = NULL;
	if (p == NULL)
		goto out;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->nonempty, NULL);
	p->ws = ws;
	p->queue_max = queue_max;
	p->ring = calloc((size_t)queue_max, sizeof *p->ring);
	if (p->ring == NULL)
		goto out;
	for (; p->started < n; p->started++) {
		ws[p->started].pool = p;
		ws[p->started].password_thread = true;
		if (pthread_create(&ws[p->started].thread, NULL, pool_main,
		    &ws[p->started]) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		*out = p;
	} else {
		fprintf(stderr, "sessiongw: cannot start the password pool "
		    "(%d of %d threads)\n", p != NULL ? p->started : 0, n);
		pwpool_stop(p);
	}
	return rc;
}

void
pwpool_stop(struct pwpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->nonempty);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->started; i++)
		pthread_join(p->ws[i].thread, NULL);
	pthread_cond_destroy(&p->nonempty);
	pthread_mutex_destroy(&p->lock);
	free(p->ring);
	free(p);
}
