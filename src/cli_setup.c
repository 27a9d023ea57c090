/*
 * cli_setup.c - `sessiongw setup-session-security`, the management command
 * of the Django app this gateway replaces: create/migrate the database,
 * create (or rotate) the secret key file, clear existing sessions, verify
 * the configuration and print the next steps.
 *
 * Each step prints one check line: "ok", "warn" (works, but weaker than
 * the hardened defaults) or "FAIL" (the daemon would not work or would be
 * unsafe). Only FAILs make the exit status 1. Every step is idempotent,
 * so running it again is always safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "cli.h"
#include "cli_common.h"
#include "keys.h"
#include "listen.h"
#include "store.h"

#define DEFAULT_CONFIG	"/etc/sessiongw/sessiongw.conf"

struct setup {
	const struct config *cfg;
	bool		 keep_sessions;
	bool		 rotate_key;
	struct cli_checks chk;
	struct store	*st;		/* NULL when the database FAILed */
	bool		 audit_ok;
	bool		 key_ok;
	bool		 have_daemon_user;	/* [server] user exists */
	uid_t		 daemon_uid;
	gid_t		 daemon_gid;	/* its primary group */
};

/* The directory part of path ("." when there is none). */
static int
parent_dir(const char *path, char *out, size_t outsz)
{
	const char *slash = strrchr(path, '/');
	int	 n;

	if (slash == NULL)
		n = snprintf(out, outsz, ".");
	else if (slash == path)
		n = snprintf(out, outsz, "/");
	else
		n = snprintf(out, outsz, "%.*s", (int)(slash - path), path);
	return (n < 0 || (size_t)n >= outsz) ? -1 : 0;
}

/* FAIL unless dir exists; "what" names the file that will live in it. */
static int
check_dir(struct setup *s, const char *what, const char *path,
    const char *mode)
{
	char	 dir[CONFIG_PATH_MAX];
	struct stat st;

	if (parent_dir(path, dir, sizeof dir) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s %s: path too long", what,
		    path);
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_check(&s->chk, CHECK_FAIL, "%s directory %s does not "
		    "exist: create it (install -d -m %s %s)", what, dir, mode,
		    dir);
		return -1;
	}
	return 0;
}

/*
 * The daemon drops to [server] user after opening its files, yet must
 * still write the database (and its journal), re-read keys and reopen the
 * audit log on SIGHUP. Run as root, setup gives the files it manages to
 * that user, through an O_NOFOLLOW descriptor (never a symlink's target);
 * anything else (a directory, a symlink) is a warn line with the command.
 */
static void
check_owner(struct setup *s, const char *what, const char *path)
{
	struct stat st;
	int	 fd, rc = -1;

	if (!s->have_daemon_user || geteuid() != 0 || lstat(path, &st) != 0 ||
	    st.st_uid == s->daemon_uid)
		return;
	if (S_ISREG(st.st_mode) && (fd = open(path, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) != -1) {
		rc = fchown(fd, s->daemon_uid, s->daemon_gid);
		close(fd);
	}
	if (rc == 0) {
		cli_check(&s->chk, CHECK_OK, "%s %s now owned by [server] user "
		    "%s", what, path, s->cfg->user);
		return;
	}
	cli_check(&s->chk, CHECK_WARN, "%s %s is not owned by [server] user "
	    "%s: the daemon may fail to use it after dropping privileges; "
	    "chown %s %s", what, path, s->cfg->user, s->cfg->user, path);
}

static void
check_daemon_user(struct setup *s)
{
	const struct config *cfg = s->cfg;
	struct passwd *pw;

	if (cfg->user[0] == '\0') {
		if (geteuid() == 0)
			cli_check(&s->chk, CHECK_WARN, "running as root with "
			    "[server] user empty: the daemon would keep root; "
			    "set user = sessiongw (a system user)");
		return;
	}
	errno = 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		cli_check(&s->chk, CHECK_FAIL, "[server] user = %s does not "
		    "exist: create it (useradd --system %s) or fix the "
		    "setting", cfg->user, cfg->user);
		return;
	}
	s->have_daemon_user = true;
	s->daemon_uid = pw->pw_uid;
	s->daemon_gid = pw->pw_gid;
	cli_check(&s->chk, CHECK_OK, "daemon drops privileges to user %s",
	    cfg->user);
}

