/*
 * stage.h - the request chain.
 *
 * A stage is `int stage_x(struct request *)` returning STAGE_NEXT (go on),
 * STAGE_DONE (the response is complete), STAGE_HANDOFF (this request must
 * go on in another thread: see stage_handoff) or an HTTP status >= 400
 * after setting r->err_code/r->err_msg with request_fail(). Only the
 * runner writes error responses. Stages flagged after_response run once
 * the response has been flushed to nginx, so they never make a client
 * wait. Adding a stage is one function and one row in stages[] (chain.c).
 */
#ifndef SESSIONGW_STAGE_H
#define SESSIONGW_STAGE_H

#include "request.h"

#define STAGE_NEXT	0
#define STAGE_DONE	1
#define STAGE_HANDOFF	2

int	stage_connection(struct request *);
int	stage_origin(struct request *);
int	stage_session(struct request *);
int	stage_activity(struct request *);
/*
 * A route flagged RF_PASSWORD checks a password (argon2id: tens of
 * milliseconds of CPU and 64 MiB). On a FastCGI worker this stage returns
 * STAGE_HANDOFF, so the request goes on in the password pool (pwpool.h)
 * and the worker goes back to answering validate. With r->handoff_refused
 * (the pool's queue was full) it answers 503 + Retry-After instead.
 */
int	stage_handoff(struct request *);
int	stage_route(struct request *);
int	stage_cleanup(struct request *);

/*
 * Run the stages before the response, from r->resume (0 for a new
 * request); returns the final status. When a stage hands the request off,
 * returns STAGE_HANDOFF with r->resume at that stage and nothing written:
 * the caller passes the request on (or sets r->handoff_refused) and calls
 * chain_run() again, from whichever thread then owns it.
 */
int	chain_run(struct request *);
/* Run the after_response stages. */
void	chain_run_after(struct request *);

#endif
