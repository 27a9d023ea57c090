/*
 * test_config.c - the INI configuration: defaults, each key, the error
 * messages of bad files, config_print round trip, conf/sessiongw.conf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static int
load(struct config *c, const char *text, char *err, size_t errsz)
{
	config_defaults(c);
	return config_load_string(c, "t.conf", text, err, errsz);
}

/* config_print into a heap string (caller frees), without line 1. */
static char *
printed(const struct config *c)
{
	char *s = NULL, *body;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (f == NULL)
		return NULL;
	config_print(c, f);
	fclose(f);
	body = strchr(s, '\n');
	body = strdup(body != NULL ? body : "");
	free(s);
	return body;
}

UNIT_TEST(config_defaults_match_spec)
{
	struct config c;

	config_defaults(&c);
	CHECK_STR(c.listen, "unix:/run/sessiongw/sessiongw.sock");
	CHECK_INT(c.socket_mode, 0660);
	CHECK_INT(c.threads, 8);
	CHECK_STR(c.database, "/var/lib/sessiongw/sessiongw.db");
	CHECK_STR(c.audit_log, "/var/log/sessiongw/audit.log");
	CHECK_STR(c.secret_key_file, "/etc/sessiongw/secret.key");
	CHECK_INT(c.nfallback_files, 0);
	CHECK_STR(c.route_prefix, "/session");
	CHECK_STR(c.user, "");
	CHECK_STR(c.cookie_name, "sessiongw");
	CHECK_INT(c.cookie_age, 1200);
	CHECK_INT(c.absolute_age, 43200);
	CHECK(c.save_every_request);
	CHECK(c.expire_at_browser_close);
	CHECK(c.cookie_httponly);
	CHECK_INT(c.cookie_secure, SECURE_AUTO);
	CHECK_INT(c.cookie_samesite, SAMESITE_LAX);
	CHECK_STR(c.cookie_path, "/");
	CHECK_STR(c.cookie_domain, "");
	CHECK_INT(c.ip_change, IP_CHANGE_LOG);
	CHECK_INT(c.nallowed_origins, 0);
	CHECK_INT(c.cache_max_entries, 1000);
	CHECK_INT(c.cache_cull_frequency, 3);
	CHECK_INT(c.cache_max_entries_per_user, 100);
	CHECK_INT(c.cache_max_value_bytes, 65536);
	CHECK_INT(c.cache_default_timeout, 300);
	CHECK_INT(c.cleanup_interval, 60);
	CHECK_INT(c.cleanup_batch, 1000);
	CHECK_STR(c.ui_title, "Sign in");
	CHECK_INT(c.login_max_failures, 5);
	CHECK_INT(c.login_window, 300);
	CHECK_INT(c.login_lockout, 300);
}

static const char every_key[] =
    "; every key, none at its default\n"
    "[server]\n"
    "listen = 127.0.0.1:9000\n"
    "socket_mode = 0600\n"
    "threads = 3\n"
    "database = /tmp/x.db\n"
    "audit_log = -\n"
    "secret_key_file = /tmp/k1\n"
    "secret_key_fallback_files = /tmp/k2 , /tmp/k3,/tmp/k4\n"
    "route_prefix = /auth/s\n"
    "user = www-data\n"
    "[session]\n"
    "cookie_name = __Secure-sid\n"
    "cookie_age = 60\n"
    "absolute_age = 3600\n"
    "save_every_request = No\n"
    "expire_at_browser_close = off\n"
    "cookie_httponly = 0\n"
    "cookie_secure = TRUE\n"
    "cookie_samesite = none\n"
    "cookie_path = /app\n"
    "cookie_domain = .example.com\n"
    "ip_change = LOGOUT\n"
    "allowed_origins = https://a.example.com, http://b:8080\n"
    "[cache]\n"
    "max_entries = 50\n"
    "cull_frequency = 1\n"
    "max_entries_per_user = 7\n"
    "max_value_bytes = 16777216\n"
    "default_timeout = 0\n"
    "[cleanup]\n"
    "interval = 5   ; inline comment\n"
    "batch = 10\n"
    "[ui]\n"
    "title = Example & Co <login>\n"
    "[login]\n"
    "max_failures = 2\n"
    "window = 30\n"
    "lockout = 90\n";

