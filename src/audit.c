/*
 * audit.c - the JSON Lines audit log (see audit.h).
 *
 * Process-wide state is one descriptor and its path. Writers hold a read
 * lock while they write, so any number write at once (O_APPEND keeps each
 * single write(2) whole); open/reopen/close take the write lock only to swap
 * the descriptor, so no writer ever uses a closed fd.
 *
 * Two rules keep the log from being a sink an attacker can fill (SPEC
 * "Audit log"), and both live here so that no caller can forget them:
 * every string in a line is cut to AUDIT_TEXT_MAX bytes (audit_clip), and
 * the events anyone can trigger without a session are capped per second
 * (audit_caps[], audit_cap_take).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"

#define AUDIT_PATH_MAX	4096

/*
 * Events a client can cause without a session, and how many lines of each
 * may be written per second. 0 = not capped. A dropped line is counted and
 * the next line of that event written carries the count in
 * detail.suppressed, so lines + suppressed always equals events.
 * login_failure is capped higher than the rest: each one costs the client an
 * argon2id check, and it is the line an operator reads after a guessing run.
 */
static const unsigned audit_caps[AUDIT__MAX] = {
	[AUDIT_SESSION_INVALID_SIGNATURE] = 20,
	[AUDIT_ORIGIN_REJECTED] = 20,
	[AUDIT_LOGIN_LOCKED] = 20,
	[AUDIT_REDIRECT_REJECTED] = 20,
	[AUDIT_LOGIN_FAILURE] = 50,
};

/* Per capped event: the current second, lines written in it, dropped. */
struct audit_cap {
	long long	 second;
	unsigned	 written;
	unsigned long long suppressed;
};
static pthread_mutex_t audit_cap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct audit_cap audit_cap_state[AUDIT__MAX];

const char *const audit_event_names[AUDIT__MAX] = {
	[AUDIT_LOGIN_SUCCESS] = "login_success",
	[AUDIT_LOGIN_FAILURE] = "login_failure",
	[AUDIT_LOGIN_LOCKED] = "login_locked",
	[AUDIT_LOGOUT] = "logout",
	[AUDIT_SESSION_CREATED] = "session_created",
	[AUDIT_SESSION_ROTATED] = "session_rotated",
	[AUDIT_SESSION_EXPIRED] = "session_expired",
	[AUDIT_SESSION_REVOKED] = "session_revoked",
	[AUDIT_SESSION_INVALID_SIGNATURE] = "session_invalid_signature",
	[AUDIT_IP_CHANGED] = "ip_changed",
	[AUDIT_ORIGIN_REJECTED] = "origin_rejected",
	[AUDIT_PASSWORD_CHANGED] = "password_changed",
	[AUDIT_SESSIONS_CLEARED] = "sessions_cleared",
	[AUDIT_CLEANUP] = "cleanup",
	[AUDIT_CONFIG_VERIFIED] = "config_verified",
	[AUDIT_KEY_ROTATED] = "key_rotated",
	[AUDIT_REDIRECT_REJECTED] = "redirect_rejected",
	[AUDIT_DAEMON_STARTED] = "daemon_started",
	[AUDIT_DAEMON_STOPPED] = "daemon_stopped",
	[AUDIT_USER_CREATED] = "user_created",
	[AUDIT_USER_DELETED] = "user_deleted",
	[AUDIT_USER_LOCKED] = "user_locked",
	[AUDIT_USER_UNLOCKED] = "user_unlocked",
	[AUDIT_STORE_UNAVAILABLE] = "store_unavailable",
	[AUDIT_USERS_IMPORTED] = "users_imported",
	[AUDIT_PASSWORD_REHASHED] = "password_rehashed",
	[AUDIT_MFA_ENROLLED] = "mfa_enrolled",
	[AUDIT_MFA_FAILURE] = "mfa_failure",
	[AUDIT_MFA_RESET] = "mfa_reset",
	[AUDIT_RECOVERY_CODE_USED] = "recovery_code_used",
};

