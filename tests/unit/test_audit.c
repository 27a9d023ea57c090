/*
 * test_audit.c - the JSON Lines audit log: names table, line format,
 * concurrent writers never interleave, reopen after logrotate, stderr.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "audit.h"
#include "unit.h"

#define THREADS		4
#define PER_THREAD	500

/* Read a whole file into a heap string (caller frees); NULL on error. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (s = malloc((size_t)n + 1)) != NULL) {
		if (fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		} else
			s[n] = '\0';
	}
	fclose(f);
	return s;
}

static void
tmp_path(char *out, size_t outsz, const char *name)
{
	snprintf(out, outsz, "/tmp/sessiongw-audit-%ld-%s", (long)getpid(),
	    name);
}

UNIT_TEST(audit_names_table)
{
	for (int i = 0; i < AUDIT__MAX; i++) {
		CHECK(audit_event_names[i] != NULL);
		CHECK_INT(audit_event_from_name(audit_event_names[i]), i);
	}
	CHECK_STR(audit_event_names[AUDIT_LOGIN_SUCCESS], "login_success");
	CHECK_STR(audit_event_names[AUDIT_SESSION_INVALID_SIGNATURE],
	    "session_invalid_signature");
	CHECK_STR(audit_event_names[AUDIT_REDIRECT_REJECTED],
	    "redirect_rejected");
	CHECK_STR(audit_event_names[AUDIT_USER_CREATED], "user_created");
	CHECK_STR(audit_event_names[AUDIT_USER_UNLOCKED], "user_unlocked");
	CHECK_INT(audit_event_from_name("nope"), -1);
	CHECK_INT(audit_event_from_name(""), -1);
	CHECK_INT(audit_event_from_name(NULL), -1);
}

UNIT_TEST(audit_timestamp_format)
{
	char ts[32];

	audit_timestamp(ts);
	CHECK_INT(strlen(ts), 24);
	CHECK(ts[4] == '-' && ts[7] == '-' && ts[10] == 'T' && ts[13] == ':' &&
	    ts[16] == ':' && ts[19] == '.' && ts[23] == 'Z');
	CHECK(strspn(ts, "0123456789") == 4);
	CHECK(strspn(ts + 20, "0123456789") == 3);
	CHECK(strncmp(ts, "20", 2) == 0);
}

UNIT_TEST(audit_line_format)
{
	char path[256], err[256];
	char *text, *nl;
	cJSON *o, *d;
	struct audit_rec full = {
		.event = AUDIT_LOGIN_FAILURE,
		.user = "alice",
		.user_id = 42,
		.session = "0123456789ab",
		.ip = "192.0.2.1",
		.ua = "Mozilla \"x\"\n\xff\xfe bad",
		.request_id = "req-1",
	}, bare = { .event = AUDIT_DAEMON_STARTED, .user = "", .ip = NULL };

	tmp_path(path, sizeof(path), "format.log");
	unlink(path);
	CHECK_INT(audit_open(path, err, sizeof(err)), 0);
	full.detail = cJSON_CreateObject();
	cJSON_AddStringToObject(full.detail, "reason", "bad \xc0\xaf password");
	audit_write(&full);
	CHECK(full.detail == NULL);
	audit_write(&bare);
	audit_close();

	text = slurp(path);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	nl = strchr(text, '\n');
	CHECK(nl != NULL);
	if (nl == NULL)
		goto out;
	*nl = '\0';
	o = cJSON_Parse(text);
	CHECK(o != NULL);
	CHECK(cJSON_IsString(cJSON_GetObjectItem(o, "ts")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "event")),
	    "login_failure");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "user")), "alice");
	CHECK_INT((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(o,
	    "user_id")), 42);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "session")),
	    "0123456789ab");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "ip")),
	    "192.0.2.1");
	/* Invalid UTF-8 becomes '?', control characters are escaped. */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "ua")),
	    "Mozilla \"x\"\n?? bad");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "request_id")),
	    "req-1");
	d = cJSON_GetObjectItem(o, "detail");
	CHECK(cJSON_IsObject(d));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(d, "reason")),
	    "bad ?? password");
	cJSON_Delete(o);

	o = cJSON_Parse(nl + 1);
	CHECK(o != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "event")),
	    "daemon_started");
	CHECK(cJSON_GetArraySize(o) == 2);	/* ts and event only */
	CHECK(cJSON_GetObjectItem(o, "user") == NULL);
	CHECK(cJSON_GetObjectItem(o, "user_id") == NULL);
	CHECK(cJSON_GetObjectItem(o, "detail") == NULL);
	cJSON_Delete(o);
	CHECK(strchr(nl + 1, '\n') != NULL);
	CHECK(*(strchr(nl + 1, '\n') + 1) == '\0');
