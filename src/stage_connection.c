/*
 * stage_connection.c - the first stage: the connection facts nginx gave us.
 *
 * Copies the FastCGI params the later stages need into the request struct
 * (pointers into the request's own params), works out the path below
 * route_prefix and resolves the route, so a wrong path or method is
 * answered before any session work (the Origin check comes next, in
 * stage_origin.c).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "endpoints.h"
#include "parse.h"
#include "server.h"
#include "stage.h"

static const char *
param_or_empty(const struct request *r, const char *name)
{
	const char *v = request_param(r, name);

	return v != NULL ? v : "";
}

/* DOCUMENT_URI, else SCRIPT_NAME + PATH_INFO (SPEC "HTTP endpoints"). */
static int
copy_uri(struct request *r)
{
	const char *doc = request_param(r, "DOCUMENT_URI");
	int n;

	if (doc != NULL && doc[0] != '\0')
		n = snprintf(r->uri, sizeof r->uri, "%s", doc);
	else
		n = snprintf(r->uri, sizeof r->uri, "%s%s",
		    param_or_empty(r, "SCRIPT_NAME"),
		    param_or_empty(r, "PATH_INFO"));
	return n < 0 || (size_t)n >= sizeof r->uri ? -1 : 0;
}

static int
split_prefix(struct request *r)
{
	const char *prefix = r->w->srv->cfg.route_prefix;
	size_t plen = strlen(prefix);

	if (strncmp(r->uri, prefix, plen) != 0)
		return -1;
	if (r->uri[plen] != '\0' && r->uri[plen] != '/')
		return -1;	/* "/sessionx" is not ours */
	r->path = r->uri + plen;
	return 0;
}

int
stage_connection(struct request *r)
{
	const char *m = param_or_empty(r, "REQUEST_METHOD");
	const char *cl = request_param(r, "CONTENT_LENGTH");
	long len;
	int rc;

	snprintf(r->method_name, sizeof r->method_name, "%s", m);
	r->method = method_from_name(m);
	r->query = param_or_empty(r, "QUERY_STRING");
	r->remote_addr = param_or_empty(r, "REMOTE_ADDR");
	r->user_agent = param_or_empty(r, "HTTP_USER_AGENT");
	r->request_id = param_or_empty(r, "REQUEST_ID");
	r->host = param_or_empty(r, "HTTP_HOST");
	r->origin = request_param(r, "HTTP_ORIGIN");
	r->cookie_header = request_param(r, "HTTP_COOKIE");
	r->content_type = param_or_empty(r, "CONTENT_TYPE");
	r->accept = param_or_empty(r, "HTTP_ACCEPT");
	r->https = strcasecmp(param_or_empty(r, "HTTPS"), "on") == 0;
	/*
	 * A bad Content-Length, or a body that is not that long, is refused
	 * when a body is read (request_read_body), before the endpoint acts
	 * on it, so that validate (which reads none) still answers 200/401.
	 */
	if (cl != NULL && cl[0] != '\0')
		r->content_length = parse_long(cl, 0, 1L << 40, &len) == 0 ?
		    len : -2;
	if (copy_uri(r) != 0)
		return request_fail(r, 404, "not_found", "path too long");
	if (split_prefix(r) != 0)
		return request_fail(r, 404, "not_found", "no such endpoint");
	rc = route_resolve(r);
	return rc == 0 ? STAGE_NEXT : rc;
}