static pthread_rwlock_t audit_lock = PTHREAD_RWLOCK_INITIALIZER;
static int audit_fd = -1;		/* -1: not open, write to stderr */
static bool audit_owned;		/* fd is ours to close (not stderr) */
static char audit_path[AUDIT_PATH_MAX];
static atomic_ullong audit_failures;

int
audit_event_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < AUDIT__MAX; i++)
		if (strcmp(name, audit_event_names[i]) == 0)
			return i;
	return -1;
}

static void
set_err(char *err, size_t errsz, const char *path, int e)
{
	if (err != NULL && errsz > 0)
		snprintf(err, errsz, "audit log %s: %s", path, strerror(e));
}

/*
 * Open path for appending; *owned says whether it must be closed later.
 *
 * The daemon opens the log as root and then gives it to [server] user
 * (audit_chown), so what it opens must be the file named, not something a
 * symlink or a hard link in a writable log directory points at: O_NOFOLLOW
 * refuses a symlink as the last component, and a regular file with more
 * than one link is refused too (it could be /etc/shadow linked in).
 * Created 0600: only the daemon user (and root) read the log.
 */
static int
audit_fd_open(const char *path, bool *owned, char *err, size_t errsz)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0) {
		*owned = false;
		return STDERR_FILENO;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY, 0600);
	if (fd == -1) {
		if (errno == ELOOP && err != NULL && errsz > 0)
			snprintf(err, errsz, "audit log %s: is a symbolic link; "
			    "refusing to follow it (name the real file)", path);
		else
			set_err(err, errsz, path, errno);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		set_err(err, errsz, path, errno);
		close(fd);
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		if (err != NULL && errsz > 0)
			snprintf(err, errsz, "audit log %s: has %lu hard links; "
			    "refusing a file that is also another name",
			    path, (unsigned long)st.st_nlink);
		close(fd);
		return -1;
	}
	*owned = true;
	return fd;
}

/* Install fd as the log; the old descriptor is closed after the swap. */
static void
audit_swap(int fd, bool owned, const char *path)
{
	int old;
	bool old_owned;

	pthread_rwlock_wrlock(&audit_lock);
	old = audit_fd;
	old_owned = audit_owned;
	audit_fd = fd;
	audit_owned = owned;
	if (path != NULL)
		snprintf(audit_path, sizeof(audit_path), "%s", path);
	pthread_rwlock_unlock(&audit_lock);
	if (old_owned && old >= 0)
		close(old);
}

int
audit_open(const char *path, char *err, size_t errsz)
{
	bool owned = false;
	int fd;

	if (path == NULL || path[0] == '\0' || strlen(path) >= AUDIT_PATH_MAX) {
		set_err(err, errsz, path != NULL ? path : "(null)",
		    ENAMETOOLONG);
		return -1;
	}
	if ((fd = audit_fd_open(path, &owned, err, errsz)) == -1)
		return -1;
	audit_swap(fd, owned, path);
	return 0;
}

/* Reopen the same path: after logrotate renamed the file away. */
int
audit_reopen(char *err, size_t errsz)
{
	char path[AUDIT_PATH_MAX];
	bool owned = false;
	int fd;

	pthread_rwlock_rdlock(&audit_lock);
	snprintf(path, sizeof(path), "%s", audit_path);
	pthread_rwlock_unlock(&audit_lock);
	if (path[0] == '\0')
		return 0;	/* never opened: stderr, nothing to reopen */
	if ((fd = audit_fd_open(path, &owned, err, errsz)) == -1)
		return -1;
	audit_swap(fd, owned, NULL);
	return 0;
}

/*
 * Give the open log to uid:gid, through the descriptor: never chown(path),
 * which would follow a symlink put there since the open. Only a regular
 * file is given away (a log on /dev/null or a FIFO keeps its owner).
 */
int
audit_chown(uid_t uid, gid_t gid, char *err, size_t errsz)
{
	struct stat st;
	int rc = 0;

	pthread_rwlock_rdlock(&audit_lock);
	if (audit_fd >= 0 && audit_owned) {
		if (fstat(audit_fd, &st) == -1 ||
		    (S_ISREG(st.st_mode) && fchown(audit_fd, uid, gid) == -1)) {
			set_err(err, errsz, audit_path, errno);
			rc = -1;
		}
	}
	pthread_rwlock_unlock(&audit_lock);
	return rc;
}

