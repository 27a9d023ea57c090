/*
 * config.c - the INI configuration file (libinih), see conf/sessiongw.conf.
 *
 * Every key is one row of keydefs[]: section, name, type, the field it
 * fills and its valid range or checker. Parsing, error messages and
 * config_print() are all driven by that table, so adding a key is one
 * field in struct config and one row here.
 *
 * The file is read through our own line reader (ini_parse_stream) so that
 * we know the line number of every key, can refuse over-long lines instead
 * of letting inih split them, and can name unknown sections even when they
 * hold no key. A load works on a copy: on error the caller's config is left
 * untouched.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <ini.h>

#include "config.h"
#include "errmsg.h"
#include "password.h"

#define DEFAULT_CONFIG_PATH	"/etc/sessiongw/sessiongw.conf"
#define ONE_YEAR		31536000L
#define MAX_VALUE_BYTES		(16L * 1024 * 1024)
#define WHY_MAX			256

enum key_type {
	KT_STRING,	/* char[size], bounded */
	KT_INT,		/* int in [min, max] */
	KT_LONG,	/* long in [min, max] */
	KT_BOOL,
	KT_ENUM,	/* int-sized enum, names[] gives canonical spellings */
	KT_LIST,	/* comma-separated strings: char[max][size] + int count */
	KT_MODE		/* octal file mode 0..0777, into an int */
};

typedef int (*check_fn)(const char *value, char *why, size_t whysz);

struct keydef {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	size_t		 off;		/* the field in struct config */
	size_t		 size;		/* KT_STRING/KT_LIST: bytes of one string */
	long		 min, max;	/* KT_INT/KT_LONG range; KT_LIST: items */
	size_t		 count_off;	/* KT_LIST: its int item count */
	const char *const *names;	/* KT_ENUM */
	int		 nnames;
	int		 nonempty;	/* KT_STRING: "" is refused */
	check_fn	 check;		/* extra syntax check (string, each item) */
};

/* The keys in SPEC order; config_print() and the error paths use it. */
enum cfg_key {
	CK_LISTEN, CK_SOCKET_MODE, CK_THREADS, CK_DATABASE, CK_AUDIT_LOG,
	CK_SECRET_KEY_FILE, CK_FALLBACK_FILES, CK_ROUTE_PREFIX, CK_USER,
	CK_SOCKET_GROUP,
	CK_COOKIE_NAME, CK_COOKIE_AGE, CK_ABSOLUTE_AGE, CK_SAVE_EVERY_REQUEST,
	CK_ACTIVITY_INTERVAL,
	CK_EXPIRE_AT_BROWSER_CLOSE, CK_COOKIE_HTTPONLY, CK_COOKIE_SECURE,
	CK_COOKIE_SAMESITE, CK_COOKIE_PATH, CK_COOKIE_DOMAIN, CK_IP_CHANGE,
	CK_ALLOWED_ORIGINS, CK_REMEMBER_AGE,
	CK_CACHE_MAX_ENTRIES, CK_CACHE_CULL_FREQUENCY,
	CK_CACHE_MAX_ENTRIES_PER_USER, CK_CACHE_MAX_VALUE_BYTES,
	CK_CACHE_DEFAULT_TIMEOUT,
	CK_CLEANUP_INTERVAL, CK_CLEANUP_BATCH,
	CK_UI_TITLE,
	CK_LOGIN_MAX_FAILURES, CK_LOGIN_MAX_FAILURES_PER_IP, CK_LOGIN_WINDOW,
	CK_LOGIN_LOCKOUT, CK_LOGIN_MIN_PASSWORD_LENGTH,
	CK_MFA_TOTP, CK_MFA_ISSUER,
	CK_STORE_BACKEND, CK_STORE_REDIS, CK_STORE_REDIS_DB,
	CK_STORE_REDIS_USERNAME, CK_STORE_REDIS_PASSWORD_FILE,
	CK_STORE_REDIS_PREFIX, CK_STORE_REDIS_SENTINELS, CK_STORE_REDIS_MASTER,
	CK_STORE_REDIS_TIMEOUT_MS,
	CK__MAX
};

static const char *const sections[] = {
	"server", "session", "cache", "cleanup", "ui", "login", "mfa", "store"
};

static const char *const secure_names[] = {
	[SECURE_FALSE] = "false",
	[SECURE_TRUE] = "true",
	[SECURE_AUTO] = "auto",
};
static const char *const samesite_names[] = {
	[SAMESITE_STRICT] = "Strict",
	[SAMESITE_LAX] = "Lax",
	[SAMESITE_NONE] = "None",
};
const char *
config_samesite_name(enum cookie_samesite v)
{
	return samesite_names[v];
}

static const char *const ip_change_names[] = {
	[IP_CHANGE_LOG] = "log",
	[IP_CHANGE_LOGOUT] = "logout",
};

static const char *const mfa_mode_names[] = {
	[MFA_OFF] = "off",
	[MFA_OPTIONAL] = "optional",
	[MFA_REQUIRED] = "required",
};