out:
	free(text);
	unlink(path);
}

static void *
writer(void *arg)
{
	long t = (long)arg;
	char user[32];

	snprintf(user, sizeof(user), "user%ld", t);
	for (int i = 0; i < PER_THREAD; i++) {
		struct audit_rec rec = {
			.event = AUDIT_SESSION_CREATED,
			.user = user,
			.user_id = t + 1,
			.ua = "a-long-user-agent-string-to-make-lines-longer-"
			    "than-a-few-bytes-so-that-interleaving-would-show",
			.detail = cJSON_CreateObject(),
		};
		cJSON_AddNumberToObject(rec.detail, "i", i);
		audit_write(&rec);
	}
	return NULL;
}

UNIT_TEST(audit_concurrent_lines)
{
	char path[256], err[256], *text, *line, *save = NULL;
	pthread_t th[THREADS];
	int seen[THREADS][PER_THREAD] = { { 0 } }, lines = 0, bad = 0;
	uint64_t fail0 = audit_write_failures();

	tmp_path(path, sizeof(path), "threads.log");
	unlink(path);
	CHECK_INT(audit_open(path, err, sizeof(err)), 0);
	for (long t = 0; t < THREADS; t++)
		CHECK_INT(pthread_create(&th[t], NULL, writer, (void *)t), 0);
	for (int t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	audit_close();
	CHECK(audit_write_failures() == fail0);

	text = slurp(path);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		long uid, i;

		lines++;
		if (o == NULL) {
			bad++;
			continue;
		}
		uid = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(o,
		    "user_id"));
		i = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(
		    cJSON_GetObjectItem(o, "detail"), "i"));
		if (uid >= 1 && uid <= THREADS && i >= 0 && i < PER_THREAD &&
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "event")), "session_created") == 0)
			seen[uid - 1][i]++;
		else
			bad++;
		cJSON_Delete(o);
	}
	CHECK_INT(lines, THREADS * PER_THREAD);
	CHECK_INT(bad, 0);
	for (int t = 0; t < THREADS; t++)
		for (int i = 0; i < PER_THREAD; i++)
			CHECK_INT(seen[t][i], 1);
	free(text);
	unlink(path);
}

UNIT_TEST(audit_reopen_after_rename)
{
	char path[256], rotated[256], err[256], *a, *b;
	struct audit_rec r1 = { .event = AUDIT_LOGIN_SUCCESS, .user = "old" };
	struct audit_rec r2 = { .event = AUDIT_LOGOUT, .user = "new" };
	struct stat st;

	tmp_path(path, sizeof(path), "rot.log");
	tmp_path(rotated, sizeof(rotated), "rot.log.1");
	unlink(path);
	unlink(rotated);
	CHECK_INT(audit_open(path, err, sizeof(err)), 0);
	/* 0640 at most (the umask may take more away). */
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0137) == 0);
	audit_write(&r1);
	CHECK_INT(rename(path, rotated), 0);
	CHECK_INT(audit_reopen(err, sizeof(err)), 0);
	audit_write(&r2);
	audit_close();

	a = slurp(rotated);
	b = slurp(path);
	CHECK(a != NULL && b != NULL);
	if (a != NULL && b != NULL) {
		CHECK(strstr(a, "\"user\":\"old\"") != NULL);
		CHECK(strstr(a, "\"user\":\"new\"") == NULL);
		CHECK(strstr(b, "\"user\":\"new\"") != NULL);
		CHECK(strstr(b, "\"user\":\"old\"") == NULL);
		CHECK(strstr(b, "\"event\":\"logout\"") != NULL);
	}
	free(a);
	free(b);
	unlink(path);
	unlink(rotated);
	/* Closed: reopen has nothing to do. */
	CHECK_INT(audit_reopen(err, sizeof(err)), 0);
}

UNIT_TEST(audit_open_errors)
{
	char err[256] = "";

	CHECK_INT(audit_open("/nonexistent-dir/x/audit.log", err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "/nonexistent-dir/x/audit.log") != NULL);
	CHECK_INT(audit_open("", err, sizeof(err)), -1);
	audit_close();
}

