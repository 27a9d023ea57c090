/*
 * main.c - the sessiongw binary: global options, then one subcommand.
 *
 * Subcommands are rows of commands[] (name, function, summary, usage);
 * adding one is one function and one row. Help and --version need no
 * config file, so they work on a fresh host before anything is set up.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "cli_common.h"
#include "config.h"

#ifndef SESSIONGW_VERSION
#define SESSIONGW_VERSION "unknown"
#endif

struct command {
	const char	*name;
	int		(*fn)(struct config *, int, char **);
	const char	*summary;
	const char	*usage;		/* printed by `sessiongw CMD --help` */
};

static const struct command commands[] = {
	{
		.name = "serve",
		.fn = cmd_serve,
		.summary = "run the FastCGI responder in the foreground",
		.usage =
		    "usage: sessiongw [-c FILE] serve\n"
		    "\n"
		    "Run the FastCGI responder in the foreground (systemd style).\n"
		    "SIGTERM/SIGINT: finish requests in flight and exit 0.\n"
		    "SIGHUP: reopen the audit log and re-read the key files.\n",
	},
	{
		.name = "setup-session-security",
		.fn = cmd_setup,
		.summary = "create tables and key, clear sessions, verify config",
		.usage =
		    "usage: sessiongw [-c FILE] setup-session-security "
		    "[--keep-sessions] [--rotate-key]\n"
		    "\n"
		    "Create/migrate the database, create the secret key file if\n"
		    "missing (mode 0600), clear all existing sessions, verify the\n"
		    "configuration (ok/warn/FAIL lines) and print the next steps.\n"
		    "Exit 1 if any check FAILs. Safe to run again.\n"
		    "\n"
		    "  --keep-sessions  do not clear existing sessions\n"
		    "  --rotate-key     new signing key on line 1 of the key file;\n"
		    "                   up to 3 previous keys stay valid\n",
	},
	{
		.name = "migrate",
		.fn = cmd_migrate,
		.summary = "create or upgrade the database schema",
		.usage =
		    "usage: sessiongw [-c FILE] migrate\n"
		    "\n"
		    "Create or upgrade the database schema (idempotent).\n",
	},
	{
		.name = "check-config",
		.fn = cmd_check_config,
		.summary = "validate the config and print effective values",
		.usage =
		    "usage: sessiongw [-c FILE] check-config\n"
		    "\n"
		    "Parse and validate the config file and print the effective\n"
		    "values (never key material). Exit 2 on a config error.\n",
	},
	{
		.name = "clearsessions",
		.fn = cmd_clearsessions,
		.summary = "delete expired sessions and cache rows",
		.usage =
		    "usage: sessiongw [-c FILE] clearsessions\n"
		    "\n"
		    "Delete expired sessions and expired cache rows, in batches\n"
		    "of [cleanup] batch rows, and print the counts.\n",
	},
	{
		.name = "user",
		.fn = cmd_user,
		.summary = "manage users (add, passwd, del, list, lock, unlock, "
		    "mfa-reset, import, export)",
		.usage =
		    "usage: sessiongw [-c FILE] user add NAME [--admin] "
		    "[--password-stdin]\n"
		    "       sessiongw [-c FILE] user passwd NAME "
		    "[--password-stdin]\n"
		    "       sessiongw [-c FILE] user del NAME\n"
		    "       sessiongw [-c FILE] user list\n"
		    "       sessiongw [-c FILE] user lock NAME\n"
		    "       sessiongw [-c FILE] user unlock NAME\n"
		    "       sessiongw [-c FILE] user mfa-reset NAME\n"
		    "       sessiongw [-c FILE] user import FILE\n"
		    "       sessiongw [-c FILE] user export > users.jsonl\n"
		    "\n"
		    "NAME is 1-150 characters of A-Z a-z 0-9 @ . + _ -\n"
		    "The password is read from the first line of stdin with\n"
		    "--password-stdin, else prompted twice without echo, and\n"
		    "must have [login] min_password_length characters.\n"
		    "passwd and lock revoke all of the user's sessions.\n"
		    "import reads `manage.py dumpdata auth.user` JSON (or the\n"
		    "JSON Lines of export); existing names are skipped; a\n"
		    "malformed file imports nothing. export prints password\n"
		    "hashes: keep the output private.\n",
	},
	{
		.name = "sessions",
		.fn = cmd_sessions,
		.summary = "list or revoke sessions",
		.usage =
		    "usage: sessiongw [-c FILE] sessions list [--user NAME]\n"
		    "       sessiongw [-c FILE] sessions revoke "
		    "(--user NAME | --all | HANDLE)\n"
		    "\n"
		    "HANDLE is the 12 hex digits shown by `sessions list`.\n",
	},
	{
		.name = "audit",
		.fn = cmd_audit,
		.summary = "read the audit log",
		.usage =
		    "usage: sessiongw [-c FILE] audit [--since T] [--until T] "
		    "[--user NAME]\n"
		    "       [--event E[,E...]] [--ip ADDR] [--json] [--follow]\n"
		    "       [--file FILE]\n"
		    "\n"
		    "Print the audit log as a table, or the raw JSON lines with\n"
		    "--json. T is RFC 3339 (2026-11-28T21:00:00Z) or a duration\n"
		    "back from now: 90s, 15m, 2h, 7d. --follow keeps reading new\n"
		    "lines (and follows log rotation) until interrupted.\n"
		    "--file reads FILE instead of [server] audit_log: a rotated\n"
		    "log (audit.log.1), or - for stdin (zcat audit.log.2.gz |).\n",
	},
	{
		.name = "stats",
		.fn = cmd_stats,
		.summary = "sessions, users, cache counts, database size",
		.usage =
		    "usage: sessiongw [-c FILE] stats [--json]\n"
		    "\n"
		    "Print `key value` lines (or one JSON object with --json).\n",
	},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *fp)
{
	fputs("usage: sessiongw [-c FILE] COMMAND [ARGS...]\n"
	    "       sessiongw -h | --help | --version\n"
	    "\n"
	    "FastCGI session gateway for nginx.\n"
	    "\n"
	    "  -c FILE      config file (default $SESSIONGW_CONFIG, then\n"
	    "               /etc/sessiongw/sessiongw.conf)\n"
	    "  -h, --help   this help; `sessiongw COMMAND --help` for one "
	    "command\n"
	    "  --version    print the version\n"
	    "\n"
	    "commands:\n", fp);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-24s %s\n", commands[i].name,
		    commands[i].summary);
}

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Global options. Returns -1 to go on, else the exit status. */
static int
parse_global(int argc, char **argv, const char **cfgpath)
{
	enum { OPT_VERSION = 256 };
	static const struct option opts[] = {
		{ .name = "help", .has_arg = no_argument, .val = 'h' },
		{ .name = "version", .has_arg = no_argument,
		    .val = OPT_VERSION },
		{ .name = NULL },
	};
	int	 c;

	cli_getopt_reset();
	/* '+': stop at the subcommand, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*cfgpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			printf("sessiongw %s\n", SESSIONGW_VERSION);
			return EXIT_OK;
		default:
			return cli_bad_option(NULL, argc, argv, c);
		}
	}
	return -1;
}

static int
run(int argc, char **argv)
{
	const struct command *cmd;
	const char	*explicit_path = NULL, *path;
	struct config	*cfg = NULL;
	char		 err[1024], shown[64];
	int		 rc;

	if ((rc = parse_global(argc, argv, &explicit_path)) >= 0)
		return rc;
	if (optind >= argc) {
		cli_error("no command given; see sessiongw --help");
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	if ((cmd = command_find(argv[0])) == NULL) {
		cli_printable(argv[0], shown, sizeof shown, 40);
		cli_error("unknown command '%s'; see sessiongw --help", shown);
		return EXIT_USAGE;
	}
	if (cli_wants_help(argc, argv)) {
		fputs(cmd->usage, stdout);
		return EXIT_OK;
	}
	/* Heap, not stack: the struct holds several PATH_MAX buffers. */
	if ((cfg = calloc(1, sizeof *cfg)) == NULL) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	config_defaults(cfg);
	path = config_default_path(explicit_path);
	if (config_load(cfg, path, err, sizeof err) != 0) {
		cli_error("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = cmd->fn(cfg, argc, argv);
out:
	free(cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	int	 rc;

	if (sodium_init() < 0) {
		cli_error("libsodium failed to initialize");
		return EXIT_FAIL;
	}
	/* The database holds password hashes, the key file keys: no file
	 * this process creates is for other users to read. */
	umask(027);
	rc = run(argc, argv);
	if (fflush(stdout) != 0 && rc == EXIT_OK) {
		cli_error("cannot write to stdout");
		rc = EXIT_FAIL;
	}
	return rc;
}