void
audit_close(void)
{
	audit_swap(-1, false, "");
}

uint64_t
audit_write_failures(void)
{
	return atomic_load(&audit_failures);
}

void
audit_timestamp(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char date[24];

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, 32, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, 32, "%.19s.%03uZ", date,
	    (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}

/* Length of the valid UTF-8 sequence at p, or 0 if it is not one. */
static int
utf8_len(const unsigned char *p)
{
	unsigned int cp;
	int n, k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 1, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 2, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 3, cp = p[0] & 0x07u;
	else
		return 0;
	/* A NUL ends the loop too: it is not a continuation byte. */
	for (k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3fu);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, out of range or a surrogate */
	return n + 1;
}

/*
 * Client-controlled text (user agent, a rejected rd) may hold bytes that are
 * not UTF-8; replace each such byte with '?' in place so that every line
 * stays valid JSON for strict readers. Same length, so in place is safe.
 */
static void
utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		int n = utf8_len(p);

		if (n == 0) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

/*
 * Cut s to at most AUDIT_TEXT_MAX bytes, at a character boundary. Runs after
 * utf8_sanitize, so every sequence is valid and utf8_len never returns 0.
 */
static void
audit_clip(char *s)
{
	size_t len = 0;

	while (s[len] != '\0') {
		size_t n = (size_t)utf8_len((const unsigned char *)s + len);

		if (n == 0 || len + n > AUDIT_TEXT_MAX) {
			s[len] = '\0';
			break;
		}
		len += n;
	}
}

static void
json_sanitize(cJSON *it)
{
	for (; it != NULL; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring != NULL) {
			utf8_sanitize(it->valuestring);
			audit_clip(it->valuestring);
		}
		if (it->string != NULL) {
			utf8_sanitize(it->string);
			audit_clip(it->string);
		}
		json_sanitize(it->child);
	}
}

/*
 * May a line of ev be written now? Always for uncapped events. When lines
 * were dropped since the last one written, *dropped says how many, for that
 * line's detail.suppressed. A mutex, not atomics: the count must be exact
 * across the change of second, and the section is a few instructions.
 */
static bool
audit_cap_take(enum audit_event ev, unsigned long long *dropped)
{
	struct audit_cap *c;
	struct timespec ts;
	bool ok;

	*dropped = 0;
	if ((unsigned)ev >= AUDIT__MAX || audit_caps[ev] == 0)
		return true;
	c = &audit_cap_state[ev];
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		ts.tv_sec = 0;
	pthread_mutex_lock(&audit_cap_lock);
	if (c->second != (long long)ts.tv_sec) {
		c->second = (long long)ts.tv_sec;
		c->written = 0;
	}
	ok = c->written < audit_caps[ev];
	if (ok) {
		c->written++;
		*dropped = c->suppressed;
		c->suppressed = 0;
	} else {
		c->suppressed++;
	}
	pthread_mutex_unlock(&audit_cap_lock);
	return ok;
}

/* A line that carried a count was not written: the count is owed again. */
static void
audit_cap_return(enum audit_event ev, unsigned long long dropped)
{
	if (dropped == 0)
		return;
	pthread_mutex_lock(&audit_cap_lock);
	audit_cap_state[ev].suppressed += dropped;
	pthread_mutex_unlock(&audit_cap_lock);
}

/*
 * Counts still owed when the daemon stops: no later line of those events
 * will carry them, so daemon_stopped does, as detail.suppressed_pending
 * {event: count}. Taken (zeroed) here. NULL when nothing is owed.
 */
static cJSON *
audit_cap_drain(void)
{
	cJSON *o = NULL;

	pthread_mutex_lock(&audit_cap_lock);
	for (int i = 0; i < AUDIT__MAX; i++) {
		struct audit_cap *c = &audit_cap_state[i];

		if (c->suppressed == 0)
			continue;
		if (o == NULL && (o = cJSON_CreateObject()) == NULL)
			break;
		if (cJSON_AddNumberToObject(o, audit_event_names[i],
		    (double)c->suppressed) == NULL)
			break;
		c->suppressed = 0;
	}
	pthread_mutex_unlock(&audit_cap_lock);
	return o;
}

