/*
 * cli_common.h - helpers shared by the subcommands (src/cli_*.c).
 *
 * Conventions: functions that can fail print ONE line on stderr themselves
 * ("sessiongw: ...") and return -1, so a subcommand only maps the result to
 * its exit status. Nothing here ever prints a password, key, cookie or
 * session id.
 */
#ifndef SESSIONGW_CLI_COMMON_H
#define SESSIONGW_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "audit.h"
#include "config.h"
#include "store.h"

#define CLI_TIME_LEN	32	/* "2026-11-28T21:00:00Z" + room */

/* Print "sessiongw: MESSAGE" as one line on stderr. */
void	cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy s into out for display: control bytes become '?', and a string
 * longer than max display bytes is cut (on a UTF-8 boundary) and ends in
 * "...". max = 0 means no length limit (out still bounds it).
 */
void	cli_printable(const char *s, char *out, size_t outsz, size_t max);

/* Reset getopt_long for a fresh parse (opterr off: we print our own). */
void	cli_getopt_reset(void);
/*
 * One usage line for a bad option after getopt_long returned '?' or ':';
 * cmd (NULL for the global options) prefixes it. Returns EXIT_USAGE.
 */
int	cli_bad_option(const char *cmd, int argc, char **argv, int c);

/*
 * Open the database (created if missing) and apply pending migrations.
 * from and to may be NULL. On failure prints one line, returns -1.
 * *out is the caller's: release with cli_close().
 */
int	cli_store_open(const struct config *, struct store **out,
	    int *from, int *to) __attribute__((warn_unused_result));
/* Same, but the message goes to err instead of stderr. */
int	cli_store_try_open(const struct config *, struct store **out,
	    int *from, int *to, char *err, size_t errsz)
	    __attribute__((warn_unused_result));
/* Open cfg's audit log so CLI events join the daemon's. 0 or -1 (printed). */
int	cli_audit_open(const struct config *)
	    __attribute__((warn_unused_result));
/* Same, but the message goes to err instead of stderr. */
int	cli_audit_try_open(const struct config *, char *err, size_t errsz)
	    __attribute__((warn_unused_result));
/* Close the store (NULL ok) and the audit log if cli_audit_open ran. */
void	cli_close(struct store *);

/*
 * Write one audit event; detail is taken over (may be NULL). user, handle
 * may be NULL, user_id 0 when unknown.
 */
void	cli_audit(enum audit_event, const char *user, int64_t user_id,
	    const char *handle, cJSON *detail);

/* 1..64 bytes of [A-Za-z0-9._@-]. */
bool	cli_username_valid(const char *);
/* Check the name; print the usage error naming it. 0 or -1. */
int	cli_username_check(const char *);

/* Look a user up; prints "no such user NAME" when missing. */
int	cli_user_find(struct store *, const char *name, struct user *)
	    __attribute__((warn_unused_result));

/* Unix seconds as RFC 3339 UTC ("-" for 0). */
void	cli_time_fmt(int64_t t, char out[CLI_TIME_LEN]);

/*
 * Parse RFC 3339 ("2026-11-28T21:00:00Z", with optional fraction and
 * +HH:MM offset) or a date ("2026-11-28", midnight UTC) into Unix
 * milliseconds. 0 ok, -1 bad.
 */
int	cli_rfc3339_parse(const char *, int64_t *ms);

/*
 * A --since/--until value: RFC 3339, or a duration back from now_ms
 * ("90s", "15m", "2h", "7d"). 0 ok, -1 bad.
 */
int	cli_time_arg(const char *, int64_t now_ms, int64_t *ms);

/* Check lines of setup-session-security: "ok   ", "warn ", "FAIL ". */
enum check_level { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK__MAX };
struct cli_checks {
	int	n[CHECK__MAX];
};
void	cli_check(struct cli_checks *, enum check_level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
