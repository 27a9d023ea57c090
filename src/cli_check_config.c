/*
 * cli_check_config.c - `sessiongw check-config`: the config was already
 * parsed and validated by main (errors exit 2 there); print the effective
 * values. config_print never prints key material: keys live in keys.h.
 * Settings that work but expose the daemon get a "warn" line on stderr, so
 * that stdout stays a config file.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cli_common.h"
#include "listen.h"

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
	return EXIT_OK;
}