UNIT_TEST(config_every_key)
{
	struct config c;
	char err[512] = "";

	CHECK_INT(load(&c, every_key, err, sizeof err), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.path, "t.conf");
	CHECK_STR(c.listen, "127.0.0.1:9000");
	CHECK_INT(c.socket_mode, 0600);
	CHECK_INT(c.threads, 3);
	CHECK_STR(c.database, "/tmp/x.db");
	CHECK_STR(c.audit_log, "-");
	CHECK_STR(c.secret_key_file, "/tmp/k1");
	CHECK_INT(c.nfallback_files, 3);
	CHECK_STR(c.fallback_files[0], "/tmp/k2");
	CHECK_STR(c.fallback_files[1], "/tmp/k3");
	CHECK_STR(c.fallback_files[2], "/tmp/k4");
	CHECK_STR(c.route_prefix, "/auth/s");
	CHECK_STR(c.user, "www-data");
	CHECK_STR(c.cookie_name, "__Secure-sid");
	CHECK_INT(c.cookie_age, 60);
	CHECK_INT(c.absolute_age, 3600);
	CHECK(!c.save_every_request);
	CHECK(!c.expire_at_browser_close);
	CHECK(!c.cookie_httponly);
	CHECK_INT(c.cookie_secure, SECURE_TRUE);
	CHECK_INT(c.cookie_samesite, SAMESITE_NONE);
	CHECK_STR(c.cookie_path, "/app");
	CHECK_STR(c.cookie_domain, ".example.com");
	CHECK_INT(c.ip_change, IP_CHANGE_LOGOUT);
	CHECK_INT(c.nallowed_origins, 2);
	CHECK_STR(c.allowed_origins[0], "https://a.example.com");
	CHECK_STR(c.allowed_origins[1], "http://b:8080");
	CHECK_INT(c.cache_max_entries, 50);
	CHECK_INT(c.cache_cull_frequency, 1);
	CHECK_INT(c.cache_max_entries_per_user, 7);
	CHECK_INT(c.cache_max_value_bytes, 16777216);
	CHECK_INT(c.cache_default_timeout, 0);
	CHECK_INT(c.cleanup_interval, 5);
	CHECK_INT(c.cleanup_batch, 10);
	CHECK_STR(c.ui_title, "Example & Co <login>");
	CHECK_INT(c.login_max_failures, 2);
	CHECK_INT(c.login_window, 30);
	CHECK_INT(c.login_lockout, 90);
}

