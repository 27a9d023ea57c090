/*
 * stage.h - the request chain.
 *
 * A stage is `int stage_x(struct request *)` returning STAGE_NEXT (go on),
 * STAGE_DONE (the response is complete) or an HTTP status >= 400 after
 * setting r->err_code/r->err_msg with request_fail(). Only the runner
 * writes error responses. Stages flagged after_response run once the
 * response has been flushed to nginx, so they never make a client wait.
 * Adding a stage is one function and one row in stages[] (chain.c).
 */
#ifndef SESSIONGW_STAGE_H
#define SESSIONGW_STAGE_H

#include "request.h"

#define STAGE_NEXT	0
#define STAGE_DONE	1

int	stage_connection(struct request *);
int	stage_origin(struct request *);
int	stage_session(struct request *);
int	stage_activity(struct request *);
int	stage_route(struct request *);
int	stage_cleanup(struct request *);

/* Run every stage before the response; returns the final status. */
int	chain_run(struct request *);
/* Run the after_response stages. */
void	chain_run_after(struct request *);

#endif