/*
 * Where nginx connects. TCP beyond loopback is a warn (FastCGI has no
 * authentication); a socket_group that does not exist is a FAIL (serve
 * would refuse to start).
 */
static void
check_listen(struct setup *s)
{
	const struct config *cfg = s->cfg;

	if (listen_exposed(cfg->listen))
		cli_check(&s->chk, CHECK_WARN, "listen = %s is not a loopback "
		    "address: %s", cfg->listen, listen_exposed_warning());
	else
		cli_check(&s->chk, CHECK_OK, "listen = %s", cfg->listen);
	if (cfg->socket_group[0] == '\0')
		return;
	errno = 0;
	if (getgrnam(cfg->socket_group) == NULL)
		cli_check(&s->chk, CHECK_FAIL, "[server] socket_group = %s "
		    "does not exist: name the web server's group (www-data)",
		    cfg->socket_group);
	else if (strncmp(cfg->listen, "unix:", 5) == 0)
		cli_check(&s->chk, CHECK_OK, "socket group %s (only the socket; "
		    "the database and audit log stay private)",
		    cfg->socket_group);
}

static void
check_audit_log(struct setup *s)
{
	const char *path = s->cfg->audit_log;
	char	 err[1024];

	if (strcmp(path, "-") == 0) {
		cli_check(&s->chk, CHECK_WARN, "audit_log = \"-\": audit "
		    "events go to stderr (the journal) only, and `sessiongw "
		    "audit` cannot read them; set a file path");
	} else if (check_dir(s, "audit log", path, "700") != 0) {
		return;
	}
	if (cli_audit_try_open(s->cfg, err, sizeof err) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s: make it (and its "
		    "directory) writable for the daemon", err);
		return;
	}
	s->audit_ok = true;
	if (strcmp(path, "-") != 0) {
		cli_check(&s->chk, CHECK_OK, "audit log %s opened for append",
		    path);
		check_owner(s, "audit log", path);
	}
}

static void
check_database(struct setup *s)
{
	const char *path = s->cfg->database;
	char	 dir[CONFIG_PATH_MAX], err[1024];
	int	 from, to;

	if (check_dir(s, "database", path, "700") != 0)
		return;
	if (cli_store_try_open(s->cfg, &s->st, &from, &to, err,
	    sizeof err) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s: check the path and its "
		    "permissions", err);
		return;
	}
	cli_check(&s->chk, CHECK_OK, "database %s at schema version %d "
	    "(was %d)", path, to, from);
	/* SQLite also writes journal files next to the database. */
	if (parent_dir(path, dir, sizeof dir) != 0 ||
	    access(path, W_OK) != 0 || access(dir, W_OK) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "database %s is not writable: "
		    "the file and its directory must be writable", path);
		return;
	}
	cli_check(&s->chk, CHECK_OK, "database writable");
	check_owner(s, "database", path);
	check_owner(s, "database directory", dir);
}

/*
 * [store] backend = redis: reachable (the layout version is written, so
 * a write works too), and warnings for a Redis that can lose keys: no
 * AOF (a restart drops every session and user written since the last
 * snapshot) or a maxmemory-policy that evicts (an evicted key is a
 * silently lost session, user or index).
 */
