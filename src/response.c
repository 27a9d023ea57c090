/*
 * response.c - the response of one request: headers, bodies, cookies, and
 * its serialization onto the FastCGI stream.
 *
 * Every response that depends on a session says so to caches
 * (Cache-Control: no-store, Vary: Cookie); HTML pages also carry the
 * security headers of SPEC "Browser sign-in".
 */
#include <fcgiapp.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "response.h"
#include "server.h"
#include "session_ops.h"

static const char page_security_headers[] =
	"Content-Security-Policy: default-src 'none'; style-src 'self'; "
	"form-action 'self'; frame-ancestors 'none'\r\n"
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: same-origin\r\n"
	"X-Frame-Options: DENY\r\n";

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default:  return "Unknown";
	}
}

static int
header_value_ok(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v == '\r' || *v == '\n')
			return 0;
	return 1;
}

int
response_header(struct request *r, const char *name, const char *value)
{
	if (!header_value_ok(value))
		return -1;
	buf_puts(&r->res.headers, name);
	buf_puts(&r->res.headers, ": ");
	buf_puts(&r->res.headers, value);
	buf_puts(&r->res.headers, "\r\n");
	return 0;
}

void
response_headerf(struct request *r, const char *name, const char *fmt, ...)
{
	char v[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof v)
		return;		/* only used with short, known values */
	(void)response_header(r, name, v);
}

void
response_json(struct request *r, int status, cJSON *obj)
{
	char *s = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;

	r->res.status = status;
	r->res.content_type = "application/json";
	buf_reset(&r->res.body);
	if (s == NULL) {
		/* out of memory: still a valid JSON body */
		buf_puts(&r->res.body, "{}");
		r->res.status = 500;
	} else {
		buf_puts(&r->res.body, s);
		cJSON_free(s);
	}
	buf_putc(&r->res.body, '\n');
	cJSON_Delete(obj);
}

void
response_error(struct request *r, int status, const char *code,
    const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL) {
		cJSON_AddStringToObject(o, "error", code);
		cJSON_AddStringToObject(o, "message", msg);
	}
	response_json(r, status, o);
}

void
response_redirect(struct request *r, const char *location)
{
	r->res.status = 303;
	r->res.content_type = NULL;
	buf_reset(&r->res.body);
	if (response_header(r, "Location", location) != 0)
		(void)response_header(r, "Location", "/");
}

static void
redirect_below_prefix(struct request *r, const char *page)
{
	char loc[300];
	int n = snprintf(loc, sizeof loc, "%s/%s", r->w->srv->cfg.route_prefix,
	    page);

	/* route_prefix is at most 255 bytes (config.h), so this fits */
	response_redirect(r, n > 0 && (size_t)n < sizeof loc ? loc : "/");
}

void
response_redirect_login(struct request *r)
{
	redirect_below_prefix(r, "login");
}

void
response_redirect_account(struct request *r)
{
	redirect_below_prefix(r, "account");
}

int
response_serialize(const struct request *r, struct buf *out)
{
	const struct response *res = &r->res;
	int status = res->status ? res->status : 500;

	buf_printf(out, "Status: %d %s\r\n", status, http_reason(status));
	if (res->content_type != NULL)
		buf_printf(out, "Content-Type: %s\r\n", res->content_type);
	if (res->no_store)
		buf_puts(out, "Cache-Control: no-store\r\nVary: Cookie\r\n");
	if (res->html)
		buf_puts(out, page_security_headers);
	buf_append(out, res->headers.data, res->headers.len);
	buf_printf(out, "Content-Length: %zu\r\n\r\n", res->body.len);
	if (r->method != M_HEAD)
		buf_append(out, res->body.data, res->body.len);
	return buf_failed(out) ? -1 : 0;
}

int
response_send(struct request *r)
{
	struct buf out;
	int rc = -1;

	buf_init(&out);
	if (response_serialize(r, &out) != 0)
		goto done;
	if (r->fcgx == NULL) {
		rc = 0;
		goto done;
	}
	if (FCGX_PutStr(out.data, (int)out.len, r->fcgx->out) != (int)out.len)
		goto done;
	rc = 0;
done:
	sodium_memzero(out.data, out.len);	/* may hold a fresh token */
	buf_free(&out);
	return rc;
}

