/*
 * cli_user.c - `sessiongw user ...`: add, passwd, del, list, lock, unlock,
 * mfa-reset, import, export (the last two in cli_user_import.c).
 *
 * Every change that should end a user's access (password change, lock,
 * delete) also revokes that user's sessions right here, rather than
 * relying on the validator to notice later. Passwords are wiped from
 * memory as soon as they are hashed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "cli_common.h"
#include "cli_user_import.h"
#include "password.h"
#include "store.h"

struct user_args {
	const char	*name;
	bool		 admin;
	bool		 from_stdin;
	size_t		 min_password;	/* [login] min_password_length */
	const char	*file;		/* import: the file to read */
};

/* Options a user subcommand accepts (bits of user_cmd.opts). */
#define UOPT_ADMIN	0x01
#define UOPT_STDIN	0x02

struct user_cmd {
	const char	*name;
	int		(*fn)(struct store *, const struct user_args *);
	unsigned	 opts;
	bool		 takes_name;
	bool		 takes_file;	/* import FILE */
	bool		 audits;	/* writes audit events: open the log */
};

static int
db_error(struct store *st)
{
	cli_error("database: %s", store_errmsg(st));
	return EXIT_FAIL;
}

/*
 * Read and hash a new password; the clear text never outlives this.
 * Shorter than min bytes is refused before hashing.
 */