/* Small valid variants: { text, what to check }. */
UNIT_TEST(config_valid_forms)
{
	static const struct {
		const char *text;
		const char *listen;
		int threads;
	} rows[] = {
		{ .text = "[server]\nlisten = inherit\n", .listen = "inherit",
		    .threads = 8 },
		{ .text = "[server]\nlisten = unix:/tmp/s.sock\n",
		    .listen = "unix:/tmp/s.sock", .threads = 8 },
		{ .text = "[server]\nlisten = [::1]:9000\n",
		    .listen = "[::1]:9000", .threads = 8 },
		{ .text = "[server]\nlisten = localhost:65535\n",
		    .listen = "localhost:65535", .threads = 8 },
		{ .text = "[server]\nthreads = 1\nthreads = 256\n",
		    .listen = "unix:/run/sessiongw/sessiongw.sock",
		    .threads = 256 },	/* last wins */
		{ .text = "", .listen = "unix:/run/sessiongw/sessiongw.sock",
		    .threads = 8 },
		{ .text = "\xEF\xBB\xBF[server]\r\nthreads = 2\r\n",
		    .listen = "unix:/run/sessiongw/sessiongw.sock",
		    .threads = 2 },
		{ .text = "# hash comment\n\n[server]\n  ; indented comment\n"
		    "threads=4\n", .listen = "unix:/run/sessiongw/sessiongw.sock",
		    .threads = 4 },
	};
	struct config c;
	char err[512];

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		err[0] = '\0';
		CHECK_INT(load(&c, rows[i].text, err, sizeof err), 0);
		CHECK_STR(err, "");
		CHECK_STR(c.listen, rows[i].listen);
		CHECK_INT(c.threads, rows[i].threads);
	}
	CHECK_INT(load(&c, "[server]\nsocket_mode = 640\n", err, sizeof err),
	    0);
	CHECK_INT(c.socket_mode, 0640);
	CHECK_INT(load(&c, "[session]\ncookie_samesite = sTrIcT\n"
	    "cookie_secure = FALSE\n", err, sizeof err), 0);
	CHECK_INT(c.cookie_samesite, SAMESITE_STRICT);
	CHECK_INT(c.cookie_secure, SECURE_FALSE);
	CHECK_INT(load(&c, "[server]\nsecret_key_fallback_files = /a\n"
	    "secret_key_fallback_files =\n", err, sizeof err), 0);
	CHECK_INT(c.nfallback_files, 0);
	CHECK_INT(load(&c, "[session]\nsave_every_request = YES\n"
	    "cookie_httponly = On\nexpire_at_browser_close = 1\n",
	    err, sizeof err), 0);
	CHECK(c.save_every_request && c.cookie_httponly
	    && c.expire_at_browser_close);
	CHECK_INT(load(&c, "[session]\nactivity_interval = 30\n", err,
	    sizeof err), 0);
	CHECK_INT(c.activity_interval, 30);
}

/*
 * Bad files: the error must start with "t.conf:LINE:" and hold the
 * fragment (usually "[section] key = value: reason").
 */