static void
check_redis(struct setup *s)
{
	const struct store_conf *sc = &s->cfg->store;
	struct store_stats st;
	char	 err[1024];
	int	 from, to;

	if (cli_store_try_open(s->cfg, &s->st, &from, &to, err,
	    sizeof err) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s: is Redis running, and are "
		    "[store] redis, redis_username and redis_password_file "
		    "right?", err);
		return;
	}
	cli_check(&s->chk, CHECK_OK, "redis %s reachable, key layout %d "
	    "(was %d) under prefix %s", sc->nredis_sentinels > 0 ?
	    sc->redis_master : sc->redis, to, from, sc->redis_prefix);
	if (store_probe_write(s->st) != STORE_OK ||
	    store_stats(s->st, &st) != STORE_OK) {
		cli_check(&s->chk, CHECK_FAIL, "redis: %s",
		    store_errmsg(s->st));
		return;
	}
	if (!st.persistent)
		cli_check(&s->chk, CHECK_WARN, "redis persistence (AOF) is off: "
		    "a Redis restart loses the sessions and users written "
		    "since its last snapshot; set appendonly yes");
	else
		cli_check(&s->chk, CHECK_OK, "redis AOF is on");
	if (st.evicts)
		cli_check(&s->chk, CHECK_WARN, "redis maxmemory-policy can "
		    "evict keys: an evicted key is a silently lost session or "
		    "user; set maxmemory-policy noeviction");
	else
		cli_check(&s->chk, CHECK_OK, "redis maxmemory-policy "
		    "noeviction");
}

/*
 * One key file: mode first (a key readable by others is already a leak,
 * whatever its content), then content. Returns the number of keys or -1.
 */
static int
check_key_file(struct setup *s, const char *what, const char *path,
    unsigned char (*keys)[KEY_BYTES])
{
	struct stat st;
	char	 err[1024];
	int	 n = 0;

	if (stat(path, &st) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_check(&s->chk, CHECK_FAIL, "%s %s is not a regular file",
		    what, path);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s %s is accessible by "
		    "group/others (mode %03o): chmod 600 %s", what, path,
		    (unsigned)(st.st_mode & 0777), path);
		return -1;
	}
	if (keyfile_read(path, keys, KEYS_PER_FILE, &n, 1, err,
	    sizeof err) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s: fix it, or move it away "
		    "and run this command again to create a new key (signs "
		    "everyone out)", err);
		return -1;
	}
	cli_check(&s->chk, CHECK_OK, "%s %s (%d key%s, mode 600)", what, path,
	    n, n == 1 ? "" : "s");
	check_owner(s, what, path);
	return n;
}

static void
check_keys(struct setup *s, unsigned char (*keys)[KEY_BYTES])
{
	const struct config *cfg = s->cfg;
	const char *path = cfg->secret_key_file;
	char	 err[1024];
	struct stat st;

	if (stat(path, &st) != 0 && errno == ENOENT) {
		if (check_dir(s, "secret key file", path, "700") != 0)
			return;
		if (keyfile_create(path, err, sizeof err) != 0) {
			cli_check(&s->chk, CHECK_FAIL, "%s: make the directory "
			    "writable or create the key file yourself", err);
			return;
		}
		cli_check(&s->chk, CHECK_OK, "created secret key file %s",
		    path);
	}
	s->key_ok = check_key_file(s, "secret key file", path, keys) > 0;
	for (int i = 0; i < cfg->nfallback_files; i++)
		(void)check_key_file(s, "fallback key file",
		    cfg->fallback_files[i], keys);
}

static void
rotate_key(struct setup *s, unsigned char (*keys)[KEY_BYTES])
{
	const char *path = s->cfg->secret_key_file;
	char	 err[1024];
	cJSON	*d;
	int	 n = 0;

	if (keyfile_rotate(path, err, sizeof err) != 0 ||
	    keyfile_read(path, keys, KEYS_PER_FILE, &n, 1, err,
	    sizeof err) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s: key not rotated", err);
		return;
	}
	cli_check(&s->chk, CHECK_OK, "rotated secret key: new signing key on "
	    "line 1 of %s, %d previous key%s kept for verifying", path,
	    n - 1, n - 1 == 1 ? "" : "s");
	/* The rotated file is a new one (rename), created by us. */
	check_owner(s, "secret key file", path);
	if ((d = cJSON_CreateObject()) != NULL)
		cJSON_AddNumberToObject(d, "keys", n);
	cli_audit(AUDIT_KEY_ROTATED, NULL, 0, NULL, d);
}