static int check_listen(const char *, char *, size_t);
static int check_route_prefix(const char *, char *, size_t);
static int check_cookie_name(const char *, char *, size_t);
static int check_cookie_path(const char *, char *, size_t);
static int check_cookie_domain(const char *, char *, size_t);
static int check_origin(const char *, char *, size_t);
static int check_user(const char *, char *, size_t);
static int check_group(const char *, char *, size_t);
static int check_issuer(const char *, char *, size_t);
static int check_redis_addr(const char *, char *, size_t);
static int check_host_port_key(const char *, char *, size_t);
static int check_redis_prefix(const char *, char *, size_t);
static int check_redis_word(const char *, char *, size_t);
static int check_abs_path(const char *, char *, size_t);

#define FIELD_SIZE(f)	sizeof(((struct config *)0)->f)
#define STR(sec, key, f, ne, chk) { .section = sec, .name = key,	\
	.type = KT_STRING, .off = offsetof(struct config, f),		\
	.size = FIELD_SIZE(f), .nonempty = ne, .check = chk }
#define INT(sec, key, f, lo, hi) { .section = sec, .name = key,	\
	.type = KT_INT, .off = offsetof(struct config, f),		\
	.min = lo, .max = hi }
#define LONG(sec, key, f, lo, hi) { .section = sec, .name = key,	\
	.type = KT_LONG, .off = offsetof(struct config, f),		\
	.min = lo, .max = hi }
#define BOOL(sec, key, f) { .section = sec, .name = key,		\
	.type = KT_BOOL, .off = offsetof(struct config, f) }
#define ENUM(sec, key, f, tbl) { .section = sec, .name = key,		\
	.type = KT_ENUM, .off = offsetof(struct config, f),		\
	.names = tbl, .nnames = (int)(sizeof(tbl) / sizeof(tbl[0])) }
#define LIST(sec, key, f, n, chk) { .section = sec, .name = key,	\
	.type = KT_LIST, .off = offsetof(struct config, f),		\
	.size = FIELD_SIZE(f[0]), .max = (long)(sizeof(((struct config *)0)->f) \
	/ FIELD_SIZE(f[0])), .count_off = offsetof(struct config, n),	\
	.check = chk }

static const struct keydef keydefs[CK__MAX] = {
	[CK_LISTEN] = STR("server", "listen", listen, 1, check_listen),
	[CK_SOCKET_MODE] = { .section = "server", .name = "socket_mode",
	    .type = KT_MODE, .off = offsetof(struct config, socket_mode) },
	[CK_THREADS] = INT("server", "threads", threads, 1, 256),
	[CK_DATABASE] = STR("server", "database", database, 1, NULL),
	[CK_AUDIT_LOG] = STR("server", "audit_log", audit_log, 1, NULL),
	[CK_SECRET_KEY_FILE] = STR("server", "secret_key_file",
	    secret_key_file, 1, NULL),
	[CK_FALLBACK_FILES] = LIST("server", "secret_key_fallback_files",
	    fallback_files, nfallback_files, NULL),
	[CK_ROUTE_PREFIX] = STR("server", "route_prefix", route_prefix, 1,
	    check_route_prefix),
	[CK_USER] = STR("server", "user", user, 0, check_user),
	[CK_SOCKET_GROUP] = STR("server", "socket_group", socket_group, 0,
	    check_group),

	[CK_COOKIE_NAME] = STR("session", "cookie_name", cookie_name, 1,
	    check_cookie_name),
	[CK_COOKIE_AGE] = LONG("session", "cookie_age", cookie_age, 1,
	    ONE_YEAR),
	[CK_ABSOLUTE_AGE] = LONG("session", "absolute_age", absolute_age, 1,
	    ONE_YEAR),
	[CK_SAVE_EVERY_REQUEST] = BOOL("session", "save_every_request",
	    save_every_request),
	[CK_ACTIVITY_INTERVAL] = LONG("session", "activity_interval",
	    activity_interval, 1, 3600),
	[CK_EXPIRE_AT_BROWSER_CLOSE] = BOOL("session",
	    "expire_at_browser_close", expire_at_browser_close),
	[CK_COOKIE_HTTPONLY] = BOOL("session", "cookie_httponly",
	    cookie_httponly),
	[CK_COOKIE_SECURE] = ENUM("session", "cookie_secure", cookie_secure,
	    secure_names),
	[CK_COOKIE_SAMESITE] = ENUM("session", "cookie_samesite",
	    cookie_samesite, samesite_names),
	[CK_COOKIE_PATH] = STR("session", "cookie_path", cookie_path, 1,
	    check_cookie_path),
	[CK_COOKIE_DOMAIN] = STR("session", "cookie_domain", cookie_domain, 0,
	    check_cookie_domain),
	[CK_IP_CHANGE] = ENUM("session", "ip_change", ip_change,
	    ip_change_names),
	[CK_ALLOWED_ORIGINS] = LIST("session", "allowed_origins",
	    allowed_origins, nallowed_origins, check_origin),
	[CK_REMEMBER_AGE] = LONG("session", "remember_age", remember_age, 0,
	    ONE_YEAR),

	[CK_CACHE_MAX_ENTRIES] = LONG("cache", "max_entries",
	    cache_max_entries, 1, 1000000000L),
	[CK_CACHE_CULL_FREQUENCY] = LONG("cache", "cull_frequency",
	    cache_cull_frequency, 1, 1000000L),
	[CK_CACHE_MAX_ENTRIES_PER_USER] = LONG("cache", "max_entries_per_user",
	    cache_max_entries_per_user, 1, 1000000000L),
	[CK_CACHE_MAX_VALUE_BYTES] = LONG("cache", "max_value_bytes",
	    cache_max_value_bytes, 1, MAX_VALUE_BYTES),
	[CK_CACHE_DEFAULT_TIMEOUT] = LONG("cache", "default_timeout",
	    cache_default_timeout, 0, ONE_YEAR),

	[CK_CLEANUP_INTERVAL] = LONG("cleanup", "interval", cleanup_interval,
	    1, ONE_YEAR),
	[CK_CLEANUP_BATCH] = LONG("cleanup", "batch", cleanup_batch, 1,
	    1000000L),

	[CK_UI_TITLE] = STR("ui", "title", ui_title, 1, NULL),

	[CK_LOGIN_MAX_FAILURES] = LONG("login", "max_failures",
	    login_max_failures, 1, 1000000L),
	[CK_LOGIN_MAX_FAILURES_PER_IP] = LONG("login", "max_failures_per_ip",
	    login_max_failures_per_ip, 1, 1000000L),
	[CK_LOGIN_WINDOW] = LONG("login", "window", login_window, 1, ONE_YEAR),
	[CK_LOGIN_LOCKOUT] = LONG("login", "lockout", login_lockout, 1,
	    ONE_YEAR),
	[CK_LOGIN_MIN_PASSWORD_LENGTH] = LONG("login", "min_password_length",
	    login_min_password_length, 1, PASSWORD_MAX),

	[CK_MFA_TOTP] = ENUM("mfa", "totp", mfa_totp, mfa_mode_names),
	[CK_MFA_ISSUER] = STR("mfa", "issuer", mfa_issuer, 1, check_issuer),
	[CK_STORE_BACKEND] = ENUM("store", "backend", store.backend,
	    store_backend_names),
	[CK_STORE_REDIS] = STR("store", "redis", store.redis, 1,
	    check_redis_addr),
	/* Redis' own limit is its `databases` setting; SELECT refuses more. */
	[CK_STORE_REDIS_DB] = INT("store", "redis_db", store.redis_db, 0,
	    1000000),
	[CK_STORE_REDIS_USERNAME] = STR("store", "redis_username",
	    store.redis_username, 0, check_redis_word),
	[CK_STORE_REDIS_PASSWORD_FILE] = STR("store", "redis_password_file",
	    store.redis_password_file, 0, check_abs_path),
	[CK_STORE_REDIS_PREFIX] = STR("store", "redis_prefix",
	    store.redis_prefix, 1, check_redis_prefix),
	[CK_STORE_REDIS_SENTINELS] = LIST("store", "redis_sentinels",
	    store.redis_sentinels, store.nredis_sentinels,
	    check_host_port_key),
	[CK_STORE_REDIS_MASTER] = STR("store", "redis_master",
	    store.redis_master, 1, check_redis_word),
	[CK_STORE_REDIS_TIMEOUT_MS] = INT("store", "redis_timeout_ms",
	    store.redis_timeout_ms, 10, 60000),
};