UNIT_TEST(config_invalid)
{
	static const struct {
		const char *text;
		int line;
		const char *frag;
	} rows[] = {
		{ "[bogus]\nx = 1\n", 1, "[bogus]: unknown section" },
		{ "[server]\n[nosuch]\n", 2, "unknown section" },
		{ "[server]\nlistn = x\n", 2, "[server] listn = x: unknown key" },
		{ "[session]\nthreads = 2\n", 2,
		    "[session] threads = 2: unknown key" },
		{ "threads = 2\n", 1, "threads = 2: key outside any [section]" },
		{ "[session]\ncookie_age = abc\n", 2,
		    "[session] cookie_age = abc: not an integer in 1..31536000" },
		{ "[session]\ncookie_age = 0\n", 2, "cookie_age = 0: not an" },
		{ "[session]\ncookie_age = 60\nactivity_interval = 31\n", 3,
		    "activity_interval = 31: at most half of cookie_age (60)" },
		{ "[session]\nactivity_interval = 0\n", 2,
		    "activity_interval = 0: not an integer in 1..3600" },
		{ "[login]\nmin_password_length = 0\n", 2,
		    "[login] min_password_length = 0: not an integer in 1..1024" },
		{ "[login]\nmin_password_length = 1025\n", 2,
		    "min_password_length = 1025" },
		{ "[session]\ncookie_age = 31536001\n", 2, "cookie_age = 31536001" },
		{ "[session]\ncookie_age = +5\n", 2, "cookie_age = +5: not an" },
		{ "[session]\ncookie_age = -5\n", 2, "cookie_age = -5: not an" },
		{ "[session]\ncookie_age = 5s\n", 2, "cookie_age = 5s: not an" },
		{ "[session]\ncookie_age = 99999999999999999999\n", 2,
		    "not an integer" },
		{ "[server]\nthreads = 0\n", 2, "threads = 0: not an integer in "
		    "1..256" },
		{ "[server]\nthreads = 257\n", 2, "threads = 257" },
		{ "[server]\nthreads =\n", 2, "[server] threads = : not an" },
		{ "[session]\ncookie_httponly = maybe\n", 2,
		    "cookie_httponly = maybe: not a boolean" },
		{ "[session]\ncookie_secure = yes\n", 2,
		    "cookie_secure = yes: not one of false | true | auto" },
		{ "[session]\ncookie_samesite = Loose\n", 2,
		    "cookie_samesite = Loose: not one of Strict | Lax | None" },
		{ "[session]\nip_change = kill\n", 2, "ip_change = kill: not one" },
		{ "[session]\ncookie_samesite = None\n", 2,
		    "cookie_samesite = None: needs [session] cookie_secure = "
		    "true" },
		{ "[session]\ncookie_secure = false\n\ncookie_samesite = None\n",
		    4, "cookie_secure is false" },
		{ "[server]\nlisten = /tmp/sock\n", 2, "listen = /tmp/sock: not" },
		{ "[server]\nlisten = unix:relative.sock\n", 2,
		    "must be absolute" },
		{ "[server]\nlisten = 127.0.0.1:0\n", 2, "listen = 127.0.0.1:0" },
		{ "[server]\nlisten = 127.0.0.1:65536\n", 2, "(port 1..65535)" },
		{ "[server]\nlisten = 127.0.0.1\n", 2, "listen = 127.0.0.1: not" },
		{ "[server]\nlisten = :9000\n", 2, "listen = :9000: not" },
		{ "[server]\nlisten = ::1:9000\n", 2, "listen = ::1:9000: not" },
		{ "[server]\nlisten =\n", 2, "listen = : must not be empty" },
		{ "[server]\nlisten = unix:/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaa\n", 2, "unix socket path longer" },
		{ "[server]\nroute_prefix = session\n", 2,
		    "route_prefix = session: must start with '/'" },
		{ "[server]\nroute_prefix = /session/\n", 2, "route_prefix" },
		{ "[server]\nroute_prefix = /\n", 2, "route_prefix = /: must" },
		{ "[server]\nroute_prefix = /a b\n", 2, "route_prefix = /a b:" },
		{ "[server]\nroute_prefix = /a/../b\n", 2, "route_prefix" },
		{ "[server]\nroute_prefix = /a//b\n", 2, "route_prefix" },
		{ "[server]\nroute_prefix = /a?b\n", 2, "route_prefix" },
		{ "[session]\ncookie_name = a=b\n", 2,
		    "cookie_name = a=b: not a cookie name token" },
		{ "[session]\ncookie_name = a b\n", 2, "cookie_name = a b: not" },
		{ "[session]\ncookie_name = a;b\n", 2, "cookie_name = a;b: not" },
		{ "[session]\ncookie_name =\n", 2, "must not be empty" },
		{ "[session]\ncookie_path = app\n", 2, "cookie_path = app: must" },
		{ "[session]\ncookie_path = /a;b\n", 2, "cookie_path = /a;b:" },
		{ "[session]\ncookie_domain = a b\n", 2, "cookie_domain = a b:" },
		{ "[session]\nallowed_origins = example.com\n", 2,
		    "allowed_origins = example.com: not an origin" },
		{ "[session]\nallowed_origins = https://a/path\n", 2,
		    "not an origin" },
		{ "[session]\nallowed_origins = https://a,,https://b\n", 2,
		    "empty item in list" },
		{ "[session]\nallowed_origins = https://a,\n", 2,
		    "empty item in list" },
		{ "[session]\nallowed_origins = http://a1,http://a2,http://a3,"
		    "http://a4,http://a5,http://a6,http://a7,http://a8,http://a9,"
		    "http://b1,http://b2,http://b3,http://b4,http://b5,http://b6,"
		    "http://b7,http://b8\n", 2, "more than 16 items" },
		{ "[server]\nsecret_key_fallback_files = /1,/2,/3,/4,/5,/6,/7,"
		    "/8,/9\n", 2, "more than 8 items" },
		{ "[cache]\nmax_entries = 0\n", 2, "max_entries = 0: not an" },
		{ "[cache]\ncull_frequency = 0\n", 2, "cull_frequency = 0" },
		{ "[cache]\nmax_value_bytes = 16777217\n", 2,
		    "max_value_bytes = 16777217: not an integer in 1..16777216" },
		{ "[cache]\ndefault_timeout = -1\n", 2, "default_timeout = -1" },
		{ "[cleanup]\ninterval = 0\n", 2, "interval = 0" },
		{ "[cleanup]\nbatch = 0\n", 2, "batch = 0" },
		{ "[login]\nmax_failures = 0\n", 2, "max_failures = 0" },
		{ "[login]\nwindow = 0\n", 2, "window = 0" },
		{ "[login]\nlockout = x\n", 2, "lockout = x" },
		{ "[ui]\ntitle =\n", 2, "title = : must not be empty" },
		{ "[ui]\ntitle = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 2,
		    "longer than 127 characters" },
		{ "[server]\nuser = -x\n", 2, "user = -x: not a user name" },
		{ "[server]\nsocket_mode = 0888\n", 2,
		    "socket_mode = 0888: not an octal mode" },
		{ "[server]\nsocket_mode = 1777\n", 2, "socket_mode = 1777" },
		{ "[server]\nsocket_mode = rw\n", 2, "socket_mode = rw" },
		{ "[server]\nthreads = 2\n  threads = 3\n", 3,
		    "continuation lines are not supported" },
		{ "[server]\nthreads 2\n", 2, "syntax error" },
		{ "[server\nthreads = 2\n", 1, "syntax error" },
		{ "[server]\n\n\nthreads = 2\nbad = 1\nthreads = x\n", 5,
		    "[server] bad = 1: unknown key" },
	};
	struct config c;
	char err[512], want[64];

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int rc;

		err[0] = '\0';
		rc = load(&c, rows[i].text, err, sizeof err);
		CHECK_INT(rc, -1);
		snprintf(want, sizeof want, "t.conf:%d: ", rows[i].line);
		if (strncmp(err, want, strlen(want)) != 0
		    || strstr(err, rows[i].frag) == NULL) {
			char m[1024];

			snprintf(m, sizeof m, "row %zu: \"%s\" lacks \"%s%s\"",
			    i, err, want, rows[i].frag);
			unit_fail(__FILE__, __LINE__, m);
		}
	}
}

