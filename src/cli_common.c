/*
 * cli_common.c - helpers shared by the subcommands: error lines, option
 * parsing, opening the store and the audit log, user names and times.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_common.h"
#include "parse.h"

/* Whether this process opened the audit log (so cli_close closes it). */
static bool audit_is_open;

void
cli_error(const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	/* A cut message is still better than none; keep it one line. */
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "sessiongw: %s\n", msg);
}

void
cli_printable(const char *s, char *out, size_t outsz, size_t max)
{
	size_t	 len, keep, i;
	bool	 cut = false;

	if (outsz == 0)
		return;
	if (s == NULL)
		s = "";
	len = strlen(s);
	keep = len;
	if (max > 0 && len > max) {
		keep = max > 3 ? max - 3 : 0;
		cut = true;
	}
	if (keep + (cut ? 3 : 0) >= outsz) {
		keep = outsz - 1 > 3 ? outsz - 1 - 3 : 0;
		cut = true;
	}
	/* Do not split a UTF-8 sequence: back up over continuation bytes. */
	if (cut)
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
	for (i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (cut && i + 3 < outsz) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* In this file, not main.c: cmd_serve and the unit tests use it too. */
int
cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

void
cli_getopt_reset(void)
{
	/* 0, not 1: glibc then also resets its internal permutation state. */
	optind = 0;
	opterr = 0;
}

int
cli_bad_option(const char *cmd, int argc, char **argv, int c)
{
	char	 shown[128];
	const char *arg = "?";

	if (optind > 0 && optind <= argc)
		arg = argv[optind - 1];
	cli_printable(arg, shown, sizeof shown, 64);
	if (c == ':')
		cli_error("%s%soption '%s' needs a value; see --help",
		    cmd ? cmd : "", cmd ? ": " : "", shown);
	else
		cli_error("%s%sbad option '%s'; see --help", cmd ? cmd : "",
		    cmd ? ": " : "", shown);
	return EXIT_USAGE;
}

int
cli_store_try_open(const struct config *cfg, struct store **out, int *from,
    int *to, char *err, size_t errsz)
{
	struct store_opts opts = { .create = true, .conf = &cfg->store };
	struct store	*st = NULL;
	int		 f = 0, t = 0;

	*out = NULL;
	if (store_open(&st, cfg->database, &opts, err, errsz) != 0)
		goto fail;
	if (store_prepare(st, &f, &t) != 0) {
		snprintf(err, errsz, "store: preparing the layout failed: %s",
		    store_errmsg(st));
		goto fail;
	}
	if (from != NULL)
		*from = f;
	if (to != NULL)
		*to = t;
	*out = st;
	return 0;
fail:
	if (st != NULL)
		store_close(st);
	return -1;
}

int
cli_store_open(const struct config *cfg, struct store **out, int *from,
    int *to)
{
	char	 err[1024];

	if (cli_store_try_open(cfg, out, from, to, err, sizeof err) != 0) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

int
cli_audit_try_open(const struct config *cfg, char *err, size_t errsz)
{
	if (audit_open(cfg->audit_log, err, errsz) != 0)
		return -1;
	audit_is_open = true;
	return 0;
}

int
cli_audit_open(const struct config *cfg)
{
	char	 err[1024];

	if (cli_audit_try_open(cfg, err, sizeof err) != 0) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

void
cli_close(struct store *st)
{
	if (st != NULL)
		store_close(st);
	if (audit_is_open) {
		audit_close();
		audit_is_open = false;
	}
}

void
cli_audit(enum audit_event ev, const char *user, int64_t user_id,
    const char *handle, cJSON *detail)
{
	struct audit_rec rec = {
		.event = ev,
		.user = user,
		.user_id = user_id,
		.session = handle,
		.detail = detail,
	};

	if (!audit_is_open) {
		cJSON_Delete(detail);
		return;
	}
	audit_write(&rec);
}

bool
cli_username_valid(const char *s)
{
	return username_valid(s);
}

int
cli_username_check(const char *s)
{
	char	 shown[96];

	if (cli_username_valid(s))
		return 0;
	cli_printable(s, shown, sizeof shown, 80);
	cli_error("invalid user name '%s': use 1-%d characters of "
	    "A-Z a-z 0-9 @ . + _ -", shown, USER_NAME_MAX);
	return -1;
}

int
cli_user_find(struct store *st, const char *name, struct user *u)
{
	int	 rc = store_user_by_name(st, name, u);

	if (rc == STORE_OK)
		return 0;
	if (rc == STORE_NOTFOUND)
		cli_error("no such user %s", name);
	else
		cli_error("database: %s", store_errmsg(st));
	return -1;
}

void
cli_time_fmt(int64_t t, char out[CLI_TIME_LEN])
{
	struct tm tm;
	time_t	  tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, CLI_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, CLI_TIME_LEN, "-");
}

/* Read exactly n digits at *p into *v; advances *p. 0 or -1. */
static int
digits(const char **p, int n, int *v)
{
	int	 x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* "HH:MM:SS[.fff...]" then "Z" or "+HH:MM"/"-HH:MM"; fills tm, ms, off. */
static int
parse_clock(const char *p, struct tm *tm, int64_t *ms, long *off)
{
	int	 h, m, s, oh, om, frac = 0, nfrac = 0;

	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) ||
	    *p++ != ':' || digits(&p, 2, &s))
		return -1;
	if (h > 23 || m > 59 || s > 59)
		return -1;
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, nfrac++)
			if (nfrac < 3)
				frac = frac * 10 + (*p - '0');
		if (nfrac == 0)
			return -1;
		for (int i = nfrac; i < 3; i++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		*off = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		long sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		*off = sign * (oh * 3600L + om * 60L);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	tm->tm_hour = h;
	tm->tm_min = m;
	tm->tm_sec = s;
	*ms = frac;
	return 0;
}

int
cli_rfc3339_parse(const char *s, int64_t *out)
{
	struct tm tm = { 0 }, chk;
	const char *p = s;
	int	  y, mo, d;
	int64_t	  ms = 0;
	long	  off = 0;
	time_t	  t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (*p == 'T' || *p == 't') {
		if (parse_clock(p + 1, &tm, &ms, &off) != 0)
			return -1;
	} else if (*p != '\0') {
		return -1;
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* timegm normalizes Feb 30 to Mar 2: refuse what did not round-trip. */
	if (t == (time_t)-1 || gmtime_r(&t, &chk) == NULL ||
	    chk.tm_mday != d || chk.tm_mon != mo - 1)
		return -1;
	*out = ((int64_t)t - off) * 1000 + ms;
	return 0;
}

int
cli_time_arg(const char *s, int64_t now_ms, int64_t *out)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ .unit = 's', .secs = 1 },
		{ .unit = 'm', .secs = 60 },
		{ .unit = 'h', .secs = 3600 },
		{ .unit = 'd', .secs = 86400 },
	};
	char	*end;
	long long n;
	size_t	 len = strlen(s);

	if (cli_rfc3339_parse(s, out) == 0)
		return 0;
	if (len < 2 || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	/* 100 years is plenty and keeps the arithmetic far from overflow. */
	if (errno != 0 || end != s + len - 1 || n < 0 || n > 3650000LL)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (units[i].unit == *end) {
			*out = now_ms - (int64_t)n * units[i].secs * 1000;
			return 0;
		}
	}
	return -1;
}

void
cli_check(struct cli_checks *c, enum check_level lvl, const char *fmt, ...)
{
	static const char *const prefix[CHECK__MAX] = {
		[CHECK_OK] = "ok   ",
		[CHECK_WARN] = "warn ",
		[CHECK_FAIL] = "FAIL ",
	};
	va_list	 ap;

	c->n[lvl]++;
	fputs(prefix[lvl], stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