/* State of one parse; the reader and the handler share it. */
struct parse {
	struct config	*cfg;
	const char	*name;		/* file name for messages */
	FILE		*fp;		/* source: a file ... */
	const char	*str;		/* ... or a string */
	size_t		 pos;
	int		 lineno;	/* line the reader handed out last */
	size_t		 line_max;	/* longest line inih can take */
	int		 indented;	/* that line starts with blanks */
	int		 err_line;	/* first error, 0 = none */
	char		*err;
	size_t		 errsz;
	int		 key_line[CK__MAX];	/* where each key was set */
};

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen, sizeof c->listen, "%s",
	    "unix:/run/sessiongw/sessiongw.sock");
	c->socket_mode = 0660;
	c->threads = 8;
	snprintf(c->database, sizeof c->database, "%s",
	    "/var/lib/sessiongw/sessiongw.db");
	snprintf(c->audit_log, sizeof c->audit_log, "%s",
	    "/var/log/sessiongw/audit.log");
	snprintf(c->secret_key_file, sizeof c->secret_key_file, "%s",
	    "/etc/sessiongw/secret.key");
	snprintf(c->route_prefix, sizeof c->route_prefix, "%s", "/session");

	snprintf(c->cookie_name, sizeof c->cookie_name, "%s", "sessiongw");
	c->cookie_age = 1200;
	c->absolute_age = 43200;
	c->save_every_request = true;
	c->activity_interval = 1;
	c->expire_at_browser_close = true;
	c->cookie_httponly = true;
	c->cookie_secure = SECURE_AUTO;
	c->cookie_samesite = SAMESITE_LAX;
	snprintf(c->cookie_path, sizeof c->cookie_path, "%s", "/");
	c->ip_change = IP_CHANGE_LOG;

	c->cache_max_entries = 1000;
	c->cache_cull_frequency = 3;
	c->cache_max_entries_per_user = 100;
	c->cache_max_value_bytes = 65536;
	c->cache_default_timeout = 300;

	c->cleanup_interval = 60;
	c->cleanup_batch = 1000;

	snprintf(c->ui_title, sizeof c->ui_title, "%s", "Sign in");

	c->login_max_failures = 5;
	c->login_max_failures_per_ip = 50;
	c->login_window = 300;
	c->login_lockout = 300;
	c->login_min_password_length = 10;

	c->mfa_totp = MFA_OPTIONAL;
	snprintf(c->mfa_issuer, sizeof c->mfa_issuer, "%s", "sessiongw");
	c->store.backend = STORE_BACKEND_SQLITE;
	snprintf(c->store.redis, sizeof c->store.redis, "%s",
	    "127.0.0.1:6379");
	snprintf(c->store.redis_prefix, sizeof c->store.redis_prefix, "%s",
	    "sessiongw:");
	snprintf(c->store.redis_master, sizeof c->store.redis_master, "%s",
	    "mymaster");
	c->store.redis_timeout_ms = 500;
}

