/*
 * response.h - building and sending the response of one request.
 *
 * Handlers fill r->res (status, body, headers); the worker sends it once
 * with response_send(). Header values are checked for CR/LF so that no
 * client-supplied text can split a header.
 */
#ifndef SESSIONGW_RESPONSE_H
#define SESSIONGW_RESPONSE_H

#include "request.h"

/* Add "name: value". Returns 0, or -1 if value holds CR, LF or NUL. */
int	response_header(struct request *, const char *name, const char *value);
void	response_headerf(struct request *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Set status, content type and a JSON body (cJSON printed unformatted). */
struct cJSON;
void	response_json(struct request *, int status, struct cJSON *);
/* {"error":code,"message":msg} */
void	response_error(struct request *, int status, const char *code,
	    const char *msg);
/* 303 See Other to a relative path. */
void	response_redirect(struct request *, const char *location);
/* 303 to the sign-in page (route_prefix + "/login") or the account page. */
void	response_redirect_login(struct request *);
void	response_redirect_account(struct request *);
/* Serialize to the FastCGI stream (or into out for unit tests). */
int	response_serialize(const struct request *, struct buf *out);
int	response_send(struct request *);
const char *http_reason(int status);

/* Set-Cookie for a token (max_age < 0: none) / a clearing cookie. */
void	cookie_set_header(struct request *, const char *token);
void	cookie_clear_header(struct request *);
/*
 * The half-done sign-in cookie (mfa.c): "<cookie_name>_mfa=value",
 * HttpOnly, SameSite=Strict, host-only, Path=route_prefix ("/" for a
 * __Host- name), Secure as the session cookie, Max-Age=max_age; value
 * NULL clears it.
 */
void	cookie_set_pending(struct request *, const char *value,
	    int64_t max_age);

/*
 * Body: read up to max bytes. 0 ok, or an HTTP status: 400 when the body
 * is not exactly CONTENT_LENGTH bytes (cut off) or CONTENT_LENGTH is not a
 * non-negative integer, 413 too large, 500. On failure r->body is empty.
 */
int	request_read_body(struct request *, size_t max);
/* Fail with the status request_read_body() returned, and its message. */
int	request_body_fail(struct request *, int status);

#endif