/* The ring exactly as the daemon loads it (current + fallbacks). */
static void
check_keyring(struct setup *s)
{
	struct keyring ring = { .keys = NULL };
	char	 err[1024];

	if (keyring_load(&ring, s->cfg, err, sizeof err) != 0) {
		cli_check(&s->chk, CHECK_FAIL, "%s", err);
		return;
	}
	cli_check(&s->chk, CHECK_OK, "key ring loads: %d key%s (line 1 of the "
	    "key file signs)", ring.nkeys, ring.nkeys == 1 ? "" : "s");
	keyring_free(&ring);
}

static void
clear_sessions(struct setup *s)
{
	int64_t	 n = 0;
	cJSON	*d;

	if (s->keep_sessions) {
		if (store_session_count(s->st, (int64_t)time(NULL),
		    s->cfg->absolute_age, &n) ==
		    STORE_OK)
			printf("kept %lld existing sessions (--keep-sessions)\n",
			    (long long)n);
		return;
	}
	if (store_session_delete_all(s->st, &n) != STORE_OK) {
		cli_check(&s->chk, CHECK_FAIL, "cannot clear sessions: %s",
		    store_errmsg(s->st));
		return;
	}
	printf("cleared %lld existing sessions\n", (long long)n);
	if ((d = cJSON_CreateObject()) != NULL)
		cJSON_AddNumberToObject(d, "count", (double)n);
	cli_audit(AUDIT_SESSIONS_CLEARED, NULL, 0, NULL, d);
}

static void
check_cookie(struct setup *s)
{
	const struct config *cfg = s->cfg;
	char	 why[512];

	if (config_cookie_name_warning(cfg, why, sizeof why) != 0)
		cli_check(&s->chk, CHECK_WARN, "%s", why);
	if (cfg->cookie_secure == SECURE_FALSE)
		cli_check(&s->chk, CHECK_WARN, "cookie_secure = false: the "
		    "session cookie is also sent over plain HTTP; set "
		    "cookie_secure = true (or auto behind HTTPS)");
	else
		cli_check(&s->chk, CHECK_OK, "cookie_secure = %s",
		    cfg->cookie_secure == SECURE_TRUE ? "true" : "auto");
	if (!cfg->cookie_httponly)
		cli_check(&s->chk, CHECK_WARN, "cookie_httponly = false: "
		    "scripts in the page can read the session cookie; set "
		    "cookie_httponly = true");
	if (cfg->cookie_samesite == SAMESITE_NONE)
		cli_check(&s->chk, CHECK_WARN, "cookie_samesite = None: the "
		    "cookie is sent on cross-site requests; use Lax or Strict");
	else
		cli_check(&s->chk, CHECK_OK, "cookie_samesite = %s",
		    config_samesite_name(cfg->cookie_samesite));
}

static void
check_lifetime(struct setup *s)
{
	const struct config *cfg = s->cfg;

	if (!cfg->expire_at_browser_close)
		cli_check(&s->chk, CHECK_WARN, "expire_at_browser_close = "
		    "false: the cookie outlives the browser session; set "
		    "expire_at_browser_close = true");
	if (cfg->absolute_age < cfg->cookie_age)
		cli_check(&s->chk, CHECK_WARN, "absolute_age (%ld) < "
		    "cookie_age (%ld): every session ends at absolute_age "
		    "however active; raise absolute_age", cfg->absolute_age,
		    cfg->cookie_age);
	else
		cli_check(&s->chk, CHECK_OK, "session lifetime: %ld s idle, "
		    "%ld s absolute", cfg->cookie_age, cfg->absolute_age);
}