UNIT_TEST(config_error_leaves_config_alone)
{
	struct config c, d;
	char err[512];

	config_defaults(&c);
	config_defaults(&d);
	CHECK_INT(config_load_string(&c, "t.conf",
	    "[server]\nthreads = 3\nlisten = bad\n", err, sizeof err), -1);
	CHECK(memcmp(&c, &d, sizeof c) == 0);
}

UNIT_TEST(config_long_and_odd_lines)
{
	struct config c;
	char err[512], text[600];

	/* Longer than inih's line buffer: refused, never split. */
	memset(text, 'a', sizeof text);
	memcpy(text, "[server]\ndatabase = /", 21);
	snprintf(text + 500, sizeof text - 500, "\n");
	CHECK_INT(load(&c, text, err, sizeof err), -1);
	CHECK(strstr(err, "t.conf:2: line longer than") != NULL);
	/* A long comment is fine. */
	memset(text, 'x', sizeof text);
	text[0] = ';';
	snprintf(text + 400, sizeof text - 400, "\n[server]\nthreads = 2\n");
	CHECK_INT(load(&c, text, err, sizeof err), 0);
	CHECK_INT(c.threads, 2);
	/* A value with a control character. */
	CHECK_INT(load(&c, "[ui]\ntitle = a\tb\n", err, sizeof err), -1);
	CHECK(strstr(err, "t.conf:2: [ui] title") != NULL);
	CHECK(strstr(err, "control character") != NULL);
}