static bool
cookie_secure(const struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;

	return cfg->cookie_secure == SECURE_TRUE ||
	    (cfg->cookie_secure == SECURE_AUTO && r->https);
}

static void
cookie_attributes(struct request *r, struct buf *b)
{
	const struct config *cfg = &r->w->srv->cfg;

	buf_printf(b, "; Path=%s", cfg->cookie_path);
	if (cfg->cookie_domain[0] != '\0')
		buf_printf(b, "; Domain=%s", cfg->cookie_domain);
	if (cfg->cookie_httponly)
		buf_puts(b, "; HttpOnly");
	if (cookie_secure(r))
		buf_puts(b, "; Secure");
	buf_printf(b, "; SameSite=%s",
	    config_samesite_name(cfg->cookie_samesite));
}

void
cookie_set_header(struct request *r, const char *token)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s=%s", cfg->cookie_name, token);
	if (session_cookie_persists(cfg, &r->sess)) {
		int64_t left = session_end_at(&r->sess, cfg->absolute_age) -
		    r->now;

		buf_printf(&b, "; Max-Age=%lld", (long long)(left > 0 ? left : 0));
	}
	cookie_attributes(r, &b);
	if (!buf_failed(&b) && response_header(r, "Set-Cookie", b.data) == 0)
		r->res.set_cookie = true;
	sodium_memzero(b.data, b.len);
	buf_free(&b);
}

void
cookie_clear_header(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
	    cfg->cookie_name);
	cookie_attributes(r, &b);
	if (!buf_failed(&b) && response_header(r, "Set-Cookie", b.data) == 0)
		r->res.set_cookie = true;
	buf_free(&b);
}

void
cookie_set_pending(struct request *r, const char *value, int64_t max_age)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s_mfa=%s; Max-Age=%lld; Path=%s; HttpOnly",
	    cfg->cookie_name, value != NULL ? value : "",
	    (long long)(value != NULL ? max_age : 0),
	    strncmp(cfg->cookie_name, "__Host-", 7) == 0 ? "/" :
	    cfg->route_prefix);
	if (cookie_secure(r))
		buf_puts(&b, "; Secure");
	buf_puts(&b, "; SameSite=Strict");
	if (!buf_failed(&b))
		(void)response_header(r, "Set-Cookie", b.data);
	sodium_memzero(b.data, b.len);
	buf_free(&b);
}

/*
 * libfcgi's FCGX_GetStr() returns fewer bytes when the stream ends early
 * (a cut-off upload, a client that lied about its length), so the body is
 * only whole when its length is CONTENT_LENGTH exactly; anything else is
 * refused before an endpoint acts on it. A failed read leaves the body
 * empty, and a second call returns the first call's answer.
 */
int
request_read_body(struct request *r, size_t max)
{
	char chunk[4096];
	int n, rc = 0;

	if (r->body_read)
		return r->body_rc;
	r->body_read = true;
	if (r->content_length == -2) {
		rc = 400;
		goto out;
	}
	if (r->content_length > 0 && (size_t)r->content_length > max) {
		rc = 413;
		goto out;
	}
	/* unit tests (no fcgx) fill r->body directly */
	while (r->fcgx != NULL &&
	    (n = FCGX_GetStr(chunk, sizeof chunk, r->fcgx->in)) > 0) {
		if (r->body.len + (size_t)n > max) {
			rc = 413;
			break;
		}
		buf_append(&r->body, chunk, (size_t)n);
	}
	sodium_memzero(chunk, sizeof chunk);	/* may hold a password */
	if (rc == 0 && buf_failed(&r->body))
		rc = 500;
	else if (rc == 0 && r->content_length >= 0 &&
	    r->body.len != (size_t)r->content_length)
		rc = 400;
out:
	if (rc != 0) {
		sodium_memzero(r->body.data, r->body.len);
		buf_reset(&r->body);
	}
	r->body_rc = rc;
	return rc;
}

int
request_body_fail(struct request *r, int status)
{
	switch (status) {
	case 400:
		return request_fail(r, 400, "bad_request",
		    "body does not match Content-Length");
	case 413:
		return request_fail(r, 413, "too_large", "body too large");
	default:
		return request_fail(r, 500, "internal_error",
		    "cannot read the body");
	}
}
