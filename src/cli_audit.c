/*
 * cli_audit.c - `sessiongw audit`: read, filter and print the JSON Lines
 * audit log, optionally following it (tail -F style) across logrotate.
 *
 * The log is untrusted input as far as the terminal is concerned: every
 * value shown in the table has its control bytes replaced, so a crafted
 * user agent or name cannot drive the terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cJSON.h>

#include "audit.h"
#include "cli.h"
#include "cli_common.h"

#define FOLLOW_POLL_NS	200000000L	/* 200 ms between polls at EOF */
#define EVENT_NAME_MAX	64

struct audit_filter {
	bool		 has_since, has_until;
	int64_t		 since, until;		/* Unix ms, inclusive */
	const char	*user;
	const char	*ip;
	bool		 any_event;		/* --event given */
	bool		 events[AUDIT__MAX];
	bool		 json;
	bool		 follow;
	const char	*file;			/* --file: instead of audit_log */
};

struct reader {
	const char	*path;
	FILE		*fp;
	dev_t		 dev;
	ino_t		 ino;
	char		*line;			/* getline's buffer */
	size_t		 cap;
	unsigned long long malformed;
};

/* Set by SIGINT/SIGTERM while following; the poll loop then ends. */
static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
install_stop_handlers(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	/* No SA_RESTART: the sleep between polls returns early on a signal. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0) {
		cli_error("audit: cannot install signal handlers: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Valid event names, comma-separated, for the usage error. */
static void
event_names(char *out, size_t outsz)
{
	size_t	 off = 0;

	out[0] = '\0';
	for (int i = 0; i < AUDIT__MAX && off < outsz; i++) {
		int n = snprintf(out + off, outsz - off, "%s%s",
		    i ? ", " : "", audit_event_names[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* "login_success,logout" into f->events; -1 (printed) on a bad name. */
static int
parse_events(const char *list, struct audit_filter *f)
{
	char	 name[EVENT_NAME_MAX], shown[EVENT_NAME_MAX], valid[1024];
	size_t	 len;
	int	 ev;

	for (const char *p = list;; p += len + 1) {
		len = strcspn(p, ",");
		ev = -1;
		if (len > 0 && len < sizeof name) {
			memcpy(name, p, len);
			name[len] = '\0';
			ev = audit_event_from_name(name);
		}
		if (ev < 0) {
			snprintf(name, sizeof name, "%.*s", (int)len, p);
			cli_printable(name, shown, sizeof shown, 48);
			event_names(valid, sizeof valid);
			cli_error("audit: unknown event '%s'; valid events: %s",
			    shown, valid);
			return -1;
		}
		f->events[ev] = true;
		if (p[len] == '\0')
			break;
	}
	f->any_event = true;
	return 0;
}

static int
audit_parse(int argc, char **argv, struct audit_filter *f)
{
	static const struct option opts[] = {
		{ .name = "since", .has_arg = required_argument, .val = 's' },
		{ .name = "until", .has_arg = required_argument, .val = 'u' },
		{ .name = "user", .has_arg = required_argument, .val = 'U' },
		{ .name = "event", .has_arg = required_argument, .val = 'e' },
		{ .name = "ip", .has_arg = required_argument, .val = 'i' },
		{ .name = "json", .has_arg = no_argument, .val = 'j' },
		{ .name = "follow", .has_arg = no_argument, .val = 'f' },
		{ .name = "file", .has_arg = required_argument, .val = 'F' },
		{ .name = NULL },
	};
	struct timespec now;
	int64_t	 now_ms;
	char	 shown[64];
	int	 c;

	clock_gettime(CLOCK_REALTIME, &now);
	now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'u':
			if (cli_time_arg(optarg, now_ms,
			    c == 's' ? &f->since : &f->until) != 0) {
				cli_printable(optarg, shown, sizeof shown, 48);
				cli_error("audit: bad time '%s': use RFC 3339 "
				    "(2026-11-28T21:00:00Z) or a duration "
				    "(90s, 15m, 2h, 7d)", shown);
				return EXIT_USAGE;
			}
			*(c == 's' ? &f->has_since : &f->has_until) = true;
			break;
		case 'U':
			f->user = optarg;
			break;
		case 'e':
			if (parse_events(optarg, f) != 0)
				return EXIT_USAGE;
			break;
		case 'i':
			f->ip = optarg;
			break;
		case 'j':
			f->json = true;
			break;
		case 'f':
			f->follow = true;
			break;
		case 'F':
			f->file = optarg;
			break;
		default:
			return cli_bad_option("audit", argc, argv, c);
		}
	}
	if (optind < argc) {
		cli_error("audit: unexpected argument; see --help");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const char *
str_field(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool
matches(const struct audit_filter *f, const cJSON *o, int64_t ts)
{
	const char *user = str_field(o, "user"), *ip = str_field(o, "ip");
	int	 ev = audit_event_from_name(str_field(o, "event"));

	if ((f->has_since && ts < f->since) || (f->has_until && ts > f->until))
		return false;
	if (f->user != NULL && (user == NULL || strcmp(user, f->user) != 0))
		return false;
	if (f->ip != NULL && (ip == NULL || strcmp(ip, f->ip) != 0))
		return false;
	/* An event this version does not know never matches a filter. */
	if (f->any_event && (ev < 0 || !f->events[ev]))
		return false;
	return true;
}

static void
print_header(void)
{
	printf("%-24s %-26s %-16s %-12s %-15s %s\n", "TS", "EVENT", "USER",
	    "SESSION", "IP", "DETAIL");
}

static void
print_row(const cJSON *o)
{
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(o, "detail");
	char	 ts[40], ev[40], user[80], sess[24], ip[IP_MAX], det[1024];
	char	*dj = NULL;

	cli_printable(str_field(o, "ts"), ts, sizeof ts, 0);
	cli_printable(str_field(o, "event"), ev, sizeof ev, 0);
	cli_printable(str_field(o, "user") ? str_field(o, "user") : "-",
	    user, sizeof user, 0);
	cli_printable(str_field(o, "session") ? str_field(o, "session") : "-",
	    sess, sizeof sess, 0);
	cli_printable(str_field(o, "ip") ? str_field(o, "ip") : "-", ip,
	    sizeof ip, 0);
	if (cJSON_IsObject(detail))
		dj = cJSON_PrintUnformatted(detail);
	cli_printable(dj != NULL ? dj : "", det, sizeof det, 0);
	cJSON_free(dj);
	printf("%-24s %-26s %-16s %-12s %-15s %s\n", ts, ev, user, sess, ip,
	    det);
}

/* One line of the log (newline already stripped, NUL-terminated). */
static void
handle_line(struct reader *rd, const struct audit_filter *f, char *line,
    size_t len)
{
	const char *end = NULL, *ts, *ev;
	cJSON	*o;
	int64_t	 tms;

	if (len == 0)
		return;
	o = cJSON_ParseWithOpts(line, &end, 1);
	/* The whole line must be one object with a valid ts and event. */
	if (o == NULL || end != line + len || !cJSON_IsObject(o) ||
	    (ts = str_field(o, "ts")) == NULL ||
	    (ev = str_field(o, "event")) == NULL ||
	    cli_rfc3339_parse(ts, &tms) != 0) {
		rd->malformed++;
		goto out;
	}
	if (!matches(f, o, tms))
		goto out;
	if (f->json)
		printf("%s\n", line);
	else
		print_row(o);
out:
	cJSON_Delete(o);
}

static int
reader_open(struct reader *rd)
{
	struct stat st;
	FILE	*fp;

	/* "-": standard input, e.g. `zcat audit.log.2.gz | ... --file -`. */
	if (strcmp(rd->path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(rd->path, "re")) == NULL)
		return -1;
	if (fstat(fileno(fp), &st) != 0) {
		fclose(fp);
		return -1;
	}
	if (rd->fp != NULL)
		fclose(rd->fp);
	rd->fp = fp;
	rd->dev = st.st_dev;
	rd->ino = st.st_ino;
	return 0;
}

/*
 * At EOF while following: sleep, then notice rotation (a new file at the
 * path: reopen it, read from its start) or truncation (copytruncate: go
 * back to the start). Returns false when asked to stop.
 */
static bool
follow_wait(struct reader *rd)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = FOLLOW_POLL_NS };
	struct stat st;
	off_t	 pos;

	fflush(stdout);
	if (!stop_requested)
		nanosleep(&ts, NULL);	/* EINTR is fine: we check below */
	if (stop_requested)
		return false;
	clearerr(rd->fp);
	/* A missing path (between rename and re-create): keep the old one. */
	if (stat(rd->path, &st) != 0)
		return true;
	if (st.st_dev != rd->dev || st.st_ino != rd->ino) {
		(void)reader_open(rd);	/* on failure retry next poll */
		return true;
	}
	pos = ftello(rd->fp);
	if (pos >= 0 && st.st_size < pos)
		(void)fseeko(rd->fp, 0, SEEK_SET);
	return true;
}

static int
read_log(struct reader *rd, const struct audit_filter *f)
{
	ssize_t	 n;

	for (;;) {
		n = getline(&rd->line, &rd->cap, rd->fp);
		if (n > 0) {
			/* A line still being written: wait for the rest. */
			if (f->follow && rd->line[n - 1] != '\n') {
				if (fseeko(rd->fp, -(off_t)n, SEEK_CUR) != 0 ||
				    !follow_wait(rd))
					return 0;
				continue;
			}
			while (n > 0 && (rd->line[n - 1] == '\n' ||
			    rd->line[n - 1] == '\r'))
				rd->line[--n] = '\0';
			handle_line(rd, f, rd->line, (size_t)n);
			continue;
		}
		if (ferror(rd->fp) && errno != EINTR) {
			cli_error("audit log %s: %s", rd->path,
			    strerror(errno));
			return -1;
		}
		if (!f->follow || !follow_wait(rd))
			return 0;
	}
}

int
cmd_audit(struct config *cfg, int argc, char **argv)
{
	struct audit_filter f = { .user = NULL };
	struct reader rd = { .path = cfg->audit_log };
	int	 rc;

	if ((rc = audit_parse(argc, argv, &f)) != EXIT_OK)
		return rc;
	/* A rotated file (audit.log.1), or any file of the same format. */
	if (f.file != NULL)
		rd.path = f.file;
	else if (strcmp(cfg->audit_log, "-") == 0) {
		cli_error("audit log is stderr; nothing to read "
		    "([server] audit_log = -)");
		return EXIT_USAGE;
	}
	rc = EXIT_FAIL;
	if (f.follow && install_stop_handlers() != 0)
		goto out;
	if (reader_open(&rd) != 0) {
		cli_error("audit log %s: %s", rd.path, strerror(errno));
		goto out;
	}
	if (!f.json)
		print_header();
	if (read_log(&rd, &f) != 0)
		goto out;
	rc = EXIT_OK;
out:
	if (rd.malformed > 0)
		fprintf(stderr, "sessiongw: warning: skipped %llu malformed "
		    "lines in %s\n", rd.malformed, rd.path);
	if (rd.fp != NULL && rd.fp != stdin)
		fclose(rd.fp);
	free(rd.line);
	return rc;
}
