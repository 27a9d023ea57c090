/*
 * cli_check_config.c - `sessiongw check-config`: the config was already
 * parsed and validated by main (errors exit 2 there); print the effective
 * values. config_print never prints key material: keys live in keys.h.
 * Settings that work but expose the daemon get a "warn" line on stderr, so
 * that stdout stays a config file.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_common.h"
#include "listen.h"

/*
 * Redis over TCP off this host travels in clear text (hiredis 0.14 has no
 * TLS); a password file others can read is refused at start.
 */
static void
store_warnings(const struct store_conf *sc)
{
	struct stat sb;

	if (sc->backend != STORE_BACKEND_REDIS)
		return;
	if (sc->nredis_sentinels == 0 && strncmp(sc->redis, "unix:", 5) != 0 &&
	    strncmp(sc->redis, "127.", 4) != 0 &&
	    strncmp(sc->redis, "[::1]:", 6) != 0 &&
	    strncmp(sc->redis, "localhost:", 10) != 0)
		fprintf(stderr, "warn [store] redis = %s is not on this host: "
		    "the connection is not encrypted (no TLS in hiredis 0.14); "
		    "use a private network or a local TLS tunnel\n", sc->redis);
	if (sc->redis_password_file[0] != '\0') {
		if (stat(sc->redis_password_file, &sb) != 0)
			fprintf(stderr, "warn [store] redis_password_file = %s: "
			    "cannot read it\n", sc->redis_password_file);
		else if ((sb.st_mode & 0077) != 0)
			fprintf(stderr, "warn [store] redis_password_file = %s: "
			    "mode %04o lets others read it; the daemon refuses "
			    "it (chmod 600)\n", sc->redis_password_file,
			    (unsigned)(sb.st_mode & 07777));
	}
}

int
cmd_check_config(struct config *cfg, int argc, char **argv)
{
	static const struct option none[] = { { .name = NULL } };
	char	 why[512];
	int	 c;

	cli_getopt_reset();
	if ((c = getopt_long(argc, argv, ":", none, NULL)) != -1)
		return cli_bad_option("check-config", argc, argv, c);
	if (optind < argc) {
		cli_error("check-config: unexpected argument; see --help");
		return EXIT_USAGE;
	}
	config_print(cfg, stdout);
	if (listen_exposed(cfg->listen))
		fprintf(stderr, "warn listen = %s is not a loopback address: "
		    "%s\n", cfg->listen, listen_exposed_warning());
	/* A warning, not an error: the config works, the site may not. */
	if (config_cookie_name_warning(cfg, why, sizeof why) != 0)
		fprintf(stderr, "warn: %s\n", why);
	store_warnings(&cfg->store);
	return EXIT_OK;
}