/* Without an open log, and with "-", lines go to stderr. */
UNIT_TEST(audit_stderr)
{
	char path[256], err[256], *text;
	struct audit_rec r = { .event = AUDIT_CLEANUP, .user = "e1" };
	int saved, fd;

	tmp_path(path, sizeof(path), "stderr.log");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);

	audit_close();
	audit_write(&r);
	r.user = "e2";
	CHECK_INT(audit_open("-", err, sizeof(err)), 0);
	audit_write(&r);
	CHECK_INT(audit_reopen(err, sizeof(err)), 0);
	audit_close();	/* must not close fd 2 */
	r.user = "e3";
	audit_write(&r);

	dup2(saved, STDERR_FILENO);
	close(saved);
	text = slurp(path);
	CHECK(text != NULL);
	if (text != NULL) {
		CHECK(strstr(text, "\"user\":\"e1\"") != NULL);
		CHECK(strstr(text, "\"user\":\"e2\"") != NULL);
		CHECK(strstr(text, "\"user\":\"e3\"") != NULL);
		CHECK(strstr(text, "\"event\":\"cleanup\"") != NULL);
	}
	free(text);
	unlink(path);
}

/* Every string of a line is cut to AUDIT_TEXT_MAX bytes, whole characters. */
UNIT_TEST(audit_clips_client_text)
{
	char path[256], err[256], ua[2000], origin[700], *text;
	struct audit_rec rec = { .event = AUDIT_LOGIN_SUCCESS, .ua = ua,
	    .user = "short" };
	cJSON *o, *d;
	const char *v;
	size_t i;

	/* "a" then two-byte characters: byte 512 is the middle of one. */
	ua[0] = 'a';
	for (i = 1; i + 2 < sizeof ua; i += 2)
		memcpy(ua + i, "\xc3\xbc", 2);
	ua[i] = '\0';
	memset(origin, 'o', sizeof origin - 1);
	origin[sizeof origin - 1] = '\0';
	tmp_path(path, sizeof(path), "clip.log");
	unlink(path);
	CHECK_INT(audit_open(path, err, sizeof(err)), 0);
	rec.detail = cJSON_CreateObject();
	cJSON_AddStringToObject(rec.detail, "origin", origin);
	audit_write(&rec);
	audit_close();
	text = slurp(path);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	o = cJSON_Parse(text);
	CHECK(o != NULL);
	v = cJSON_GetStringValue(cJSON_GetObjectItem(o, "ua"));
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK_INT(strlen(v), AUDIT_TEXT_MAX - 1);	/* 'a' + 255 x 2 */
		CHECK(strncmp(v, ua, strlen(v)) == 0);
	}
	d = cJSON_GetObjectItem(o, "detail");
	v = cJSON_GetStringValue(cJSON_GetObjectItem(d, "origin"));
	CHECK(v != NULL && strlen(v) == AUDIT_TEXT_MAX);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "user")),
	    "short");
	cJSON_Delete(o);
	free(text);
	unlink(path);
}

/* Capped events: lines written + detail.suppressed + pending = events. */
UNIT_TEST(audit_cap_accounting_is_exact)
{
	char path[256], err[256], *text, *line, *save = NULL;
	unsigned long long pending0 = audit_suppressed(AUDIT_ORIGIN_REJECTED);
	long lines = 0, suppressed = 0, other = 0;
	const int n = 300;

	tmp_path(path, sizeof(path), "cap.log");
	unlink(path);
	CHECK_INT(audit_open(path, err, sizeof(err)), 0);
	for (int i = 0; i < n; i++) {
		struct audit_rec rec = { .event = AUDIT_ORIGIN_REJECTED,
		    .detail = cJSON_CreateObject() };

		audit_write(&rec);
		CHECK(rec.detail == NULL);
	}
	for (int i = 0; i < 5; i++) {
		struct audit_rec rec = { .event = AUDIT_LOGIN_SUCCESS };

		audit_write(&rec);	/* not capped */
	}
	audit_close();
	text = slurp(path);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line), *d;

		if (o == NULL)
			continue;
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o,
		    "event")), "origin_rejected") == 0) {
			lines++;
			d = cJSON_GetObjectItem(cJSON_GetObjectItem(o,
			    "detail"), "suppressed");
			if (cJSON_IsNumber(d))
				suppressed += (long)cJSON_GetNumberValue(d);
		} else
			other++;
		cJSON_Delete(o);
	}
	/* 300 in a loop take far less than the seconds needed to pass 300. */
	CHECK(lines < n);
	CHECK_INT(lines + suppressed +
	    (long)audit_suppressed(AUDIT_ORIGIN_REJECTED),
	    n + (long)pending0);
	CHECK_INT(other, 5);
	free(text);
	unlink(path);
}

/* A symlinked log is refused, and the error names the file. */
UNIT_TEST(audit_refuses_symlink)
{
	char path[256], target[256], err[512];

	tmp_path(path, sizeof(path), "link.log");
	tmp_path(target, sizeof(target), "target.log");
	unlink(path);
	unlink(target);
	CHECK_INT(symlink(target, path), 0);
	CHECK_INT(audit_open(path, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "symbolic link") != NULL);
	CHECK(access(target, F_OK) != 0);	/* nothing created through it */
	unlink(path);
}
