/*
 * audit.c - the JSON Lines audit log (see audit.h).
 *
 * Process-wide state is one descriptor and its path. Writers hold a read
 * lock while they write, so any number write at once (O_APPEND keeps each
 * single write(2) whole); open/reopen/close take the write lock only to swap
 * the descriptor, so no writer ever uses a closed fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"

#define AUDIT_PATH_MAX	4096

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
	[AUDIT_USERS_IMPORTED] = "users_imported",
	[AUDIT_PASSWORD_REHASHED] = "password_rehashed",
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

/* Open path for appending; *owned says whether it must be closed later. */
static int
audit_fd_open(const char *path, bool *owned, char *err, size_t errsz)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		*owned = false;
		return STDERR_FILENO;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		set_err(err, errsz, path, errno);
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

static void
json_sanitize(cJSON *it)
{
	for (; it != NULL; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring != NULL)
			utf8_sanitize(it->valuestring);
		if (it->string != NULL)
			utf8_sanitize(it->string);
		json_sanitize(it->child);
	}
}

static int
add_str(cJSON *o, const char *key, const char *val)
{
	if (val == NULL || val[0] == '\0')
		return 0;
	return cJSON_AddStringToObject(o, key, val) != NULL ? 0 : -1;
}

/* The line as JSON text; the caller owns it (cJSON_free). NULL on failure. */
static char *
audit_format(struct audit_rec *rec)
{
	char ts[32], *text = NULL;
	cJSON *o = NULL, *detail = rec->detail;
	const char *ev = (unsigned)rec->event < AUDIT__MAX ?
	    audit_event_names[rec->event] : "unknown";

	rec->detail = NULL;
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
	cJSON_Delete(detail);
	cJSON_Delete(o);
	return text;
}

void
audit_write(struct audit_rec *rec)
{
	struct buf line;
	char *text;
	ssize_t n;
	int fd;

	if (rec == NULL)
		return;
	buf_init(&line);
	if ((text = audit_format(rec)) == NULL)
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
	buf_free(&line);
}