static int
new_password_hash(bool from_stdin, size_t min, char hash[PWHASH_MAX])
{
	char	 pw[PASSWORD_MAX + 1], err[256];
	int	 rc = -1;

	if (password_read(from_stdin, !from_stdin, pw, sizeof pw, err,
	    sizeof err) != 0) {
		cli_error("%s", err);
		goto out;
	}
	if (pw[0] == '\0') {
		cli_error("empty password refused");
		goto out;
	}
	if (strlen(pw) < min) {
		cli_error("password too short: at least %zu characters "
		    "([login] min_password_length)", min);
		goto out;
	}
	if (password_hash(pw, hash, PWHASH_MAX) != 0) {
		cli_error("cannot hash the password (out of memory)");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(pw, sizeof pw);
	return rc;
}

/* {"sessions_revoked": n}, or NULL if out of memory (audit without it). */
static cJSON *
revoked_detail(int64_t n)
{
	cJSON	*d = cJSON_CreateObject();

	if (d != NULL)
		cJSON_AddNumberToObject(d, "sessions_revoked", (double)n);
	return d;
}

static int
user_add(struct store *st, const struct user_args *a)
{
	struct user u;
	char	 hash[PWHASH_MAX];
	int64_t	 id = 0;
	cJSON	*d;
	int	 r, rc = EXIT_FAIL;

	r = store_user_by_name(st, a->name, &u);
	if (r == STORE_OK) {
		cli_error("user %s already exists", a->name);
		return EXIT_FAIL;
	}
	if (r != STORE_NOTFOUND)
		return db_error(st);
	if (new_password_hash(a->from_stdin, a->min_password, hash) != 0)
		goto out;
	r = store_user_add(st, a->name, hash, a->admin, (int64_t)time(NULL),
	    &id);
	if (r == STORE_EXISTS) {
		cli_error("user %s already exists", a->name);
		goto out;
	}
	if (r != STORE_OK) {
		rc = db_error(st);
		goto out;
	}
	printf("created user %s (id %lld%s)\n", a->name, (long long)id,
	    a->admin ? ", admin" : "");
	if ((d = cJSON_CreateObject()) != NULL)
		cJSON_AddBoolToObject(d, "admin", a->admin);
	cli_audit(AUDIT_USER_CREATED, a->name, id, NULL, d);
	rc = EXIT_OK;
out:
	sodium_memzero(hash, sizeof hash);
	return rc;
}

static int
user_passwd(struct store *st, const struct user_args *a)
{
	struct user u;
	char	 hash[PWHASH_MAX];
	int64_t	 n = 0;
	int	 rc = EXIT_FAIL;

	if (cli_user_find(st, a->name, &u) != 0)
		return EXIT_FAIL;
	if (new_password_hash(a->from_stdin, a->min_password, hash) != 0)
		goto out;
	if (store_user_set_password(st, u.id, hash, (int64_t)time(NULL)) !=
	    STORE_OK || store_session_delete_user(st, u.id, &n) != STORE_OK ||
	    (u.must_reset && store_user_set_locked(st, u.id, false) !=
	    STORE_OK)) {
		rc = db_error(st);
		goto out;
	}
	printf("password changed for %s; revoked %lld sessions%s\n", a->name,
	    (long long)n, u.must_reset ? "; unlocked (was must_reset)" : "");
	cli_audit(AUDIT_PASSWORD_CHANGED, a->name, u.id, NULL,
	    revoked_detail(n));
	rc = EXIT_OK;
out:
	sodium_memzero(hash, sizeof hash);
	sodium_memzero(&u, sizeof u);
	return rc;
}

static int
user_del(struct store *st, const struct user_args *a)
{
	struct user u;
	int64_t	 n = 0;

	if (cli_user_find(st, a->name, &u) != 0)
		return EXIT_FAIL;
	/* Sessions first: a session must never outlive its user row. */
	if (store_session_delete_user(st, u.id, &n) != STORE_OK ||
	    store_user_del(st, u.id) != STORE_OK)
		return db_error(st);
	printf("deleted user %s; revoked %lld sessions\n", a->name,
	    (long long)n);
	cli_audit(AUDIT_USER_DELETED, a->name, u.id, NULL, revoked_detail(n));
	return EXIT_OK;
}

static int
set_locked(struct store *st, const struct user_args *a, bool locked)
{
	struct user u;
	int64_t	 n = 0;

	if (cli_user_find(st, a->name, &u) != 0)
		return EXIT_FAIL;
	/* must_reset implies locked: only a new password unlocks. */
	if (!locked && u.must_reset) {
		cli_error("user %s has an imported password hash sessiongw "
		    "cannot verify: set a password with `sessiongw user passwd "
		    "%s` (that unlocks it)", a->name, a->name);
		return EXIT_FAIL;
	}
	if (store_user_set_locked(st, u.id, locked) != STORE_OK)
		return db_error(st);
	if (!locked) {
		printf("unlocked user %s\n", a->name);
		cli_audit(AUDIT_USER_UNLOCKED, a->name, u.id, NULL, NULL);
		return EXIT_OK;
	}
	if (store_session_delete_user(st, u.id, &n) != STORE_OK)
		return db_error(st);
	printf("locked user %s; revoked %lld sessions\n", a->name,
	    (long long)n);
	cli_audit(AUDIT_USER_LOCKED, a->name, u.id, NULL, revoked_detail(n));
	return EXIT_OK;
}

static int
user_lock(struct store *st, const struct user_args *a)
{
	return set_locked(st, a, true);
}

static int
user_unlock(struct store *st, const struct user_args *a)
{
	return set_locked(st, a, false);
}

/*
 * Remove a user's second factor (a lost phone, no recovery code left):
 * the next sign-in takes the password alone (or, with totp = required,
 * sends the user to enrol again). Sessions stay: this is a rescue, not
 * an eviction; `user lock` is for that.
 */
static int
user_mfa_reset(struct store *st, const struct user_args *a)
{
	struct user u;
	cJSON	*d;
	bool	 was;

	if (cli_user_find(st, a->name, &u) != 0)
		return EXIT_FAIL;
	was = u.mfa.secret_len > 0;
	sodium_memzero(&u.mfa, sizeof u.mfa);
	if (store_user_set_mfa(st, u.id, NULL) != STORE_OK)
		return db_error(st);
	printf("%s second factor of user %s\n", was ? "removed the" :
	    "no", a->name);
	d = cJSON_CreateObject();
	if (d != NULL)
		cJSON_AddBoolToObject(d, "was_enrolled", was);
	cli_audit(AUDIT_MFA_RESET, a->name, u.id, NULL, d);
	return EXIT_OK;
}

static int
list_row(void *arg, const struct user *u)
{
	char	 created[CLI_TIME_LEN];

	(void)arg;
	cli_time_fmt(u->created_at, created);
	printf("%-6lld %-24s %-5s %-6s %s\n", (long long)u->id, u->name,
	    u->admin ? "yes" : "no", u->must_reset ? "reset" :
	    u->locked ? "yes" : "no", created);
	return 0;
}

static int
user_list(struct store *st, const struct user_args *a)
{
	(void)a;
	printf("%-6s %-24s %-5s %-6s %s\n", "ID", "NAME", "ADMIN", "LOCKED",
	    "CREATED");
	if (store_user_list(st, list_row, NULL) != STORE_OK)
		return db_error(st);
	return EXIT_OK;
}

static int
user_import(struct store *st, const struct user_args *a)
{
	return user_import_file(st, a->file);
}

static int
user_export_cmd(struct store *st, const struct user_args *a)
{
	(void)a;
	return user_export(st);
}

static const struct user_cmd user_cmds[] = {
	{ .name = "add", .fn = user_add, .opts = UOPT_ADMIN | UOPT_STDIN,
	    .takes_name = true, .audits = true },
	{ .name = "passwd", .fn = user_passwd, .opts = UOPT_STDIN,
	    .takes_name = true, .audits = true },
	{ .name = "del", .fn = user_del, .takes_name = true,
	    .audits = true },
	{ .name = "list", .fn = user_list },
	{ .name = "lock", .fn = user_lock, .takes_name = true,
	    .audits = true },
	{ .name = "unlock", .fn = user_unlock, .takes_name = true,
	    .audits = true },
	{ .name = "import", .fn = user_import, .takes_file = true,
	    .audits = true },
	{ .name = "mfa-reset", .fn = user_mfa_reset, .takes_name = true,
	    .audits = true },
	{ .name = "export", .fn = user_export_cmd },
};

/* Options and operands of one user subcommand (argv[0] is its name). */
static int
user_parse(const struct user_cmd *uc, int argc, char **argv,
    struct user_args *a)
{
	static const struct option opts[] = {
		{ .name = "admin", .has_arg = no_argument, .val = 'a' },
		{ .name = "password-stdin", .has_arg = no_argument,
		    .val = 'p' },
		{ .name = NULL },
	};
	char	 cmd[32];
	int	 c;

	snprintf(cmd, sizeof cmd, "user %s", uc->name);
	cli_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'a' && (uc->opts & UOPT_ADMIN))
			a->admin = true;
		else if (c == 'p' && (uc->opts & UOPT_STDIN))
			a->from_stdin = true;
		else
			return cli_bad_option(cmd, argc, argv, c);
	}
	if (argc - optind != (uc->takes_name || uc->takes_file ? 1 : 0)) {
		cli_error("%s: %s; see sessiongw user --help", cmd,
		    uc->takes_name ? "expected one user NAME" :
		    uc->takes_file ? "expected one FILE (- for stdin)" :
		    "unexpected argument");
		return EXIT_USAGE;
	}
	if (uc->takes_file)
		a->file = argv[optind];
	if (uc->takes_name) {
		a->name = argv[optind];
		if (cli_username_check(a->name) != 0)
			return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
cmd_user(struct config *cfg, int argc, char **argv)
{
	const struct user_cmd *uc = NULL;
	struct user_args a = {
		.min_password = (size_t)cfg->login_min_password_length,
	};
	struct store	*st = NULL;
	char		 shown[40];
	int		 rc;

	if (argc < 2) {
		cli_error("user: missing subcommand; see sessiongw user --help");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof user_cmds / sizeof user_cmds[0]; i++)
		if (strcmp(user_cmds[i].name, argv[1]) == 0)
			uc = &user_cmds[i];
	if (uc == NULL) {
		cli_printable(argv[1], shown, sizeof shown, 32);
		cli_error("user: unknown subcommand '%s'; see sessiongw user "
		    "--help", shown);
		return EXIT_USAGE;
	}
	if ((rc = user_parse(uc, argc - 1, argv + 1, &a)) != EXIT_OK)
		return rc;
	rc = EXIT_FAIL;
	if (cli_store_open(cfg, &st, NULL, NULL) != 0 ||
	    (uc->audits && cli_audit_open(cfg) != 0))
		goto out;
	rc = uc->fn(st, &a);
out:
	cli_close(st);
	return rc;
}