unsigned long long
audit_suppressed(enum audit_event ev)
{
	unsigned long long n;

	if ((unsigned)ev >= AUDIT__MAX)
		return 0;
	pthread_mutex_lock(&audit_cap_lock);
	n = audit_cap_state[ev].suppressed;
	pthread_mutex_unlock(&audit_cap_lock);
	return n;
}

static int
add_str(cJSON *o, const char *key, const char *val)
{
	if (val == NULL || val[0] == '\0')
		return 0;
	return cJSON_AddStringToObject(o, key, val) != NULL ? 0 : -1;
}

/*
 * The line as JSON text; the caller owns it (cJSON_free). NULL on failure.
 * dropped > 0 adds detail.suppressed; daemon_stopped also takes the counts
 * still owed (detail.suppressed_pending). Every string, top level or in detail,
 * is sanitized and clipped here: the one place all lines pass through.
 */
static char *
audit_format(struct audit_rec *rec, unsigned long long dropped)
{
	char ts[32], *text = NULL;
	cJSON *o = NULL, *detail = rec->detail, *pending = NULL;
	const char *ev = (unsigned)rec->event < AUDIT__MAX ?
	    audit_event_names[rec->event] : "unknown";

	rec->detail = NULL;
	if (dropped > 0 && detail == NULL)
		detail = cJSON_CreateObject();
	if (dropped > 0 && (detail == NULL ||
	    cJSON_AddNumberToObject(detail, "suppressed", (double)dropped) ==
	    NULL))
		goto out;
	if (rec->event == AUDIT_DAEMON_STOPPED &&
	    (pending = audit_cap_drain()) != NULL) {
		if (detail == NULL && (detail = cJSON_CreateObject()) == NULL)
			goto out;
		if (!cJSON_AddItemToObject(detail, "suppressed_pending",
		    pending))
			goto out;
		pending = NULL;	/* now owned by detail */
	}
	audit_timestamp(ts);
	if ((o = cJSON_CreateObject()) == NULL ||
	    add_str(o, "ts", ts) == -1 || add_str(o, "event", ev) == -1 ||
	    add_str(o, "user", rec->user) == -1 ||
	    (rec->user_id != 0 && cJSON_AddNumberToObject(o, "user_id",
	    (double)rec->user_id) == NULL) ||
	    add_str(o, "session", rec->session) == -1 ||
	    add_str(o, "ip", rec->ip) == -1 || add_str(o, "ua", rec->ua) == -1 ||
	    add_str(o, "request_id", rec->request_id) == -1)
		goto out;
	if (detail != NULL) {
		if (!cJSON_AddItemToObject(o, "detail", detail))
			goto out;
		detail = NULL;	/* now owned by o */
	}
	json_sanitize(o->child);
	text = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(pending);
	cJSON_Delete(detail);
	cJSON_Delete(o);
	return text;
}

void
audit_write(struct audit_rec *rec)
{
	struct buf line;
	unsigned long long dropped;
	char *text;
	ssize_t n;
	int fd;

	if (rec == NULL)
		return;
	if (!audit_cap_take(rec->event, &dropped)) {
		cJSON_Delete(rec->detail);
		rec->detail = NULL;
		return;
	}
	buf_init(&line);
	if ((text = audit_format(rec, dropped)) == NULL)
		goto fail;
	buf_puts(&line, text);
	buf_putc(&line, '\n');
	cJSON_free(text);
	if (buf_failed(&line))
		goto fail;

	pthread_rwlock_rdlock(&audit_lock);
	fd = audit_fd >= 0 ? audit_fd : STDERR_FILENO;
	do
		n = write(fd, line.data, line.len);
	while (n == -1 && errno == EINTR);
	pthread_rwlock_unlock(&audit_lock);
	if (n < 0 || (size_t)n != line.len)
		goto fail;
	buf_free(&line);
	return;
fail:
	atomic_fetch_add(&audit_failures, 1);
	audit_cap_return(rec->event, dropped);
	buf_free(&line);
}
