/*
 * request_life.h - creating and destroying the request struct (worker side).
 */
#ifndef SESSIONGW_REQUEST_LIFE_H
#define SESSIONGW_REQUEST_LIFE_H

#include <fcgiapp.h>

#include "request.h"

/* Zero and initialize r for one request; envp is the FastCGI params. */
void	request_begin(struct request *, struct worker *, FCGX_Request *,
	    char **envp);
/*
 * After FCGX_Finish_r the params are freed: drop every pointer into them,
 * so after-response stages cannot read freed memory.
 */
void	request_detach(struct request *);
/* Wipe secrets and free everything r owns. */
void	request_end(struct request *);
/* Seconds since request_begin (monotonic). */
double	request_elapsed(const struct request *);

#endif