static void
next_steps(const struct setup *s)
{
	const struct config *cfg = s->cfg;
	char	 copt[CONFIG_PATH_MAX + 8] = "";

	/* Repeat -c only when the config is not the default one. */
	if (strcmp(cfg->path, DEFAULT_CONFIG) != 0)
		snprintf(copt, sizeof copt, "-c %s ", cfg->path);
	if (s->chk.n[CHECK_FAIL] > 0)
		printf("\n%d check%s FAILed: fix %s and run `sessiongw %s"
		    "setup-session-security` again.\n", s->chk.n[CHECK_FAIL],
		    s->chk.n[CHECK_FAIL] == 1 ? "" : "s",
		    s->chk.n[CHECK_FAIL] == 1 ? "it" : "them", copt);
	printf("\nNext steps:\n"
	    "  1. nginx: copy conf/nginx/sessiongw-upstream.conf and "
	    "conf/nginx/sessiongw.conf\n"
	    "     to /etc/nginx/snippets/; include the upstream file in the "
	    "http block\n"
	    "     (its server line must match listen = %s) and in the server "
	    "block:\n"
	    "         include /etc/nginx/snippets/sessiongw.conf;\n"
	    "  2. create a user:  sessiongw %suser add NAME --admin\n"
	    "  3. restart:        systemctl restart sessiongw nginx\n",
	    cfg->listen, copt);
}

static int
setup_parse(int argc, char **argv, struct setup *s)
{
	static const struct option opts[] = {
		{ .name = "keep-sessions", .has_arg = no_argument, .val = 'k' },
		{ .name = "rotate-key", .has_arg = no_argument, .val = 'r' },
		{ .name = NULL },
	};
	int	 c;

	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'k')
			s->keep_sessions = true;
		else if (c == 'r')
			s->rotate_key = true;
		else
			return cli_bad_option("setup-session-security", argc,
			    argv, c);
	}
	if (optind < argc) {
		cli_error("setup-session-security: unexpected argument; see "
		    "--help");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cmd_setup(struct config *cfg, int argc, char **argv)
{
	struct setup s = { .cfg = cfg };
	unsigned char (*keys)[KEY_BYTES] = NULL;
	cJSON	*d;
	int	 rc;

	if ((rc = setup_parse(argc, argv, &s)) != EXIT_OK)
		return rc;
	/* Key bytes only ever live in locked memory wiped on free. */
	if ((keys = sodium_allocarray(KEYS_PER_FILE, sizeof *keys)) == NULL) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	cli_check(&s.chk, CHECK_OK, "configuration parsed (%s)", cfg->path);
	check_daemon_user(&s);
	check_listen(&s);
	check_audit_log(&s);
	if (cfg->store.backend == STORE_BACKEND_REDIS)
		check_redis(&s);
	else
		check_database(&s);
	check_keys(&s, keys);
	if (s.rotate_key && s.key_ok)
		rotate_key(&s, keys);
	if (s.key_ok)
		check_keyring(&s);
	if (s.st != NULL)
		clear_sessions(&s);
	check_cookie(&s);
	check_lifetime(&s);
	if ((d = cJSON_CreateObject()) != NULL) {
		cJSON_AddNumberToObject(d, "ok", s.chk.n[CHECK_OK]);
		cJSON_AddNumberToObject(d, "warn", s.chk.n[CHECK_WARN]);
		cJSON_AddNumberToObject(d, "fail", s.chk.n[CHECK_FAIL]);
	}
	cli_audit(AUDIT_CONFIG_VERIFIED, NULL, 0, NULL, d);
	next_steps(&s);
	sodium_free(keys);
	cli_close(s.st);
	return s.chk.n[CHECK_FAIL] > 0 ? EXIT_FAIL : EXIT_OK;
}