const char *
config_default_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL && explicit_path[0] != '\0')
		return explicit_path;
	env = getenv("SESSIONGW_CONFIG");
	if (env != NULL && env[0] != '\0')
		return env;
	return DEFAULT_CONFIG_PATH;
}

/* ---- value parsers: 0 ok, -1 with the reason in why ---- */

/* Whole string of decimal digits, no sign, no blanks, in [min, max]. */
static int
parse_long(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	static const struct { const char *s; bool b; } words[] = {
		{ .s = "true", .b = true }, { .s = "false", .b = false },
		{ .s = "yes", .b = true }, { .s = "no", .b = false },
		{ .s = "on", .b = true }, { .s = "off", .b = false },
		{ .s = "1", .b = true }, { .s = "0", .b = false },
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcasecmp(v, words[i].s) == 0) {
			*out = words[i].b;
			return 0;
		}
	}
	return -1;
}

/* 1 to 4 octal digits, at most 0777. */
static int
parse_mode(const char *v, int *out)
{
	size_t len = strlen(v);
	long n = 0;

	if (len == 0 || len > 4)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '7')
			return -1;
		n = n * 8 + (v[i] - '0');
	}
	if (n > 0777)
		return -1;
	*out = (int)n;
	return 0;
}

static int
has_control(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 1;
	return 0;
}

/*
 * inih ends a value at a ';' that follows a blank (an inline comment).
 * A value read as "key=;x" or "a,;b" keeps its ';', but printed by
 * check-config as "key = ;x" or "a, ;b" it would be cut there: refused,
 * so that what check-config prints always loads back the same.
 */
static int
comment_like(const char *v)
{
	return v[0] == ';' || strstr(v, " ;") != NULL ||
	    strstr(v, "\t;") != NULL;
}

static int
set_string(char *dst, size_t size, const struct keydef *k, const char *v,
    char *why, size_t whysz)
{
	size_t len = strlen(v);

	if (len >= size)
		return errmsg(why, whysz, "longer than %zu characters",
		    size - 1);
	if (has_control(v))
		return errmsg(why, whysz, "contains a control character");
	if (k->nonempty && len == 0)
		return errmsg(why, whysz, "must not be empty");
	if (comment_like(v))
		return errmsg(why, whysz, "a ';' at the start or after a "
		    "blank would be read as a comment");
	if (len > 0 && k->check != NULL && k->check(v, why, whysz) == -1)
		return -1;
	memcpy(dst, v, len + 1);
	return 0;
}

/*
 * Split a comma-separated list; blanks around items are trimmed, "" means
 * no items. Writes straight into c: a load works on a scratch copy of the
 * config that is thrown away on error, so a half-stored list never leaks.
 */
static int
set_list(struct config *c, const struct keydef *k, const char *v,
    char *why, size_t whysz)
{
	char *base = (char *)c + k->off;
	int *count = (int *)(void *)((char *)c + k->count_off);
	int n = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (*v != '\0') {
		const char *comma = strchr(v, ',');
		size_t len = comma ? (size_t)(comma - v) : strlen(v);
		char *item = base + (size_t)n * k->size;

		while (len > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			len--;
		}
		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (len == 0)
			return errmsg(why, whysz, "empty item in list");
		if (n == k->max)
			return errmsg(why, whysz, "more than %ld items",
			    k->max);
		if (len >= k->size)
			return errmsg(why, whysz,
			    "item %d longer than %zu characters", n + 1,
			    k->size - 1);
		memcpy(item, v, len);
		item[len] = '\0';
		if (has_control(item))
			return errmsg(why, whysz,
			    "contains a control character");
		if (comment_like(item))
			return errmsg(why, whysz, "item %d: a ';' at the start "
			    "or after a blank would be read as a comment",
			    n + 1);
		if (k->check != NULL && k->check(item, why, whysz) == -1)
			return -1;
		n++;
		if (comma == NULL)
			break;
		v = comma + 1;
		if (*v == '\0')
			return errmsg(why, whysz, "empty item in list");
	}
	for (int i = n; i < k->max; i++)
		base[(size_t)i * k->size] = '\0';
	*count = n;
	return 0;
}

static int
set_enum(int *dst, const struct keydef *k, const char *v, char *why,
    size_t whysz)
{
	char list[128] = "";

	for (int i = 0; i < k->nnames; i++) {
		if (strcasecmp(v, k->names[i]) == 0) {
			*dst = i;
			return 0;
		}
	}
	for (int i = 0; i < k->nnames; i++) {
		size_t used = strlen(list);

		snprintf(list + used, sizeof list - used, "%s%s",
		    i ? " | " : "", k->names[i]);
	}
	return errmsg(why, whysz, "not one of %s", list);
}

