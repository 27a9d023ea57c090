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
#include <sys/types.h>

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
	AUDIT_STORE_UNAVAILABLE,	/* store busy/full/failing (store_health.c) */
	AUDIT_USERS_IMPORTED,
	AUDIT_PASSWORD_REHASHED,
	AUDIT_MFA_ENROLLED,
	AUDIT_MFA_FAILURE,
	AUDIT_MFA_RESET,
	AUDIT_RECOVERY_CODE_USED,
	AUDIT__MAX
};

extern const char *const audit_event_names[AUDIT__MAX];

/* Longest string (bytes) an audit line carries in any field. */
#define AUDIT_TEXT_MAX	512

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

/*
 * Open path ("-" = stderr). 0 or -1 with err naming the file. A symlink
 * (O_NOFOLLOW) or a regular file with several hard links is refused.
 */
int	audit_open(const char *path, char *err, size_t errsz)
	    __attribute__((warn_unused_result));
/* Reopen the same path (SIGHUP, logrotate). 0 or -1. */
int	audit_reopen(char *err, size_t errsz);
void	audit_close(void);
/* fchown the open log (a regular file) to uid:gid. 0 or -1 with err. */
int	audit_chown(uid_t, gid_t, char *err, size_t errsz)
	    __attribute__((warn_unused_result));

/*
 * Write one event. Never fails loudly: a failed write is counted.
 * Invariants, whoever the caller (see audit.c):
 *   - every string of the line (fields and detail) is valid UTF-8 and at
 *     most AUDIT_TEXT_MAX bytes: client text is cut, never refused;
 *   - events a client can trigger without a session are capped per second;
 *     a dropped line is counted, and the next line of that event written
 *     carries the count as detail.suppressed (lines + suppressed = events);
 *     counts still owed at daemon_stopped go in its
 *     detail.suppressed_pending {event: count}.
 * rec->detail is taken over even when the line is dropped.
 */
void	audit_write(struct audit_rec *);
/* Lines of ev dropped by the cap and not yet reported in a line. */
unsigned long long audit_suppressed(enum audit_event);
/* Number of events that could not be written (full disk...). */
uint64_t audit_write_failures(void);

/* Format the RFC 3339 UTC timestamp with milliseconds ("...Z"). */
void	audit_timestamp(char out[32]);

#endif
