/*
 * request.h - the one request-scoped struct passed down the stage chain.
 *
 * Everything a request knows lives here: no globals or thread-locals carry
 * request data, and no buffer is shared between requests. The worker that
 * accepted the request owns it, unless it hands the whole request to the
 * password pool (pwpool.h), which then owns it; stages borrow it. `w` is
 * the thread that runs it now.
 */
#ifndef SESSIONGW_REQUEST_H
#define SESSIONGW_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "cookie.h"
#include "store.h"

struct route;
struct worker;	/* per-thread context: store, config, keys (server.h) */

#define HDR_MAX		16	/* extra response headers */
#define METHOD_MAX	16
#define URI_MAX		4096
#define HOST_MAX	256
#define ORIGIN_MAX	512
#define REQID_MAX	64

enum method {
	M_OTHER, M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M__MAX
};

/* "GET", "POST"...; NULL for M_OTHER. */
extern const char *const method_names[M__MAX];
enum method	method_from_name(const char *);

enum session_state {
	SESS_NONE,		/* no cookie with our name */
	SESS_INVALID,		/* a cookie, but none of its values validates */
	SESS_VALID
};

struct response {
	int		 status;		/* 0 = not set yet */
	const char	*content_type;		/* static string */
	struct buf	 body;
	struct buf	 headers;		/* "Name: value\r\n" lines */
	bool		 no_store;		/* add Cache-Control + Vary */
	bool		 html;			/* page: add the security headers */
	bool		 set_cookie;		/* a Set-Cookie is in headers */
};

struct FCGX_Request;

struct request {
	struct worker	*w;
	struct FCGX_Request *fcgx;		/* NULL in unit tests */
	char		**envp;			/* FastCGI params, NAME=value */
	int64_t		 now;			/* Unix seconds at accept */
	double		 start;			/* monotonic, for metrics */

	/* Connection facts (stage_connection). */
	enum method	 method;
	char		 method_name[METHOD_MAX];
	char		 uri[URI_MAX];		/* DOCUMENT_URI as nginx passed it */
	const char	*path;			/* uri after route_prefix */
	const char	*query;			/* QUERY_STRING, never NULL */
	const char	*remote_addr;		/* never NULL ("" if absent) */
	const char	*user_agent;		/* never NULL */
	const char	*request_id;		/* never NULL */
	const char	*host;			/* HTTP_HOST as sent, never NULL */
	const char	*origin;		/* NULL if no Origin header */
	const char	*cookie_header;		/* NULL if none */
	const char	*content_type;		/* never NULL */
	const char	*accept;		/* never NULL */
	bool		 https;
	long		 content_length;	/* -1 unknown, -2 malformed */

	/* Request body, read on demand by endpoints that take one. */
	struct buf	 body;
	bool		 body_read;
	int		 body_rc;		/* request_read_body's answer */

	/* Session (stage_session). */
	enum session_state sess_state;
	bool		 sess_seen_invalid;	/* some value failed: clear it */
	int		 sess_key_index;	/* key that verified (0 = current) */
	struct session	 sess;
	struct user	 user;
	bool		 sess_touched;		/* activity stage wrote the row */
	bool		 sess_slid;		/* expiry moved: re-send Max-Age */
	int		 vresult;		/* enum validation_result */
	bool		 vcounted;		/* count vresult in metrics */
	unsigned char	 sess_id[SESSION_ID_BYTES];	/* wiped at the end */

	/* Routing result, for metrics. */
	const struct route *route;		/* NULL until routed */
	const char	*arg;			/* the '*' segment, in path */
	size_t		 arg_len;

	/* Where chain_run() continues after a handoff (chain.c). */
	size_t		 resume;
	bool		 handoff_refused;	/* password queue full: 503 */

	/* Error to report (request_fail); static strings. */
	const char	*err_code;
	const char	*err_msg;
	int		 err_status;		/* the status err_code goes with */

	struct response	 res;
};

/* Record an error for the runner to write; returns status. */
int	request_fail(struct request *, int status, const char *code,
	    const char *msg);

/*
 * A store fault, the one place that maps it to an answer: busy or full is
 * 503 + Retry-After with error store_busy / store_full (a short HTML page
 * for a browser, Accept: text/html), anything else 500 internal_error;
 * validate always gets 500 (auth_request takes nothing else). The fault is
 * recorded in the server's store_health (metrics, healthz, the audit line
 * once per interval); the store's message (never a secret: the store sees
 * only hashes) goes to stderr for other faults, and once per interval for
 * busy/full. Returns the status. A caller that returns a bare 500 after
 * it still gets the 503 (the runner keeps the status recorded here).
 */
int	request_db_fail(struct request *);

/* Lookup of a FastCGI param; "" or NULL as documented per field above. */
const char *request_param(const struct request *, const char *name);

#endif
