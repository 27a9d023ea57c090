/*
 * audit.h - the JSON Lines audit log.
 *
 * One object per line, written with a single write(2) on an O_APPEND
 * descriptor so that lines from several threads and processes never
 * interleave. Callers pass only non-secret facts: the session handle, never
 * the id or the cookie; never a password or key.
 */
#ifndef SESSIONGW_AUDIT_H
#define SESSIONGW_AUDIT_H

#include <stdint.h>

#include <cJSON.h>

enum audit_event {
	AUDIT_LOGIN_SUCCESS,
	AUDIT_LOGIN_FAILURE,
	AUDIT_LOGIN_LOCKED,
	AUDIT_LOGOUT,
	AUDIT_SESSION_CREATED,
	AUDIT_SESSION_ROTATED,
	AUDIT_SESSION_EXPIRED,
	AUDIT_SESSION_REVOKED,
	AUDIT_SESSION_INVALID_SIGNATURE,
	AUDIT_IP_CHANGED,
	AUDIT_ORIGIN_REJECTED,
	AUDIT_PASSWORD_CHANGED,
	AUDIT_SESSIONS_CLEARED,
	AUDIT_CLEANUP,
	AUDIT_CONFIG_VERIFIED,
	AUDIT_KEY_ROTATED,
	AUDIT_REDIRECT_REJECTED,
	AUDIT_DAEMON_STARTED,
	AUDIT_DAEMON_STOPPED,
	AUDIT_USER_CREATED,
	AUDIT_USER_DELETED,
	AUDIT_USER_LOCKED,
	AUDIT_USER_UNLOCKED,
	AUDIT_USERS_IMPORTED,
	AUDIT_PASSWORD_REHASHED,
	AUDIT__MAX
};

extern const char *const audit_event_names[AUDIT__MAX];

/* Look an event up by name; -1 if unknown. */
int	audit_event_from_name(const char *);

/* Everything optional: NULL / 0 fields are left out of the line. */
struct audit_rec {
	enum audit_event event;
	const char	*user;
	int64_t		 user_id;	/* 0 = unknown */
	const char	*session;	/* handle */
	const char	*ip;
	const char	*ua;
	const char	*request_id;
	cJSON		*detail;	/* taken over (deleted) by audit_write */
};

/* Open path ("-" = stderr). 0 or -1 with err naming the file. */
int	audit_open(const char *path, char *err, size_t errsz)
	    __attribute__((warn_unused_result));
/* Reopen the same path (SIGHUP, logrotate). 0 or -1. */
int	audit_reopen(char *err, size_t errsz);
void	audit_close(void);

/* Write one event. Never fails loudly: a failed write is counted. */
void	audit_write(struct audit_rec *);
/* Number of events that could not be written (full disk...). */
uint64_t audit_write_failures(void);

/* Format the RFC 3339 UTC timestamp with milliseconds ("...Z"). */
void	audit_timestamp(char out[32]);

#endif