static int
set_value(struct config *c, const struct keydef *k, const char *v,
    char *why, size_t whysz)
{
	void *field = (char *)c + k->off;
	long n;

	switch (k->type) {
	case KT_STRING:
		return set_string(field, k->size, k, v, why, whysz);
	case KT_INT:
	case KT_LONG:
		if (parse_long(v, k->min, k->max, &n) == -1)
			return errmsg(why, whysz,
			    "not an integer in %ld..%ld", k->min, k->max);
		if (k->type == KT_INT)
			*(int *)field = (int)n;
		else
			*(long *)field = n;
		return 0;
	case KT_BOOL:
		if (parse_bool(v, field) == -1)
			return errmsg(why, whysz, "not a boolean "
			    "(true/false, yes/no, on/off, 1/0)");
		return 0;
	case KT_ENUM:
		return set_enum(field, k, v, why, whysz);
	case KT_LIST:
		return set_list(c, k, v, why, whysz);
	case KT_MODE:
		if (parse_mode(v, field) == -1)
			return errmsg(why, whysz,
			    "not an octal mode in 0000..0777");
		return 0;
	}
	return errmsg(why, whysz, "internal error: bad key type");
}

/* ---- syntax checks of single values ---- */

static int
all_in(const char *v, const char *extra)
{
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr(extra, *v) == NULL)
			return 0;
	return 1;
}

static int
check_host_port(const char *v)
{
	const char *colon = strrchr(v, ':');
	char host[CONFIG_PATH_MAX];
	size_t hlen;
	long port;

	if (colon == NULL || parse_long(colon + 1, 1, 65535, &port) == -1)
		return -1;
	hlen = (size_t)(colon - v);
	if (hlen == 0 || hlen >= sizeof host)
		return -1;
	memcpy(host, v, hlen);
	host[hlen] = '\0';
	if (host[0] == '[') {
		/* [IPv6]:port */
		if (hlen < 3 || host[hlen - 1] != ']')
			return -1;
		host[hlen - 1] = '\0';
		return all_in(host + 1, ":.") ? 0 : -1;
	}
	return all_in(host, ".-") ? 0 : -1;
}

