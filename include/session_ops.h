/*
 * session_ops.h - session operations shared by the JSON and HTML endpoints.
 */
#ifndef SESSIONGW_SESSION_OPS_H
#define SESSIONGW_SESSION_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "request.h"

struct config;
struct session;
/*
 * The session rule for "keep me signed in", in one place: a remembered
 * session (remember_age > 0) idles out after remember_age instead of
 * cookie_age, and its cookie carries Max-Age even with
 * expire_at_browser_close; both stay capped by absolute_age
 * (session_expiry, cookie_set_header).
 */
int64_t	session_idle_limit(const struct config *, const struct session *);
bool	session_cookie_persists(const struct config *, const struct session *);
/* The effective expiry: idle expiry capped by the absolute limit. */
int64_t	session_expiry(const struct request *);
/*
 * {"user": name, "expires_at": session_expiry(r)}: the body a sign-in and
 * a password change answer with once the new session is started. NULL
 * when out of memory (response_json answers that).
 */
cJSON	*session_started_json(const struct request *, const char *name);
/* 12 lowercase hex digits. */
bool	handle_valid(const char *s, size_t len);
/* Revoke the caller's session named by r->arg. 0, or a status (404...). */
int	session_revoke_handle(struct request *, bool *was_current);
/* Append the caller's sessions as objects to arr. 0 or -1. */
int	session_list_json(struct request *, cJSON *arr);
/* End the current session / all the caller's sessions, audit `logout`. */
int	logout_current(struct request *);
int	logout_everywhere(struct request *, int64_t *count);

#endif