UNIT_TEST(config_file_errors)
{
	struct config c;
	char err[512];

	config_defaults(&c);
	CHECK_INT(config_load(&c, "/nonexistent/x.conf", err, sizeof err), -1);
	CHECK_STR(err, "/nonexistent/x.conf: cannot open: "
	    "No such file or directory");
	CHECK_INT(config_load(&c, "/", err, sizeof err), -1);
	CHECK(strncmp(err, "/: ", 3) == 0);
}

UNIT_TEST(config_print_round_trip)
{
	struct config c, d;
	char err[512] = "";
	char *a = NULL, *b = NULL, *full = NULL;
	size_t len = 0;
	FILE *f;

	CHECK_INT(load(&c, every_key, err, sizeof err), 0);
	f = open_memstream(&full, &len);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	config_print(&c, f);
	fclose(f);
	CHECK(strstr(full, "secret_key_file = /tmp/k1\n") != NULL);
	CHECK(strstr(full, "cookie_samesite = None\n") != NULL);
	CHECK(strstr(full, "socket_mode = 0600\n") != NULL);
	CHECK(strstr(full, "secret_key_fallback_files = /tmp/k2, /tmp/k3, "
	    "/tmp/k4\n") != NULL);
	CHECK_INT(load(&d, full, err, sizeof err), 0);
	CHECK_STR(err, "");
	a = printed(&c);
	b = printed(&d);
	CHECK_STR(a, b);
	free(a);
	free(b);
	free(full);

	/* The defaults round-trip too, empty lists and strings included. */
	config_defaults(&c);
	a = printed(&c);
	CHECK(a != NULL);
	CHECK_INT(load(&d, a != NULL ? a : "", err, sizeof err), 0);
	b = printed(&d);
	CHECK_STR(a, b);
	CHECK(strstr(a, "\n[login]\nmax_failures = 5\n") != NULL);
	free(a);
	free(b);
}

/* The documented example holds every default, and nothing else. */
UNIT_TEST(config_example_file)
{
	struct config c, d;
	char err[512] = "";
	char *a, *b;

	config_defaults(&c);
	CHECK_INT(config_load(&c, "conf/sessiongw.conf", err, sizeof err), 0);
	CHECK_STR(err, "");
	CHECK_STR(c.path, "conf/sessiongw.conf");
	config_defaults(&d);
	a = printed(&c);
	b = printed(&d);
	CHECK_STR(a, b);
	free(a);
	free(b);
}

UNIT_TEST(config_default_path)
{
	char *old = getenv("SESSIONGW_CONFIG");
	char *saved = old != NULL ? strdup(old) : NULL;

	CHECK_STR(config_default_path("/x.conf"), "/x.conf");
	setenv("SESSIONGW_CONFIG", "/env.conf", 1);
	CHECK_STR(config_default_path(NULL), "/env.conf");
	CHECK_STR(config_default_path("/x.conf"), "/x.conf");
	setenv("SESSIONGW_CONFIG", "", 1);
	CHECK_STR(config_default_path(NULL), "/etc/sessiongw/sessiongw.conf");
	unsetenv("SESSIONGW_CONFIG");
	CHECK_STR(config_default_path(NULL), "/etc/sessiongw/sessiongw.conf");
	if (saved != NULL) {
		setenv("SESSIONGW_CONFIG", saved, 1);
		free(saved);
	}
}

/*
 * Cookie name prefixes: a __Host- or __Secure- name with settings that
 * browsers would refuse the cookie under is a config error naming the
 * key that breaks the rule (its line, or cookie_name's when defaulted).
 */
