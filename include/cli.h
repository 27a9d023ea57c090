/*
 * cli.h - the subcommands of the sessiongw binary.
 *
 * Each takes the loaded configuration and its own argv (argv[0] is the
 * subcommand name) and returns the process exit status:
 * 0 ok, 1 the operation failed, 2 usage or config error.
 */
#ifndef SESSIONGW_CLI_H
#define SESSIONGW_CLI_H

#include "config.h"

#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

int	cmd_serve(struct config *, int argc, char **argv);
int	cmd_setup(struct config *, int argc, char **argv);
int	cmd_migrate(struct config *, int argc, char **argv);
int	cmd_check_config(struct config *, int argc, char **argv);
int	cmd_clearsessions(struct config *, int argc, char **argv);
int	cmd_user(struct config *, int argc, char **argv);
int	cmd_sessions(struct config *, int argc, char **argv);
int	cmd_audit(struct config *, int argc, char **argv);
int	cmd_stats(struct config *, int argc, char **argv);

/* True if argv holds -h or --help (after the subcommand name). */
int	cli_wants_help(int argc, char **argv);

#endif