static int
check_listen(const char *v, char *why, size_t whysz)
{
	const char *path;

	if (strcmp(v, "inherit") == 0)
		return 0;
	if (strncmp(v, "unix:", 5) == 0) {
		path = v + 5;
		if (path[0] != '/')
			return errmsg(why, whysz, "unix socket path must be "
			    "absolute (unix:/PATH)");
		if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return errmsg(why, whysz, "unix socket path longer "
			    "than %zu characters",
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return 0;
	}
	if (check_host_port(v) == 0)
		return 0;
	return errmsg(why, whysz, "not unix:/ABSOLUTE/PATH, HOST:PORT "
	    "(port 1..65535) or inherit");
}

static int
check_host_port_key(const char *v, char *why, size_t whysz)
{
	if (check_host_port(v) == 0)
		return 0;
	return errmsg(why, whysz, "not HOST:PORT (port 1..65535)");
}

/* A Redis server: HOST:PORT or unix:/ABSOLUTE/PATH (a socket). */
static int
check_redis_addr(const char *v, char *why, size_t whysz)
{
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/')
			return errmsg(why, whysz, "unix socket path must be "
			    "absolute (unix:/PATH)");
		if (strlen(v + 5) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			return errmsg(why, whysz, "unix socket path too long");
		return 0;
	}
	return check_host_port_key(v, why, whysz);
}

/*
 * Every key starts with the prefix; it goes into Lua scripts and key
 * names as it is, so no blanks or quotes.
 */
static int
check_redis_prefix(const char *v, char *why, size_t whysz)
{
	if (!all_in(v, ":._-{}/"))
		return errmsg(why, whysz, "only [A-Za-z0-9:._-{}/]");
	return 0;
}

/* An ACL user or a Sentinel master name: one word. */
static int
check_redis_word(const char *v, char *why, size_t whysz)
{
	if (!all_in(v, "._-@"))
		return errmsg(why, whysz, "only [A-Za-z0-9._-@]");
	return 0;
}

static int
check_abs_path(const char *v, char *why, size_t whysz)
{
	if (v[0] != '/')
		return errmsg(why, whysz, "must be an absolute path");
	return 0;
}

static int
check_route_prefix(const char *v, char *why, size_t whysz)
{
	size_t len = strlen(v);

	if (v[0] != '/' || len < 2 || v[len - 1] == '/' || !all_in(v, "._~-/")
	    || strstr(v, "//") != NULL || strstr(v, "/./") != NULL
	    || strstr(v, "/../") != NULL
	    || (len >= 2 && strcmp(v + len - 2, "/.") == 0)
	    || (len >= 3 && strcmp(v + len - 3, "/..") == 0))
		return errmsg(why, whysz, "must start with '/', not end "
		    "with '/', and be path segments of [A-Za-z0-9._~-]");
	return 0;
}

static int
check_cookie_name(const char *v, char *why, size_t whysz)
{
	if (!all_in(v, "!#$%&'*+.^_`|~-"))
		return errmsg(why, whysz, "not a cookie name token "
		    "([A-Za-z0-9!#$%%&'*+.^_`|~-])");
	return 0;
}

static int
check_cookie_path(const char *v, char *why, size_t whysz)
{
	if (v[0] != '/' || strpbrk(v, " \t;,\"\\") != NULL)
		return errmsg(why, whysz, "must start with '/' and hold no "
		    "blank, ';', ',', '\"' or '\\'");
	return 0;
}

static int
check_cookie_domain(const char *v, char *why, size_t whysz)
{
	if (!all_in(v, ".-"))
		return errmsg(why, whysz, "not a domain name "
		    "([A-Za-z0-9.-])");
	return 0;
}

/* Origins are compared as whole strings: scheme://host[:port], no path. */
static int
check_origin(const char *v, char *why, size_t whysz)
{
	const char *host = NULL;

	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	if (host == NULL || host[0] == '\0' || !all_in(host, ".-:[]"))
		return errmsg(why, whysz, "not an origin like "
		    "https://example.com or http://host:8080 (no path)");
	return 0;
}

/* The one rule for user and group names in the config. */
static bool
account_name_ok(const char *v)
{
	return v[0] != '-' && all_in(v, "._-");
}

static int
check_user(const char *v, char *why, size_t whysz)
{
	if (!account_name_ok(v))
		return errmsg(why, whysz, "not a user name ([A-Za-z0-9._-])");
	return 0;
}

static int
check_group(const char *v, char *why, size_t whysz)
{
	if (!account_name_ok(v))
		return errmsg(why, whysz, "not a group name ([A-Za-z0-9._-])");
	return 0;
}

/*
 * The issuer goes into the otpauth:// label ("issuer:user") and is shown
 * by authenticator apps: printable text without the label's ':'.
 */
static int
check_issuer(const char *v, char *why, size_t whysz)
{
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if (*c < 0x20 || *c == 0x7f || *c == ':')
			return errmsg(why, whysz,
			    "no control characters and no ':'");
	return 0;
}

/* ---- the parse ---- */

static void
parse_fail(struct parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first error only; later lines may fail because of it. */
static void
parse_fail(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (p->err_line != 0)
		return;
	p->err_line = line > 0 ? line : -1;
	if (line > 0)
		len = snprintf(p->err, p->errsz, "%s:%d: ", p->name, line);
	else
		len = snprintf(p->err, p->errsz, "%s: ", p->name);
	if (len < 0 || (size_t)len >= p->errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + len, p->errsz - (size_t)len, fmt, ap);
	va_end(ap);
}

static int
src_getc(struct parse *p)
{
	if (p->fp != NULL)
		return getc(p->fp);
	if (p->str[p->pos] == '\0')
		return EOF;
	return (unsigned char)p->str[p->pos++];
}

static int
section_known(const char *name)
{
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
		if (strcmp(name, sections[i]) == 0)
			return 1;
	return 0;
}

/* A "[name]" line: refuse unknown names even if no key follows. */
static void
check_section_line(struct parse *p, const char *s)
{
	const char *end = strchr(s, ']');
	char name[64];
	size_t len;

	if (end == NULL)
		return;	/* inih reports the syntax error */
	len = (size_t)(end - s - 1);
	if (len >= sizeof name) {
		parse_fail(p, p->lineno, "unknown section (name too long)");
		return;
	}
	memcpy(name, s + 1, len);
	name[len] = '\0';
	if (!section_known(name))
		parse_fail(p, p->lineno, "[%s]: unknown section (expected "
		    "server, session, cache, cleanup, ui or login)", name);
}

/* Look at the line the reader is about to hand to inih. */
static void
classify_line(struct parse *p, char *buf, int too_long, int nul)
{
	char *s = buf;

	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	p->indented = (*s == ' ' || *s == '\t');
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	if (*s == ';' || *s == '#') {
		p->indented = 0;
		return;		/* comments may be long or hold anything */
	}
	if (*s == '\0')
		p->indented = 0;
	if (nul || too_long) {
		parse_fail(p, p->lineno, nul ? "NUL byte in line" :
		    "line longer than %zu characters", p->line_max);
		buf[0] = '\0';
		return;
	}
	if (*s == '[')
		check_section_line(p, s);
}

/*
 * fgets-style reader for ini_parse_stream. Hands out exactly one line per
 * call (so our count matches inih's), and never splits a long line.
 */
static char *
reader(char *buf, int num, void *stream)
{
	struct parse *p = stream;
	size_t n = 0, room = num > 3 ? (size_t)num - 3 : 0;
	int c, any = 0, too_long = 0, nul = 0;

	p->line_max = room;

	while ((c = src_getc(p)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = 1;
		else if (n < room)
			buf[n++] = (char)c;
		else
			too_long = 1;
	}
	if (!any)
		return NULL;
	buf[n] = '\0';
	p->lineno++;
	classify_line(p, buf, too_long, nul);
	return buf;
}

/*
 * Length of a value as config_print writes it: list items joined by ", ".
 * Numbers, booleans and enum names are short and need no check.
 */
static size_t
printed_len(const struct config *c, const struct keydef *k)
{
	const char *field = (const char *)c + k->off;
	size_t len = 0;
	int n;

	if (k->type == KT_STRING)
		len = strlen(field);
	else if (k->type == KT_LIST) {
		n = *(const int *)(const void *)((const char *)c + k->count_off);
		for (int i = 0; i < n && i < k->max; i++)
			len += (i ? 2 : 0) + strlen(field + (size_t)i * k->size);
	}
	return len;
}

static const struct keydef *
find_key(const char *section, const char *name, int *idx)
{
	for (int i = 0; i < CK__MAX; i++) {
		if (strcmp(keydefs[i].section, section) == 0
		    && strcmp(keydefs[i].name, name) == 0) {
			*idx = i;
			return &keydefs[i];
		}
	}
	return NULL;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	const struct keydef *k;
	char why[WHY_MAX];
	size_t len;
	int idx = 0;

	if (p->indented) {
		snprintf(why, sizeof why, "indented line (continuation lines "
		    "are not supported)");
		goto fail;
	}
	if (section[0] == '\0') {
		snprintf(why, sizeof why, "key outside any [section]");
		goto fail;
	}
	if (!section_known(section)) {
		snprintf(why, sizeof why, "unknown section");
		goto fail;
	}
	if ((k = find_key(section, name, &idx)) == NULL) {
		snprintf(why, sizeof why, "unknown key");
		goto fail;
	}
	if (set_value(p->cfg, k, value, why, sizeof why) == -1)
		goto fail;
	/*
	 * What check-config prints must load again: "key = a, b" can be a
	 * few characters longer than the "key=a,b" that was read.
	 */
	if ((len = strlen(name) + 3 + printed_len(p->cfg, k)) > p->line_max) {
		snprintf(why, sizeof why, "as check-config prints it (\"%s = "
		    "...\", items joined by \", \") the line is %zu characters, "
		    "over the %zu-character limit", name, len, p->line_max);
		goto fail;
	}
	p->key_line[idx] = p->lineno;
	return 1;
fail:
	parse_fail(p, p->lineno, "[%s] %s = %s: %s", section, name, value, why);
	return 0;
}

/*
 * Cookie name prefixes (RFC 6265bis): browsers drop a "__Secure-" cookie
 * set without Secure, and a "__Host-" cookie unless it is also Secure, has
 * no Domain and has Path=/. A config that browsers would silently refuse
 * is an error here, naming the key that breaks the rule. cookie_secure =
 * auto is refused too: over plain HTTP it would leave Secure out.
 */
static int
check_cookie_prefix(struct parse *p)
{
	const struct config *c = p->cfg;
	bool host = strncasecmp(c->cookie_name, "__Host-", 7) == 0;
	const char *key, *need, *have;
	int ck, line;

	if (!host && strncasecmp(c->cookie_name, "__Secure-", 9) != 0)
		return 0;
	if (c->cookie_secure != SECURE_TRUE) {
		ck = CK_COOKIE_SECURE;
		key = "cookie_secure";
		need = "true";
		have = secure_names[c->cookie_secure];
	} else if (host && c->cookie_domain[0] != '\0') {
		ck = CK_COOKIE_DOMAIN;
		key = "cookie_domain";
		need = "(empty)";
		have = c->cookie_domain;
	} else if (host && strcmp(c->cookie_path, "/") != 0) {
		ck = CK_COOKIE_PATH;
		key = "cookie_path";
		need = "/";
		have = c->cookie_path;
	} else {
		return 0;
	}
	line = p->key_line[ck] != 0 ? p->key_line[ck] :
	    p->key_line[CK_COOKIE_NAME];
	parse_fail(p, line, "[session] cookie_name = %s: needs [session] "
	    "%s = %s (browsers drop a %s cookie otherwise), %s is %s",
	    c->cookie_name, key, need, host ? "__Host-" : "__Secure-", key,
	    have);
	return -1;
}

/* Rules between keys, checked once the whole file is read. */
static int
cross_check(struct parse *p)
{
	const struct config *c = p->cfg;
	int line;

	if (check_cookie_prefix(p) != 0)
		return -1;

	/* A row written less often than it expires would end live sessions. */
	if (c->activity_interval * 2 > c->cookie_age) {
		line = p->key_line[CK_ACTIVITY_INTERVAL];
		if (line == 0)
			line = p->key_line[CK_COOKIE_AGE];
		parse_fail(p, line, "[session] activity_interval = %ld: at most "
		    "half of cookie_age (%ld)", c->activity_interval,
		    c->cookie_age);
		return -1;
	}

	if (c->cookie_samesite == SAMESITE_NONE
	    && c->cookie_secure != SECURE_TRUE) {
		line = p->key_line[CK_COOKIE_SAMESITE];
		if (line == 0)
			line = p->key_line[CK_COOKIE_SECURE];
		parse_fail(p, line, "[session] cookie_samesite = None: needs "
		    "[session] cookie_secure = true (browsers drop "
		    "SameSite=None cookies that are not Secure), "
		    "cookie_secure is %s", secure_names[c->cookie_secure]);
		return -1;
	}
	return 0;
}

/*
 * Run the parse over cfg's scratch copy; on success copy it back.
 * p->fp or p->str is already set.
 */
static int
parse_run(struct config *cfg, struct parse *p)
{
	struct config *tmp = NULL;
	int rc, ret = -1;

	if ((tmp = malloc(sizeof *tmp)) == NULL) {
		snprintf(p->err, p->errsz, "%s: out of memory", p->name);
		goto fail;
	}
	memcpy(tmp, cfg, sizeof *tmp);
	p->cfg = tmp;
	rc = ini_parse_stream(reader, p, handler, p);
	if (p->fp != NULL && ferror(p->fp)) {
		snprintf(p->err, p->errsz, "%s: read error: %s", p->name,
		    strerror(errno));
		goto fail;
	}
	if (rc == -2) {
		snprintf(p->err, p->errsz, "%s: out of memory", p->name);
		goto fail;
	}
	if (rc > 0 && (p->err_line == 0 || rc < p->err_line)) {
		p->err_line = 0;
		parse_fail(p, rc, "syntax error (expected [section], "
		    "key = value or a ; comment)");
	}
	if (p->err_line != 0 || rc != 0 || cross_check(p) == -1)
		goto fail;
	if ((size_t)snprintf(tmp->path, sizeof tmp->path, "%s", p->name)
	    >= sizeof tmp->path) {
		snprintf(p->err, p->errsz, "config path too long");
		goto fail;
	}
	memcpy(cfg, tmp, sizeof *cfg);
	ret = 0;
fail:
	free(tmp);
	return ret;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errsz)
{
	struct parse p = { .name = path, .err = err, .errsz = errsz };
	int ret;

	if ((p.fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	ret = parse_run(cfg, &p);
	fclose(p.fp);
	return ret;
}

int
config_load_string(struct config *cfg, const char *name, const char *text,
    char *err, size_t errsz)
{
	struct parse p = { .name = name, .str = text, .err = err,
	    .errsz = errsz };

	return parse_run(cfg, &p);
}

/* ---- printing ---- */

static void
print_value(const struct config *c, const struct keydef *k, FILE *out)
{
	const char *field = (const char *)c + k->off;
	int n;

	switch (k->type) {
	case KT_STRING:
		fputs(field, out);
		break;
	case KT_INT:
		fprintf(out, "%d", *(const int *)(const void *)field);
		break;
	case KT_LONG:
		fprintf(out, "%ld", *(const long *)(const void *)field);
		break;
	case KT_BOOL:
		fputs(*(const bool *)field ? "true" : "false", out);
		break;
	case KT_ENUM:
		n = *(const int *)(const void *)field;
		fputs(n >= 0 && n < k->nnames ? k->names[n] : "?", out);
		break;
	case KT_LIST:
		n = *(const int *)(const void *)((const char *)c + k->count_off);
		for (int i = 0; i < n && i < k->max; i++)
			fprintf(out, "%s%s", i ? ", " : "",
			    field + (size_t)i * k->size);
		break;
	case KT_MODE:
		fprintf(out, "%04o", (unsigned)*(const int *)(const void *)field);
		break;
	}
}

void
config_print(const struct config *c, FILE *out)
{
	const char *section = NULL;

	fprintf(out, "; sessiongw effective configuration (%s)\n",
	    c->path[0] != '\0' ? c->path : "built-in defaults");
	for (int i = 0; i < CK__MAX; i++) {
		const struct keydef *k = &keydefs[i];

		if (section == NULL || strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "\n[%s]\n", section);
		}
		fprintf(out, "%s = ", k->name);
		print_value(c, k, out);
		fputc('\n', out);
	}
}

/*
 * Cookie names that web frameworks use for their own cookies. The app
 * behind nginx sets its cookie with the same name and Path=/, the browser
 * keeps one of the two, and the gateway session is lost (Django's
 * SessionMiddleware did exactly that with the old default "sessionid").
 * Compared without case: some frameworks are configured case-insensitively.
 */
static const struct framework_cookie {
	const char	*name;
	const char	*owner;
} framework_cookies[] = {
	{ "sessionid", "Django's session cookie" },
	{ "csrftoken", "Django's CSRF cookie" },
	{ "PHPSESSID", "PHP's session cookie" },
	{ "JSESSIONID", "the Java servlet session cookie" },
	{ "connect.sid", "Express (connect) session cookie" },
	{ "laravel_session", "Laravel's session cookie" },
	{ "XSRF-TOKEN", "Laravel's / Angular's CSRF cookie" },
	{ "_session_id", "Rails' session cookie" },
	{ "ci_session", "CodeIgniter's session cookie" },
	{ "session", "Flask's session cookie" },
	{ "ASP.NET_SessionId", "ASP.NET's session cookie" },
	{ ".AspNetCore.Session", "ASP.NET Core's session cookie" },
	{ "rack.session", "Rack's (Sinatra) session cookie" },
	{ "beaker.session.id", "Pylons' (Beaker) session cookie" },
	{ "CFID", "ColdFusion's session cookie" },
	{ "frontend", "Magento's session cookie" },
	{ "wordpress_logged_in", "WordPress' sign-in cookie" },
};

int
config_cookie_name_warning(const struct config *c, char *out, size_t outsz)
{
	for (size_t i = 0; i < sizeof framework_cookies /
	    sizeof framework_cookies[0]; i++) {
		if (strcasecmp(c->cookie_name, framework_cookies[i].name) != 0)
			continue;
		errmsg(out, outsz, "cookie_name = %s is %s: an app behind "
		    "nginx that sets its own cookie of that name overwrites "
		    "the gateway's and signs users out; use a name of your "
		    "own (default sessiongw)", c->cookie_name,
		    framework_cookies[i].owner);
		return 1;
	}
	return 0;
}