UNIT_TEST(config_cookie_prefix)
{
	static const struct {
		const char *text;
		int line;	/* 0 = valid */
		const char *frag;
	} rows[] = {
		{ "[session]\ncookie_name = __Host-sg\ncookie_secure = true\n",
		    0, NULL },
		{ "[session]\ncookie_name = __Host-sg\ncookie_secure = true\n"
		    "cookie_path = /\ncookie_domain =\n", 0, NULL },
		{ "[session]\ncookie_name = __Secure-sg\ncookie_secure = true\n"
		    "cookie_path = /app\ncookie_domain = example.com\n", 0, NULL },
		{ "[session]\ncookie_name = Host-sg\ncookie_secure = false\n",
		    0, NULL },
		{ "[session]\ncookie_name = __Host-sg\n", 2,
		    "[session] cookie_name = __Host-sg: needs [session] "
		    "cookie_secure = true (browsers drop a __Host- cookie "
		    "otherwise), cookie_secure is auto" },
		{ "[session]\ncookie_name = __Host-sg\n\ncookie_secure = false\n",
		    4, "cookie_secure is false" },
		{ "[session]\ncookie_secure = true\ncookie_name = __Host-sg\n"
		    "cookie_domain = example.com\n", 4,
		    "[session] cookie_name = __Host-sg: needs [session] "
		    "cookie_domain = (empty) (browsers drop a __Host- cookie "
		    "otherwise), cookie_domain is example.com" },
		{ "[session]\ncookie_secure = true\ncookie_name = __Host-sg\n"
		    "cookie_path = /app\n", 4,
		    "cookie_path = / (browsers drop a __Host- cookie otherwise), "
		    "cookie_path is /app" },
		{ "[session]\ncookie_name = __host-sg\ncookie_secure = true\n"
		    "cookie_path = /app\n", 4, "cookie_path is /app" },
		{ "[session]\ncookie_name = __Secure-sg\ncookie_secure = auto\n",
		    3, "needs [session] cookie_secure = true (browsers drop a "
		    "__Secure- cookie otherwise), cookie_secure is auto" },
		{ "[session]\ncookie_name = __Secure-sg\n", 2,
		    "cookie_secure is auto" },
	};
	struct config c;
	char err[512], want[32];

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		err[0] = '\0';
		if (rows[i].line == 0) {
			CHECK_INT(load(&c, rows[i].text, err, sizeof err), 0);
			CHECK_STR(err, "");
			continue;
		}
		CHECK_INT(load(&c, rows[i].text, err, sizeof err), -1);
		snprintf(want, sizeof want, "t.conf:%d: ", rows[i].line);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, rows[i].frag) == NULL)
			CHECK_STR(err, rows[i].frag);
	}
}

UNIT_TEST(config_min_password_length)
{
	struct config c;
	char err[256];

	config_defaults(&c);
	CHECK_INT(c.login_min_password_length, 10);
	CHECK_INT(config_load_string(&c, "t", "[login]\nmin_password_length = 16\n",
	    err, sizeof err), 0);
	CHECK_INT(c.login_min_password_length, 16);
}

UNIT_TEST(config_framework_cookie_names_warn)
{
	static const struct { const char *name; const char *owner; } rows[] = {
		{ "sessionid", "Django's session cookie" },
		{ "csrftoken", "Django's CSRF cookie" },
		{ "PHPSESSID", "PHP's" },
		{ "phpsessid", "PHP's" },
		{ "JSESSIONID", "Java" },
		{ "connect.sid", "Express" },
		{ "laravel_session", "Laravel" },
		{ "_session_id", "Rails" },
		{ "ci_session", "CodeIgniter" },
		{ "session", "Flask" },
		{ "sessiongw", NULL },
		{ "sessionid2", NULL },
		{ "__Host-sid", NULL },
	};
	struct config c;
	char why[512];

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		config_defaults(&c);
		snprintf(c.cookie_name, sizeof c.cookie_name, "%s", rows[i].name);
		why[0] = '\0';
		CHECK_INT(config_cookie_name_warning(&c, why, sizeof why),
		    rows[i].owner != NULL);
		if (rows[i].owner != NULL) {
			CHECK(strstr(why, rows[i].owner) != NULL);
			CHECK(strstr(why, rows[i].name) != NULL);
		}
	}
}
