/*
 * request.c - the lifetime of the request-scoped struct.
 *
 * request_begin() fills a zeroed struct for one accepted FastCGI request;
 * request_end() wipes what may hold secrets (the body holds passwords, the
 * response headers a fresh token) and frees it. Nothing here is shared
 * with another request.
 */
#include <fcgiapp.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "request_life.h"
#include "endpoints.h"
#include "response.h"
#include "server.h"

const char *const method_names[M__MAX] = {
	[M_GET] = "GET", [M_HEAD] = "HEAD", [M_POST] = "POST",
	[M_PUT] = "PUT", [M_DELETE] = "DELETE",
};

enum method
method_from_name(const char *m)
{
	for (int i = 0; i < M__MAX; i++)
		if (method_names[i] != NULL && strcmp(m, method_names[i]) == 0)
			return (enum method)i;
	return M_OTHER;
}

const char *
request_param(const struct request *r, const char *name)
{
	if (r->envp == NULL)
		return NULL;
	return FCGX_GetParam(name, r->envp);
}

int
request_fail(struct request *r, int status, const char *code,
    const char *msg)
{
	r->err_code = code;
	r->err_msg = msg;
	r->err_status = status;
	return status;
}

/*
 * Seconds a client should wait before retrying: a lock is usually gone
 * within a second or two; a full disk needs an operator.
 */
#define RETRY_AFTER_BUSY	2
#define RETRY_AFTER_FULL	30

int
request_db_fail(struct request *r)
{
	struct store_health *h = &r->w->srv->store_health;
	enum store_fault kind = store_fault(r->w->store);
	bool audited = store_health_fault(h, kind, r->now);
	bool degradable = kind != STORE_FAULT_OTHER && (r->route == NULL ||
	    r->route->handler != ep_validate);

	/* store_errmsg() names the database file already */
	if (kind == STORE_FAULT_OTHER || audited)
		fprintf(stderr, "sessiongw: database error: %s (%s %s, "
		    "request %s)\n", store_errmsg(r->w->store),
		    r->method_name, r->route != NULL ? r->route->name : "-",
		    r->request_id != NULL && r->request_id[0] != '\0' ?
		    r->request_id : "-");
	if (!degradable)
		return request_fail(r, 500, "internal_error", "database error");
	if (r->err_status != 503)	/* once, if called twice */
		response_headerf(r, "Retry-After", "%d",
		    kind == STORE_FAULT_FULL ? RETRY_AFTER_FULL :
		    RETRY_AFTER_BUSY);
	if (kind == STORE_FAULT_BUSY)
		(void)request_fail(r, 503, "store_busy",
		    "the session store is busy; retry in a moment");
	else if (kind == STORE_FAULT_DOWN)
		(void)request_fail(r, 503, "store_unavailable",
		    "the session store cannot be reached; retry in a moment");
	else
		(void)request_fail(r, 503, "store_full",
		    "the session store is full; retry later");
	return 503;
}

static double
monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
request_begin(struct request *r, struct worker *w, FCGX_Request *fcgx,
    char **envp)
{
	memset(r, 0, sizeof *r);
	r->w = w;
	r->fcgx = fcgx;
	r->envp = envp;
	r->now = (int64_t)time(NULL);
	r->start = monotonic_now();
	r->content_length = -1;
	buf_init(&r->body);
	buf_init(&r->res.body);
	buf_init(&r->res.headers);
}

void
request_detach(struct request *r)
{
	r->fcgx = NULL;
	r->envp = NULL;
	r->query = r->remote_addr = r->user_agent = r->request_id = "";
	r->host = r->content_type = r->accept = "";
	r->origin = r->cookie_header = NULL;
}

static void
buf_wipe_free(struct buf *b)
{
	sodium_memzero(b->data, b->len);
	buf_free(b);
}

void
request_end(struct request *r)
{
	buf_wipe_free(&r->body);
	buf_wipe_free(&r->res.headers);
	buf_free(&r->res.body);
	sodium_memzero(r->sess_id, sizeof r->sess_id);
}

double
request_elapsed(const struct request *r)
{
	return monotonic_now() - r->start;
}
